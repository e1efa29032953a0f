from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "lianban.proposals"
    verbose_name = "民意征求"

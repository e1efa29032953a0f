from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "lianban.applications"
    verbose_name = "一件事申请"

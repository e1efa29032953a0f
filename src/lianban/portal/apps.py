from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "lianban.portal"
    verbose_name = "办事门户"

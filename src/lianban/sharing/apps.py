from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "lianban.sharing"
    verbose_name = "信息共享"

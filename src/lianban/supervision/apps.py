from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "lianban.supervision"
    verbose_name = "电子监察"

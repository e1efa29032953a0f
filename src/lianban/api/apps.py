from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "lianban.api"
    verbose_name = "开放接口"

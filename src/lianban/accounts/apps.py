from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lianban.accounts"
    verbose_name = "账户"

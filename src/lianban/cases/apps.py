from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lianban.cases"
    verbose_name = "联办事项办件"

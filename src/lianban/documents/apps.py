from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "lianban.documents"
    verbose_name = "文书"

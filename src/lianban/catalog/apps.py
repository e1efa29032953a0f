from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "lianban.catalog"
    verbose_name = "事项目录"

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lianban.audit"
    verbose_name = "全程留痕"

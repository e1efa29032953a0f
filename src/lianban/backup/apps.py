from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "lianban.backup"
    verbose_name = "备份与恢复"

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "lianban.notifications"
    verbose_name = "通知"

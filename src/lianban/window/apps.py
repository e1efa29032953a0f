from django.apps import AppConfig


class WindowConfig(AppConfig):
    name = "lianban.window"
    verbose_name = "综合窗口"

from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "lianban.workdays"
    verbose_name = "工作日历"

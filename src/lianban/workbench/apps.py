from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "lianban.workbench"
    verbose_name = "联办部门工作台"

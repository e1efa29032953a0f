from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lianban.supervision.services import refresh_figures


class Command(BaseCommand):
    help = "更新电子监察统计数据（仅重算自上次以来有变动的月份；--full 全部重算）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="全部重算。")

    def handle(self, *args: Any, **options: Any) -> None:
        done = refresh_figures(full=options["full"])
        kind = "全部重算" if done.full else f"读取变动 {done.events} 条"
        self.stdout.write(f"统计数据已更新：{kind}，重算 {done.months} 个月。")

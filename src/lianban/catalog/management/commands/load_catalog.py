from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lianban.catalog import loader
from lianban.common.errors import DomainError


class Command(BaseCommand):
    help = "导入事项目录数据文件（默认：第一批一件事一次办事项目录），并发布各一件事。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(loader.FIRST_BATCH))
        parser.add_argument(
            "--replace",
            action="store_true",
            help="用数据文件覆盖已有的事项和一件事（否则保留已有内容）。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = loader.load(loader.read(Path(options["path"])), replace=options["replace"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"目录导入完成：新建 {len(report.created)} 件，发布 {len(report.published)} 件，"
            f"未变 {len(report.unchanged)} 件，保留已有 {len(report.skipped)} 件。"
        )

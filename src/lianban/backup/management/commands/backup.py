import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lianban.backup.archive import BackupError, create


class Command(BaseCommand):
    help = "备份数据库和全部文件（申请材料、文书、办理结果）到一个归档文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="归档文件路径；默认为 LIANBAN_DATA_DIR/backups/lianban-<时间>.tar.gz",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(
            options["output"] or Path(settings.DATA_DIR) / "backups" / f"lianban-{stamp}.tar.gz"
        )
        try:
            summary = create(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已备份（{summary.vendor}）：{summary.path}，文件 {summary.files} 个，"
            f"共 {summary.bytes / 1e6:.1f} MB。"
        )

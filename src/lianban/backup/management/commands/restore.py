from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lianban.backup.archive import BackupError, restore


class Command(BaseCommand):
    help = (
        "从 lianban backup 的归档文件恢复数据库和全部文件；先核对归档中每个文件的摘要，"
        "恢复后检查留痕链。恢复期间请停止网页和后台进程。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="备份归档文件")
        parser.add_argument("--force", action="store_true", help="覆盖已有数据的数据库")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = restore(Path(options["archive"]), force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已恢复（{summary.vendor}）：{summary.path}，文件 {summary.files} 个。")
        call_command("verify_audit", stdout=self.stdout)

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lianban.backup.sweep import GRACE_HOURS, sweep


class Command(BaseCommand):
    help = (
        "删除没有任何记录引用的存储文件（提交失败或进程中断后留下的），"
        f"只删除超过宽限期（默认 {GRACE_HOURS} 小时）的文件；可重复运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=GRACE_HOURS,
            help=f"只处理早于此小时数写入的文件（默认 {GRACE_HOURS}）；正在提交的文件不会被删除。",
        )
        parser.add_argument("--dry-run", action="store_true", help="只列出这些文件，不删除。")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["grace_hours"] < 1:
            raise CommandError("宽限期不能少于 1 小时：更新的文件可能属于尚未完成的提交。")
        done = sweep(grace_hours=options["grace_hours"], remove=not options["dry_run"])
        for name in done.orphans:
            self.stdout.write(f"  {name}")
        verb = "已删除" if done.removed else "未删除（试运行）"
        self.stdout.write(
            f"检查存储文件 {done.examined} 个，无记录引用的 {len(done.orphans)} 个"
            f"（{done.bytes / 1e6:.1f} MB），{verb}。"
        )

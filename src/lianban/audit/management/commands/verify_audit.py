import os
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from lianban.audit.services import verify_chain

MAX_DEFAULT_WORKERS = 8


class Command(BaseCommand):
    help = "检查全程留痕哈希链的完整性，指出第一条被篡改的事件。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="并行检查的进程数（仅 PostgreSQL；默认为 CPU 核数，至多 8；SQLite 为 1）。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers is None:
            # One worker per core, but not so many that they crowd the database's
            # connections on a large machine.
            cores = min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
            workers = cores if connection.vendor == "postgresql" else 1
        start = time.perf_counter()
        count, broken = verify_chain(workers=max(1, workers))
        seconds = time.perf_counter() - start
        if broken is not None:
            raise CommandError(
                f"留痕链在第 {count + 1} 条处断裂：事件 #{broken.id}（{broken.verb}）"
                "的内容或前序哈希与链不符。"
            )
        self.stdout.write(f"留痕链完整：共 {count} 条事件（用时 {seconds:.1f} 秒）。")

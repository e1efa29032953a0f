import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from lianban.integration import idempotency, services
from lianban.integration.delivery import deliver_due
from lianban.integration.nodes import forward_due


class Command(BaseCommand):
    help = "投递事件订阅（webhook）并向上级平台转送办件：--once 处理一轮后退出，否则持续运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="投递当前到期的全部事件后退出")
        parser.add_argument("--interval", type=float, default=2.0, help="两轮之间的间隔（秒）")

    def handle(self, *args: Any, **options: Any) -> None:
        last_sweep = 0.0
        while True:
            delivered, failed = deliver_due()
            if delivered or failed or options["once"]:
                self.stdout.write(f"事件投递：成功 {delivered} 次，失败 {failed} 次。")
            forwarded, not_forwarded = forward_due()
            if forwarded or not_forwarded:
                self.stdout.write(f"转送上级平台：成功 {forwarded} 件，失败 {not_forwarded} 次。")
            if time.monotonic() - last_sweep > 3600:
                # Hourly: expired tokens and idempotency records past their 24 hours.
                now = timezone.now()
                services.tokens_purge(before=now)
                idempotency.purge(before=now - idempotency.KEEP)
                last_sweep = time.monotonic()
            if options["once"]:
                return
            time.sleep(options["interval"])

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lianban.notifications.services import deliver_sms


class Command(BaseCommand):
    help = "发送待发短信（--loop 持续运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            sent, failed = deliver_sms()
            if sent or failed or not options["loop"]:
                self.stdout.write(f"短信：发送 {sent} 条，失败 {failed} 条。")
            if not options["loop"]:
                return
            time.sleep(options["interval"])

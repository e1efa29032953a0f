import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection

from lianban.applications.notices import seal_pending
from lianban.common.errors import DomainError

log = logging.getLogger("lianban.sealing")


class Command(BaseCommand):
    help = "为待签章的收件文书加盖电子印章（--loop 持续运行；可在多台机器上同时运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=0.5)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                sealed = seal_pending()
            except (DomainError, DatabaseError) as exc:
                # The keys cannot be opened, or the database is away: nothing was kept (the
                # step's transaction rolled back); try again after a pause.
                if not options["loop"]:
                    raise
                log.error("sealing notices failed: %s", exc)
                if isinstance(exc, DatabaseError):
                    connection.close()  # the next round connects afresh
                sealed = 0
                time.sleep(max(options["interval"], 5.0))
            if sealed or not options["loop"]:
                self.stdout.write(f"收件文书：签章 {sealed} 份。")
            if not options["loop"]:
                return
            if not sealed:
                time.sleep(options["interval"])

"""Prepare the document fonts once per machine (see lianban.documents.fontcache)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from lianban.documents.fontcache import prepare
from lianban.documents.render import FACES


class Command(BaseCommand):
    help = "为文书生成准备常用字字体（每台机器一次，约一分钟）。"

    def handle(self, *args: Any, **options: Any) -> None:
        for _family, _style, name in FACES:
            started = time.perf_counter()
            path = prepare(name)
            self.stdout.write(f"{name}: {path} ({time.perf_counter() - started:.1f} s)")

from typing import Any

from django.core.management.base import BaseCommand

from lianban.reviews.services import sweep_overdue


class Command(BaseCommand):
    help = "标记超过整改期限的差评整改并督办（可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        marked = sweep_overdue()
        self.stdout.write(f"差评整改超期督办 {marked} 件。")

from typing import Any

from django.core.management.base import BaseCommand

from lianban.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, create_demo_accounts


class Command(BaseCommand):
    help = "创建演示账户（仅用于演示环境）。"

    def handle(self, *args: Any, **options: Any) -> None:
        create_demo_accounts()
        self.stdout.write(f"演示账户已就绪（密码均为 {DEMO_PASSWORD}）：")
        for a in DEMO_ACCOUNTS:
            self.stdout.write(f"  {a.username:<12} {a.display_name}")

from typing import Any

from django.core.management.base import BaseCommand

from lianban.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, create_demo_accounts
from lianban.applications.demo import create_demo_applications
from lianban.cases.demo import create_demo_cases
from lianban.proposals.demo import create_demo_proposals
from lianban.reviews.demo import create_demo_reviews
from lianban.sharing.demo import create_demo_sharing
from lianban.supervision.demo import create_demo_figures


class Command(BaseCommand):
    help = "创建演示账户（仅用于演示环境）。"

    def handle(self, *args: Any, **options: Any) -> None:
        create_demo_accounts()
        made = create_demo_applications()
        cases = create_demo_cases()
        create_demo_figures()
        create_demo_proposals()
        create_demo_sharing()
        create_demo_reviews()
        if made or cases:
            self.stdout.write(f"已创建演示申请 {made} 件、联办事项办件 {cases} 件。")
        self.stdout.write(f"演示账户已就绪（密码均为 {DEMO_PASSWORD}）：")
        for a in DEMO_ACCOUNTS:
            self.stdout.write(f"  {a.username:<12} {a.display_name}")

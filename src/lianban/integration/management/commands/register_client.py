from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lianban.catalog.models import Department
from lianban.common.errors import DomainError
from lianban.integration import services
from lianban.integration.models import ClientSystem, Scope


class Command(BaseCommand):
    help = (
        "登记接入系统并打印其客户端标识和密钥（密钥仅显示这一次）。"
        "--node 登记下级联办平台（转送办件），否则登记 --department 部门的业务审批系统。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="系统名称")
        parser.add_argument("--node", action="store_true", help="登记下级联办平台")
        parser.add_argument("--department", help="部门代码（部门业务审批系统）")
        parser.add_argument(
            "--scope", action="append", dest="scopes", help="权限范围，可重复；省略时取默认"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["node"]:
            kind = ClientSystem.Kind.NODE
            department = None
            default = [Scope.NODE_FORWARD, Scope.WEBHOOKS_MANAGE]
        else:
            kind = ClientSystem.Kind.DEPARTMENT
            department = Department.objects.filter(code=options["department"] or "").first()
            if department is None:
                raise CommandError("请用 --department 指定部门代码。")
            default = [
                Scope.CASES_READ,
                Scope.CASES_ACT,
                Scope.MATERIALS_READ,
                Scope.WEBHOOKS_MANAGE,
            ]
        try:
            issued = services.client_register(
                name=options["name"],
                department=department,
                scopes=options["scopes"] or [str(s) for s in default],
                actor=None,
                kind=kind,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"client_id={issued.client.client_id}")
        self.stdout.write(f"client_secret={issued.secret}")

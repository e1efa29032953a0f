from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lianban.catalog.models import Department
from lianban.common.errors import DomainError
from lianban.integration import nodes


class Command(BaseCommand):
    help = (
        "登记上级联办平台，把 --department 部门的办件转送该平台办理，"
        "并在上级平台订阅这些办件的事件。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="上级平台代码，如 city")
        parser.add_argument("--name", required=True, help="上级平台名称")
        parser.add_argument(
            "--base-url", required=True, help="上级平台接口地址，如 https://…/api/v1"
        )
        parser.add_argument("--client-id", required=True, help="本平台在上级平台的客户端标识")
        parser.add_argument("--client-secret", required=True, help="本平台在上级平台的客户端密钥")
        parser.add_argument(
            "--department", action="append", required=True, help="转送的部门代码，可重复"
        )
        parser.add_argument(
            "--events-url",
            required=True,
            help="上级平台投递事件的本平台地址，如 https://…/api/v1/node/events/city",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        departments = list(Department.objects.filter(code__in=options["department"]))
        missing = set(options["department"]) - {d.code for d in departments}
        if missing:
            raise CommandError(f"未找到部门：{'、'.join(sorted(missing))}")
        try:
            node = nodes.node_connect(
                code=options["code"],
                name=options["name"],
                base_url=options["base_url"],
                client_id=options["client_id"],
                client_secret=options["client_secret"],
                departments=departments,
                events_url=options["events_url"],
            )
        except (DomainError, nodes.UpstreamError, ValueError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        self.stdout.write(f"已连接上级平台 {node.name}：{'、'.join(d.name for d in departments)}")

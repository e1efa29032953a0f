import json
from typing import Any

from django.core.management.base import BaseCommand

from lianban.api.main import api


class Command(BaseCommand):
    help = "输出开放接口的 OpenAPI 3 文档（JSON）。"

    def handle(self, *args: Any, **options: Any) -> None:
        schema = api.get_openapi_schema(path_prefix="/api/v1")
        self.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True))

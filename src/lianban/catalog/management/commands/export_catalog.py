import json
from typing import Any

from django.core.management.base import BaseCommand

from lianban.catalog.selectors import published_definitions


class Command(BaseCommand):
    help = "以 JSON 输出现行发布的事项目录。"

    def handle(self, *args: Any, **options: Any) -> None:
        bundles = []
        for d in published_definitions():
            snap = d.snapshot
            bundles.append(
                {
                    "code": d.code,
                    "name": d.name,
                    "version": d.version,
                    "lead_department": snap["lead_department"]["name"],
                    "items": [
                        {
                            "code": i["code"],
                            "name": i["name"],
                            "department": i["department"]["name"],
                            "levels": i["levels"],
                            "note": i["note"],
                        }
                        for i in d.items
                    ],
                }
            )
        self.stdout.write(json.dumps({"bundles": bundles}, ensure_ascii=False, indent=2))

"""Demo data of the reference registry, generated for the demo applicants
(:data:`lianban.accounts.demo.DEMO_APPLICANTS`), so that `make run` shows prefill and 免提交:
张三 is married to 李梅 and the head of a household in 卫滨区; the demo company has its
business licence on record."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lianban.accounts.demo import DEMO_APPLICANTS
from lianban.common.identity import resident_id_check_char
from lianban.sharing.directory import ensure_directory
from lianban.sharing.models import DataItem, ReferenceRecord


def person_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def person_records(
    *,
    name: str,
    id_number: str,
    spouse_name: str,
    spouse_id_number: str,
    address: str = "河南省新乡市卫滨区健康路18号院3号楼2单元501室",
    household_number: str = "410703001234",
) -> dict[str, dict[str, dict[str, Any]]]:
    """Generated records of a married couple sharing one household: {subject: {item: data}}."""

    def identity(n: str, number: str) -> dict[str, Any]:
        gender = "男" if int(number[16]) % 2 else "女"
        return {
            "name": n,
            "id_number": number,
            "gender": gender,
            "ethnicity": "汉族",
            "address": address,
        }

    def household(relation: str) -> dict[str, Any]:
        return {
            "household_number": household_number,
            "head_name": name,
            "relation_to_head": relation,
            "address": address,
            "police_station": "新乡市公安局卫滨分局健康路派出所",
            "members": [
                {"name": name, "relation": "户主"},
                {"name": spouse_name, "relation": "配偶"},
            ],
        }

    def marriage(spouse: str, spouse_number: str) -> dict[str, Any]:
        return {
            "status": "已婚",
            "spouse_name": spouse,
            "spouse_id_number": spouse_number,
            "registered_on": "2015-05-20",
            "certificate_number": "J410703-2015-001234",
        }

    return {
        id_number: {
            "resident_identity": identity(name, id_number),
            "household_registration": household("户主"),
            "marriage_record": marriage(spouse_name, spouse_id_number),
        },
        spouse_id_number: {
            "resident_identity": identity(spouse_name, spouse_id_number),
            "household_registration": household("配偶"),
            "marriage_record": marriage(name, id_number),
        },
    }


def store_records(records: dict[str, dict[str, dict[str, Any]]]) -> int:
    items = {i.code: i for i in DataItem.objects.all()}
    made = 0
    for subject, by_item in records.items():
        for code, data in by_item.items():
            if code in items:
                _, created = ReferenceRecord.objects.update_or_create(
                    data_item=items[code], subject=subject, defaults={"data": data}
                )
                made += created
    return made


@transaction.atomic
def create_demo_sharing() -> int:
    """The directory and the reference registry's demo records (idempotent)."""
    ensure_directory()
    zhangsan = DEMO_APPLICANTS["zhangsan"]
    made = store_records(
        person_records(
            name=str(zhangsan["name"]),
            id_number=str(zhangsan["id_number"]),
            spouse_name="李梅",
            spouse_id_number=person_id("41070219870820002"),
        )
    )
    haowei = DEMO_APPLICANTS["haowei"]
    made += store_records(
        {
            str(haowei["credit_code"]): {
                "business_licence": {
                    "name": haowei["name"],
                    "credit_code": haowei["credit_code"],
                    "legal_representative": haowei["legal_representative"],
                    "address": "河南省新乡市卫滨区健康路1号",
                }
            }
        }
    )
    return made

"""Electronic licence identifiers in the structure of GB/T 36904 (电子证照 标识规范):

    <licence type code, 4> <issuing authority code, 18> <year, 4> <serial, 6> <check, 1>

- licence type code: four characters naming the kind of licence (``DataItem.licence_type_code``);
- issuing authority code: the issuing department's unified social credit code (GB 32100). The
  catalog does not hold departments' codes yet, so a stable stand-in is derived: ``11`` (机关),
  the district's division code, a nine-character body from the department's code, and the
  GB 32100 check character;
- year of issue; a serial per (type, authority, year), taken under a row lock;
- a check character over everything before it, ISO 7064 MOD 37,36 (0-9, A-Z).

See docs/sharing.md."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone

from lianban.accounts.models import Applicant
from lianban.catalog.models import Department
from lianban.common.identity import credit_code_check_char
from lianban.sharing.models import ELicence, LicenceSerial

DIVISION_CODE = "410703"  # 卫滨区
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CREDIT_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def mod37_36_check(text: str) -> str:
    """ISO 7064 hybrid MOD 37,36 check character of an alphanumeric string."""
    p = 36
    for ch in text.upper():
        s = (p + _ALNUM.index(ch)) % 36 or 36
        p = (s * 2) % 37
    return _ALNUM[(37 - p) % 36]


def is_valid(identifier: str) -> bool:
    return (
        len(identifier) == 33
        and all(c in _ALNUM for c in identifier)
        and mod37_36_check(identifier[:-1]) == identifier[-1]
    )


def issuer_code(department: Department) -> str:
    digest = hashlib.sha256(department.code.encode()).digest()
    body = "".join(_CREDIT_BODY[b % len(_CREDIT_BODY)] for b in digest[:9])
    first17 = "11" + DIVISION_CODE + body
    return first17 + credit_code_check_char(first17)


@transaction.atomic
def next_identifier(type_code: str, department: Department) -> str:
    issuer = issuer_code(department)
    year = timezone.localdate().year
    LicenceSerial.objects.get_or_create(type_code=type_code, issuer_code=issuer, year=year)
    row = LicenceSerial.objects.select_for_update().get(
        type_code=type_code, issuer_code=issuer, year=year
    )
    row.last += 1
    row.save(update_fields=["last"])
    head = f"{type_code:0>4}"[:4] + issuer + f"{year:04d}" + f"{row.last:06d}"
    return head + mod37_36_check(head)


def of_holder(applicant: Applicant) -> list[ELicence]:
    return list(
        ELicence.objects.filter(holder=applicant).select_related("data_item", "issuer", "result")
    )

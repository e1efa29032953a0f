"""Identity numbers and phone numbers: validation by their national standards, and masking.

- Resident identity number (公民身份号码), GB 11643-1999: 17 digits (6 area, 8 birth date,
  3 sequence) and an ISO 7064 MOD 11-2 check character (0-9 or X).
- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a 31-letter
  alphabet (no I, O, Z, S, V) with a MOD 31 check character. Some early codes fail the check,
  so a mismatch is a warning for a person to confirm, not a rejection.
- Mainland mobile numbers: 11 digits starting with 1[3-9].
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")


def _clean(value: str) -> str:
    return re.sub(r"[\s\-]", "", str(value or "")).upper()


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_resident_id(value: str) -> str:
    """The number normalised (upper-case X), or ValidationError with the reason in Chinese."""
    number = _clean(value)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValidationError(
            "居民身份证号码应为18位，前17位为数字，最后一位为数字或X。", code="id_format"
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError("居民身份证号码中的出生日期无效。", code="id_birth") from None
    if birth > dt.date.today() or birth.year < 1900:
        raise ValidationError("居民身份证号码中的出生日期无效。", code="id_birth")
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError("居民身份证号码校验位不正确，请核对后重新输入。", code="id_check")
    return number


def credit_code_check_char(first17: str) -> str:
    total = sum(
        _CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class CreditCode:
    value: str
    check_ok: bool

    @property
    def warning(self) -> str:
        return (
            ""
            if self.check_ok
            else (
                "统一社会信用代码校验位与国家标准不符，请核对营业执照；早期赋码的个别代码可能如此，"
                "核对无误可继续。"
            )
        )


def validate_credit_code(value: str) -> CreditCode:
    """The code normalised; ValidationError if it cannot be a code at all, a warning (not an
    error) if only its check character disagrees with GB 32100."""
    code = _clean(value)
    if len(code) != 18:
        raise ValidationError("统一社会信用代码应为18位。", code="credit_length")
    bad = sorted({c for c in code if c not in _CREDIT_ALPHABET})
    if bad:
        raise ValidationError(
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）。",
            code="credit_chars",
        )
    if not re.fullmatch(r"[0-9]{6}", code[2:8]):
        raise ValidationError(
            "统一社会信用代码第3至8位应为行政区划码（数字）。", code="credit_area"
        )
    return CreditCode(code, credit_code_check_char(code[:17]) == code[17])


def validate_phone(value: str) -> str:
    phone = re.sub(r"[\s\-]", "", str(value or ""))
    phone = phone.removeprefix("+86")
    if not _PHONE.match(phone):
        raise ValidationError("手机号码应为11位数字，以13至19开头。", code="phone")
    return phone


def mask_resident_id(value: str) -> str:
    """110105********1234 — enough for a person to recognise their own, no more."""
    return value[:6] + "*" * 8 + value[14:] if len(value) == 18 else _mask_middle(value)


def mask_credit_code(value: str) -> str:
    return value[:8] + "*" * 6 + value[14:] if len(value) == 18 else _mask_middle(value)


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[7:] if len(value) == 11 else _mask_middle(value)


def _mask_middle(value: str) -> str:
    if len(value) <= 2:
        return "*" * len(value)
    keep = max(1, len(value) // 4)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_identifier(value: str) -> str:
    """Mask ``value`` if it is a resident ID or a credit code (e.g. a user name), else keep."""
    if re.fullmatch(r"[0-9]{17}[0-9Xx]", value):
        return mask_resident_id(value.upper())
    if re.fullmatch(r"[0-9A-Z]{18}", value):
        return mask_credit_code(value)
    return value

"""Validating and typing the values of the merged form, field by field.

Values are stored in JSON in a canonical text form per type (decimals as plain strings, dates
as ISO dates, choices as option keys), so that what was entered is kept exactly."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from lianban.common import identity

MAX_TEXT = 200
MAX_TEXTAREA = 2000


def clean_value(field: dict[str, Any], raw: Any) -> tuple[Any, str]:
    """``(typed value, warning)`` for one field, or ValidationError in Chinese.

    ``field`` is a field as a plan lists it (key, label, type, choices, unit)."""
    kind = field["type"]
    label = field["label"]
    if kind == "multichoice":
        values = raw if isinstance(raw, list) else [raw]
        keys = {c["key"] for c in field.get("choices") or []}
        chosen = [str(v) for v in values if str(v).strip()]
        bad = [v for v in chosen if v not in keys]
        if bad:
            raise ValidationError(f"“{label}”没有选项“{'、'.join(bad)}”。")
        return sorted(set(chosen), key=[c["key"] for c in field["choices"]].index), ""
    if isinstance(raw, list | dict):
        raise ValidationError(f"“{label}”应为单个值。")
    text = str(raw).strip() if raw is not None else ""
    if "\x00" in text:
        # Nobody types a NUL on purpose, and PostgreSQL cannot store one in text or JSON.
        raise ValidationError(f"“{label}”含有不可见的空字符，请删除后重新输入。")
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, ""
        if text in {"true", "1", "yes", "是", "on"}:
            return True, ""
        if text in {"false", "0", "no", "否", "off"}:
            return False, ""
        raise ValidationError(f"“{label}”应选择“是”或“否”。")
    if kind in {"text", "address"}:
        if len(text) > MAX_TEXT:
            raise ValidationError(f"“{label}”不能超过{MAX_TEXT}个字。")
        return text, ""
    if kind == "textarea":
        if len(text) > MAX_TEXTAREA:
            raise ValidationError(f"“{label}”不能超过{MAX_TEXTAREA}个字。")
        return text, ""
    if kind == "integer":
        if not re.fullmatch(r"[0-9]{1,12}", text):
            raise ValidationError(f"“{label}”应为不小于0的整数。")
        return int(text), ""
    if kind == "decimal":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"“{label}”应为数字。") from None
        if not number.is_finite() or number < 0 or number > Decimal("1e12"):
            raise ValidationError(f"“{label}”应为不小于0的数字。")
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationError(f"“{label}”最多保留两位小数。")
        return format(number.normalize(), "f"), ""
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat(), ""
        except ValueError:
            raise ValidationError(f"“{label}”应为日期，格式如 2026-01-31。") from None
    if kind == "choice":
        if text not in {c["key"] for c in field.get("choices") or []}:
            raise ValidationError(f"“{label}”请从给定选项中选择。")
        return text, ""
    if kind == "id_number":
        return identity.validate_resident_id(text), ""
    if kind == "credit_code":
        code = identity.validate_credit_code(text)
        return code.value, code.warning
    if kind == "phone":
        return identity.validate_phone(text), ""
    if kind == "email":
        validate_email_cn(text, label)
        return text, ""
    raise ValidationError(f"“{label}”的字段类型未知。")


def validate_email_cn(text: str, label: str) -> None:
    try:
        validate_email(text)
    except ValidationError:
        raise ValidationError(f"“{label}”不是有效的电子邮箱地址。") from None


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def display(field: dict[str, Any], value: Any, *, masked: bool = False) -> str:
    """A stored value as a person reads it; identity numbers masked when asked."""
    if is_blank(value):
        return ""
    kind = field["type"]
    labels = {c["key"]: c["label"] for c in field.get("choices") or []}
    if kind == "multichoice":
        return "、".join(labels.get(v, v) for v in value)
    if kind == "choice":
        return str(labels.get(value, value))
    if kind == "boolean":
        return "是" if value else "否"
    if masked and kind == "id_number":
        return identity.mask_resident_id(value)
    if masked and kind == "phone":
        return identity.mask_phone(value)
    if masked and kind == "credit_code":
        return identity.mask_credit_code(value)
    unit = field.get("unit") or ""
    return f"{value}{unit}" if unit and kind in {"integer", "decimal"} else str(value)

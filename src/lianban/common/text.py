"""Free text from people, checked before it reaches a column that has a limit."""

from __future__ import annotations

from typing import Any

from lianban.common.errors import DomainError


def clean_text(value: Any, *, max_length: int, path: str, label: str, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError(f"请填写{label}。", path=path)
    if "\x00" in text:
        # Nobody types a NUL on purpose, and PostgreSQL cannot store one.
        raise DomainError(f"{label}含有不可见的空字符，请删除后重新输入。", path=path)
    if len(text) > max_length:
        raise DomainError(f"{label}不能超过{max_length}个字（现有{len(text)}个字）。", path=path)
    return text

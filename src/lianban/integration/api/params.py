"""Headers every command takes: the idempotency key and the optional If-Match."""

from __future__ import annotations

from typing import Any

from ninja import Header

KEY_DOC = (
    "幂等键：每个新请求使用一个新的随机值（如 UUID）。同一键、同一请求重发时返回首次的结果，"
    "不会重复办理；同一键用于内容不同的请求时返回 422。保留 24 小时。"
)
IF_MATCH_DOC = "可选：读取办件时得到的 ETag；办件已变化时返回 412。"


def idempotency_key_header() -> Any:
    return Header(..., alias="Idempotency-Key", description=KEY_DOC)


def if_match_header() -> Any:
    return Header(None, alias="If-Match", description=IF_MATCH_DOC)

"""The API object, whose OpenAPI document declares the errors every operation can give.

ninja documents only the responses an operation names; but any operation with parameters or a
body answers 400 with the error shape when they are wrong, and any operation behind a token
answers 401 and 403, and 429 past its rate limit. Declaring them here, once, keeps the document true for every operation
(the property-based API test checks that no undeclared status ever comes back)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}

GENERIC = {
    400: "请求内容有误：参数或请求体不符合要求，errors 列出每个字段的问题。",
    401: "未提供有效的访问令牌。",
    403: "无权进行此操作（例如缺少所需的权限范围）。",
    429: "调用过于频繁：超过每个接入系统每分钟的调用上限，按 Retry-After 头等待后再试。",
}


class LianbanApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                wanted = []
                if operation.get("parameters") or operation.get("requestBody"):
                    wanted.append(400)
                security = operation.get("security") or []
                if security:
                    wanted += [401, 403]
                # Only department systems' calls are counted against a rate limit.
                if any("ClientBearer" in s for s in security):
                    wanted.append(429)
                for status in wanted:
                    # ninja keys responses by int status; the same key must not appear twice.
                    if status in responses or str(status) in responses:
                        continue
                    responses.setdefault(
                        status,
                        {
                            "description": GENERIC[status],
                            "content": {"application/json": {"schema": ERROR_REF}},
                        },
                    )
        return schema

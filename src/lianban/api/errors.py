"""One error shape for every API response that is not a success:

``{"code": "...", "message": "中文说明", "errors": [{"path": "answers.area", "message": "..."}]}``
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from lianban.common.errors import DomainError

# Chinese for the validation errors pydantic reports most, by error type.
MESSAGES = {
    "missing": "必须填写。",
    "string_type": "应为文本。",
    "int_parsing": "应为整数。",
    "int_type": "应为整数。",
    "float_parsing": "应为数字。",
    "bool_parsing": "应为 true 或 false。",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD。",
    "date_parsing": "应为日期，格式 YYYY-MM-DD。",
    "date_type": "应为日期，格式 YYYY-MM-DD。",
    "dict_type": "应为对象。",
    "list_type": "应为列表。",
    "json_invalid": "请求体不是有效的 JSON。",
    "greater_than_equal": "数值过小。",
    "less_than_equal": "数值过大。",
    "string_too_long": "内容过长。",
    "string_too_short": "内容过短。",
    "extra_forbidden": "不允许的字段。",
}


# The largest id a database row can have (a signed 64-bit integer): path parameters that name
# rows are bounded by it, so that a huge number is refused as invalid, not sent to the database.
MAX_ID = 2**63 - 1


class FieldError(Schema):
    path: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldError] = []


def _path(loc: list[Any]) -> str:
    # ninja prefixes the location with where it came from and the parameter's name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "cookie", "file"}:
        parts = parts[1:]
        if parts and parts[0] in {"payload", "data", "body", "filters", "params"}:
            parts = parts[1:]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out


def error_body(code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(SuspiciousOperation)
    def unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A body Django cannot take apart (a broken multipart body, too many fields): without
        # this it would get the site's HTML error page, not the API's error shape.
        message = "请求体无法解析：请按 multipart/form-data 或 JSON 的格式发送。"
        return api.create_response(
            request,
            error_body("validation_error", message, [{"path": "", "message": message}]),
            status=400,
        )

    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for e in exc.errors:
            message = MESSAGES.get(e.get("type", ""), "格式不正确。")
            ctx = e.get("ctx") or {}
            if e.get("type") in {"greater_than_equal", "less_than_equal"} and ctx:
                bound = ctx.get("ge", ctx.get("le"))
                message = f"应{'不小于' if 'ge' in ctx else '不大于'} {bound}。"
            errors.append({"path": _path(e.get("loc", [])), "message": message})
        return api.create_response(
            request,
            error_body("validation_error", "请求内容有误，请按提示修改。", errors),
            status=400,
        )

    @api.exception_handler(DomainError)
    def domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = api.create_response(
            request, error_body(exc.code, exc.message, exc.errors), status=exc.status
        )
        # e.g. WWW-Authenticate on a refused token (RFC 6750 §3), Retry-After on 429.
        for name, value in getattr(exc, "headers", {}).items():
            response[name] = value
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        message = str(exc) or "未找到。"
        return api.create_response(request, error_body("not_found", message), status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, error_body("unauthenticated", "请先登录。"), status=401)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja raises these for bodies it cannot parse and for a few protocol errors; its
        # messages are English, so people get a Chinese one by status.
        if exc.status_code == 400:
            body = error_body(
                "validation_error",
                "请求体不是有效的 JSON。",
                [{"path": "", "message": "请求体不是有效的 JSON。"}],
            )
        else:
            body = error_body("error", HTTP_MESSAGES.get(exc.status_code, "请求无法处理。"))
        return api.create_response(request, body, status=exc.status_code)


HTTP_MESSAGES = {
    401: "请先登录。",
    403: "无权进行此操作。",
    404: "未找到。",
    405: "不支持该请求方法。",
    413: "请求内容过大。",
    415: "不支持的内容类型。",
    429: "请求过于频繁，请稍后再试。",
}

"""Chinese error pages: what a person sees when a page is missing, forbidden, broken, or a
form has expired."""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from lianban.api.errors import error_body

# Seconds a client is asked to wait when the database cannot be reached (a restart, a
# failover): long enough for it to come back, short enough that nobody gives up.
RETRY_AFTER = 5


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "text": text}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "页面不存在", "您要找的页面不存在或已被移除，请从首页重新进入。")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, "无权访问", "您没有访问该页面的权限。如需办理，请先登录相应账户。")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "请求有误", "请求无法处理，请返回上一页重试。")


def _refusal(request: HttpRequest, status: int, title: str, text: str, body: dict) -> HttpResponse:
    """Programs get the API's error shape, people the error page. The page is rendered without
    the request context: the error may lie anywhere, even in it."""
    if request.path.startswith("/api/"):
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    html = render_to_string("error.html", {"title": title, "text": text})
    return HttpResponse(html, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except``: the error at hand tells a database that cannot
    # be reached (503, to be retried) from a fault of the platform (500).
    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    text = (
        "系统正在恢复，请稍后重试。"
        if unavailable
        else "系统暂时出现问题，已记录在案，请稍后再试。"
    )
    code = "unavailable" if unavailable else "server_error"
    response = _refusal(request, status, "系统繁忙", text, error_body(code, text))
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, "页面已过期", "为保护您的信息，表单已失效。请刷新页面后重新提交。")


def reject_nul_bytes(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Middleware: an address with a NUL (``%00``) in its path or query is refused with 400
    before any view reads it. No number, code or search term holds one, and PostgreSQL
    cannot compare text with it (it would answer 500)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            text = "地址中含有不可见的空字符，请检查后重新输入。"
            body = error_body("invalid", text, [{"path": "url", "message": text}])
            return _refusal(request, 400, "请求有误", text, body)
        return get_response(request)

    return middleware

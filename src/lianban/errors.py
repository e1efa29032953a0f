"""Chinese error pages: what a person sees when a page is missing, forbidden, broken, or a
form has expired."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "text": text}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "页面不存在", "您要找的页面不存在或已被移除，请从首页重新进入。")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, "无权访问", "您没有访问该页面的权限。如需办理，请先登录相应账户。")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "请求有误", "请求无法处理，请返回上一页重试。")


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context: the error may lie anywhere, even in it.
    html = render_to_string(
        "error.html", {"title": "系统繁忙", "text": "系统暂时出现问题，已记录在案，请稍后再试。"}
    )
    return HttpResponseServerError(html)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, "页面已过期", "为保护您的信息，表单已失效。请刷新页面后重新提交。")

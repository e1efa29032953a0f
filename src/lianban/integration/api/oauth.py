"""``POST /api/v1/oauth/token``: OAuth 2.0 client credentials (RFC 6749 §4.4)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Form, Router

from lianban.api.errors import ErrorOut
from lianban.integration import services as integration
from lianban.integration.api.schemas import (
    TokenOut,
)

router = Router(tags=["系统接入：令牌"])


def _basic_credentials(request: HttpRequest) -> tuple[str, str]:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return "", ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both are form-urlencoded before being joined.
    return unquote(client_id), unquote(secret)


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut},
    summary="获取访问令牌",
    description=(
        "OAuth 2.0 客户端凭据方式（RFC 6749 第 4.4 节）。client_id 和 client_secret 可放在表单中，"
        "也可用 HTTP Basic 认证。令牌到期或密钥、接入系统被吊销后立即失效。"
        "错误按平台统一格式返回，code 为 OAuth 错误码（invalid_client、unsupported_grant_type、"
        "invalid_scope）。"
    ),
)
def token(
    request: HttpRequest,
    grant_type: str = Form(..., description="授权方式，固定为 client_credentials"),
    client_id: str | None = Form(None, description="客户端标识（也可用 HTTP Basic 认证提供）"),
    client_secret: str | None = Form(None, description="客户端密钥（也可用 HTTP Basic 认证提供）"),
    scope: str | None = Form(None, description="申请的权限范围，空格分隔；省略时为登记的全部权限"),
) -> HttpResponse:
    basic_id, basic_secret = _basic_credentials(request)
    issued = integration.token_issue(
        client_id=client_id or basic_id,
        client_secret=client_secret or basic_secret,
        scope=scope,
        grant_type=grant_type,
    )
    response = JsonResponse(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
        }
    )
    response["Cache-Control"] = "no-store"
    return response

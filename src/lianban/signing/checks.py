from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register

from lianban.signing.keys import uses_development_passphrase


@register(Tags.security, deploy=True)
def signing_passphrase(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if uses_development_passphrase():
        return [
            Warning(
                "未设置 LIANBAN_SIGNING_PASSPHRASE：签章密钥正以开发用口令加密保存。",
                hint="请在签发第一份文书之前设置 LIANBAN_SIGNING_PASSPHRASE"
                "（或 LIANBAN_SIGNING_PASSPHRASE_FILE）。",
                id="lianban.W001",
            )
        ]
    return []

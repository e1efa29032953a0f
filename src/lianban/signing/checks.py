from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register

from lianban.signing.keys import uses_development_passphrase


@register(Tags.security, deploy=True)
def signing_passphrase(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if uses_development_passphrase():
        return [
            Warning(
                "LIANBAN_SIGNING_PASSPHRASE is not set: the signing keys are encrypted with the "
                "development passphrase.",
                hint="Set LIANBAN_SIGNING_PASSPHRASE (or LIANBAN_SIGNING_PASSPHRASE_FILE) before "
                "the first document is issued.",
                id="lianban.W001",
            )
        ]
    return []

"""Single-use links sent by SMS. Only the SHA-256 of a token is stored, so a copy of the
database does not hand out working links; the token itself travels once, in the message."""

from __future__ import annotations

import hashlib
import secrets

from lianban.conf import env


def new_token() -> tuple[str, str]:
    """(token for the link, hash to store)."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def site_url(path: str) -> str:
    return env("LIANBAN_SITE_URL").rstrip("/") + path

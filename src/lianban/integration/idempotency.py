"""``Idempotency-Key`` on every command: the first request with a key is executed and its
response stored for the client; the same key with the same request replays that response
(a retry after a lost answer changes nothing twice); the same key with a different request
is refused.

The command and the stored record commit in one transaction, and the (client, key) pair is
unique: when two requests with one key race, the second's insert fails, its whole
transaction (its service call included) rolls back, and it replays the first's response.

A command the rules refuse keeps nothing of what it did before the refusal: its transaction
rolls back and the answer is stored in one of its own. A command's audit events join the
chain once its answer is ready (:func:`lianban.audit.services.appended_together`), so the
chain's head, which every writer of the platform waits for, is held for the append, the
stored answer and the commit, not while the answer is read and laid out; so is the day's
receipt counter for 一次提交, whose answer gets its number after (``Result.late``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from lianban.api.errors import error_body
from lianban.applications.models import UserIdempotencyRecord
from lianban.audit.services import appended_together
from lianban.common.errors import DomainError
from lianban.integration.models import ClientSystem, IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEEP = dt.timedelta(hours=24)


@dataclass
class Result:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Fields known only once the command's events are appended (a receipt number taken then,
    # see audit.services.before_append): called after the append, added to the body.
    late: Callable[[], dict[str, Any]] | None = None


class KeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


def fingerprint(method: str, path: str, content: Any) -> str:
    """What makes two requests the same: method, path and the parsed content (so that
    JSON spacing or a multipart boundary does not matter)."""
    canonical = json.dumps([method, path, content], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise DomainError(
            "写操作必须携带 Idempotency-Key 请求头（每个新请求使用一个新的随机值）。",
            path=HEADER,
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise DomainError(
            f"Idempotency-Key 应为不超过{MAX_KEY_LENGTH}个字符的可见 ASCII 字符。", path=HEADER
        )
    return key


def _response(status: int, body: str, etag: str, replayed: bool) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    if etag:
        response["ETag"] = etag
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _replay(record: Any, print_: str) -> HttpResponse:
    if record.fingerprint != print_:
        raise KeyReused(
            "该 Idempotency-Key 已用于内容不同的请求；新的请求请使用新的键。", path=HEADER
        )
    return _response(record.status_code, record.body, record.etag, replayed=True)


def _records(client: ClientSystem | None, user: Any) -> tuple[Any, dict[str, Any]]:
    # A signed-in person's keys are their own, as a client system's are its own: two people
    # (or a person and a system) choosing the same key never meet.
    if user is not None:
        return UserIdempotencyRecord.objects, {"user": user}
    return IdempotencyRecord.objects, {"client": client}


class _Refused(Exception):
    """Carries the answer to a refused command out of its transaction, rolling it back."""

    def __init__(self, result: Result) -> None:
        self.result = result


def run(
    *,
    client: ClientSystem | None = None,
    user: Any = None,
    key: str | None,
    print_: str,
    execute: Callable[[], Result],
) -> HttpResponse:
    """Execute a command once per (client, key) — or per (user, key) for a signed-in
    person; an error the rules raise is a response like any other and is stored too, so a
    retry gets the same answer."""
    key = check_key(key)
    records, owner = _records(client, user)

    def command() -> Result:
        try:
            with appended_together():
                result = execute()
        except DomainError as exc:
            refusal = Result(exc.status, error_body(exc.code, exc.message, exc.errors))
            raise _Refused(refusal) from exc
        if result.late is not None:
            result.body.update(result.late())
        return result

    try:
        return _once(records, owner, key, print_, command)
    except _Refused as refused:
        # Rolled back: the answer is stored in a transaction of its own.
        refusal = refused.result
    return _once(records, owner, key, print_, lambda: refusal)


def _once(
    records: Any, owner: dict[str, Any], key: str, print_: str, answer: Callable[[], Result]
) -> HttpResponse:
    """In one transaction: the answer stored under ``key`` if there is one, else ``answer()``,
    stored under it."""
    since = timezone.now() - KEEP
    try:
        with transaction.atomic():
            record = records.filter(**owner, key=key).first()
            if record is not None and record.created_at >= since:
                return _replay(record, print_)
            if record is not None:
                # An expired record of the same key gives way to the new request.
                record.delete()
            result = answer()
            body = json.dumps(result.body, ensure_ascii=False, default=str)
            etag = result.headers.get("ETag", "")
            if result.status >= 500:
                # A passing fault of the server (a full disk), not an answer of the rules:
                # the retry the client is told to make acts afresh.
                return _response(result.status, body, etag, replayed=False)
            records.create(
                **owner,
                key=key,
                fingerprint=print_,
                status_code=result.status,
                body=body,
                etag=etag,
                created_at=timezone.now(),
            )
    except IntegrityError:
        record = records.get(**owner, key=key)
        return _replay(record, print_)
    return _response(result.status, body, etag, replayed=False)


def purge(*, before: dt.datetime) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=before).delete()
    by_users, _ = UserIdempotencyRecord.objects.filter(created_at__lt=before).delete()
    return deleted + by_users

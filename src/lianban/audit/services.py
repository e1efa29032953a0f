"""Writing the audit trail. Every service that changes state calls :func:`record_event`
inside its own transaction, so the event exists exactly when the change does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

# Re-exported: callers know the chain through this module.
from lianban.audit.chain import GENESIS as GENESIS
from lianban.audit.chain import entry_hash as entry_hash
from lianban.audit.chain import entry_tail, linked_hash
from lianban.audit.models import ChainHead, Event

# Callbacks run inside the change's transaction with the events just written, all those
# appended together at once and in order (e.g. the integration app's webhook outbox, which
# then reads the subscriptions once for a receipt's several cases). Registered from an
# AppConfig.ready(), so that no service has to know who listens.
_listeners: list[Callable[[list[Event]], object]] = []


def on_events(callback: Callable[[list[Event]], object]) -> Callable[[list[Event]], object]:
    """Register ``callback`` to run with every batch of events appended to the chain (once,
    however often called)."""
    if callback not in _listeners:
        _listeners.append(callback)
    return callback


def actor_label(actor: Any) -> str:
    """Who acted, as the trail records it. An applicant's user name is an identity number,
    which the trail must not spread: it is masked, and the user's id identifies them."""
    if actor is None:
        return "system"
    from lianban.common.identity import mask_identifier

    return f"user:{actor.pk}:{mask_identifier(actor.get_username())}"


def _number(text: str) -> float | int:
    """A JSON number as PostgreSQL's jsonb gives it back: a whole float too large for its
    plain digits (1e20) comes back as the integer, and must be hashed as that."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) >= 1e16 else value


def _target(target: models.Model | tuple[str, str]) -> tuple[str, str]:
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    return target


@dataclass
class _Block:
    """What :func:`appended_together` keeps back until its block ends."""

    events: list[dict[str, Any]] = field(default_factory=list)  # in the order recorded
    last_steps: list[Callable[[], object]] = field(default_factory=list)  # see before_append


_held: ContextVar[_Block | None] = ContextVar("held_events", default=None)


@contextmanager
def appended_together() -> Iterator[None]:
    """Within the block (itself inside one transaction), the events recorded are kept back
    and appended to the chain together when the block ends. Every writer of the platform waits
    for the chain's head until its transaction ends; a change made of many steps (一次提交:
    start, form, each material, delivery, submission) would otherwise hold it from its first
    step on. If the block raises, nothing is appended: the caller's transaction rolls back.

    Nested, the outer block appends; a nested block that raises takes back the events kept
    and the steps given to :func:`before_append` since it began, as the savepoint of the
    service it wraps takes back that service's rows (the outer block may catch the error and
    go on)."""
    outer = _held.get()
    if outer is not None:
        marks = len(outer.events), len(outer.last_steps)
        try:
            yield
        except BaseException:
            del outer.events[marks[0] :]
            del outer.last_steps[marks[1] :]
            raise
        return
    block = _Block()
    token = _held.set(block)
    try:
        yield
        # A step may record events (held with the others) or give further steps.
        while block.last_steps:
            block.last_steps.pop(0)()
    finally:
        _held.reset(token)
    if block.events:
        _append(block.events)


def before_append(step: Callable[[], object]) -> None:
    """Run ``step`` when the outermost :func:`appended_together` block ends, just before its
    events are appended (at once outside a block). For what takes a lock every writer of its
    kind waits for until the transaction ends — the day's receipt counter — so that the lock
    is taken as late as the chain's head and both are held for the same short moment, not
    while the rest of the change, or the answer to it, is made."""
    block = _held.get()
    if block is None:
        step()
    else:
        block.last_steps.append(step)


def record_event(
    *,
    actor: Any,
    verb: str,
    target: models.Model | tuple[str, str],
    data: dict[str, Any] | None = None,
) -> Event | None:
    """Append one event to the chain. Must run inside the caller's transaction. Inside
    :func:`appended_together` the event is appended when that block ends (None here)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the state change's transaction")
    # A copy as it stands now: the caller may go on changing its dict.
    entry = {
        "actor": actor,
        "verb": verb,
        "target": _target(target),
        "data": json.dumps(data or {}, ensure_ascii=False, default=str),
    }
    block = _held.get()
    if block is not None:
        block.events.append(entry)
        return None
    return _append([entry])[0]


def _append(entries: list[dict[str, Any]]) -> list[Event]:
    """Append ``entries`` in order: the head locked once, the events inserted in one
    statement, the head moved once; then the listeners, in order, with all the events.

    Every writer waits for the head until the one holding it commits: the events are made,
    and all of their hashes but the link to the chain, before it is locked."""
    events, tails = [], []
    for entry in entries:
        target_type, target_id = entry["target"]
        # Parsed back from JSON so the hash is computed over exactly what the database stores.
        clean = json.loads(entry["data"], parse_float=_number)
        label = actor_label(entry["actor"])
        events.append(
            Event(
                actor=entry["actor"] if getattr(entry["actor"], "pk", None) else None,
                actor_label=label,
                verb=entry["verb"],
                target_type=target_type,
                target_id=target_id,
                data=clean,
            )
        )
        tails.append(
            entry_tail(
                actor_label=label,
                verb=entry["verb"],
                target_type=target_type,
                target_id=target_id,
                data=clean,
            )
        )
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _ = ChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        head = ChainHead.objects.select_for_update().get(pk=1)
    last = head.last_hash
    for event, tail in zip(events, tails, strict=True):
        # The time under the lock: the chain's order is the order of its times.
        event.occurred_at = timezone.now()
        event.prev_hash = last
        event.hash = last = linked_hash(last, event.occurred_at.isoformat(), tail)
    # The chain is read in id order: one INSERT gives the events their ids in list order.
    Event.objects.bulk_create(events)
    head.last_hash = last
    head.length += len(events)
    head.save(update_fields=["last_hash", "length"])
    for listener in _listeners:
        listener(events)
    return events


def verify_chain(*, workers: int = 1) -> tuple[int, Event | None]:
    """Walk the whole chain. Returns (entries checked, first broken entry or None).

    ``workers`` > 1 checks ranges of the chain in parallel processes (PostgreSQL only), each
    range's first entry linked to the previous range's last; see
    :mod:`lianban.audit.verification`."""
    from lianban.audit.verification import verify

    return verify(workers=workers)

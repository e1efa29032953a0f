"""The hash chain itself: the canonical encoding of an entry, its hash, and checking a run of
entries. No Django here, so that verification workers start as bare processes that need
nothing but a database connection.

A run of entries (a *stretch*) is checked on its own, starting from its first entry's stored
``prev_hash``; :func:`join` then links each stretch's first ``prev_hash`` to the previous
stretch's last hash (the first to the genesis hash). The result is the same as one walk from
the genesis: every entry's ``prev_hash`` equals the hash of the entry before it, and every
``hash`` is the hash of its own content and that ``prev_hash``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

# Columns read to check an entry, in the order check_rows expects them.
COLUMNS = (
    "id",
    "occurred_at",
    "actor_label",
    "verb",
    "target_type",
    "target_id",
    "data",
    "prev_hash",
    "hash",
)

# The one canonical encoding of an entry, shared by writing and verifying, so the two can
# never drift apart: json.dumps(entry, ensure_ascii=False, sort_keys=True,
# separators=(",", ":"), default=str).
_CANONICAL = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
)

# json.dumps builds a new encoder, and a new C encoder under it, for every call; the verifier
# encodes millions of entries, so it keeps one C encoder with the very same settings. The
# only difference, no check for circular references (markers None), cannot change the
# output: an entry decoded from JSON has none. The tests compare both on awkward data.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_iterencode = (
    _c_make_encoder(None, str, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    if _c_make_encoder is not None
    else None
)


def canonical(value: Any) -> str:
    """``_CANONICAL.encode(value)``, for JSON-decoded values, without its per-call set-up."""
    if _iterencode is None:  # pragma: no cover - CPython always has the C accelerator
        return _CANONICAL.encode(value)
    return "".join(_iterencode(value, 0))


def entry_hash(
    *,
    prev_hash: str,
    occurred_at: str,
    actor_label: str,
    verb: str,
    target_type: str,
    target_id: str,
    data: Any,
) -> str:
    """SHA-256 of the entry's canonical encoding, ``occurred_at`` as ``isoformat()``."""
    payload = _CANONICAL.encode(
        [prev_hash, occurred_at, actor_label, verb, target_type, target_id, data]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def entry_tail(
    *, actor_label: str, verb: str, target_type: str, target_id: str, data: Any
) -> bytes:
    """What :func:`linked_hash` needs of an entry besides its link to the chain: the canonical
    encoding of its list after the first two items. Made before the chain's head is locked, so
    that the writer holding the head only splices in the previous hash and the time."""
    rest = _CANONICAL.encode([actor_label, verb, target_type, target_id, data])
    return rest[1:].encode("utf-8")  # without the opening bracket


def linked_hash(prev_hash: str, occurred_at: str, tail: bytes) -> str:
    """:func:`entry_hash` of the entry whose :func:`entry_tail` is ``tail``: the list's
    encoding is its items' encodings joined by commas, so the two first are put in front."""
    head = f"[{_encode_string(prev_hash)},{_encode_string(occurred_at)},"
    return hashlib.sha256(head.encode("utf-8") + tail).hexdigest()


_encode_string = json.encoder.encode_basestring  # as _CANONICAL encodes a string


@dataclass
class Stretch:
    """What checking one run of consecutive entries found."""

    first_id: int | None = None
    first_verb: str = ""
    first_prev: str = ""
    last_hash: str = ""
    count: int = 0  # entries found sound (before the broken one, if any)
    broken_id: int | None = None
    broken_verb: str = ""


def check_rows(rows: Iterable[Sequence[Any]], *, data_as_text: bool = False) -> Stretch:
    """Check consecutive entries (tuples in :data:`COLUMNS` order, ``data`` decoded, or as
    JSON text with ``data_as_text``) and stop at the first broken one.

    The loop is entry_hash() written out with local names: it runs millions of times, and a
    keyword call per entry costs a tenth of the time. The test suite checks that entries
    written by record_event pass here and that any changed column fails."""
    encode = canonical
    quote = json.encoder.encode_basestring  # a JSON string, as the encoder writes it
    sha256 = hashlib.sha256
    loads = json.loads
    out = Stretch()
    prev: str | None = None
    count = 0
    for ident, occurred_at, label, verb, target_type, target_id, data, prev_hash, digest in rows:
        if prev is None:
            out.first_id, out.first_verb, out.first_prev = ident, verb, prev_hash
            prev = prev_hash
        if data_as_text:
            data = loads(data)
        # canonical() of the whole entry, spelled out: a JSON array of six strings and the
        # data, "," between them (the tests compare the two on awkward entries).
        payload = ",".join(
            (
                quote(prev),
                quote(occurred_at.isoformat()),
                quote(label),
                quote(verb),
                quote(target_type),
                quote(target_id),
                encode(data),
            )
        )
        if prev_hash != prev or sha256(f"[{payload}]".encode()).hexdigest() != digest:
            out.broken_id, out.broken_verb = ident, verb
            break
        prev = digest
        count += 1
    out.count = count
    out.last_hash = prev or ""
    return out


def join(stretches: Iterable[Stretch]) -> Stretch:
    """Link stretches checked separately, in chain order, into the stretch of the whole
    chain from the genesis: its count, last hash, and first broken entry if any."""
    whole = Stretch(first_prev=GENESIS, last_hash=GENESIS)
    for s in stretches:
        if s.first_id is None:  # an empty range
            continue
        if whole.first_id is None:
            whole.first_id, whole.first_verb = s.first_id, s.first_verb
        if s.first_prev != whole.last_hash:
            # The stretch's first entry does not follow the previous one: it is the break.
            whole.broken_id, whole.broken_verb = s.first_id, s.first_verb
            return whole
        whole.count += s.count
        if s.broken_id is not None:
            whole.broken_id, whole.broken_verb = s.broken_id, s.broken_verb
            return whole
        whole.last_hash = s.last_hash
    return whole


def check_range_postgresql(
    conninfo: str, snapshot: str | None, table: str, low: int, high: int, fetch: int = 20_000
) -> Stretch:
    """Check the entries with ``low <= id <= high`` over a connection of its own (run in a
    worker process), in the snapshot the coordinator exported, so that all workers see one
    consistent chain while new events are appended."""
    import psycopg

    # TimeZone UTC as Django sets it: occurred_at must come back as it was hashed (+00:00).
    with psycopg.connect(conninfo, options="-c TimeZone=UTC") as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if snapshot:
            conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        return check_range_on(conn, table, low, high, fetch)


def check_range_on(conn: Any, table: str, low: int, high: int, fetch: int = 20_000) -> Stretch:
    """Check ``low <= id <= high`` over an open psycopg connection inside a transaction,
    reading through a server-side cursor ``fetch`` rows at a time, as plain tuples."""
    with conn.cursor(name=f"audit_verify_{low}") as cur:
        cur.itersize = fetch
        # data as text: decoded here by json.loads, exactly as the ORM's JSONField does.
        cur.execute(
            "SELECT id, occurred_at, actor_label, verb, target_type, target_id, data::text,"
            f" prev_hash, hash FROM {table} WHERE id BETWEEN %s AND %s ORDER BY id",
            [low, high],
        )
        return check_rows(cur, data_as_text=True)

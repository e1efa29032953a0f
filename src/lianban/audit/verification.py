"""Verifying the whole chain, fast enough for millions of events.

Reads only the columns the hash covers, as plain tuples through a server-side cursor (no
model instances), inside one read-only snapshot, so that events appended meanwhile neither
slow the walk down nor make the head look ahead of the chain. On PostgreSQL the id range can
be split between worker processes that share the snapshot (``pg_export_snapshot``); their
stretches are then joined end to start (:func:`lianban.audit.chain.join`)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from django.db import connection, transaction

from lianban.audit.chain import (
    COLUMNS,
    GENESIS,
    Stretch,
    check_range_on,
    check_range_postgresql,
    check_rows,
    join,
)
from lianban.audit.models import ChainHead, Event

FETCH = 20_000  # rows per round trip of the server-side cursor
MIN_PARALLEL = 100_000  # below this many ids, starting workers costs more than it saves


def _conninfo() -> str:
    """The libpq connection string of Django's database, for workers that connect on their
    own (under pytest, this is the test database)."""
    from psycopg.conninfo import make_conninfo

    s = connection.settings_dict
    params = {
        "dbname": s["NAME"],
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or None,
        "port": str(s["PORT"]) if s.get("PORT") else None,
    }
    for key, value in (s.get("OPTIONS") or {}).items():
        if isinstance(value, str | int) and key in {"sslmode", "sslrootcert", "sslcert", "sslkey"}:
            params[key] = str(value)
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def _ranges(low: int, high: int, parts: int) -> list[tuple[int, int]]:
    size = -(-(high - low + 1) // parts)
    return [(a, min(a + size - 1, high)) for a in range(low, high + 1, size)]


def _walk_postgresql(workers: int) -> Stretch:
    table = Event._meta.db_table
    raw = connection.connection
    with connection.cursor() as cur:
        cur.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        low, high = cur.fetchone()
        if low is None:
            return Stretch()
        if workers <= 1 or high - low < MIN_PARALLEL:
            return check_range_on(raw, table, low, high, FETCH)
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
    ranges = _ranges(low, high, workers)
    # spawn: a worker must not inherit this process's open database connection.
    context = multiprocessing.get_context("spawn")
    conninfo = _conninfo()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            pool.submit(check_range_postgresql, conninfo, snapshot, table, a, b, FETCH)
            for a, b in ranges
        ]
        return join(f.result() for f in futures)


def _walk_orm() -> Stretch:
    rows = Event.objects.order_by("id").values_list(*COLUMNS).iterator(chunk_size=FETCH)
    return join([check_rows(rows)])


def verify(*, workers: int = 1) -> tuple[int, Event | None]:
    """Walk the whole chain (see :func:`lianban.audit.services.verify_chain`)."""
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            if own_transaction:
                # One snapshot for the walk and the head (must be the first statement).
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            whole = join([_walk_postgresql(workers)])
        else:
            whole = _walk_orm()
        head = ChainHead.objects.filter(pk=1).values_list("last_hash", "length").first()
    if whole.broken_id is not None:
        return whole.count, Event(id=whole.broken_id, verb=whole.broken_verb)
    last = whole.last_hash if whole.first_id is not None else GENESIS
    if head is not None and (head[0] != last or head[1] != whole.count):
        # The tail was cut off: the head still remembers a longer chain.
        return whole.count, Event(id=None, verb="<truncated>", hash=head[0])
    return whole.count, None

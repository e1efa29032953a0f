"""全程留痕 at scale: verifying a hash chain of 5,000,000 audit events (PostgreSQL).

    .venv/bin/python -m bench.audit                      # lb_bench_audit, 5,000,000 events
    BENCH_EVENTS=500000 .venv/bin/python -m bench.audit
    BENCH_REUSE=1 .venv/bin/python -m bench.audit        # keep a chain already generated

Fills a database of its own (``DATABASE_URL``, by default ``lb_bench_audit`` on the local
PostgreSQL, created if missing) with a valid chain hashed by the real ``entry_hash``, written
with COPY, then runs ``lianban verify_audit`` as a separate process, as an operator would, and
prints its wall time, events per second and peak memory (the largest resident set of the
command and of any worker it starts). Then it changes one event in the middle with a direct
SQL update, checks that the command names it, and puts the event back."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import machine

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000000"))
TARGET_SECONDS = 60.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lb_bench_audit"
BATCH = 200_000

VERBS = [
    ("case.dispatched", "cases.itemcase"),
    ("case.accepted", "cases.itemcase"),
    ("case.refused", "cases.itemcase"),
    ("case.decided", "cases.itemcase"),
    ("application.received", "applications.application"),
    ("application.submitted", "applications.application"),
    ("signing.document_issued", "signing.issueddocument"),
    ("sharing.read", "sharing.accesslog"),
]
REASONS = [
    "门头位置不符合规划",
    "材料齐全，予以受理",
    "经现场核查符合条件",
    "",
    "请补正营业执照副本",
]


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _event(
    i: int, start: datetime, rng: random.Random
) -> tuple[datetime, str, str, str, str, dict]:
    """One plausible event: who, what, on which row, with a small JSON body as services
    write it (ids, old and new states, a Chinese reason now and then)."""
    verb, target_type = VERBS[i % len(VERBS)]
    # Every 97th event falls on a whole second: isoformat() then drops the microseconds,
    # which the verifier must reproduce exactly.
    micro = 0 if i % 97 == 0 else rng.randrange(1_000_000)
    occurred_at = start + timedelta(seconds=i * 3, microseconds=micro)
    actor = "system" if i % 11 == 0 else f"user:{i % 5000 + 1}:41070219********{i % 9000 + 1000}"
    target_id = str(i // 4 + 1)
    data: dict = {"old": "dispatched", "new": verb.split(".")[1], "application": i // 16 + 1}
    if i % 5 == 0:
        data["reason"] = REASONS[i % len(REASONS)]
    if i % 13 == 0:
        data["items"] = [f"XFZD-{i % 7:03d}", "CGJ-001"]
        data["due"] = {"date": "2026-12-01", "provisional": False, "days": 2.5}
    return occurred_at, actor, verb, target_type, target_id, data


def generate(n: int) -> float:
    """Write ``n`` chained events with COPY, hashing each as ``record_event`` does."""
    from django.db import connection

    from lianban.audit.models import ChainHead, Event
    from lianban.audit.services import GENESIS, entry_hash

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {Event._meta.db_table}, {ChainHead._meta.db_table} RESTART IDENTITY")
    rng = random.Random(20261127)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    prev = GENESIS
    columns = "occurred_at, actor_label, verb, target_type, target_id, data, prev_hash, hash"
    raw = connection.connection
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {Event._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for i in range(done, done + size):
                occurred_at, actor, verb, target_type, target_id, data = _event(i, start, rng)
                digest = entry_hash(
                    prev_hash=prev,
                    occurred_at=occurred_at.isoformat(),
                    actor_label=actor,
                    verb=verb,
                    target_type=target_type,
                    target_id=target_id,
                    data=data,
                )
                copy.write_row(
                    (
                        occurred_at,
                        actor,
                        verb,
                        target_type,
                        target_id,
                        json.dumps(data, ensure_ascii=False),
                        prev,
                        digest,
                    )
                )
                prev = digest
        raw.commit()
        done += size
        print(f"  {done:,} events written ({time.perf_counter() - started:.0f} s)", flush=True)
    ChainHead.objects.update_or_create(pk=1, defaults={"last_hash": prev, "length": n})
    with connection.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {Event._meta.db_table}")
    return time.perf_counter() - started


def verify() -> tuple[float, int, float, str]:
    """Run ``lianban verify_audit`` in its own process: (seconds, peak RSS in MiB, CPU
    seconds of the command and its workers, output)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lianban", "verify_audit"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # ru_maxrss of children is the largest of any one child (the command or a worker).
    peak = max(before, usage.ru_maxrss) // 1024
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return seconds, peak, cpu, (done.stdout + done.stderr).strip()


def database_cpu(table: str) -> float | None:
    """CPU seconds the database spends producing the rows the verifier reads (the same
    columns in id order, into /dev/null), read from /proc for the local backend; None if
    the database is not on this machine."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]

        def cpu() -> float:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        try:
            before = cpu()
        except OSError:
            return None
        cur.execute(
            "COPY (SELECT id, occurred_at, actor_label, verb, target_type, target_id,"
            f" data::text, prev_hash, hash FROM {table} ORDER BY id) TO '/dev/null'"
        )
        return cpu() - before


def main() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    _ensure_database(os.environ["DATABASE_URL"])
    from bench.common import use_scratch_database

    use_scratch_database()
    from django.db import connection

    from lianban.audit.models import ChainHead, Event

    assert connection.vendor == "postgresql", "this benchmark is written for PostgreSQL"
    print(f"machine: {machine()}; database: {connection.settings_dict['NAME']}")
    head = ChainHead.objects.filter(pk=1).first()
    if os.environ.get("BENCH_REUSE") and head is not None and head.length == EVENTS:
        print(f"reusing the chain of {EVENTS:,} events already there")
    else:
        print(f"generating {EVENTS:,} chained events …")
        seconds = generate(EVENTS)
        print(f"generated {EVENTS:,} events in {seconds:.0f} s ({EVENTS / seconds:,.0f}/s)")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [Event._meta.db_table])
        print(f"audit_event: {cur.fetchone()[0]}")
    connection.close()  # the command opens its own

    load = os.getloadavg()[0]
    seconds, peak, cpu, output = verify()
    print(output)
    ok = "留痕链完整" in output and f"{EVENTS}" in output
    print(
        f"verify_audit: {EVENTS:,} events in {seconds:.1f} s = {EVENTS / seconds:,.0f} events/s, "
        f"peak RSS {peak} MiB (largest process), {cpu:.0f} s CPU in the command and its "
        f"workers (the database's own CPU not counted); load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after; target < {TARGET_SECONDS:g} s "
        f"{'OK' if ok and seconds < TARGET_SECONDS else 'MISSED'}"
    )
    assert ok, "the generated chain did not verify"
    db_cpu = database_cpu(Event._meta.db_table)
    if db_cpu is not None:
        cores = os.cpu_count() or 1
        print(
            f"database CPU to produce those rows: {db_cpu:.0f} s; command + database "
            f"{cpu + db_cpu:.0f} s CPU, i.e. about {(cpu + db_cpu) / cores:.0f} s on "
            f"{cores} otherwise idle cores"
        )

    victim = Event.objects.order_by("id").values_list("id", flat=True)[EVENTS // 2]
    table = Event._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT target_id FROM {table} WHERE id = %s", [victim])
        original = cur.fetchone()[0]
        cur.execute(f"UPDATE {table} SET target_id = 'tampered' WHERE id = %s", [victim])
    connection.close()
    try:
        seconds, _, _, output = verify()
        print(f"after tampering with event #{victim}: {output} ({seconds:.1f} s)")
        assert f"#{victim}" in output, "the tampered event was not named"
    finally:
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {table} SET target_id = %s WHERE id = %s", [original, victim])


if __name__ == "__main__":
    main()

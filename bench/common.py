"""Shared helpers for the benchmarks: a throw-away embedded database and percentiles."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any


def use_scratch_database() -> str:
    """Point lianban at a fresh SQLite database in a temporary directory (unless
    DATABASE_URL is set) and set Django up."""
    directory = tempfile.mkdtemp(prefix="lianban-bench-")
    os.environ.setdefault("LIANBAN_DATA_DIR", directory)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianban.settings")
    os.environ.setdefault("LIANBAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    import django
    from django.conf import settings

    # Static files are served from their source folders here, as no collectstatic has run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return directory


def timed(fn: Callable[[], object], repeat: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float], target_ms: float | None = None) -> str:
    samples = sorted(samples)

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, round(p / 100 * (len(samples) - 1)))]

    line = (
        f"{name:<44} n={len(samples):<6} p50={pct(50):7.2f} ms  p95={pct(95):7.2f} ms  "
        f"p99={pct(99):7.2f} ms  mean={statistics.fmean(samples):7.2f} ms"
    )
    if target_ms is not None:
        line += f"  target<{target_ms:g} ms {'OK' if pct(95) < target_ms else 'MISSED'}"
    print(line, flush=True)
    return line


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for row in f:
                if row.startswith("model name"):
                    cpu = row.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.node()} · {os.cpu_count()} cores · {cpu} · Python {platform.python_version()}"
    )


def core_speed() -> str:
    """A yardstick for comparing machines whose CPU model reads the same (VMs differ by 2-3×
    under one name): the CPU time of a plain Python loop of ten million additions."""
    start = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"a Python loop of 10 M additions takes {time.process_time() - start:.2f} s of CPU"


@contextlib.contextmanager
def indexes_built_after(
    cursor: Any, tables: Sequence[str], *, check_references: bool = True
) -> Iterator[None]:
    """PostgreSQL, inside the load's transaction: the secondary indexes of ``tables`` dropped
    while a bulk load runs and built again, by their own definitions, when it ends; without
    ``check_references`` foreign keys are not checked row by row either (the generators make
    every reference valid by construction). Building an index once over ten million rows costs
    a fraction of keeping it up to date row by row. The indexes behind primary keys and unique constraints stay. (PostgreSQL writes a
    partial index's condition back in an equivalent form: ``IN`` over casts of each value.)"""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
        "ORDER BY i.indexname",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    if not check_references:
        cursor.execute("SET session_replication_role = replica")
    # Not on failure: the load's transaction then rolls back the dropped indexes and the
    # setting with everything else, and any statement here would be refused.
    yield
    if not check_references:
        cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for _, definition in indexes:
        cursor.execute(definition)
    cursor.execute("RESET maintenance_work_mem")

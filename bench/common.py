"""Shared helpers for the benchmarks: a throw-away embedded database and percentiles."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable


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

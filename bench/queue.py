"""Department workbench at scale: the queue and a case page with many item cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianban_bench \\
        .venv/bin/python -m bench.queue            # 1,000,000 cases (BENCH_CASES to change)

Generates the cases with set-based SQL (bench/cases_data.py), then times the reviewer's
pages through the whole Django stack, in process."""

from __future__ import annotations

import os
import random
import time

from bench.common import machine, report, timed, use_scratch_database

CASES = int(os.environ.get("BENCH_CASES", "1000000"))


def main() -> None:
    use_scratch_database()
    from django.db import connection
    from django.test import Client

    from bench.cases_data import generate
    from lianban.accounts.models import User
    from lianban.cases.models import ItemCase
    from lianban.catalog import loader
    from lianban.catalog.models import Department

    print(f"machine: {machine()}; database: {connection.vendor}")
    loader.load(loader.read())
    start = time.perf_counter()
    timings = generate(CASES)
    print(
        f"generated {ItemCase.objects.count():,} item cases in "
        f"{time.perf_counter() - start:.0f} s: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    )
    department = Department.objects.get(code="scjgj")
    reviewer = User.objects.create(
        username="bench-reviewer", role=User.Role.REVIEWER, department=department
    )
    open_cases = ItemCase.objects.filter(department=department).exclude(
        status__in=["delivered", "refused", "cancelled"]
    )
    print(
        f"department {department.name}: "
        f"{ItemCase.objects.filter(department=department).count():,} cases, "
        f"{open_cases.count():,} open"
    )
    client = Client()
    client.force_login(reviewer)
    assert client.get("/workbench/").status_code == 200
    report(
        "department queue (default tab)",
        timed(lambda: client.get("/workbench/"), 200),
        target_ms=50,
    )
    report(
        "department queue, 办理中",
        timed(lambda: client.get("/workbench/", {"status": "accepted"}), 200),
        target_ms=50,
    )
    report(
        "department queue, page 20",
        timed(lambda: client.get("/workbench/", {"page": 20}), 100),
        target_ms=50,
    )
    number = open_cases.select_related("application").first().application.receipt_number
    report(
        "department queue, receipt number search",
        timed(lambda: client.get("/workbench/", {"q": number}), 200),
        target_ms=50,
    )
    ids = list(open_cases.values_list("pk", flat=True)[:5000])
    report(
        "case page",
        timed(lambda: client.get(f"/workbench/cases/{random.choice(ids)}/"), 300),
        target_ms=50,
    )


if __name__ == "__main__":
    main()

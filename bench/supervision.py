"""电子监察 at scale: 1,000,000 applications and 5,000,000 item cases in PostgreSQL, the
rollup built and refreshed, and every dashboard view timed through the whole Django stack.

    .venv/bin/python -m bench.supervision
    BENCH_APPLICATIONS=100000 .venv/bin/python -m bench.supervision     # a quick run

Uses a database of its own (``DATABASE_URL``, default ``lb_bench_supervision`` on the local
server), dropped and made afresh each run. Rows are generated with set-based SQL, spread
evenly over the last 24 months: five item cases per application, each 一件事 worked by five
departments of its own, 30 window clerks at 10 windows; older cases are mostly delivered (a
few refused or cancelled, some decided late), the last weeks' still open. Audit events are
left out, so the first refresh builds the rollup whole; the incremental refresh is then timed
after a change made through the real services."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

DATABASE = "lb_bench_supervision"
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "1000000"))
CASES_PER_APPLICATION = 5
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
TARGET_MS = 300
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}")


def fresh_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


# The tables the generator fills, their secondary indexes built once the rows are in.
GENERATED = (
    "applications_application",
    "applications_applicationitem",
    "cases_itemcase",
    "cases_clock",
)


def generate(applications: int) -> dict[str, float]:
    from django.db import connection, transaction

    from bench.common import indexes_built_after
    from lianban.accounts.models import Applicant, User
    from lianban.catalog.models import BundleVersion, Department

    assert connection.vendor == "postgresql", "set-based generation is written for PostgreSQL"
    versions = list(
        BundleVersion.objects.filter(status="published").order_by("pk").values_list("pk", flat=True)
    )
    departments = list(
        Department.objects.filter(is_supervisor=False).order_by("code").values_list("pk", flat=True)
    )
    clerks = []
    for n in range(30):
        clerks.append(
            User.objects.create(
                username=f"bench-clerk-{n}", role="clerk", window=f"{n % 10 + 1}号综合窗口"
            )
        )
    user = User.objects.create(username="bench-applicant", role="applicant")
    applicant = Applicant.objects.create(
        kind="legal", name="压测商户", credit_code="91350100M000100Y43", phone="13900000000",
        user=user,
    )  # fmt: skip
    p = {
        "n": applications,
        "per": CASES_PER_APPLICATION,
        "versions": versions,
        "nv": len(versions),
        "departments": departments,
        "nd": len(departments),
        "clerks": [c.pk for c in clerks],
        "windows": [c.window for c in clerks],
        "applicant": applicant.pk,
        "user": user.pk,
    }
    timings: dict[str, float] = {}
    with (
        transaction.atomic(),
        connection.cursor() as cur,
        indexes_built_after(cur, GENERATED, check_references=False),
    ):
        start = time.perf_counter()
        # Received evenly over 730 days up to now; two in three online, one in thirteen of
        # those answered a day late.
        cur.execute(
            """
            INSERT INTO applications_application
              (id, bundle_version_id, applicant_id, channel, status, receipt_number, answers,
               item_codes, form_data, created_by_id, created_at, updated_at, submitted_at,
               intake_due, intake_due_provisional, received_at, received_by_id,
               received_window, conditional, review_round, delivery_method, delivery_address)
            SELECT g, (%(versions)s::bigint[])[1 + g %% %(nv)s], %(applicant)s,
                   CASE WHEN g %% 3 = 0 THEN 'window' ELSE 'online' END,
                   CASE WHEN r < now() - interval '40 days' THEN 'archived' ELSE 'received' END,
                   'S' || to_char(g, 'FM000000000'), '{}', '[]', '{}', %(user)s, r, r,
                   r - interval '3 hours',
                   CASE WHEN g %% 3 = 0 THEN NULL
                        ELSE ((r - interval '3 hours') AT TIME ZONE 'Asia/Shanghai')::date
                             + CASE WHEN g %% 13 = 0 THEN -1 ELSE 1 END END,
                   false, r, (%(clerks)s::bigint[])[1 + g %% 30],
                   (%(windows)s::text[])[1 + g %% 30], false, 1, 'together', ''
            FROM generate_series(1, %(n)s) AS g,
                 LATERAL (SELECT now() - (%(n)s - g) * (interval '730 days' / %(n)s)
                          - interval '1 hour' AS r) t
            """,
            p,
        )
        timings["applications"] = time.perf_counter() - start
        start = time.perf_counter()
        # Each 一件事 is worked by five departments of its own.
        cur.execute(
            """
            INSERT INTO applications_applicationitem
              (id, application_id, item_code, item_name, department_id, position, after,
               promised_limit_days, field_keys, material_codes)
            SELECT (a.id - 1) * %(per)s + k, a.id, 'BENCH-' || k, '压测事项' || k,
                   (%(departments)s::bigint[])[1 + (a.bundle_version_id * 5 + k) %% %(nd)s],
                   k, '[]', 10, '[]', '[]'
            FROM applications_application a, generate_series(1, %(per)s) AS k
            """,
            p,
        )
        timings["items"] = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute(
            """
            INSERT INTO cases_itemcase
              (id, application_id, item_id, department_id, item_code, item_name, status,
               outcome, reason, dispatched_at, accepted_at, decided_at, returned_at, extended)
            SELECT i.id, i.application_id, i.id, i.department_id, i.item_code, i.item_name,
                   s.status,
                   CASE WHEN s.status IN ('decided', 'returned', 'delivered') THEN 'approved'
                        ELSE '' END,
                   '', a.received_at,
                   CASE WHEN s.status NOT IN ('dispatched', 'refused', 'cancelled')
                        THEN a.received_at + interval '5 hours' END,
                   CASE WHEN s.status IN ('decided', 'returned', 'delivered')
                        THEN a.received_at + (2 + i.id %% 14) * interval '1 day' END,
                   CASE WHEN s.status IN ('returned', 'delivered')
                        THEN a.received_at + (3 + i.id %% 14) * interval '1 day' END,
                   false
            FROM applications_applicationitem i
            JOIN applications_application a ON a.id = i.application_id,
            LATERAL (SELECT CASE
                WHEN a.received_at > now() - interval '2 days' AND i.id %% 3 = 0 THEN 'dispatched'
                WHEN a.received_at > now() - interval '20 days' AND i.id %% 10 < 6 THEN
                     CASE WHEN i.id %% 50 = 1 THEN 'suspended' ELSE 'accepted' END
                WHEN a.received_at > now() - interval '20 days' AND i.id %% 10 = 6 THEN 'decided'
                WHEN i.id %% 100 < 4 THEN 'refused'
                WHEN i.id %% 100 = 4 THEN 'cancelled'
                WHEN a.received_at > now() - interval '40 days' THEN 'returned'
                ELSE 'delivered' END AS status) s
            """,
            p,
        )
        timings["cases"] = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute(
            """
            INSERT INTO cases_clock
              (case_id, kind, started_on, limit_days, due, provisional, paused_on,
               paused_days, extended_days, stopped_at, met)
            SELECT c.id, 'acceptance', d, 1, d + 1, false, NULL, 0, 0,
                   CASE WHEN c.status <> 'dispatched' THEN c.dispatched_at + interval '5 hours' END,
                   CASE WHEN c.status <> 'dispatched' THEN true END
            FROM cases_itemcase c,
                 LATERAL (SELECT (c.dispatched_at AT TIME ZONE 'Asia/Shanghai')::date AS d) t
            WHERE c.status <> 'cancelled'
            """,
            p,
        )
        # Decision clocks: a limit of 10 working days (taken here as 14 calendar days); one
        # decision in seven comes after the due date.
        cur.execute(
            """
            INSERT INTO cases_clock
              (case_id, kind, started_on, limit_days, due, provisional, paused_on,
               paused_days, extended_days, stopped_at, met)
            SELECT c.id, 'decision', d, 10, d + 14, false,
                   CASE WHEN c.status = 'suspended' THEN current_date - 2 END, 0, 0,
                   c.decided_at,
                   CASE WHEN c.decided_at IS NOT NULL
                        THEN (c.decided_at AT TIME ZONE 'Asia/Shanghai')::date <= d + 14
                               AND c.id %% 7 <> 0 END
            FROM cases_itemcase c,
                 LATERAL (SELECT (c.accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS d) t
            WHERE c.accepted_at IS NOT NULL
            """,
            p,
        )
        cur.execute(
            """
            UPDATE cases_clock SET due = (stopped_at AT TIME ZONE 'Asia/Shanghai')::date - 1
            WHERE kind = 'decision' AND met = false
            """
        )
        # Return clocks of the decided, and each open case's running due date.
        cur.execute(
            """
            INSERT INTO cases_clock
              (case_id, kind, started_on, limit_days, due, provisional, paused_on,
               paused_days, extended_days, stopped_at, met)
            SELECT c.id, 'return', d, 1, d + (c.id %% 3)::int, false, NULL, 0, 0, NULL, NULL
            FROM cases_itemcase c,
                 LATERAL (SELECT (c.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS d) t
            WHERE c.status = 'decided'
            """,
            p,
        )
        cur.execute(
            """
            UPDATE cases_itemcase c SET running_due = k.due
            FROM cases_clock k WHERE k.case_id = c.id AND k.stopped_at IS NULL
            """
        )
        for table in ("applications_application", "applications_applicationitem",
                      "cases_itemcase", "cases_clock"):  # fmt: skip
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        timings["clocks"] = time.perf_counter() - start
        start = time.perf_counter()
    timings["indexes"] = time.perf_counter() - start
    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        timings["analyze"] = time.perf_counter() - start
    return timings


def main() -> None:
    # BENCH_REUSE=1 times the views again on the data set of the last run.
    reuse = os.environ.get("BENCH_REUSE") == "1"
    if not reuse:
        fresh_database()
    from bench.common import machine, report, timed, use_scratch_database

    use_scratch_database()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from lianban.accounts.models import User
    from lianban.cases import services as case_services
    from lianban.cases.models import Clock, ItemCase
    from lianban.catalog import loader
    from lianban.catalog.models import Department
    from lianban.supervision import selectors, services
    from lianban.supervision.models import CaseFigure, IntakeFigure
    from lianban.supervision.selectors import Scope

    print(f"machine: {machine()}; database: {connection.vendor} {connection.settings_dict['NAME']}")
    if not reuse:
        loader.load(loader.read())
        start = time.perf_counter()
        timings = generate(APPLICATIONS)
        print(
            f"generated {APPLICATIONS:,} applications, {ItemCase.objects.count():,} item cases, "
            f"{Clock.objects.count():,} clocks in {time.perf_counter() - start:.0f} s: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()),
            flush=True,
        )

        start = time.perf_counter()
        done = services.refresh_figures(full=True)
        print(
            f"refresh_figures --full: {time.perf_counter() - start:.1f} s, {done.months} months, "
            f"{CaseFigure.objects.count():,} case rows, {IntakeFigure.objects.count():,} intake rows",
            flush=True,
        )
        # Two workers at once: the second waits for the first, then has nothing to do.
        start = time.perf_counter()
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "lianban", "refresh_figures"],
                stdout=subprocess.PIPE,
                text=True,
                env=os.environ,
            )
            for _ in range(2)
        ]
        outputs = [w.communicate()[0].strip() for w in workers]
        codes = [w.returncode for w in workers]
        print(f"two refresh_figures at once: exit {codes} in {time.perf_counter() - start:.1f} s; "
              f"{outputs}")  # fmt: skip

    supervisor, _ = User.objects.get_or_create(
        username="bench-supervisor", defaults={"role": User.Role.SUPERVISOR}
    )
    department = Department.objects.get(pk=ItemCase.objects.values("department_id")[:1])
    reviewer, _ = User.objects.get_or_create(
        username="bench-reviewer",
        defaults={"role": User.Role.REVIEWER, "department": department},
    )
    # One change through the real services, then the incremental refresh.
    case = ItemCase.objects.filter(department=department, status="dispatched").first()
    if case is not None:
        case_services.case_accept(case=case, actor=reviewer)
    start = time.perf_counter()
    step = services.refresh_figures()
    print(
        f"refresh_figures after one acceptance: {time.perf_counter() - start:.2f} s, "
        f"{step.events} events, {step.months} months recomputed",
        flush=True,
    )

    month = timezone.localdate().replace(day=1)
    last = (month - dt.timedelta(days=1)).replace(day=1)
    rows, total = selectors.month_figures(Scope(None), last, "department")
    print(
        f"figures of {last:%Y-%m}: received {total.received:,}, dispatched {total.dispatched:,}, "
        f"refused {total.refused:,} ({total.refusal_rate:.1%}), intake {total.intake_rate:.1%}, "
        f"processing {total.processing_rate:.1%}, completion {total.completion_rate:.1%}; "
        f"{len(rows)} departments"
    )
    today = timezone.localdate()
    print(
        f"live lights: {selectors.warning_counts(Scope(None), today)} (all), "
        f"{selectors.warning_counts(Scope(department.pk), today)} ({department.name})",
        flush=True,
    )
    sup, rev = Client(), Client()
    sup.force_login(supervisor)
    rev.force_login(reviewer)
    m = f"{last:%Y-%m}"
    old = last
    for _ in range(20):
        old = (old - dt.timedelta(days=1)).replace(day=1)
    views = [
        ("dashboard by 一件事 (supervisor)", sup, "/supervision/", {"month": m}),
        ("dashboard by department", sup, "/supervision/", {"month": m, "by": "department"}),
        ("dashboard by window", sup, "/supervision/", {"month": m, "by": "window"}),
        ("dashboard by clerk", sup, "/supervision/", {"month": m, "by": "clerk"}),
        ("dashboard, current month", sup, "/supervision/", {}),
        ("dashboard (department reviewer)", rev, "/supervision/", {"month": m}),
        ("yellow list (supervisor)", sup, "/supervision/warnings/yellow/", {}),
        ("red list (supervisor)", sup, "/supervision/warnings/red/", {}),
        ("red list, page 5 (supervisor)", sup, "/supervision/warnings/red/", {"page": 5}),
        ("red list (department reviewer)", rev, "/supervision/warnings/red/", {}),
        ("drill: dispatched, one department", sup, "/supervision/cases/",
         {"month": m, "by": "department", "key": department.pk, "figure": "dispatched"}),
        ("drill: dispatched, one department, 20 months back", sup, "/supervision/cases/",
         {"month": f"{old:%Y-%m}", "by": "department", "key": department.pk,
          "figure": "dispatched"}),
        ("drill: refused, all", sup, "/supervision/cases/", {"month": m, "figure": "refused"}),
        ("drill: decided late, one window", sup, "/supervision/cases/",
         {"month": m, "by": "window", "key": "3号综合窗口", "figure": "decided_late"}),
        ("drill: received, one clerk", sup, "/supervision/cases/",
         {"month": m, "by": "clerk", "key": User.objects.filter(role="clerk").first().pk,
          "figure": "received"}),
        ("drill: dispatched (department reviewer)", rev, "/supervision/cases/",
         {"month": m, "figure": "dispatched"}),
        ("Excel export by department", sup, "/supervision/export.xlsx",
         {"month": m, "by": "department"}),
        ("bulletins page", sup, "/supervision/bulletins/", {}),
    ]  # fmt: skip
    missed = []
    for name, client, url, params in views:
        response = client.get(url, params)
        assert response.status_code == 200, (name, response.status_code)
        line = report(name, timed(lambda c=client, u=url, q=params: c.get(u, q), REQUESTS),
                      target_ms=TARGET_MS)  # fmt: skip
        if line.endswith("MISSED"):
            missed.append(name)
    print("every view p95 < 300 ms" if not missed else f"missed: {missed}")


if __name__ == "__main__":
    main()

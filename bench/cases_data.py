"""Generating many item cases straight into PostgreSQL with set-based SQL, for the
department-queue benchmark. Rows look like what the services write (same tables, same
relations, plausible statuses and clocks); only the per-row audit events are left out."""

from __future__ import annotations

import time

from django.db import connection, transaction

ITEMS_PER_APPLICATION = 4


def generate(cases: int) -> dict[str, float]:
    """Insert ``cases`` item cases (and their applications, items and running clocks)."""
    from lianban.accounts.models import Applicant, User
    from lianban.catalog.models import BundleVersion, Department

    assert connection.vendor == "postgresql", "set-based generation is written for PostgreSQL"
    applications = cases // ITEMS_PER_APPLICATION
    version = BundleVersion.objects.filter(bundle__code="restaurant", status="published").get()
    user = User.objects.create(username=f"bench-{time.time_ns()}", role="applicant")
    applicant = Applicant.objects.create(
        kind="legal",
        name="压测商户",
        credit_code="91350100M000100Y43",
        phone="13900000000",
        user=user,
    )
    departments = list(
        Department.objects.filter(is_supervisor=False).order_by("code").values_list("id", flat=True)
    )
    timings: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM applications_application")
        base = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO applications_application
              (id, bundle_version_id, applicant_id, channel, status, receipt_number, answers,
               item_codes, form_data, created_by_id, created_at, updated_at, submitted_at,
               intake_due, intake_due_provisional, received_at, received_window, conditional,
               review_round, delivery_method, delivery_address)
            SELECT %(base)s + g, %(version)s, %(applicant)s, 'online', 'received',
                   'B' || to_char(%(base)s + g, 'FM000000000'), '{}', '[]',
                   '{"business_area": "80"}', %(user)s,
                   now() - (g %% 400) * interval '1 day', now(), now(), NULL, false, now(), '',
                   false, 1, 'together', ''
            FROM generate_series(1, %(n)s) AS g
            """,
            {
                "base": base,
                "version": version.pk,
                "applicant": applicant.pk,
                "user": user.pk,
                "n": applications,
            },
        )
        timings["applications"] = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM applications_applicationitem")
        item_base = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO applications_applicationitem
              (id, application_id, item_code, item_name, department_id, position, after,
               promised_limit_days, field_keys, material_codes)
            SELECT %(item_base)s + g, %(base)s + 1 + (g - 1) / %(per)s, 'BENCH-' || (g %% 40),
                   '压测事项' || (g %% 40), (%(departments)s::bigint[])[1 + g %% %(nd)s],
                   (g - 1) %% %(per)s, '[]', 5, '["business_area"]', '["id_card"]'
            FROM generate_series(1, %(n)s) AS g
            """,
            {
                "item_base": item_base,
                "base": base,
                "per": ITEMS_PER_APPLICATION,
                "departments": departments,
                "nd": len(departments),
                "n": applications * ITEMS_PER_APPLICATION,
            },
        )
        timings["items"] = time.perf_counter() - start
        start = time.perf_counter()
        # Most cases are long finished; a realistic few percent are open in each state.
        cur.execute(
            """
            INSERT INTO cases_itemcase
              (application_id, item_id, department_id, item_code, item_name, status, outcome,
               reason, dispatched_at, accepted_at, extended)
            SELECT i.application_id, i.id, i.department_id, i.item_code, i.item_name,
                   CASE WHEN i.id %% 100 < 80 THEN 'delivered'
                        WHEN i.id %% 100 < 84 THEN 'dispatched'
                        WHEN i.id %% 100 < 92 THEN 'accepted'
                        WHEN i.id %% 100 < 93 THEN 'suspended'
                        WHEN i.id %% 100 < 95 THEN 'decided'
                        WHEN i.id %% 100 < 98 THEN 'returned'
                        ELSE 'refused' END,
                   '', '', now(), now(), false
            FROM applications_applicationitem i WHERE i.id > %(item_base)s
            """,
            {"item_base": item_base},
        )
        timings["cases"] = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute(
            """
            INSERT INTO cases_clock
              (case_id, kind, started_on, limit_days, due, provisional, paused_on,
               paused_days, extended_days, stopped_at, met)
            SELECT c.id,
                   CASE c.status WHEN 'dispatched' THEN 'acceptance'
                                 WHEN 'decided' THEN 'return' ELSE 'decision' END,
                   current_date - (c.id %% 20)::int, 5,
                   current_date + ((c.id %% 15) - 4)::int,
                   false,
                   CASE WHEN c.status = 'suspended' THEN current_date - 2 END,
                   0, 0,
                   CASE WHEN c.status IN ('delivered', 'returned', 'refused') THEN now() END,
                   CASE WHEN c.status IN ('delivered', 'returned', 'refused') THEN true END
            FROM cases_itemcase c JOIN applications_applicationitem i ON i.id = c.item_id
            WHERE i.id > %(item_base)s
            """,
            {"item_base": item_base},
        )
        # The running clock's due date, as cases.clocks keeps it on the case.
        cur.execute(
            """
            UPDATE cases_itemcase c SET running_due = k.due
            FROM cases_clock k WHERE k.case_id = c.id AND k.stopped_at IS NULL
              AND c.item_id > %(item_base)s
            """,
            {"item_base": item_base},
        )
        timings["clocks"] = time.perf_counter() - start
    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - start
    return timings

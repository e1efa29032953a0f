"""系统接入 API throughput: a department system listing its cases and accepting them, through
the whole stack (bearer token checked against the database, scope, ETag, call log,
idempotency record, the case service with its audit event, notice and webhook outbox).

    .venv/bin/python -m bench.api                       # SQLite (scratch database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianban_bench .venv/bin/python -m bench.api

BENCH_RECEIVED (default 1) applications are received through the services, then cloned with
bulk inserts (any database) up to BENCH_CASES (default 20,000) item cases; BENCH_ACCEPTS
(default 200) dispatched cases are then accepted, one request each. Prints requests/s and p50/p95: in process with one
client, and over HTTP (gunicorn on loopback) with several clients. Target: ≥ 300 requests/s
for the case list."""

from __future__ import annotations

import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

from bench.common import machine, report, timed, use_scratch_database
from bench.intake import PDF, make_applicants, plan_form

# Throughput is the point here: the per-client rate limit (600 calls a minute by default)
# would answer 429 within the first second.
os.environ.setdefault("LIANBAN_API_RATE_LIMIT", "0")
CASES = int(os.environ.get("BENCH_CASES", "20000"))
RECEIVED = int(os.environ.get("BENCH_RECEIVED", "1"))
ACCEPTS = int(os.environ.get("BENCH_ACCEPTS", "200"))
LIST_N = int(os.environ.get("BENCH_N", "1000"))
HTTP_CLIENTS = int(os.environ.get("BENCH_HTTP_CLIENTS", "8"))
HTTP_SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "10"))
# The HTTP leg runs the settings as shipped; BENCH_CONN_MAX_AGE=60 runs it again with
# persistent database connections, to show what they are worth.
CONN_MAX_AGE = os.environ.get("BENCH_CONN_MAX_AGE", "")
TARGET_RPS = 300
ANSWERS = {"area": "lt50", "sign": "no"}


def throughput(name: str, samples: list[float], elapsed: float | None = None) -> float:
    """Print the latency line and requests per second (wall time, or the samples' sum)."""
    report(name, samples)
    seconds = elapsed if elapsed is not None else sum(samples) / 1000
    rps = len(samples) / seconds
    print(f"  → {rps:,.0f} requests/s", flush=True)
    return rps


def receive_applications(n: int) -> list[Any]:
    """``n`` restaurant applications taken in, reviewed and received through the services:
    their cases are dispatched to the departments, exactly as in production."""
    from lianban.accounts.models import Applicant, User
    from lianban.applications import services
    from lianban.applications.models import Application
    from lianban.applications.selectors import plan_of

    window = User.objects.create(username="bench-window", role=User.Role.CLERK)
    names = make_applicants(n, "bench-password")
    received = []
    form: dict[str, str] = {}
    for name in names:
        applicant = Applicant.objects.get(credit_code=name)
        app = services.application_start(
            bundle_code="restaurant",
            answers=ANSWERS,
            applicant=applicant,
            channel=Application.Channel.ONLINE,
            actor=applicant.user,
        )
        plan = plan_of(app)
        if not form:
            form = {k[2:]: v for k, v in plan_form(plan).items() if not k.endswith("-present")}
        services.application_save_form(application=app, data=form, actor=applicant.user)
        for m in plan.materials:
            services.material_upload(
                application=app,
                material_code=m["code"],
                stream=io.BytesIO(PDF),
                name=f"{m['code']}.pdf",
                actor=applicant.user,
            )
        app = services.application_submit(application=app, actor=applicant.user)
        for m in plan.materials:
            services.material_review(
                application=app, material_code=m["code"], verdict="accepted", actor=window
            )
        services.application_receive(application=app, actor=window)
        received.append(app)
    return received


def clone_cases(template: Any, target: int) -> None:
    """Bulk copies of a received application, its items and its cases (with running clocks),
    until the database holds ``target`` cases: most finished, a realistic few open."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from lianban.applications.models import Application, ApplicationItem
    from lianban.cases.models import Clock, ItemCase

    items = list(ApplicationItem.objects.filter(application=template).order_by("position"))
    today = timezone.localdate()
    statuses = ["delivered"] * 80 + ["dispatched"] * 4 + ["accepted"] * 8 + ["decided"] * 2
    statuses += ["returned"] * 3 + ["refused"] * 3
    batch = max(1, 2000 // len(items))
    made = ItemCase.objects.count()
    n = 0
    while made < target:
        with transaction.atomic():
            apps = Application.objects.bulk_create(
                Application(
                    bundle_version_id=template.bundle_version_id,
                    applicant_id=template.applicant_id,
                    channel=template.channel,
                    status=Application.Status.RECEIVED,
                    receipt_number=f"B{n + i:09d}",
                    answers=template.answers,
                    item_codes=template.item_codes,
                    form_data=template.form_data,
                    created_by_id=template.created_by_id,
                    submitted_at=template.submitted_at,
                    received_at=template.received_at,
                    delivery_method=template.delivery_method,
                )
                for i in range(batch)
            )
            n += batch
            new_items = ApplicationItem.objects.bulk_create(
                ApplicationItem(
                    application=a,
                    item_code=it.item_code,
                    item_name=it.item_name,
                    department_id=it.department_id,
                    position=it.position,
                    after=it.after,
                    promised_limit_days=it.promised_limit_days,
                    field_keys=it.field_keys,
                    material_codes=it.material_codes,
                )
                for a in apps
                for it in items
            )
            cases = ItemCase.objects.bulk_create(
                ItemCase(
                    application_id=it.application_id,
                    item=it,
                    department_id=it.department_id,
                    item_code=it.item_code,
                    item_name=it.item_name,
                    status=random.choice(statuses),
                    dispatched_at=template.received_at,
                )
                for it in new_items
            )
            clocks = []
            for c in cases:
                if c.status in {"dispatched", "accepted", "decided"}:
                    due = today + dt.timedelta(days=random.randint(-3, 12))
                    kind = {"dispatched": "acceptance", "decided": "return"}.get(
                        c.status, "decision"
                    )
                    clocks.append(Clock(case=c, kind=kind, started_on=today, limit_days=5, due=due))
                    c.running_due = due
            Clock.objects.bulk_create(clocks)
            ItemCase.objects.bulk_update(
                [c for c in cases if c.running_due], ["running_due"], batch_size=1000
            )
            made += len(cases)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def over_http(token: str, path: str, data_dir: str, conn_max_age: str = "") -> None:
    """Several clients against gunicorn on loopback, for HTTP_SECONDS."""
    import requests

    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    if gunicorn is None:
        print("gunicorn not installed: HTTP leg skipped")
        return
    workers = min(4, os.cpu_count() or 1)
    port = free_port()
    env = {
        **os.environ,
        "LIANBAN_DATA_DIR": data_dir,
        "LIANBAN_ALLOWED_HOSTS": "127.0.0.1",
        "LIANBAN_LOG_LEVEL": "WARNING",
    }
    if conn_max_age:
        with open(os.path.join(data_dir, "bench_settings.py"), "w", encoding="utf-8") as f:
            f.write(
                "from lianban.settings import *  # noqa: F403\n"
                f'DATABASES["default"]["CONN_MAX_AGE"] = {int(conn_max_age)}  # noqa: F405\n'
            )
        env["PYTHONPATH"] = data_dir
        env["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    log = open(os.path.join(data_dir, "gunicorn.log"), "w+b")  # noqa: SIM115
    server = subprocess.Popen(
        [gunicorn, "lianban.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}{path}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(300):
            try:
                if requests.get(url, headers=headers, timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            log.seek(0)
            print("gunicorn did not answer:", log.read().decode()[-2000:])
            return
        samples: list[float] = []
        errors = 0
        lock = threading.Lock()
        stop = time.perf_counter() + HTTP_SECONDS

        def client() -> None:
            nonlocal errors
            session = requests.Session()
            mine = []
            bad = 0
            while time.perf_counter() < stop:
                start = time.perf_counter()
                ok = session.get(url, headers=headers, timeout=10).status_code == 200
                mine.append((time.perf_counter() - start) * 1000)
                bad += not ok
            with lock:
                samples.extend(mine)
                errors += bad

        threads = [threading.Thread(target=client) for _ in range(HTTP_CLIENTS)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        label = f", CONN_MAX_AGE={conn_max_age}" if conn_max_age else ""
        rps = throughput(
            f"GET {path} over HTTP ({HTTP_CLIENTS} clients, {workers} workers{label})",
            samples,
            elapsed,
        )
        print(
            f"  errors: {errors}; target ≥ {TARGET_RPS} requests/s "
            f"{'OK' if rps >= TARGET_RPS else 'MISSED'}"
        )
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def main() -> None:
    data_dir = use_scratch_database()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from lianban.accounts.models import User
    from lianban.cases.models import ItemCase
    from lianban.catalog import loader
    from lianban.catalog.models import Department
    from lianban.integration import services
    from lianban.integration.models import Scope

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    print(f"machine: {machine()}; database: {connection.vendor}")
    loader.load(loader.read())
    start = time.perf_counter()
    received = receive_applications(RECEIVED)
    print(
        f"received {len(received)} applications through the services in "
        f"{time.perf_counter() - start:.0f} s"
    )
    start = time.perf_counter()
    clone_cases(received[0], CASES)
    print(f"{ItemCase.objects.count():,} item cases in {time.perf_counter() - start:.0f} s")
    if connection.vendor == "postgresql":
        # Rows bulk-inserted a moment ago have no planner statistics and no visibility map
        # yet (autovacuum sees to both within a minute or so); without them PostgreSQL
        # estimates 20 cases for the department and sorts all 10,000 instead of reading the
        # index's first page, and counts them from the table instead of the index.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    first = ItemCase.objects.filter(application=received[0]).order_by("item__position").first()
    assert first is not None
    department = Department.objects.get(pk=first.department_id)
    supervisor = User.objects.create(username="bench-dsj", role=User.Role.SUPERVISOR)
    issued = services.client_register(
        name="压测审批系统",
        department=department,
        scopes=[s for s in Scope.values if s != Scope.NODE_FORWARD],
        actor=supervisor,
    )
    mine = ItemCase.objects.filter(department=department)
    print(
        f"department {department.name}: {mine.count():,} cases, "
        f"{mine.exclude(status__in=['delivered', 'refused', 'cancelled']).count():,} open"
    )

    client = Client()
    token_form = {
        "grant_type": "client_credentials",
        "client_id": issued.client.client_id,
        "client_secret": issued.secret,
    }
    throughput(
        "POST /api/v1/oauth/token",
        timed(lambda: client.post("/api/v1/oauth/token", token_form), 200),
    )
    token = client.post("/api/v1/oauth/token", token_form).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}

    def get(path: str, params: dict[str, Any] | None = None, status: int = 200) -> Any:
        response = client.get(path, params or {}, headers=auth)
        assert response.status_code == status, response.content[:300]
        return response

    rps = throughput(
        "GET /api/v1/cases (page of 50, in process)",
        timed(lambda: get("/api/v1/cases"), LIST_N),
    )
    print(f"  target ≥ {TARGET_RPS} requests/s {'OK' if rps >= TARGET_RPS else 'MISSED'}")
    throughput(
        "GET /api/v1/cases?status=accepted&page=3",
        timed(lambda: get("/api/v1/cases", {"status": "accepted", "page": 3}), LIST_N),
    )
    etag = get("/api/v1/cases")["ETag"]
    throughput(
        "GET /api/v1/cases, If-None-Match → 304",
        timed(lambda: client.get("/api/v1/cases", headers={**auth, "If-None-Match": etag}), LIST_N),
    )
    open_ids = list(mine.filter(status="dispatched").values_list("pk", flat=True))
    random.shuffle(open_ids)
    throughput(
        "GET /api/v1/cases/{id}",
        timed(lambda: get(f"/api/v1/cases/{random.choice(open_ids)}"), 300),
    )

    # One transition: each case is accepted once (受理, with its notice, audit event,
    # SMS and the webhook outbox), so the samples walk through the dispatched cases.
    services.subscription_create(
        client=issued.client,
        url="https://bench.invalid/hooks",
        event_types=["case.accepted"],
        actor=supervisor,
    )
    queue = iter(open_ids)

    def accept() -> None:
        pk = next(queue)
        response = client.post(
            f"/api/v1/cases/{pk}/accept",
            {"expected_status": "dispatched"},
            content_type="application/json",
            headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 200, response.content[:300]

    n = min(ACCEPTS, (len(open_ids) - 10) // 2)
    samples = timed(accept, n, warmup=5)
    throughput(f"POST /api/v1/cases/{{id}}/accept ({n} cases)", samples)

    # The same transition through the service alone, for the API's share of the cost.
    from lianban.cases import services as case_services

    actor = issued.client.service_account

    def accept_directly() -> None:
        case = ItemCase.objects.get(pk=next(queue))
        case_services.case_accept(case=case, actor=actor, expected_status="dispatched")

    direct = timed(accept_directly, n, warmup=5)
    report("case_accept through the service alone", direct)
    print(
        f"  → API / service = {statistics.fmean(samples) / statistics.fmean(direct):.2f}"
        f" ({statistics.fmean(samples) - statistics.fmean(direct):.1f} ms of API per call)"
    )

    connection.close()
    if HTTP_SECONDS > 0:
        over_http(token, "/api/v1/cases", data_dir)
        if CONN_MAX_AGE:
            over_http(token, "/api/v1/cases", data_dir, CONN_MAX_AGE)


if __name__ == "__main__":
    main()

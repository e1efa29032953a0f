"""Province scale: a province's data set, the main paths driven by a load generator on loopback,
and each write path set against the same rows written straight to the database.

    .venv/bin/python -m bench.province                          # PostgreSQL: 2,000,000
                                                                # applications, 10,000,000 item cases
    BENCH_SCALE=district .venv/bin/python -m bench.province     # SQLite: 40,000 applications,
                                                                # 200,000 item cases
    BENCH_REUSE=1 .venv/bin/python -m bench.province            # time again on the data already made

Three parts, each printed as it ends:

1. **The data set.** Applications, items, item cases and clocks spread over 24 months by the
   set-based generator of ``bench.supervision`` (five item cases per application); then a chain of
   audit events hashed as ``record_event`` hashes them (``bench.audit``), one per item case and
   application; then 好差评: an occasion for every finished application and a review for seven in
   ten; then the 电子监察 rollups. On PostgreSQL the rows go into a database of its own
   (``lb_bench_province``). The district scale runs on SQLite: the same generator fills a scratch
   PostgreSQL database (``lb_bench_district``) and its rows are copied into the SQLite file, so
   both scales have the same shape.
2. **Write paths against the database.** In process and one at a time, each write request
   (portal submission, a material's upload, the window's verdict and receipt with its sealed
   receipt, the department's acceptance with its sealed notice, a department system's acceptance
   through the API) runs through the whole Django stack with the INSERT, UPDATE and DELETE
   statements it sends recorded, and is rolled back; the recorded statements are then sent again,
   with their parameters, over the same connection and rolled back too. The ratio platform /
   database is the price of everything that is not writing the rows: reading, checking, rendering,
   sealing, templates.
3. **Load on loopback.** gunicorn (``BENCH_WORKERS`` processes, default 4, each with
   ``BENCH_THREADS`` threads, default 1) with production
   settings (a cache per process, or the shared cache named by ``BENCH_CACHE_URL``, e.g.
   ``redis://127.0.0.1:6379/15``, which it empties first) and one sealing worker (``lianban seal_notices --loop``;
   ``BENCH_SEAL_IN_WORKER=0`` seals within the request instead), whose lag from a notice's issue
   to its seal is printed after each pass; ``BENCH_USERS`` (default 50) people at once, each a thread with its own session:
   applicants submitting 我要开饭店 online (start, form, seven 40 kB materials, submit), window
   clerks reviewing and receiving what they submitted (sealed receipt), department reviewers on
   their queue, case pages and acceptances (sealed notice), department systems on the API, and the
   bureau's supervisors on the dashboard. Each person waits a think time (exponential, mean
   ``BENCH_THINK`` s, default 1) between clicks; a second pass has no think time (every person
   clicks again as soon as the page is back); a third is 50 applicants submitting back to back
   through the pages, for submissions per second, and a fourth the same in one request each
   (一次提交 through the applicant's API: the form, the answers, the delivery and the seven files
   in one multipart POST). ``BENCH_SECONDS`` (default 60) per pass. Prints, per path,
   requests, throughput, p50/p95/p99 and errors, and each target. The requests of a pass's
   first ``BENCH_WARMUP`` seconds (default 5), when every person's first click arrives at
   once, are printed on one line of their own and not in the figures per path;
   ``BENCH_TRACE=file`` writes every request of each pass (end time, path, ms) to
   ``file.<pass>.tsv``.

The load generator shares the machine's cores with the server and the database, as a loopback
test must; its figures are for the machine they ran on."""

from __future__ import annotations

import io
import json
import os
import queue
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench import observe
from bench.intake import ANSWERS, PDF, at_once_body

SCALE = os.environ.get("BENCH_SCALE", "province")
if SCALE not in ("province", "district"):
    raise SystemExit("BENCH_SCALE is province or district")
PROVINCE = SCALE == "province"
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "2000000" if PROVINCE else "40000"))
SOURCE_URL = "postgres://postgres@127.0.0.1:5432/" + (
    "lb_bench_province" if PROVINCE else "lb_bench_district"
)
if PROVINCE:
    os.environ.setdefault("DATABASE_URL", SOURCE_URL)
else:
    # The district runs on its embedded default: SQLite in a folder of its own.
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("LIANBAN_DATA_DIR", tempfile.mkdtemp(prefix="lianban-district-"))
os.environ.setdefault("LIANBAN_API_RATE_LIMIT", "0")
os.environ.setdefault("LIANBAN_SECRET_KEY", "bench-" + secrets.token_hex(24))
os.environ.setdefault("LIANBAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

USERS = int(os.environ.get("BENCH_USERS", "50"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
# Threads per gunicorn process (gunicorn's gthread worker when above 1): a request waiting on
# the database no longer holds a whole process.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
THINK = float(os.environ.get("BENCH_THINK", "1.0"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
RATIO_N = int(os.environ.get("BENCH_RATIO_N", "20"))
REUSE = os.environ.get("BENCH_REUSE") == "1"
# Which load passes run: mixed, mixed-nothink, pages, at-once (all by default).
PASSES = os.environ.get("BENCH_PASSES", "mixed,mixed-nothink,pages,at-once").split(",")
# As the README deploys it: notices sealed by a sealing worker after the change commits
# (BENCH_SEAL_IN_WORKER=0: sealed within the request, the embedded default's way).
SEAL_IN_WORKER = os.environ.get("BENCH_SEAL_IN_WORKER", "1") == "1"
# Seconds at the start of each pass whose requests are reported on one line of their own and
# left out of the figures per path: every person's first click comes in the same second.
WARMUP = float(os.environ.get("BENCH_WARMUP", "5"))
# A file name: every request of each pass written to <name>.<pass>.tsv (end time, path, ms).
TRACE = os.environ.get("BENCH_TRACE", "")
# The sealing worker's niceness: on the web workers' own cores, a background worker that
# yields to them (a separate machine, as the README deploys it, has the same effect).
SEALER_NICE = int(os.environ.get("BENCH_SEALER_NICE", "0"))
# e.g. redis://127.0.0.1:6379/15: the shared cache the README deploys with.
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "")
# The indexes read into the operating system's cache before the passes (PostgreSQL,
# pg_prewarm), as a server in service holds them; just made, or after a restart, every audit
# INSERT waits for the disk instead (BENCH_PREWARM=0 to measure that).
PREWARM = os.environ.get("BENCH_PREWARM", "1") == "1"
SEALED = " (notice to the sealing worker)" if SEAL_IN_WORKER else " (sealed)"


CSRF = "b" * 32  # the CSRF secret each client sends as cookie and as form field


# --- 1. the data set ---------------------------------------------------------------------------


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def build_data_set() -> None:
    """Fill the database the platform runs on (see the module's docstring). With
    ``BENCH_REUSE=1`` the province's database is kept and only what it lacks is added."""
    from django.db import connection

    if PROVINCE and REUSE:
        _setup_django()
        if not _complete_here():
            return
    elif PROVINCE:
        name = SOURCE_URL.rsplit("/", 1)[1]
        _pg(SOURCE_URL, f'DROP DATABASE IF EXISTS "{name}"')
        _pg(SOURCE_URL, f'CREATE DATABASE "{name}"')
        _setup_django()
        _generate_here()
    else:
        _setup_django()
        _generate_in_postgresql_and_copy()
    from lianban.supervision import services

    start = time.perf_counter()
    services.refresh_figures(full=True)
    print(f"电子监察 rollups: {time.perf_counter() - start:.0f} s", flush=True)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _setup_django() -> None:
    from bench.common import use_scratch_database

    use_scratch_database()


def _generate_here() -> None:
    """Generate on the PostgreSQL database Django is connected to."""
    from bench import supervision
    from lianban.catalog import loader

    loader.load(loader.read())
    start = time.perf_counter()
    timings = supervision.generate(APPLICATIONS)
    print(
        f"generated {APPLICATIONS:,} applications and {APPLICATIONS * 5:,} item cases with their "
        f"clocks in {time.perf_counter() - start:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        + ")",
        flush=True,
    )
    _complete_here()


def _complete_here() -> bool:
    """Add the audit chain and the reviews if the database lacks them: whether it did."""
    from django.db import connection

    from bench import audit
    from lianban.audit.models import Event
    from lianban.reviews.models import Review

    events = APPLICATIONS * 6
    if Event.objects.count() >= events and Review.objects.exists():
        return False
    if Event.objects.count() < events:
        seconds = audit.generate(events)
        print(f"audit chain of {events:,} events in {seconds:.0f} s", flush=True)
    if not Review.objects.exists():
        start = time.perf_counter()
        with connection.cursor() as cur:
            _generate_reviews(cur)
        print(f"reviews in {time.perf_counter() - start:.0f} s", flush=True)
    return True


def _generate_reviews(cur: Any) -> None:
    """好差评: an occasion for each finished application, rated by seven in ten (mostly
    satisfied, one in fifty very dissatisfied)."""
    cur.execute(
        """
        INSERT INTO reviews_occasion
          (application_id, applicant_id, kind, event_id, "window", clerk_id, token_hash,
           expires_at, created_at)
        SELECT a.id, a.applicant_id, 'completion', a.id, '', NULL,
               md5(a.id::text) || md5('occasion' || a.id::text),
               a.received_at + interval '45 days', a.received_at + interval '15 days'
        FROM applications_application a WHERE a.status = 'archived'
        """
    )
    cur.execute(
        """
        INSERT INTO reviews_review
          (occasion_id, channel, level, aspects, comment, supplement, screen_session, created_at)
        SELECT o.id, CASE WHEN o.id % 3 = 0 THEN 'portal' ELSE 'sms' END,
               CASE o.id % 50 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 3
                    ELSE 4 + o.id % 2 END,
               '[]', '', '', '', o.created_at + interval '1 day'
        FROM reviews_occasion o WHERE o.id % 10 < 7
        """
    )


# Copied in this order, so that every foreign key finds its row.
DISTRICT_TABLES = [
    "accounts_user",
    "accounts_applicant",
    "applications_application",
    "applications_applicationitem",
    "cases_itemcase",
    "cases_clock",
    "audit_event",
    "audit_chainhead",
    "reviews_occasion",
    "reviews_review",
]


def _generate_in_postgresql_and_copy() -> None:
    """The district on SQLite: generate in a scratch PostgreSQL database with the same code,
    then copy the rows across."""
    import datetime as dt
    from decimal import Decimal

    import psycopg
    from django.db import connection, transaction

    from lianban.catalog import loader
    from lianban.catalog.models import BundleVersion, Department

    name = SOURCE_URL.rsplit("/", 1)[1]
    _pg(SOURCE_URL, f'DROP DATABASE IF EXISTS "{name}"')
    _pg(SOURCE_URL, f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": SOURCE_URL,
        "BENCH_SCALE": "province",
        "BENCH_APPLICATIONS": str(APPLICATIONS),
        "BENCH_GENERATE_ONLY": "1",
    }
    subprocess.run([sys.executable, "-m", "bench.province"], env=env, check=True)

    loader.load(loader.read())
    start = time.perf_counter()
    with psycopg.connect(SOURCE_URL) as source:
        # The catalog was loaded the same way on both sides: its ids must agree.
        mine = sorted(BundleVersion.objects.values_list("pk", "bundle__code", "number"))
        theirs = sorted(
            source.execute(
                "SELECT v.id, b.code, v.number FROM catalog_bundleversion v "
                "JOIN catalog_bundle b ON b.id = v.bundle_id"
            ).fetchall()
        )
        assert mine == theirs, "the catalogs differ between the two databases"
        assert sorted(Department.objects.values_list("pk", "code")) == sorted(
            source.execute("SELECT id, code FROM catalog_department").fetchall()
        )

        def plain(value: Any) -> Any:
            if isinstance(value, dt.datetime):
                return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, dict | list):
                return json.dumps(value, ensure_ascii=False)
            return value

        rows_copied = 0
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM audit_chainhead")
            cur.execute("DELETE FROM audit_event")
            for table in DISTRICT_TABLES:
                with source.cursor(name=f"copy_{table}") as read:
                    read.itersize = 20_000
                    read.execute(f'SELECT * FROM "{table}" ORDER BY 1')
                    batch = read.fetchmany(20_000)
                    columns = [d.name for d in read.description]
                    names = ", ".join('"' + c + '"' for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
                    while batch:
                        cur.executemany(sql, [[plain(v) for v in row] for row in batch])
                        rows_copied += len(batch)
                        batch = read.fetchmany(20_000)
    print(f"copied {rows_copied:,} rows into SQLite in {time.perf_counter() - start:.0f} s")


# --- 2. write paths against the database --------------------------------------------------------


class _Rollback(Exception):
    pass


@contextmanager
def recording() -> Iterator[list[tuple[str, Any]]]:
    """The writing statements sent while inside, with their parameters."""
    from django.db import connection

    writes: list[tuple[str, Any]] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append((sql, [list(p) for p in params] if many else params, many))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield writes


def rolled_back(fn: Callable[[], Any]) -> tuple[float, list[Any]]:
    """Run ``fn`` in a transaction that is rolled back: (milliseconds, writes)."""
    from django.db import transaction

    with recording() as writes:
        try:
            with transaction.atomic():
                start = time.perf_counter()
                result = fn()
                elapsed = (time.perf_counter() - start) * 1000
                status = getattr(result, "status_code", 200)
                assert status < 400, (status, getattr(result, "content", b"")[:300])
                raise _Rollback
        except _Rollback:
            pass
    return elapsed, list(writes)


def replayed(writes: list[Any]) -> float:
    """Send recorded statements again over the same connection, rolled back: milliseconds."""
    from django.db import connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cur:
            start = time.perf_counter()
            for sql, params, many in writes:
                if many:
                    cur.executemany(sql, params)
                else:
                    cur.execute(sql, params)
            elapsed = (time.perf_counter() - start) * 1000
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def write_ratios(world: World) -> None:
    from django.test import Client

    from bench.common import report
    from lianban.applications.models import Application
    from lianban.cases.models import ItemCase

    print(
        f"\n== write paths: platform (whole stack, in process) / the same rows sent directly "
        f"({RATIO_N} each, rolled back) =="
    )
    applicant, clerk = Client(), Client()
    applicant.force_login(world.applicants[-1])
    clerk.force_login(world.clerks[0])
    reviewer = Client()
    api = Client()
    pk = _start_and_fill(applicant)
    upload = _material_post(applicant, pk, world.materials[0])
    for code in world.materials:
        _material_post(applicant, pk, code)()
    paths: list[tuple[str, Callable[[], Any]]] = [
        ("portal: one material uploaded", upload),
        (
            "portal: submission",
            lambda: applicant.post(f"/applications/{pk}/save/", {"then": "submit"}),
        ),
    ]
    ratios = []

    def measure(name: str, fn: Callable[[], Any]) -> None:
        platform, direct, rows = [], [], 0
        for _ in range(RATIO_N):
            ms, writes = rolled_back(fn)
            platform.append(ms)
            direct.append(replayed(writes))
            rows = len(writes)
        p = sorted(platform)[len(platform) // 2]
        d = sorted(direct)[len(direct) // 2]
        report(f"{name} — platform", platform)
        report(f"{name} — database ({rows} statements)", direct)
        ratios.append((name, p / d))
        print(f"  → platform / database = {p / d:.1f}", flush=True)

    for name, fn in paths:
        measure(name, fn)

    def at_once() -> Any:
        body = at_once_body(API_FORM, world.materials)
        files = {}
        for name, (filename, data, _) in body["files"].items():
            files[name] = io.BytesIO(data)
            files[name].name = filename
        response = applicant.post(
            "/api/v1/applications/submit",
            {**body["data"], **files},
            headers={"Idempotency-Key": secrets.token_hex(16)},
        )
        assert response.status_code == 201, response.content[:500]
        return response

    measure("API: 一次提交 (whole application, one request)", at_once)
    # Commit the submission, then the window's steps on it.
    assert applicant.post(f"/applications/{pk}/save/", {"then": "submit"}).status_code == 302
    verdict = {"material": world.materials[0], "verdict": "accepted"}
    measure(
        "window: one material's verdict",
        lambda: clerk.post(f"/window/applications/{pk}/verdict/", verdict),
    )
    for code in world.materials:
        clerk.post(f"/window/applications/{pk}/verdict/", {"material": code, "verdict": "accepted"})
    measure(
        "window: receipt (sealed receipt, cases dispatched)",
        lambda: clerk.post(f"/window/applications/{pk}/receive/"),
    )
    assert clerk.post(f"/window/applications/{pk}/receive/").status_code == 302
    assert Application.objects.get(pk=pk).status == "received"
    case = ItemCase.objects.filter(application_id=pk).order_by("pk").first()
    from lianban.accounts.models import User

    reviewer.force_login(
        User.objects.create(
            username=f"bench-ratio-{pk}", role="reviewer", department_id=case.department_id
        )
    )
    measure(
        "department: acceptance (sealed notice)",
        lambda: reviewer.post(
            f"/workbench/cases/{case.pk}/accept/", {"expected_status": "dispatched"}
        ),
    )
    token = world.token_for(case.department_id)
    measure(
        "API: acceptance by a department system",
        lambda: api.post(
            f"/api/v1/cases/{case.pk}/accept",
            {"expected_status": "dispatched"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(16)},
        ),
    )
    print("ratios: " + "; ".join(f"{n} {r:.1f}" for n, r in ratios))


def _start_and_fill(client: Any) -> int:
    response = client.post("/applications/start/restaurant/", ANSWERS)
    assert response.status_code == 302, response.status_code
    pk = int(response["Location"].rstrip("/").split("/")[-1])
    response = client.post(f"/applications/{pk}/save/", {**FORM, "then": "save"})
    assert response.status_code == 302, response.content[:500]
    return pk


def _material_post(client: Any, pk: int, code: str) -> Callable[[], Any]:
    def post() -> Any:
        f = io.BytesIO(PDF)
        f.name = f"{code}.pdf"
        return client.post(f"/applications/{pk}/upload/", {"material": code, "file": f})

    return post


# --- 3. load on loopback -----------------------------------------------------------------------

FORM: dict[str, str] = {}
API_FORM: dict[str, Any] = {}


@dataclass
class World:
    """Who takes part, made once through the real models."""

    applicants: list[Any] = field(default_factory=list)
    clerks: list[Any] = field(default_factory=list)
    reviewers: list[Any] = field(default_factory=list)
    supervisors: list[Any] = field(default_factory=list)
    systems: dict[int, tuple[str, str]] = field(default_factory=dict)  # department → id, secret
    materials: list[str] = field(default_factory=list)
    open_cases: dict[int, list[int]] = field(default_factory=dict)  # department → case ids
    dispatched: dict[int, list[int]] = field(default_factory=dict)
    month: str = ""
    tokens: dict[int, str] = field(default_factory=dict)

    def token_for(self, department: int) -> str:
        from django.test import Client

        if department not in self.tokens:
            if department not in self.systems:
                self.systems[department] = _register_system(department)
            client_id, secret = self.systems[department]
            self.tokens[department] = (
                Client()
                .post(
                    "/api/v1/oauth/token",
                    {
                        "grant_type": "client_credentials",
                        "client_id": client_id,
                        "client_secret": secret,
                    },
                )
                .json()["access_token"]
            )
        return self.tokens[department]


def _register_system(department: int) -> tuple[str, str]:
    from lianban.catalog.models import Department
    from lianban.integration import services
    from lianban.integration.models import Scope

    issued = services.client_register(
        name=f"压测审批系统{department}",
        department=Department.objects.get(pk=department),
        scopes=[s for s in Scope.values if s != Scope.NODE_FORWARD],
        actor=None,
    )
    return issued.client.client_id, issued.secret


def make_world(applicants: int) -> World:
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db.models import Count
    from django.utils import timezone

    from bench.intake import api_form, plan_form, restaurant_plan
    from lianban.accounts.models import Applicant, User
    from lianban.cases.models import ItemCase
    from lianban.common.identity import credit_code_check_char

    # Each run's applicants under a number of their own (an earlier run's may still be there).
    while True:
        tag = secrets.token_hex(3)
        prefix = f"92410702MB{int(tag, 16) % 1000:03d}"
        if not User.objects.filter(username__startswith=prefix).exists():
            break
    world = World()
    unusable = make_password(None)
    users = []
    for i in range(applicants):
        first17 = f"{prefix}{i:04d}"
        users.append(
            User(
                username=first17 + credit_code_check_char(first17),
                role="applicant",
                password=unusable,
            )
        )
    User.objects.bulk_create(users)
    world.applicants = list(User.objects.filter(username__in=[u.username for u in users]))
    Applicant.objects.bulk_create(
        Applicant(
            kind="legal",
            name=f"压测餐饮{i}",
            credit_code=u.username,
            phone="13912345678",
            legal_representative="张三",
            user=u,
        )
        for i, u in enumerate(world.applicants)
    )
    for i in range(12):
        world.clerks.append(
            User.objects.create(
                username=f"bench-{tag}-clerk-{i}",
                role="clerk",
                window=f"{i % 10 + 1}号综合窗口",
                password=unusable,
            )
        )
    for i in range(8):
        world.supervisors.append(
            User.objects.create(
                username=f"bench-{tag}-sup-{i}", role="supervisor", password=unusable
            )
        )
    # Reviewers of the four departments with the most cases waiting for acceptance.
    busiest = (
        ItemCase.objects.filter(status="dispatched")
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:4]
    )
    for row in busiest:
        d = row["department_id"]
        world.dispatched[d] = list(
            ItemCase.objects.filter(department_id=d, status="dispatched")
            .order_by("-pk")
            .values_list("pk", flat=True)[:5000]
        )
        world.open_cases[d] = list(
            ItemCase.objects.filter(department_id=d, status="accepted")
            .order_by("-pk")
            .values_list("pk", flat=True)[:2000]
        )
        for i in range(4):
            world.reviewers.append(
                User.objects.create(
                    username=f"bench-{tag}-rev-{d}-{i}",
                    role="reviewer",
                    department_id=d,
                    password=unusable,
                )
            )
        world.systems[d] = _register_system(d)
    plan = restaurant_plan(Applicant.objects.get(user=world.applicants[0]))
    world.materials = [m["code"] for m in plan.materials]
    FORM.update(plan_form(plan))
    API_FORM.update(api_form(plan))
    last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    world.month = f"{last:%Y-%m}"
    return world


def prewarm() -> None:
    """Every index of the database read into the operating system's cache (pg_prewarm's
    'read' mode, not PostgreSQL's own buffers), when the extension can be had."""
    from django.db import DatabaseError, connection, transaction

    start = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cur.execute(
                "SELECT count(*), coalesce(sum(pg_prewarm(indexrelid, 'read')), 0) * 8192 "
                "FROM pg_stat_user_indexes"
            )
            indexes, size = cur.fetchone()
    except DatabaseError as exc:
        print(f"indexes not prewarmed ({exc}): the first minutes read them from disk")
        return
    print(
        f"{indexes} indexes ({size / 2**30:.1f} GiB) read into the OS cache in "
        f"{time.perf_counter() - start:.0f} s",
        flush=True,
    )


def prepare_fonts() -> None:
    """The document fonts, prepared once per machine as the deployment does (``lianban
    prepare_fonts``): taken from the default data folder when they are there, else made."""
    from django.conf import settings
    from django.core.management import call_command

    here = os.path.join(settings.DATA_DIR, "fonts")
    machine_wide = os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "fonts")
    if not os.path.isdir(here) and os.path.isdir(machine_wide):
        shutil.copytree(machine_wide, here)
    start = time.perf_counter()
    call_command("prepare_fonts", verbosity=0)
    print(f"document fonts ready in {time.perf_counter() - start:.1f} s", flush=True)


def session_for(user: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.flows: dict[str, int] = defaultdict(int)
        # (when it ended, path, ms) of every request, for BENCH_TRACE.
        self.trace: list[tuple[float, str, float]] = []
        # Requests that end before this (perf_counter) are the pass's start: kept apart.
        self.counting_from = 0.0
        self.start: list[float] = []

    def add(self, path: str, ms: float, error: str | None) -> None:
        with self.lock:
            if time.perf_counter() < self.counting_from:
                self.start.append(ms)
            else:
                self.samples[path].append(ms)
            self.trace.append((time.time(), path, ms))
            if error:
                self.errors[path].append(error)

    def flow(self, name: str) -> None:
        with self.lock:
            self.flows[name] += 1


class Person:
    """One person at a browser (or a system with a token): a session, a think time."""

    def __init__(self, base: str, rec: Recorder, think: float, stop: float, session: str = ""):
        import requests

        self.http = requests.Session()
        self.base, self.rec, self.think, self.stop = base, rec, think, stop
        host = base.split("//")[1].split(":")[0]
        if session:
            self.http.cookies.set("sessionid", session, domain=host)
        self.http.cookies.set("csrftoken", CSRF, domain=host)
        self.http.headers["Referer"] = base + "/"

    def alive(self) -> bool:
        return time.perf_counter() < self.stop

    def pause(self) -> None:
        if self.think:
            time.sleep(min(random.expovariate(1 / self.think), 5 * self.think))

    def call(
        self, path: str, method: str, url: str, expect: tuple[int, ...] = (200, 302), **kw: Any
    ) -> Any:
        self.pause()
        if method == "POST" and "json" not in kw and "headers" not in kw:
            kw.setdefault("data", {})["csrfmiddlewaretoken"] = CSRF
        start = time.perf_counter()
        try:
            response = self.http.request(
                method, self.base + url, allow_redirects=False, timeout=30, **kw
            )
        except Exception as exc:  # a refused or dropped connection is a result too
            self.rec.add(path, (time.perf_counter() - start) * 1000, type(exc).__name__)
            return None
        ms = (time.perf_counter() - start) * 1000
        bad = None if response.status_code in expect else f"{response.status_code} {url}"
        self.rec.add(path, ms, bad)
        return None if bad else response


def applicant_loop(p: Person, submitted: queue.Queue[int], materials: list[str]) -> None:
    while p.alive():
        r = p.call(
            "portal: start from the guide",
            "POST",
            "/applications/start/restaurant/",
            data=dict(ANSWERS),
            expect=(302,),
        )
        if r is None:
            continue
        pk = int(r.headers["Location"].rstrip("/").split("/")[-1])
        if (
            p.call(
                "portal: save the form",
                "POST",
                f"/applications/{pk}/save/",
                data={**FORM, "then": "save"},
                expect=(302,),
            )
            is None
        ):
            continue
        ok = True
        for code in materials:
            ok = (
                ok
                and p.call(
                    "portal: upload a material",
                    "POST",
                    f"/applications/{pk}/upload/",
                    data={"material": code},
                    files={"file": (f"{code}.pdf", PDF, "application/pdf")},
                )
                is not None
            )
        if (
            ok
            and p.call(
                "portal: submit",
                "POST",
                f"/applications/{pk}/save/",
                data={"then": "submit"},
                expect=(302,),
            )
            is not None
        ):
            p.rec.flow("submissions")
            submitted.put(pk)


def at_once_loop(p: Person, submitted: queue.Queue[int], materials: list[str]) -> None:
    from urllib3 import encode_multipart_formdata

    # The same application each time (each submission is a new one): its multipart body is
    # encoded once, so that the load generator, on the same two cores, takes less of them.
    parts = at_once_body(API_FORM, materials)
    body, content_type = encode_multipart_formdata({**parts["data"], **parts["files"]})
    while p.alive():
        r = p.call(
            "API: 一次提交 (whole application, one request)",
            "POST",
            "/api/v1/applications/submit",
            expect=(201,),
            headers={
                "X-CSRFToken": CSRF,
                "Idempotency-Key": secrets.token_hex(16),
                "Content-Type": content_type,
            },
            data=body,
        )
        if r is not None:
            p.rec.flow("submissions")
            submitted.put(r.json()["id"])


def clerk_loop(p: Person, submitted: queue.Queue[int], materials: list[str]) -> None:
    while p.alive():
        try:
            pk = submitted.get(timeout=1)
        except queue.Empty:
            p.call("window: queue", "GET", "/window/")
            continue
        p.call("window: application page", "GET", f"/window/applications/{pk}/")
        for code in materials:
            p.call(
                "window: material verdict",
                "POST",
                f"/window/applications/{pk}/verdict/",
                data={"material": code, "verdict": "accepted"},
            )
        if (
            p.call(
                "window: receipt" + SEALED,
                "POST",
                f"/window/applications/{pk}/receive/",
                expect=(302,),
            )
            is not None
        ):
            p.rec.flow("receipts")


def reviewer_loop(p: Person, open_cases: list[int], dispatched: list[int], lock: Any) -> None:
    while p.alive():
        p.call("department: queue", "GET", "/workbench/")
        if open_cases:
            p.call("department: case page", "GET", f"/workbench/cases/{random.choice(open_cases)}/")
        with lock:
            case = dispatched.pop() if dispatched else None
        if (
            case is not None
            and p.call(
                "department: acceptance" + SEALED,
                "POST",
                f"/workbench/cases/{case}/accept/",
                data={"expected_status": "dispatched"},
                expect=(302,),
            )
            is not None
        ):
            p.rec.flow("acceptances")


def system_loop(p: Person, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    while p.alive():
        p.call("API: GET /cases", "GET", "/api/v1/cases", headers=auth, expect=(200,))
        p.call(
            "API: GET /cases?status=dispatched",
            "GET",
            "/api/v1/cases",
            params={"status": "dispatched"},
            headers=auth,
            expect=(200,),
        )


def supervisor_loop(p: Person, month: str) -> None:
    views = [
        ("dashboard: by 一件事", "/supervision/", {"month": month}),
        ("dashboard: by department", "/supervision/", {"month": month, "by": "department"}),
        ("dashboard: by window", "/supervision/", {"month": month, "by": "window"}),
        ("dashboard: current month", "/supervision/", {}),
        ("dashboard: red list", "/supervision/warnings/red/", {}),
        ("dashboard: yellow list", "/supervision/warnings/yellow/", {}),
    ]
    while p.alive():
        name, url, params = random.choice(views)
        p.call(name, "GET", url, params=params, expect=(200,))


@contextmanager
def gunicorn() -> Iterator[str]:
    from bench.api import free_port

    exe = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    assert exe, "gunicorn is a dependency of lianban"
    port = free_port()
    data_dir = os.environ.get("LIANBAN_DATA_DIR") or tempfile.mkdtemp(prefix="lianban-load-")
    env = {
        **os.environ,
        "LIANBAN_DATA_DIR": data_dir,
        "LIANBAN_LOG_LEVEL": "WARNING",
        "LIANBAN_DEBUG": "false",
        "LIANBAN_SEAL_IN_WORKER": "true" if SEAL_IN_WORKER else "false",
        # With BENCH_CACHE_URL, the shared cache (rate limits, sessions, dashboard figures);
        # without, a cache per process as in the earlier runs.
        "LIANBAN_CACHE_URL": CACHE_URL,
    }
    if CACHE_URL:
        import redis

        redis.Redis.from_url(CACHE_URL).flushdb()
    subprocess.run(
        [sys.executable, "-m", "lianban", "collectstatic", "--noinput", "-v0"], env=env, check=True
    )
    log = open(os.path.join(data_dir, "gunicorn.log"), "w+b")  # noqa: SIM115
    server = subprocess.Popen(
        [
            exe,
            "lianban.wsgi",
            "-w",
            str(WORKERS),
            *(["--threads", str(THREADS)] if THREADS > 1 else []),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    # One sealing worker beside the web workers, on the same two cores.
    sealer = (
        subprocess.Popen(
            [sys.executable, "-m", "lianban", "seal_notices", "--loop", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            preexec_fn=(lambda: os.nice(SEALER_NICE)) if SEALER_NICE else None,
        )
        if SEAL_IN_WORKER
        else None
    )
    base = f"http://127.0.0.1:{port}"
    import requests

    try:
        for _ in range(300):
            try:
                if requests.get(base + "/", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            log.seek(0)
            raise SystemExit("gunicorn did not answer: " + log.read().decode()[-2000:])
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        if sealer is not None:
            sealer.send_signal(signal.SIGTERM)
            sealer.wait(30)
        log.seek(0)
        tail = [ln for ln in log.read().decode(errors="replace").splitlines() if "Error" in ln]
        if tail:
            print("server errors (last 5):", *tail[-5:], sep="\n  ")
        log.close()


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def sealing_lag(since: Any) -> None:
    """With a sealing worker: how long after its issue each notice of the pass was sealed
    (what a person asking for the PDF at once waits), once the worker has caught up."""
    if not SEAL_IN_WORKER:
        return
    from django.db import connection

    from bench.common import report
    from lianban.applications.models import Notice
    from lianban.signing.models import IssuedDocument

    waited = time.perf_counter()
    notices = Notice.objects.filter(issued_at__gte=since)
    while notices.filter(pdf="").exists() and time.perf_counter() - waited < 120:
        time.sleep(0.5)
    behind = time.perf_counter() - waited
    issued = dict(notices.values_list("number", "issued_at"))
    lags = [
        (sealed_at - issued[number]).total_seconds() * 1000
        for number, sealed_at in IssuedDocument.objects.filter(number__in=list(issued)).values_list(
            "number", "issued_at"
        )
    ]
    unsealed = notices.filter(pdf="").count()
    connection.close()
    if lags:
        report(f"sealing worker: issue → sealed ({len(lags)} notices)", lags)
    print(f"    the worker caught up {behind:.1f} s after the pass; {unsealed} still unsealed")


def load_pass(base: str, world: World, title: str, think: float, mix: dict[str, int]) -> None:
    from bench.common import report

    rec = Recorder()
    stop = time.perf_counter() + SECONDS
    submitted: queue.Queue[int] = queue.Queue()
    threads = []
    sessions = iter(world.applicants)

    def person(user: Any = None) -> Person:
        return Person(base, rec, think, stop, session_for(user) if user is not None else "")

    for _ in range(mix.get("applicants", 0)):
        threads.append(
            threading.Thread(
                target=applicant_loop, args=(person(next(sessions)), submitted, world.materials)
            )
        )
    for _ in range(mix.get("at_once", 0)):
        threads.append(
            threading.Thread(
                target=at_once_loop, args=(person(next(sessions)), submitted, world.materials)
            )
        )
    for i in range(mix.get("clerks", 0)):
        threads.append(
            threading.Thread(
                target=clerk_loop,
                args=(person(world.clerks[i % len(world.clerks)]), submitted, world.materials),
            )
        )
    departments = list(world.dispatched)
    locks = {d: threading.Lock() for d in departments}
    by_department = defaultdict(list)
    for r in world.reviewers:
        by_department[r.department_id].append(r)
    for i in range(mix.get("reviewers", 0)):
        d = departments[i % len(departments)]
        user = by_department[d][(i // len(departments)) % len(by_department[d])]
        threads.append(
            threading.Thread(
                target=reviewer_loop,
                args=(person(user), world.open_cases[d], world.dispatched[d], locks[d]),
            )
        )
    for i in range(mix.get("systems", 0)):
        d = departments[i % len(departments)]
        threads.append(threading.Thread(target=system_loop, args=(person(), world.token_for(d))))
    for i in range(mix.get("supervisors", 0)):
        threads.append(
            threading.Thread(
                target=supervisor_loop,
                args=(person(world.supervisors[i % len(world.supervisors)]), world.month),
            )
        )
    print(
        f"\n== {title}: {len(threads)} people ({', '.join(f'{v} {k}' for k, v in mix.items())}), "
        f"think time {think:g} s, {SECONDS:g} s, {WORKERS} gunicorn workers × {THREADS} threads ==",
        flush=True,
    )
    began, cpu = time.perf_counter(), time.process_time()
    rec.counting_from = began + WARMUP
    since = _now()
    with observe.CpuSampler() as cpu_used, _waits() as waits:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - began
    spent = cpu_used.spent()
    # The people are simulated on the same two cores as the server and the database.
    share = (time.process_time() - cpu) / elapsed
    total = sum(len(s) for s in rec.samples.values()) + len(rec.start)
    print(
        f"{total:,} requests in {elapsed:.0f} s = {total / elapsed:.1f} requests/s; "
        f"the load generator itself used {share:.2f} of a core"
    )
    counted = elapsed
    if rec.start:
        report(f"the first {WARMUP:g} s, every path (not counted below)", rec.start)
        counted = max(elapsed - WARMUP, 1.0)
    targets = {"department: queue": 50}
    worst = 0.0
    for path in sorted(rec.samples):
        samples = rec.samples[path]
        target = targets.get(path, 300 if path.startswith("dashboard") else None)
        report(f"{path} ({len(samples) / counted:.1f}/s)", samples, target_ms=target)
        worst = max(worst, sorted(samples)[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))])
        if rec.errors[path]:
            print(f"    errors: {len(rec.errors[path])}, e.g. {rec.errors[path][:3]}")
    if TRACE:
        # Every request of the pass, to see when the slow ones came (BENCH_TRACE=file).
        with open(f"{TRACE}.{title.split(':')[0].replace(' ', '-')}.tsv", "w") as out:
            out.writelines(f"{t:.3f}\t{path}\t{ms:.1f}\n" for t, path, ms in rec.trace)
    flows = ", ".join(f"{k} {v} ({v / elapsed:.1f}/s)" for k, v in rec.flows.items())
    print(f"done: {flows}")
    sealing_lag(since)
    print(
        f"slowest p99 of any path: {worst:.0f} ms (target ≤ 1000 ms) "
        f"{'OK' if worst <= 1000 else 'MISSED'}"
    )
    submissions = rec.flows.get("submissions", 0)
    print(observe.report_cpu(spent, elapsed, ("submission", submissions) if submissions else None))
    if waits is not None:
        print(waits.report())
    if submissions:
        rate = submissions / elapsed
        print(
            f"submissions: {rate:.1f}/s (target ≥ 100/s) {'OK' if rate >= 100 else 'MISSED'}",
            flush=True,
        )


@contextmanager
def _waits() -> Iterator[observe.WaitSampler | None]:
    """PostgreSQL's waits sampled over a pass (none on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield None
        return
    from psycopg.conninfo import make_conninfo

    s = connection.settings_dict
    dsn = make_conninfo(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
    )
    with observe.WaitSampler(dsn, s["NAME"]) as sampler:
        yield sampler


def main() -> None:
    if os.environ.get("BENCH_GENERATE_ONLY") == "1":
        _setup_django()
        _generate_here()
        return
    build_data_set()
    from django.db import connection

    from bench.common import core_speed, machine
    from lianban.applications.models import Application
    from lianban.audit.models import Event
    from lianban.cases.models import ItemCase
    from lianban.reviews.models import Review

    print(f"machine: {machine()}; database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"core speed: {core_speed()}")
    print(
        f"data set: {Application.objects.count():,} applications, "
        f"{ItemCase.objects.count():,} item cases, {Event.objects.count():,} audit events, "
        f"{Review.objects.count():,} reviews",
        flush=True,
    )
    prepare_fonts()
    if PREWARM and connection.vendor == "postgresql":
        prewarm()
    world = make_world(applicants=USERS * 3 + 10)
    if connection.vendor == "postgresql":
        # The statistics as autovacuum keeps them in service: the data set was analyzed when
        # it was made, and each run since has added its people and a backlog of submissions
        # (a value the planner last saw on no row is estimated at one row).
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    write_ratios(world)
    connection.close()
    with gunicorn() as base:
        mix = {"applicants": 20, "clerks": 8, "reviewers": 10, "systems": 6, "supervisors": 6}
        scale = USERS / sum(mix.values())
        mix = {k: max(1, round(v * scale)) for k, v in mix.items()}
        if "mixed" in PASSES:
            load_pass(base, world, "everyone at once", THINK, mix)
        if "mixed-nothink" in PASSES:
            load_pass(base, world, "everyone at once, no think time", 0.0, mix)
        if "pages" in PASSES:
            load_pass(base, world, "submissions back to back", 0.0, {"applicants": USERS})
        if "at-once" in PASSES:
            load_pass(
                base,
                world,
                "one-request submissions (一次提交) back to back",
                0.0,
                {"at_once": USERS},
            )


if __name__ == "__main__":
    main()

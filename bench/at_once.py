"""一次提交 in process: ``POST /api/v1/applications/submit`` handed straight to Django's WSGI
handler, as a WSGI server hands it over, so the figures are the web process's own work and
nothing else's (no network, no test client, no load generator).

    .venv/bin/python -m bench.at_once                                 # SQLite (scratch)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_bench_atonce \\
        .venv/bin/python -m bench.at_once                             # PostgreSQL (made anew)
    BENCH_N=500 BENCH_PROFILE=/tmp/at_once.prof .venv/bin/python -m bench.at_once

Production settings (DEBUG off, the session middleware, CSRF checked). Each applicant is signed
in once; the submissions cycle over them, each a new application of 我要开饭店 with every
material (40 kB each). Prints, after a warm-up, the CPU time of the process and the wall time
per submission (p50/p95/mean), what that CPU allows on one core, and the SQL statements a
submission sends (``BENCH_SHOW_SQL=1`` prints them). ``BENCH_PROFILE`` writes a cProfile of
the timed submissions to that file and prints the 25 functions with the most CPU time of their
own (profiled, everything runs about twice as slow)."""

from __future__ import annotations

import io
import os
import secrets
import statistics
import sys
import time
from typing import Any

from bench.common import core_speed, machine, report

N = int(os.environ.get("BENCH_N", "300"))
WARMUP = int(os.environ.get("BENCH_WARMUP_N", "20"))
APPLICANTS = 20
CSRF = "c" * 32


def _database() -> None:
    """Make the PostgreSQL database named by DATABASE_URL anew (each run signs up the same
    applicants), then set up."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg
        from psycopg import sql

        base, _, name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ.setdefault("LIANBAN_DEBUG", "false")
    os.environ.setdefault("LIANBAN_LOG_LEVEL", "WARNING")
    from bench.common import use_scratch_database

    use_scratch_database()


def _body(plan: Any) -> tuple[bytes, str]:
    """The request's body, encoded once, and its content type."""
    from urllib3 import encode_multipart_formdata

    from bench.intake import api_form, at_once_body

    parts = at_once_body(api_form(plan), [m["code"] for m in plan.materials])
    return encode_multipart_formdata({**parts["data"], **parts["files"]})


def _session_cookies(names: list[str]) -> list[str]:
    from django.test import Client

    from lianban.accounts.models import User

    cookies = []
    for name in names:
        client = Client()
        client.force_login(User.objects.get(username=name))
        cookies.append(f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}")
    return cookies


def main() -> None:
    _database()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.intake import make_applicants, restaurant_plan
    from lianban.accounts.models import Applicant
    from lianban.applications.models import Application
    from lianban.catalog import loader

    print(f"machine: {machine()}; database: {connection.vendor}")
    print(f"core speed: {core_speed()}")
    loader.load(loader.read())
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    names = make_applicants(APPLICANTS, "bench-password")
    plan = restaurant_plan(Applicant.objects.get(credit_code=names[0]))
    body, content_type = _body(plan)
    cookies = _session_cookies(names)
    print(
        f"plan: {len(plan.items)} items, {len(plan.fields)} fields, "
        f"{len(plan.materials)} materials; request body {len(body) / 1024:.0f} kB"
    )
    handler = WSGIHandler()

    def submit(i: int) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/applications/submit",
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookies[i % len(cookies)],
            "HTTP_X_CSRFTOKEN": CSRF,
            "HTTP_IDEMPOTENCY_KEY": secrets.token_hex(16),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status: list[str] = []
        response = handler(environ, lambda s, h, *a: status.append(s))
        content = b"".join(response)
        response.close()
        if not status[0].startswith("201"):
            raise SystemExit(f"submission refused: {status[0]} {content[:500]!r}")

    for i in range(WARMUP):
        submit(i)
    # Counted by a wrapper: the handler empties the connection's query log at each request.
    statements: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: (
            statements.append(sql),
            execute(sql, params, many, context),
        )[1]
    ):
        submit(0)
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        # Timed by CPU, not by the clock: waits for the database are not the process's work.
        profile = cProfile.Profile(time.process_time)
        profile.enable()
    cpu, wall = [], []
    for i in range(N):
        c0, w0 = time.process_time(), time.perf_counter()
        submit(i)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    if profile is not None:
        import pstats

        profile.disable()
        profile.dump_stats(os.environ["BENCH_PROFILE"])
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    report("一次提交: wall time", wall)
    report("一次提交: CPU time of the process", cpu)
    mean_cpu = statistics.fmean(cpu)
    print(f"  → {mean_cpu:.1f} ms of CPU a submission: at most {1000 / mean_cpu:.0f}/s a core")
    if os.environ.get("BENCH_SHOW_SQL"):
        print("\n".join(f"  {s[:160]}" for s in statements))
    verbs = [s.split(None, 1)[0] for s in statements]
    writes = sum(1 for v in verbs if v in {"INSERT", "UPDATE", "DELETE"})
    print(f"  → {len(statements)} SQL statements a submission ({writes} writes)")
    submitted = Application.objects.filter(status="submitted").count()
    print(f"submitted: {submitted} (expected {N + WARMUP + 1})")


if __name__ == "__main__":
    main()

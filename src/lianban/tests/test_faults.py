"""Faults a deployment meets: the database restarts while the web processes are busy, and a
worker is killed in the middle of a task.

The restart is played by a TCP proxy between gunicorn and PostgreSQL (the machine's server
is shared and is not restarted): every connection is cut and new ones are refused for two
seconds. Requests in that window must fail cleanly and quickly, nothing may be half-written,
and the same web processes must serve again afterwards. A worker is killed with SIGKILL while
its receiver holds the request; a fresh worker must finish the work with one effect only."""

from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from lianban.applications.models import Notice
from lianban.applications.tests.factories import published_restaurant
from lianban.audit.models import Event
from lianban.audit.services import verify_chain
from lianban.cases.models import Clock, ItemCase
from lianban.cases.tests.factories import received_restaurant
from lianban.catalog.tests.factories import UserFactory
from lianban.errors import RETRY_AFTER, server_error
from lianban.integration.models import IdempotencyRecord
from lianban.integration.tests.conftest import register
from lianban.integration.tests.test_two_workers import SEED as WEBHOOK_SEED
from lianban.notifications.models import Notification
from lianban.tests.tcp_proxy import TcpProxy
from lianban.tests.workers import manage

DEPARTMENTS = ("scjgj", "xfzd", "cgj")  # each dispatched a case of every restaurant application
APPLICATIONS = 3
OUTAGE_SECONDS = 2.0
# No answer may take longer than this, outage or not: a request that waits on a dead database
# holds a web worker and the client's patience alike.
ANSWER_WITHIN = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _base_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    data.mkdir(parents=True, exist_ok=True)
    prepared = Path(settings.DATA_DIR) / "fonts"
    if prepared.is_dir() and not (data / "fonts").exists():
        (data / "fonts").symlink_to(prepared)  # the fonts this machine prepared once
    env.update(LIANBAN_DATA_DIR=str(data), PYTHONUNBUFFERED="1")
    return env


def _database_url(port: int | None = None) -> str:
    """This test's database (pytest-django's), optionally through another port."""
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    auth = f"{user}:{s['PASSWORD']}" if s["PASSWORD"] else user
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 5432}/{s['NAME']}"


# ---- What a request meets when the database is away ---------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (OperationalError("connection refused"), 503, "unavailable"),
        (InterfaceError("connection already closed"), 503, "unavailable"),
        (ValueError("a fault of the platform"), 500, "server_error"),
    ],
)
def test_an_api_request_that_fails_gets_the_api_error_shape(
    rf: RequestFactory, error: Exception, status: int, code: str
) -> None:
    response = _failed(rf.post("/api/v1/cases/1/accept"), error)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["code"] == code and body["message"] and body["errors"] == []
    assert response.has_header("Retry-After") is (status == 503)


def test_a_page_whose_database_is_away_says_to_retry(rf: RequestFactory) -> None:
    response = _failed(rf.get("/window/"), OperationalError("the database is shutting down"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert "系统正在恢复" in response.content.decode()


def _failed(request: HttpRequest, error: Exception) -> HttpResponse:
    # Django calls the 500 handler while handling the error, as here.
    try:
        raise error
    except Exception:
        return server_error(request)


# ---- The database restarted under load ---------------------------------------------------


@dataclass
class Answer:
    case_id: int
    started: float
    seconds: float
    status: int | None  # None: no HTTP answer at all
    body: str
    content_type: str
    retry_after: str


class WebServer:
    """gunicorn with two workers, as production runs it, on this test's database."""

    def __init__(self, data: Path, database_url: str) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        env = _base_env(data)
        env.update(
            DATABASE_URL=database_url,
            LIANBAN_DEBUG="false",  # what production shows: never a traceback page
            LIANBAN_API_RATE_LIMIT="0",
            LIANBAN_WARM_UP="true",  # as production starts its web processes
        )
        self.log = (data / "gunicorn.log").open("w+b")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "lianban.wsgi",
                "-w",
                "2",
                "-b",
                self.url.removeprefix("http://"),
                "--timeout",
                "30",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/api/v1/bundles", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"gunicorn did not start: {self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class HttpSystem:
    """A department's approval system accepting its cases over HTTP."""

    def __init__(self, base: str, client_id: str, secret: str) -> None:
        self.base = base + "/api/v1"
        token = requests.post(
            self.base + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
            timeout=10,
        )
        assert token.status_code == 200, token.text
        self.auth = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def accept(self, case_id: int) -> requests.Response:
        # One key per case, the same on every retry: a retry must not accept twice.
        return requests.post(
            f"{self.base}/cases/{case_id}/accept",
            json={"expected_status": "dispatched"},
            headers={**self.auth, "Idempotency-Key": f"accept-{case_id}"},
            timeout=ANSWER_WITHIN + 7,
        )


def _accept_all(
    system: HttpSystem,
    todo: collections.deque[int],
    answers: list[Answer],
    give_up: float,
) -> None:
    """Accept every case of the queue; a case whose request failed goes back to the end."""
    while time.monotonic() < give_up:
        try:
            case_id = todo.popleft()
        except IndexError:
            return
        started = time.monotonic()
        try:
            r = system.accept(case_id)
        except requests.RequestException as exc:
            answers.append(
                Answer(case_id, started, time.monotonic() - started, None, repr(exc), "", "")
            )
            todo.append(case_id)
            continue
        answers.append(
            Answer(
                case_id,
                started,
                time.monotonic() - started,
                r.status_code,
                r.text,
                r.headers.get("Content-Type", ""),
                r.headers.get("Retry-After", ""),
            )
        )
        if r.status_code != 200:
            todo.append(case_id)
            time.sleep(0.1)  # as a client honouring a short back-off would


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_database_restart_under_load_fails_cleanly_and_service_resumes(tmp_path: Path) -> None:
    published_restaurant()
    supervisor = UserFactory(supervisor=True)
    for _ in range(APPLICATIONS):
        received_restaurant()
    queues = {
        code: collections.deque(
            ItemCase.objects.filter(department__code=code, status=ItemCase.Status.DISPATCHED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for code in DEPARTMENTS
    }
    assert all(len(q) == APPLICATIONS for q in queues.values())
    department_of = {case_id: code for code, q in queues.items() for case_id in q}
    issued = {code: register(supervisor, code) for code in DEPARTMENTS}
    s = connection.settings_dict
    answers: list[Answer] = []

    with TcpProxy((s["HOST"] or "127.0.0.1", int(s["PORT"] or 5432))) as proxy:
        web = WebServer(tmp_path / "web", _database_url(proxy.port))
        pid = web.process.pid
        try:
            systems = {
                code: HttpSystem(web.url, i.client.client_id, i.secret)
                for code, i in issued.items()
            }
            give_up = time.monotonic() + 20
            clients = [
                threading.Thread(
                    target=_accept_all, args=(systems[code], queues[code], answers, give_up)
                )
                for code in DEPARTMENTS
                for _ in range(2)
            ]
            for c in clients:
                c.start()
            # The restart comes while the load runs: after the first few accepts went through.
            while sum(a.status == 200 for a in answers) < 2 and time.monotonic() < give_up:
                time.sleep(0.01)
            down = time.monotonic()
            cut = proxy.outage(OUTAGE_SECONDS)
            up = time.monotonic()
            for c in clients:
                c.join()

            # Service resumed in the same web processes, without a restart of theirs.
            assert web.process.poll() is None and web.process.pid == pid
            assert not any(queues.values()), f"cases left unaccepted: {queues}"
            assert any(a.status == 200 and a.started > up for a in answers), "no success after"

            # A retry after the outage, under a key that was already used, changes nothing:
            # one case whose request met the outage, one accepted before it.
            failed_once = next((a.case_id for a in answers if a.status == 503), None)
            assert failed_once is not None, "no request met the outage"
            before = next(a.case_id for a in answers if a.status == 200 and a.started < down)
            replays = [systems[department_of[c]].accept(c) for c in (failed_once, before)]
        finally:
            web.stop()

    failed = [a for a in answers if a.status != 200]
    # The restart was felt: open connections were cut and requests failed meanwhile ...
    assert cut >= 1
    assert failed, "no request met the outage"
    # ... cleanly: each an answer, soon, a 503 in the API's error shape with Retry-After.
    for a in failed:
        assert a.status == 503, (a.status, a.body[:500])
        assert a.content_type.startswith("application/json"), a.body[:500]
        body = json.loads(a.body)
        assert body["code"] == "unavailable" and body["message"], body
        assert "Traceback" not in a.body
        assert a.retry_after.isdigit()
    assert max(a.seconds for a in answers) < ANSWER_WITHIN, max(a.seconds for a in answers)
    # Failures came with the outage and ended with it: requests in flight when the connections
    # were cut failed at once, and none hung on past the database's return.
    assert all(down <= a.started + a.seconds <= up + 3 for a in failed), "a failure off the outage"

    for replay in replays:
        assert replay.status_code == 200, replay.text
        assert replay.headers.get("Idempotent-Replayed") == "true"

    # Nothing half-written: every case accepted exactly once, with all that goes with it.
    for case in ItemCase.objects.filter(pk__in=department_of):
        assert case.status == ItemCase.Status.ACCEPTED
        target = {"target_type": "cases.itemcase", "target_id": str(case.pk)}
        assert Event.objects.filter(verb="case.accepted", **target).count() == 1
        assert Clock.objects.filter(case=case, kind=Clock.Kind.DECISION).count() == 1
        notices = Notice.objects.filter(case=case, kind=Notice.Kind.ACCEPTANCE)
        assert notices.count() == 1
        assert (tmp_path / "web" / "media" / notices.get().pdf.name).is_file()
        assert IdempotencyRecord.objects.filter(key=f"accept-{case.pk}").count() == 1
        told = Notification.objects.filter(
            channel=Notification.Channel.SMS, body__contains=f"{case.item_name}：已受理"
        ).filter(link=f"/applications/{case.application_id}/")
        assert told.count() == 1
    assert verify_chain()[1] is None


# ---- A worker killed in the middle of a task ----------------------------------------------


class HoldingReceiver:
    """A receiving system that applies each message once, by the key the platform sends
    with it (as receivers are told to), and holds the first request it gets — after applying
    it, before answering — until released: the worker is killed in between."""

    def __init__(self, key_header: str) -> None:
        self.posts: list[str | None] = []  # the key of every request, repeats included
        self.applied: collections.Counter[str | None] = collections.Counter()
        self.holding = threading.Event()
        self.release = threading.Event()
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers.get(key_header)
                with lock:
                    receiver.posts.append(key)
                    first = len(receiver.posts) == 1
                    if key is None or key not in receiver.applied:
                        receiver.applied[key] += 1
                if first:
                    receiver.holding.set()
                    receiver.release.wait(timeout=30)
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once for this module's workers (the SQLite leg's test
    database lives in memory, out of reach of other processes)."""
    data = tmp_path_factory.mktemp("migrated")
    manage(_base_env(data), "migrate", "--noinput")
    return data / "lianban.sqlite3"


@pytest.fixture
def worker_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment of this leg's workers: this test's PostgreSQL database, or a SQLite
    file of its own. Their tests are marked transactional: what the workers commit is then
    flushed after the test (``transactional_db`` asked for here, inside a fixture, would
    leave the test in a transaction of its own, the workers' rows to the next tests)."""
    env = _base_env(tmp_path / "workers")
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = _database_url()
    else:
        shutil.copy(request.getfixturevalue("migrated_sqlite"), tmp_path / "workers")
    return env


def _kill_while_held(env: dict[str, str], receiver: HoldingReceiver, *command: str) -> None:
    """Start a worker, wait until its receiver holds a request, and SIGKILL it there."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "lianban", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.holding.wait(timeout=20), worker.communicate(timeout=5)
        assert worker.poll() is None, "the worker finished while its request was held"
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        receiver.release.set()
    assert worker.returncode == -signal.SIGKILL


# Two minutes on, the dead worker's lease (LEASE in lianban.integration.delivery) has run out
# and a fresh worker process runs; then what the platform recorded.
LEASE_RUNS_OUT_AND_A_WORKER_RUNS = """
import datetime as dt, json
from django.core.management import call_command
from django.utils import timezone
from lianban.integration.models import WebhookDelivery
leased = WebhookDelivery.objects.filter(lease_until__isnull=False)
print("租约到期", leased.update(lease_until=timezone.now() - dt.timedelta(seconds=1)), "件")
call_command("deliver_webhooks", "--once")
print(json.dumps([
    {
        "event_id": str(d.event_id), "status": d.status, "attempts": d.attempts,
        "recorded": [a.status_code for a in d.attempt_log.all()],
    }
    for d in WebhookDelivery.objects.order_by("pk")
]))
"""


@pytest.mark.django_db(transaction=True)
def test_a_webhook_worker_killed_mid_delivery_is_taken_over_after_its_lease(
    worker_env: dict[str, str],
) -> None:
    receiver = HoldingReceiver("Lianban-Event-Id")
    env = {**worker_env, "LIANBAN_WEBHOOK_NETWORKS": "127.0.0.0/8"}
    try:
        manage(env, "shell", "-c", WEBHOOK_SEED.format(url=receiver.url, events=3))
        _kill_while_held(env, receiver, "deliver_webhooks", "--once")
        held = receiver.posts[0]

        # The dead worker's lease still runs: a fresh worker leaves its deliveries alone.
        assert "成功 0 次" in manage(env, "deliver_webhooks", "--once")
        assert receiver.posts == [held]
        # Once it has run out, a fresh worker delivers them all.
        out = manage(env, "shell", "-c", LEASE_RUNS_OUT_AND_A_WORKER_RUNS)
        assert "租约到期 3 件" in out and "成功 3 次，失败 0 次" in out, out
        rows = json.loads(out.strip().splitlines()[-1])
    finally:
        receiver.close()

    ids = {r["event_id"] for r in rows}
    # At least once: the held event was posted again, under the same event id ...
    assert sorted(receiver.posts, key=str) == sorted([held, *ids], key=str)
    # ... so that the receiver, deduplicating by it, applied every event exactly once.
    assert receiver.applied == dict.fromkeys(ids, 1)
    # The platform's own record: each delivery delivered; the one whose worker was killed
    # mid-post keeps that attempt, unfinished (no answer recorded), before the one that
    # delivered it.
    by_id = {r["event_id"]: r for r in rows}
    for event_id, r in by_id.items():
        expected = (2, [None, 204]) if event_id == str(held) else (1, [204])
        assert (r["status"], r["attempts"], r["recorded"]) == ("delivered", *expected), r


SMS_SEED = """
from lianban.notifications.models import Notification
for n in range(2):
    Notification.objects.create(
        channel=Notification.Channel.SMS, phone="13912345678",
        subject=f"办件通知{n}", body=f"【我要开饭店】营业执照登记：已受理。{n}",
    )
"""
# A fresh sender process runs; then what the platform recorded.
A_SENDER_RUNS = """
import json
from django.core.management import call_command
from lianban.notifications.models import Notification
call_command("send_notifications")
print(json.dumps([
    {"key": f"lianban-sms-{m.pk}", "status": m.status, "attempts": m.attempts}
    for m in Notification.objects.filter(channel="sms").order_by("pk")
]))
"""


@pytest.mark.django_db(transaction=True)
def test_an_sms_worker_killed_mid_send_leaves_one_message_per_notification(
    worker_env: dict[str, str],
) -> None:
    receiver = HoldingReceiver("Idempotency-Key")
    env = {
        **worker_env,
        "LIANBAN_SMS_BACKEND": "http",
        "LIANBAN_SMS_URL": receiver.url,
        "LIANBAN_SMS_TOKEN": "sms-token",
    }
    try:
        manage(env, "shell", "-c", SMS_SEED)
        _kill_while_held(env, receiver, "send_notifications")
        held = receiver.posts[0]
        # The killed sender's claim died with it: a fresh sender sends every message at once.
        out = manage(env, "shell", "-c", A_SENDER_RUNS)
        assert "发送 2 条，失败 0 条" in out, out
        rows = json.loads(out.strip().splitlines()[-1])
    finally:
        receiver.close()

    keys = {r["key"] for r in rows}
    # The held message was posted twice, with one key, so the provider sends one SMS of it.
    assert sorted(receiver.posts, key=str) == sorted([held, *keys], key=str)
    assert receiver.applied == dict.fromkeys(keys, 1)
    for r in rows:
        assert (r["status"], r["attempts"]) == ("sent", 1), r

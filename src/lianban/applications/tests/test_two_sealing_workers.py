"""Sealing workers as machines run them, each a process of its own against one database. Two
at once: every notice waiting for its seal is sealed exactly once (one register entry, one file,
one event), and both take part on PostgreSQL, where they claim notices with ``FOR UPDATE SKIP
LOCKED`` (on SQLite the write lock each step takes at its start serialises them). One killed
in the middle of a sealing: nothing of it is kept, and the next worker seals that notice once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from lianban.documents.fontcache import cache_dir, prepare
from lianban.documents.render import FACES
from lianban.tests.workers import manage

APPLICATIONS = 16  # each a receipt and one acceptance to seal
SEED = """
from lianban.applications.tests.factories import published_restaurant
from lianban.cases import services
from lianban.cases.tests.factories import received_restaurant, reviewer
published_restaurant()
for _ in range({applications}):
    app = received_restaurant()
    case = app.cases.order_by("pk").first()
    services.case_accept(case=case, actor=reviewer(case.department.code))
"""
CHECK = """
import collections, hashlib, json
from lianban.applications.models import Notice
from lianban.audit.models import Event
from lianban.signing.models import IssuedDocument
notices = list(Notice.objects.values_list("number", "pdf"))
issued = collections.Counter(IssuedDocument.objects.values_list("number", flat=True))
events = collections.Counter(
    Event.objects.filter(verb="signing.document_issued").values_list("data__number", flat=True)
)
files = {d.number: d.file.name for d in IssuedDocument.objects.all()}
altered = [d.number for d in IssuedDocument.objects.all() if hashlib.sha256(d.file.read()).hexdigest() != d.sha256]
print(json.dumps({
    "notices": len(notices),
    "unsealed": [n for n, pdf in notices if not pdf],
    "issued_twice": [n for n, c in issued.items() if c != 1],
    "events_not_once": [n for n, _ in notices if events[n] != 1],
    "file_not_the_register's": [n for n, pdf in notices if pdf != files.get(n)],
    "file_not_as_registered": altered,
}))
"""


def _sealing_env(shared_database: dict[str, str], applications: int) -> dict[str, str]:
    """The shared database with ``applications`` received restaurants, each with its receipt
    and one acceptance waiting for their seals."""
    env = {**shared_database, "LIANBAN_SEAL_IN_WORKER": "true"}
    for *_, face in FACES:  # prepared once per machine; the workers share them
        prepare(face)
    (Path(env["LIANBAN_DATA_DIR"]) / "fonts").symlink_to(cache_dir())
    manage(env, "shell", "-c", SEED.format(applications=applications))
    return env


def _report(env: dict[str, str]) -> dict[str, object]:
    # The last line: the shell may first say what it imported.
    return json.loads(manage(env, "shell", "-c", CHECK).strip().splitlines()[-1])


def _sealed_once(notices: int) -> dict[str, object]:
    return {
        "notices": notices,
        "unsealed": [],
        "issued_twice": [],
        "events_not_once": [],
        "file_not_the_register's": [],
        "file_not_as_registered": [],
    }


def test_two_sealing_workers_seal_every_notice_exactly_once(shared_database):
    env = _sealing_env(shared_database, APPLICATIONS)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "lianban", "seal_notices"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=600) for w in workers]
    assert all(w.returncode == 0 for w in workers), [o[1][-2000:] for o in outputs]

    assert _report(env) == _sealed_once(APPLICATIONS * 2)
    sealed = [int(re.search(r"签章 (\d+) 份", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sealed) == APPLICATIONS * 2
    if connection.vendor == "postgresql":
        # On SQLite a worker holds the single write lock through each sealing and takes it
        # again at once, so the other one mostly waits: one worker per SQLite file is enough.
        assert all(n > 0 for n in sealed), f"one worker sealed everything: {sealed}"
    assert "留痕链完整" in manage(env, "verify_audit")


@pytest.mark.postgresql
def test_a_sealing_worker_killed_mid_sealing_leaves_nothing_and_the_next_seals_once(
    shared_database,
):
    import psycopg

    env = _sealing_env(shared_database, 2)
    with psycopg.connect(env["DATABASE_URL"]) as holder:
        # Hold the audit chain's head: the worker renders and seals its first notice, files
        # it and enters it in the register, then waits here to append its events.
        holder.execute("SELECT 1 FROM audit_chainhead FOR UPDATE")
        worker = subprocess.Popen(
            [sys.executable, "-m", "lianban", "seal_notices"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as watcher:
            while time.monotonic() < deadline and worker.poll() is None:
                # Waiting with a transaction id of its own: it has written its rows.
                waiting = watcher.execute(
                    "SELECT backend_xid IS NOT NULL FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND query LIKE '%audit_chainhead%' "
                    "AND pid <> pg_backend_pid()"
                ).fetchone()
                if waiting is not None:
                    break
                time.sleep(0.1)
            else:
                worker.kill()
                pytest.fail(f"the worker never reached the chain's head: {worker.stderr.read()}")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        holder.rollback()
    assert worker.returncode == -signal.SIGKILL
    assert waiting == (True,), "killed before it had written anything"

    report = _report(env)
    assert len(report["unsealed"]) == 4  # type: ignore[arg-type]
    assert "签章 4 份" in manage(env, "seal_notices")
    assert _report(env) == _sealed_once(4)
    assert "留痕链完整" in manage(env, "verify_audit")

"""Two sealing workers against one database, as two machines would run them: every notice
waiting for its seal is sealed exactly once (one register entry, one file, one event), and both
workers take part on PostgreSQL, where they claim notices with ``FOR UPDATE SKIP LOCKED``. On
SQLite the write lock each step takes at its start serialises them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from django.db import connection

from lianban.documents.fontcache import cache_dir, prepare
from lianban.documents.render import FACES
from lianban.tests.workers import manage

APPLICATIONS = 16  # each a receipt and one acceptance to seal
SEED = f"""
from lianban.applications.tests.factories import published_restaurant
from lianban.cases import services
from lianban.cases.tests.factories import received_restaurant, reviewer
published_restaurant()
for _ in range({APPLICATIONS}):
    app = received_restaurant()
    case = app.cases.order_by("pk").first()
    services.case_accept(case=case, actor=reviewer(case.department.code))
"""
CHECK = """
import collections, json
from lianban.applications.models import Notice
from lianban.audit.models import Event
from lianban.signing.models import IssuedDocument
notices = list(Notice.objects.values_list("number", "pdf"))
issued = collections.Counter(IssuedDocument.objects.values_list("number", flat=True))
events = collections.Counter(
    Event.objects.filter(verb="signing.document_issued").values_list("data__number", flat=True)
)
files = {d.number: d.file.name for d in IssuedDocument.objects.all()}
print(json.dumps({
    "notices": len(notices),
    "unsealed": [n for n, pdf in notices if not pdf],
    "issued_twice": [n for n, c in issued.items() if c != 1],
    "events_not_once": [n for n, _ in notices if events[n] != 1],
    "file_not_the_register's": [n for n, pdf in notices if pdf != files.get(n)],
}))
"""


def test_two_sealing_workers_seal_every_notice_exactly_once(shared_database):
    env = {**shared_database, "LIANBAN_SEAL_IN_WORKER": "true"}
    for *_, face in FACES:  # prepared once per machine; the workers share them
        prepare(face)
    (Path(env["LIANBAN_DATA_DIR"]) / "fonts").symlink_to(cache_dir())
    manage(env, "shell", "-c", SEED)
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

    # The last line: the shell may first say what it imported.
    report = json.loads(manage(env, "shell", "-c", CHECK).strip().splitlines()[-1])
    assert report == {
        "notices": APPLICATIONS * 2,
        "unsealed": [],
        "issued_twice": [],
        "events_not_once": [],
        "file_not_the_register's": [],
    }
    sealed = [int(re.search(r"签章 (\d+) 份", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sealed) == APPLICATIONS * 2
    if connection.vendor == "postgresql":
        # On SQLite a worker holds the single write lock through each sealing and takes it
        # again at once, so the other one mostly waits: one worker per SQLite file is enough.
        assert all(n > 0 for n in sealed), f"one worker sealed everything: {sealed}"
    assert "留痕链完整" in manage(env, "verify_audit")

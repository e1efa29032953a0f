"""Two worker processes against one database, as two machines would run them: every queued
webhook delivery is posted exactly once, and both workers take part. On the PostgreSQL leg
the workers share a PostgreSQL database (claims by ``FOR UPDATE SKIP LOCKED``); on the SQLite
leg a SQLite file (claims serialised by the single writer)."""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lianban.tests.workers import manage

EVENTS = 60
SEED = """
import uuid
from django.utils import timezone
from lianban.accounts.models import User
from lianban.catalog.models import Department
from lianban.integration.models import ClientSystem, Subscription, WebhookDelivery
department = Department.objects.create(code="xfzd", name="消防救援支队")
account = User.objects.create(username="api-x", role="reviewer", department=department)
client = ClientSystem.objects.create(
    name="消防审批系统", department=department, client_id="lbc_x", service_account=account
)
sub = Subscription.objects.create(
    client=client, url="{url}", event_types=["case.accepted"], secret="whsec_x"
)
now = timezone.now()
WebhookDelivery.objects.bulk_create(
    WebhookDelivery(
        subscription=sub, event_id=uuid.UUID(int=n + 1), event_type="case.accepted",
        case_id=n + 1, body='{{"n": %d}}' % n, next_attempt_at=now, retry_since=now,
        created_at=now,
    )
    for n in range({events})
)
"""


class SlowReceiver:
    """Answers each delivery after 100 ms, so that both workers are busy at the same time,
    and counts every event id it is sent."""

    def __init__(self) -> None:
        self.seen: collections.Counter[str] = collections.Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(0.1)
                receiver.seen[self.headers["Lianban-Event-Id"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_two_workers_deliver_every_event_exactly_once(shared_database: dict[str, str]) -> None:
    receiver = SlowReceiver()
    manage(shared_database, "shell", "-c", SEED.format(url=receiver.url, events=EVENTS))
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "lianban", "deliver_webhooks", "--once"],
            env=shared_database,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert all(w.returncode == 0 for w in workers), [o[1][-2000:] for o in outputs]
    receiver.server.shutdown()

    assert len(receiver.seen) == EVENTS
    assert set(receiver.seen.values()) == {1}, "an event was delivered twice"
    done = [int(re.search(r"成功 (\d+) 次", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(done) == EVENTS
    assert all(n > 0 for n in done), f"one worker did everything: {done}"

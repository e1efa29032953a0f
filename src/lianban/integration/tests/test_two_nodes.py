"""Two lianban nodes on this machine: the district (this test's database, served by
``live_server``) forwards the fire-safety item of a restaurant application to a city node (a
second process with its own database on its own port). The city's department system works
the case through the city's API; the city's webhook worker tells the district, which mirrors
every step; at the end both sides hold the same clocks, the same case steps in their audit
trails, and the same sealed result."""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from lianban.applications.tests.factories import published_restaurant
from lianban.audit.models import Event
from lianban.cases.models import Clock, ItemCase, ResultDocument
from lianban.cases.tests.factories import case_of, received_restaurant
from lianban.catalog.models import Department
from lianban.integration import nodes
from lianban.integration.models import Forwarding, MirroredEvent
from lianban.integration.signature import sign
from lianban.integration.tests.conftest import result_pdf
from lianban.signing.models import IssuedDocument

pytestmark = pytest.mark.django_db(transaction=True)

CASE_STEPS = {
    "case.created",
    "case.dispatched",
    "case.accepted",
    "case.suspended",
    "case.resumed",
    "case.extended",
    "case.decided",
    "case.result_returned",
}


@dataclass
class Node:
    url: str
    env: dict[str, str]
    database: Path

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "lianban", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def client(self, output: str) -> tuple[str, str]:
        values = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
        return values["client_id"], values["client_secret"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def city(tmp_path: Path) -> Iterator[Node]:
    data = tmp_path / "city"
    data.mkdir()
    prepared = Path(settings.DATA_DIR) / "fonts"
    if prepared.is_dir():  # the fonts this machine prepared once serve both nodes
        (data / "fonts").symlink_to(prepared)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.update(
        LIANBAN_DATA_DIR=str(data),
        LIANBAN_DEBUG="true",
        LIANBAN_WEBHOOK_NETWORKS="127.0.0.0/8",
        PYTHONUNBUFFERED="1",
    )
    port = _free_port()
    node = Node(f"http://127.0.0.1:{port}", env, data / "lianban.sqlite3")
    node.manage("migrate", "--noinput")
    # The same published bundle as the district's (the tests' restaurant bundle).
    node.manage(
        "shell",
        "-c",
        "from lianban.applications.tests.factories import published_restaurant; "
        "published_restaurant()",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "lianban", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(150):
            try:
                if requests.get(node.url + "/api/v1/bundles", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("the city node did not start")
        yield node
    finally:
        server.terminate()
        server.wait(timeout=10)


class CitySystem:
    """The city fire brigade's approval system, over HTTP against the city node."""

    def __init__(self, base: str, client_id: str, secret: str):
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

    def case(self, case_id: int) -> dict[str, Any]:
        return requests.get(f"{self.base}/cases/{case_id}", headers=self.auth, timeout=10).json()

    def command(self, case_id: int, action: str, **body: Any) -> dict[str, Any]:
        status = self.case(case_id)["status"]
        response = requests.post(
            f"{self.base}/cases/{case_id}/{action}",
            json={"expected_status": status, **body},
            headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def upload_result(self, case_id: int) -> None:
        response = requests.post(
            f"{self.base}/cases/{case_id}/results",
            data={
                "expected_status": self.case(case_id)["status"],
                "documents": '[{"kind": "decision", "title": "消防安全检查合格意见书"}]',
            },
            files={"files": ("result.pdf", result_pdf("fire safety"), "application/pdf")},
            headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        assert response.status_code == 200, response.text


def _clocks(case: ItemCase) -> list[tuple[str, str, str]]:
    return [
        (c.kind, c.started_on.isoformat(), c.due.isoformat())
        for c in Clock.objects.filter(case=case).order_by("pk")
    ]


def test_a_district_forwards_a_case_to_the_city_and_mirrors_it_to_the_end(
    city: Node, live_server: Any
) -> None:
    node_id, node_secret = city.client(
        city.manage("register_client", "--node", "--name", "卫滨区一件事联办平台")
    )
    fire_id, fire_secret = city.client(
        city.manage("register_client", "--department", "xfzd", "--name", "市消防审批系统")
    )
    # The district routes the fire brigade's cases to the city and subscribes to them.
    published_restaurant()
    node = nodes.node_connect(
        code="city",
        name="市一件事联办平台",
        base_url=city.url + "/api/v1",
        client_id=node_id,
        client_secret=node_secret,
        departments=[Department.objects.get(code="xfzd")],
        events_url=f"{live_server.url}/api/v1/node/events/city",
    )
    assert node.events_secret.startswith("whsec_")

    app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    forwarding = Forwarding.objects.get(case=fire)
    assert forwarding.status == Forwarding.Status.PENDING
    # Cases of departments not routed stay here.
    assert not Forwarding.objects.exclude(case=fire).exists()

    assert nodes.forward_due() == (1, 0)
    forwarding.refresh_from_db()
    assert forwarding.status == Forwarding.Status.FORWARDED
    upstream_id = forwarding.upstream_case_id
    assert upstream_id and forwarding.upstream_receipt_number
    # A forwarding sent again (an answer lost on the way) makes no second upstream case.
    Forwarding.objects.filter(pk=forwarding.pk).update(status=Forwarding.Status.PENDING)
    assert nodes.forward_due() == (1, 0)
    forwarding.refresh_from_db()
    assert forwarding.upstream_case_id == upstream_id

    system = CitySystem(city.url, fire_id, fire_secret)
    seen = system.case(upstream_id)
    assert seen["status"] == "dispatched" and seen["item_code"] == "XFZD-001"
    system.command(upstream_id, "accept")
    system.command(upstream_id, "suspend", kind="expert_review", reason="组织专家评审")
    system.command(upstream_id, "resume")
    system.command(upstream_id, "extend", days=5, approver="李支队长", reason="现场复核")
    system.command(upstream_id, "decide", outcome="approved")
    system.upload_result(upstream_id)

    city.manage("deliver_webhooks", "--once")
    fire.refresh_from_db()
    assert fire.status == ItemCase.Status.RETURNED
    assert fire.outcome == "approved"
    assert fire.extended

    # Clocks: the same days on both sides.
    upstream = requests.get(
        f"{city.url}/api/v1/node/cases/{upstream_id}",
        headers={"Authorization": system.auth["Authorization"]},
        timeout=10,
    )
    assert upstream.status_code == 403  # a department system may not use the node interface
    token = requests.post(
        city.url + "/api/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": node_id,
            "client_secret": node_secret,
        },
        timeout=10,
    ).json()["access_token"]
    as_node = {"Authorization": f"Bearer {token}"}
    mirror = requests.get(
        f"{city.url}/api/v1/node/cases/{upstream_id}", headers=as_node, timeout=10
    )
    assert mirror.status_code == 200
    upstream_clocks = [(c["kind"], c["started_on"], c["due"]) for c in mirror.json()["clocks"]]
    assert _clocks(fire) == upstream_clocks
    assert mirror.json()["status"] == "returned"

    # The result is the city's sealed document, kept as issued, not sealed again here.
    results = requests.get(
        f"{city.url}/api/v1/node/cases/{upstream_id}/results", headers=as_node, timeout=10
    ).json()
    (kept,) = ResultDocument.objects.filter(case=fire)
    with kept.file.open("rb") as fh:
        assert fh.read() == base64.b64decode(results[0]["content_base64"])
    assert kept.sha256 == results[0]["sha256"]
    assert not IssuedDocument.objects.filter(case=fire).exists()

    # Audit: the same case steps, in the same order, on both sides.
    with sqlite3.connect(city.database) as db:
        upstream_steps = [
            verb
            for (verb,) in db.execute(
                "SELECT verb FROM audit_event WHERE target_type = 'cases.itemcase' "
                "AND target_id = ? ORDER BY id",
                (str(upstream_id),),
            )
        ]
    local_steps = [
        e.verb
        for e in Event.objects.filter(
            target_type="cases.itemcase", target_id=str(fire.pk)
        ).order_by("pk")
    ]
    assert [s for s in local_steps if s in CASE_STEPS] == upstream_steps
    assert "case.forwarded" in local_steps
    mirrored_by = Event.objects.filter(
        target_type="cases.itemcase", target_id=str(fire.pk), verb="case.decided"
    ).get()
    assert mirrored_by.actor == forwarding.route.service_account
    city.manage("verify_audit")  # exits non-zero on a broken chain

    # A delivery that comes again is acknowledged and not applied twice; a forged one is refused.
    last = MirroredEvent.objects.filter(forwarding=forwarding).order_by("-pk").first()
    assert last is not None and last.event_type == "case.result_returned"
    body = json.dumps(
        {
            "id": str(last.event_id),
            "type": "case.result_returned",
            "occurred_at": last.occurred_at.isoformat(),
            "case": {"id": upstream_id},
            "data": {},
        }
    ).encode()
    again = requests.post(
        f"{live_server.url}/api/v1/node/events/city",
        data=body,
        headers={"Lianban-Signature": sign(node.events_secret, body, int(time.time()))},
        timeout=10,
    )
    assert again.status_code == 200 and again.json() == {"result": "duplicate"}
    forged = requests.post(
        f"{live_server.url}/api/v1/node/events/city",
        data=body,
        headers={"Lianban-Signature": sign("whsec_wrong", body, int(time.time()))},
        timeout=10,
    )
    assert forged.status_code == 401
    assert ResultDocument.objects.filter(case=fire).count() == 1

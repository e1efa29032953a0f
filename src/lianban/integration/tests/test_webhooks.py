"""Webhooks: outbox rows written with the change (and never without it), signed deliveries
to a real receiver on loopback that fails for a while, backoff for at least 24 hours, a
worker killed mid-delivery, duplicate deliveries with one event id, and the check a
receiver runs on the signature."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianban.cases import services as case_services
from lianban.cases.tests.factories import case_of, received_restaurant, reviewer
from lianban.common.errors import DomainError
from lianban.integration import delivery as worker
from lianban.integration.models import DeliveryAttempt, Subscription, WebhookDelivery
from lianban.integration.signature import sign, verify_signature
from lianban.integration.tests.conftest import register, system_for

pytestmark = pytest.mark.django_db
D = WebhookDelivery.Status
MONDAY = dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC)  # 10:00 in the service hall


class Receiver:
    """A department system's webhook endpoint on loopback: answers 500 to the first
    ``failures`` requests, then 200, and keeps what it got."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                failing = len(receiver.received) <= receiver.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/lianban"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def subscribe(system: Any, url: str, types: list[str]) -> dict[str, Any]:
    response = system.post("/webhooks", {"url": url, "event_types": types})
    assert response.status_code == 201, response.content
    return response.json()


def test_subscribing_through_the_api_returns_the_secret_once(restaurant, supervisor):
    system = system_for(register(supervisor, "scjgj"))
    created = subscribe(system, "https://spxt.example.gov.cn/hooks", ["case.dispatched"])
    assert created["secret"].startswith("whsec_")
    listed = system.get("/webhooks").json()
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    bad = system.post("/webhooks", {"url": "ftp://x", "event_types": ["case.opened"]})
    assert bad.status_code == 400
    assert system.get("/webhooks/event-types").json()[0] == {
        "type": "case.dispatched",
        "label": "办件分送本部门",
    }
    assert (
        system.http.delete(
            f"/api/v1/webhooks/{created['id']}", headers=system.headers()
        ).status_code
        == 204
    )
    assert system.get("/webhooks").json()[0]["active"] is False


def test_deliveries_are_written_with_the_change_for_the_departments_subscribers(
    restaurant, supervisor
):
    market = system_for(register(supervisor, "scjgj"))
    fire = system_for(register(supervisor, "xfzd"))
    subscribe(market, "https://market.example/hooks", ["case.dispatched", "case.accepted"])
    subscribe(fire, "https://fire.example/hooks", ["case.accepted"])
    app = received_restaurant()
    rows = WebhookDelivery.objects.select_related("subscription__client")
    assert {(d.event_type, d.subscription.client.department.code) for d in rows} == {
        ("case.dispatched", "scjgj")
    }
    base = case_of(app, "SCJGJ-001")
    officer = reviewer("scjgj")
    # A change that is refused leaves no delivery behind.
    with pytest.raises(DomainError):
        case_services.case_refuse(case=base, actor=officer, reason="")
    assert WebhookDelivery.objects.count() == 1
    case_services.case_accept(case=base, actor=officer)
    accepted = WebhookDelivery.objects.get(event_type="case.accepted")
    payload = json.loads(accepted.body)
    assert payload["type"] == "case.accepted"
    assert payload["id"] == str(accepted.event_id)
    assert payload["case"] == {
        "id": base.pk,
        "status": "accepted",
        "previous_status": "dispatched",
        "item_code": "SCJGJ-001",
        "receipt_number": app.receipt_number,
        "department": "scjgj",
    }
    assert "decision_due" in payload["data"]


def test_a_receipt_reads_the_subscriptions_once_for_all_the_cases_it_dispatches(
    restaurant, supervisor
):
    for code in ("scjgj", "xfzd", "cgj"):
        system = system_for(register(supervisor, code))
        subscribe(system, f"https://{code}.example/hooks", ["case.dispatched"])
    other = system_for(register(supervisor, "scjgj"))
    subscribe(other, "https://other.example/hooks", ["case.accepted"])
    with CaptureQueriesContext(connection) as queries:
        app = received_restaurant()
    reads = [q for q in queries.captured_queries if 'FROM "integration_subscription"' in q["sql"]]
    assert len(reads) == 1
    # Each dispatched case is announced to its own department's subscriber, and only there.
    rows = set(WebhookDelivery.objects.values_list("case_id", "subscription__url"))
    assert rows == {
        (case_of(app, "SCJGJ-001").pk, "https://scjgj.example/hooks"),
        (case_of(app, "XFZD-001").pk, "https://xfzd.example/hooks"),
        (case_of(app, "CGJ-001").pk, "https://cgj.example/hooks"),
    }


def test_a_receiver_that_fails_for_a_while_gets_every_event_signed(restaurant, supervisor):
    system = system_for(register(supervisor, "scjgj"))
    with Receiver(failures=5) as receiver, time_machine.travel(MONDAY, tick=False) as clock:
        secret = subscribe(
            system, receiver.url, ["case.dispatched", "case.accepted", "case.decided"]
        )["secret"]
        app = received_restaurant()
        base = case_of(app, "SCJGJ-001")
        officer = reviewer("scjgj")
        case_services.case_accept(case=base, actor=officer)
        case_services.case_decide(case=base, actor=officer, outcome="approved")
        expected = set(WebhookDelivery.objects.values_list("event_id", flat=True))
        assert (
            len(expected) == 4
        )  # dispatched ×2 (the licence after the decision), accepted, decided
        for _ in range(30):
            worker.deliver_due()
            if not WebhookDelivery.objects.filter(status=D.PENDING).exists():
                break
            clock.shift(dt.timedelta(minutes=20))
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {D.DELIVERED}
        ok = [r for r in receiver.received[5:]]
        got = {uuid.UUID(r["headers"]["Lianban-Event-Id"]) for r in ok}
        assert got == expected
        for r in receiver.received:
            timestamp = int(r["headers"]["Lianban-Signature"].split(",")[0][2:])
            assert verify_signature(
                secret, r["body"], r["headers"]["Lianban-Signature"], now=timestamp
            )
            assert json.loads(r["body"])["id"] == r["headers"]["Lianban-Event-Id"]
    # Each attempt is on record, failures with the receiver's status code.
    attempts = DeliveryAttempt.objects.order_by("started_at", "pk")
    assert attempts.count() == 9
    assert [a.status_code for a in attempts].count(500) == 5
    assert all(a.error == "接收方返回 HTTP 500" for a in attempts if a.status_code == 500)


def test_failures_back_off_and_retry_for_at_least_a_day(restaurant, supervisor):
    system = system_for(register(supervisor, "scjgj"))
    subscribe(system, "https://down.example/hooks", ["case.dispatched"])
    calls: list[dt.datetime] = []

    def down(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        calls.append(worker._now())
        raise ConnectionError("connection refused")

    with time_machine.travel(MONDAY, tick=False) as clock:
        received_restaurant()
        delivery = WebhookDelivery.objects.get()
        for _ in range(400):
            worker.deliver_due(transport=down)
            delivery.refresh_from_db()
            if delivery.status != D.PENDING:
                break
            clock.shift(dt.timedelta(minutes=5))
    assert delivery.status == D.FAILED
    assert calls[-1] - calls[0] >= dt.timedelta(hours=24)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    # Exponential: doubling from one minute (seen through the 5-minute polling here) up to
    # six hours, each with at most 10% jitter.
    assert gaps[0] < dt.timedelta(minutes=10)
    assert gaps[6] >= dt.timedelta(minutes=64)
    assert max(gaps) <= dt.timedelta(hours=6, minutes=41)
    assert all(b >= a - dt.timedelta(minutes=41) for a, b in itertools.pairwise(gaps))
    assert delivery.attempt_log.count() == len(calls)
    assert delivery.last_error.startswith("ConnectionError")


def test_backoff_doubles_up_to_six_hours():
    assert worker.backoff(1, jitter=0) == dt.timedelta(minutes=1)
    assert worker.backoff(4, jitter=0) == dt.timedelta(minutes=8)
    assert worker.backoff(20, jitter=0) == dt.timedelta(hours=6)
    assert worker.backoff(1, jitter=1) == dt.timedelta(minutes=1, seconds=6)


class Killed(BaseException):
    """The worker process dies (not an error the worker could catch and record)."""


def test_a_worker_killed_mid_delivery_leads_to_redelivery_with_the_same_event_id(
    client, restaurant, supervisor
):
    system = system_for(register(supervisor, "scjgj"))
    subscribe(system, "https://spxt.example/hooks", ["case.dispatched"])
    seen: list[str] = []

    def dies_after_posting(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        seen.append(headers["Lianban-Event-Id"])
        raise Killed

    def answers(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        seen.append(headers["Lianban-Event-Id"])
        numbers.append(headers["Lianban-Delivery-Attempt"])
        return 200

    numbers: list[str] = []

    with time_machine.travel(MONDAY, tick=False) as clock:
        received_restaurant()
        delivery = WebhookDelivery.objects.get()
        with pytest.raises(Killed):
            worker.deliver_due(transport=dies_after_posting)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.lease_until) == (D.PENDING, MONDAY + worker.LEASE)
        # While the dead worker's lease runs, no other worker takes the row.
        assert worker.deliver_due(transport=answers) == (0, 0)
        clock.shift(worker.LEASE + dt.timedelta(seconds=1))
        assert worker.deliver_due(transport=answers) == (1, 0)
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED
    # The receiver saw the event twice, with one id to tell it is the same.
    assert seen == [str(delivery.event_id)] * 2
    # The dead worker's attempt stays on record, unanswered; the redelivery is the second.
    assert numbers == ["2"]
    assert delivery.attempts == 2
    log = list(delivery.attempt_log.values_list("number", "duration_ms", "status_code"))
    assert log[0] == (1, None, None) and log[1][0::2] == (2, 200)
    client.force_login(supervisor)
    detail = client.get(f"/integration/deliveries/{delivery.pk}/").content.decode()
    assert "未记录答复（投递中，或投递进程在收到答复前中断）" in detail


def test_a_worker_whose_lease_ran_out_does_not_overwrite_the_new_claim(restaurant, supervisor):
    system = system_for(register(supervisor, "scjgj"))
    subscribe(system, "https://spxt.example/hooks", ["case.dispatched"])
    with time_machine.travel(MONDAY, tick=False) as clock:
        received_restaurant()
        ids, slow_token = worker.claim()
        clock.shift(worker.LEASE + dt.timedelta(seconds=1))
        ids_again, token = worker.claim()
        assert ids_again == ids
        ok = worker.deliver_one(ids[0], token, lambda *a: 200)
        assert ok is not None and ok.delivered
        assert worker.deliver_one(ids[0], slow_token, lambda *a: 200) is None
    assert WebhookDelivery.objects.get().attempts == 1


def test_the_supervisor_resends_a_failed_delivery_with_the_same_event_id(
    client, restaurant, supervisor
):
    system = system_for(register(supervisor, "scjgj"))
    subscribe(system, "https://spxt.example/hooks", ["case.dispatched"])
    received_restaurant()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=D.FAILED, last_error="HTTP 500")
    client.force_login(supervisor)
    page = client.get("/integration/deliveries/", {"status": "failed"})
    assert f'id="delivery-{delivery.pk}"' in page.content.decode()
    response = client.post(f"/integration/deliveries/{delivery.pk}/resend/")
    assert response.status_code == 302
    got: list[dict[str, str]] = []
    worker.deliver_due(transport=lambda url, body, headers, timeout: got.append(headers) or 200)
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED
    assert got[0]["Lianban-Event-Id"] == str(delivery.event_id)
    detail = client.get(f"/integration/deliveries/{delivery.pk}/").content.decode()
    assert "已投递" in detail and str(delivery.event_id) in detail


def test_the_worker_command_delivers_once(restaurant, supervisor, monkeypatch):
    system = system_for(register(supervisor, "scjgj"))
    subscribe(system, "https://spxt.example/hooks", ["case.dispatched"])
    received_restaurant()
    monkeypatch.setattr(worker, "http_transport", lambda url, body, headers, timeout: 202)
    out = StringIO()
    call_command("deliver_webhooks", "--once", stdout=out)
    assert "成功 1 次" in out.getvalue()
    assert WebhookDelivery.objects.get().status == D.DELIVERED


def test_a_disabled_subscription_gets_no_new_deliveries(restaurant, supervisor):
    system = system_for(register(supervisor, "scjgj"))
    created = subscribe(system, "https://spxt.example/hooks", ["case.dispatched"])
    Subscription.objects.filter(pk=created["id"]).update(disabled_at=MONDAY)
    received_restaurant()
    assert not WebhookDelivery.objects.exists()


def test_the_verify_helper_detects_tampering():
    secret = "whsec_test"
    body = b'{"id":"1","type":"case.accepted"}'
    header = sign(secret, body, 1_790_000_000)
    assert verify_signature(secret, body, header, now=1_790_000_000)
    assert not verify_signature(
        secret, body.replace(b"accepted", b"refused"), header, now=1_790_000_000
    )
    assert not verify_signature("whsec_other", body, header, now=1_790_000_000)
    tampered = header[:-1] + ("0" if header[-1] != "0" else "1")
    assert not verify_signature(secret, body, tampered, now=1_790_000_000)
    # A captured delivery replayed later is refused by its time stamp.
    assert not verify_signature(secret, body, header, now=1_790_000_000 + 301)
    assert not verify_signature(secret, body, "v1=abc", now=1_790_000_000)
    # A second signature (a secret being rotated) may stand beside the right one.
    assert verify_signature(secret, body, header + ",v1=00", now=1_790_000_000)


def test_a_stopped_system_gets_nothing_more(restaurant, supervisor):
    from lianban.integration import services

    issued = register(supervisor, "scjgj")
    subscribe(system_for(issued), "https://spxt.example/hooks", ["case.dispatched"])
    received_restaurant()
    services.client_revoke(client=issued.client, actor=supervisor)
    assert worker.deliver_due(transport=lambda *a: 200) == (0, 0)
    assert WebhookDelivery.objects.get().status == D.FAILED
    received_restaurant()
    assert WebhookDelivery.objects.count() == 1


def test_a_supplement_asked_through_the_api_and_handed_in_at_the_window_is_announced(
    restaurant, supervisor
):
    import io

    from lianban.applications.tests.factories import PDF, clerk

    system = system_for(register(supervisor, "scjgj"))
    subscribe(system, "https://spxt.example/hooks", ["case.supplement_received"])
    app = received_restaurant()
    base = case_of(app, "SCJGJ-001")
    asked = system.command(base.pk, "supplement", material_codes=["lease"], reason="租赁合同缺页")
    assert asked.status_code == 200
    assert not WebhookDelivery.objects.exists()
    case_services.case_supplement_provide(
        case=base,
        material_code="lease",
        stream=io.BytesIO(PDF),
        name="lease.pdf",
        actor=clerk(),
        original_seen=True,
    )
    delivery = WebhookDelivery.objects.get()
    payload = json.loads(delivery.body)
    assert (payload["type"], payload["case"]["status"]) == (
        "case.supplement_received",
        "dispatched",
    )
    assert payload["data"]["materials"] == ["lease"]
    # The system reads the new version of the material and can accept now.
    case = system.get(f"/cases/{base.pk}").json()
    lease = next(m for m in case["materials"] if m["code"] == "lease")
    assert [f["version"] for f in lease["files"]] == [2, 1]
    assert case["allowed_commands"] == ["accept", "refuse", "request_supplement"]

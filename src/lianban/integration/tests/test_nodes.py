"""Forwarding to an upstream node and mirroring its events, one node at a time: the
upstream interface with a lower node's client, and the lower node's worker and receiver
against a transport the test controls."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from lianban.applications.models import Application
from lianban.cases.models import ItemCase
from lianban.cases.tests.factories import case_of, received_restaurant
from lianban.catalog.models import Department
from lianban.common.errors import DomainError
from lianban.integration import nodes, services
from lianban.integration.models import (
    ClientSystem,
    Forwarding,
    MirroredEvent,
    NodeRoute,
    Scope,
    UpstreamNode,
)
from lianban.integration.signature import sign
from lianban.integration.tests.conftest import register

pytestmark = pytest.mark.django_db


def _node_client() -> services.IssuedSecret:
    return services.client_register(
        name="卫滨区联办平台",
        department=None,
        scopes=[Scope.NODE_FORWARD, Scope.WEBHOOKS_MANAGE],
        actor=None,
        kind=ClientSystem.Kind.NODE,
    )


def _token(issued: services.IssuedSecret) -> dict[str, str]:
    token = services.token_issue(
        client_id=issued.client.client_id,
        client_secret=issued.secret,
        scope=None,
        grant_type="client_credentials",
    ).token
    return {"Authorization": f"Bearer {token}"}


def _forward(headers: dict[str, str], payload: dict[str, Any], key: str | None = None) -> Any:
    return Client().post(
        "/api/v1/node/cases",
        json.dumps(payload),
        content_type="application/json",
        headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
    )


def _payload(case: ItemCase, **changes: Any) -> dict[str, Any]:
    payload = nodes.forward_payload(case)
    payload["origin"]["case_id"] = case.pk + 10_000  # as if from another node's database
    payload.update(changes)
    return payload


# ---- The upstream side ----------------------------------------------------------------------


def test_a_forwarded_item_becomes_a_received_application_with_one_dispatched_case(restaurant):
    source = case_of(received_restaurant(), "XFZD-001")
    headers = _token(_node_client())
    response = _forward(headers, _payload(source))
    assert response.status_code == 201, response.content
    body = response.json()
    case = ItemCase.objects.get(pk=body["id"])
    assert case.status == ItemCase.Status.DISPATCHED
    assert case.item_code == "XFZD-001" and case.department.code == "xfzd"
    app = case.application
    assert app.channel == Application.Channel.NODE
    assert app.status == Application.Status.RECEIVED
    assert app.receipt_number == body["receipt_number"] != source.application.receipt_number
    assert app.cases.count() == 1
    # Only the item's own fields and materials came, at the evidence level the window gave.
    assert set(app.form_data) <= set(source.item.field_keys)
    assert {f.material_code for f in app.material_files.all()} == set(source.item.material_codes)
    assert {c["kind"] for c in body["clocks"]} == {"acceptance"}

    # The same original case forwarded again (a new key: the lower node lost our answer
    # and restarted) gives the same case, not a second one.
    again = _forward(headers, _payload(source))
    assert again.status_code == 201 and again.json()["id"] == case.pk
    assert Application.objects.filter(channel=Application.Channel.NODE).count() == 1


def test_bad_forwards_are_refused_with_the_field_at_fault(restaurant):
    source = case_of(received_restaurant(), "XFZD-001")
    headers = _token(_node_client())
    unknown = _forward(headers, _payload(source, bundle_code="nothing"))
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["path"] == "bundle_code"
    wrong_item = _forward(headers, _payload(source, item_code="CGJ-999"))
    assert wrong_item.json()["errors"][0]["path"] == "item_code"
    bad_id = _payload(source)
    field = "id_number" if bad_id["applicant"]["kind"] == "natural" else "credit_code"
    # A wrong check digit (it should be 7); a credit code of the wrong length.
    bad_id["applicant"][field] = "110101199001011230" if field == "id_number" else "9144"
    refused = _forward(headers, bad_id)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == f"applicant.{field}"
    assert not Application.objects.filter(channel=Application.Channel.NODE).exists()


def test_only_a_node_forwards_and_a_node_sees_only_what_it_forwarded(restaurant, supervisor):
    source = case_of(received_restaurant(), "XFZD-001")
    department = _token(register(supervisor, "xfzd"))
    assert _forward(department, _payload(source)).status_code == 403
    node = _token(_node_client())
    # A node reads no department's cases ...
    listed = Client().get("/api/v1/cases", headers=node)
    assert listed.status_code in (200, 403)
    if listed.status_code == 200:
        assert listed.json()["count"] == 0
    # ... and no case it did not forward.
    assert Client().get(f"/api/v1/node/cases/{source.pk}", headers=node).status_code == 404
    with pytest.raises(DomainError):
        services.client_register(
            name="x",
            department=Department.objects.get(code="xfzd"),
            scopes=[Scope.NODE_FORWARD],
            actor=supervisor,
        )


# ---- The lower node's side ------------------------------------------------------------------


class Upstream:
    """An upstream node the test controls: answers each call from ``script``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.down = 0
        self.refuse = False

    def __call__(self, method: str, url: str, headers: dict, body: Any, timeout: float):
        self.calls.append((method, url, body))
        if url.endswith("/oauth/token"):
            return 200, {"access_token": "t", "expires_in": 300}
        if self.down:
            self.down -= 1
            raise ConnectionError("connection refused")
        if self.refuse:
            return 400, {"code": "invalid", "message": "本平台未发布该一件事。"}
        if url.endswith("/webhooks"):
            return 201, {"id": 1, "secret": "whsec_test"}
        if url.endswith("/node/cases"):
            return 201, {"id": 501, "receipt_number": "20261127-0001-5"}
        if url.endswith("/results"):
            return 200, [
                {
                    "kind": "decision",
                    "title": "消防安全检查合格意见书",
                    "number": "",
                    "name": "r.pdf",
                    "content_base64": base64.b64encode(_pdf()).decode(),
                }
            ]
        raise AssertionError(url)


def _pdf() -> bytes:
    from lianban.integration.tests.conftest import result_pdf

    return result_pdf("city result")


@pytest.fixture
def connected(restaurant, monkeypatch) -> tuple[UpstreamNode, Upstream]:
    upstream = Upstream()
    node = nodes.node_connect(
        code="city",
        name="市联办平台",
        base_url="http://127.0.0.1:9/api/v1",
        client_id="lbc_x",
        client_secret="lbs_x",
        departments=[Department.objects.get(code="xfzd")],
        events_url="http://127.0.0.1:8000/api/v1/node/events/city",
        transport=upstream,
    )
    return node, upstream


def test_forwarding_retries_while_the_upstream_is_down_and_then_gets_through(connected):
    _, upstream = connected
    fire = case_of(received_restaurant(), "XFZD-001")
    route = NodeRoute.objects.get(department__code="xfzd")
    assert route.service_account.mirrors_upstream and not route.service_account.is_person
    upstream.down = 2
    assert nodes.forward_due(transport=upstream) == (0, 1)
    forwarding = Forwarding.objects.get(case=fire)
    assert forwarding.status == Forwarding.Status.PENDING
    assert "ConnectionError" in forwarding.last_error
    assert forwarding.next_attempt_at > timezone.now()  # backing off
    Forwarding.objects.update(next_attempt_at=timezone.now())
    assert nodes.forward_due(transport=upstream) == (0, 1)
    Forwarding.objects.update(next_attempt_at=timezone.now())
    assert nodes.forward_due(transport=upstream) == (1, 0)
    forwarding.refresh_from_db()
    assert forwarding.status == Forwarding.Status.FORWARDED
    assert forwarding.upstream_case_id == 501 and forwarding.attempts == 3
    # Every attempt carried the same idempotency key: one upstream case whatever happened.
    posts = [c for c in upstream.calls if c[1].endswith("/node/cases")]
    assert len(posts) == 3


def test_a_forward_the_upstream_refuses_stops_at_once(connected):
    _, upstream = connected
    fire = case_of(received_restaurant(), "XFZD-001")
    upstream.refuse = True
    assert nodes.forward_due(transport=upstream) == (0, 1)
    forwarding = Forwarding.objects.get(case=fire)
    assert forwarding.status == Forwarding.Status.FAILED
    assert "本平台未发布该一件事" in forwarding.last_error


def _signed(node: UpstreamNode, kind: str, data: dict | None = None) -> tuple[bytes, str, str]:
    event_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "id": event_id,
            "type": kind,
            "occurred_at": timezone.now().isoformat(),
            "case": {"id": 501},
            "data": data or {},
        }
    ).encode()
    return body, sign(node.events_secret, body, int(time.time())), event_id


def test_events_are_applied_once_in_order_and_only_when_signed(connected):
    node, upstream = connected
    fire = case_of(received_restaurant(), "XFZD-001")
    nodes.forward_due(transport=upstream)
    # The decision arrives before the acceptance: not yet (409), the upstream will resend.
    decided = _signed(node, "case.decided", {"outcome": "approved", "reason": ""})
    with pytest.raises(nodes.NotYet):
        nodes.mirror_event(node=node, body=decided[0], signature=decided[1])
    assert not MirroredEvent.objects.exists()
    accepted = _signed(node, "case.accepted")
    assert nodes.mirror_event(node=node, body=accepted[0], signature=accepted[1]) == "applied"
    assert nodes.mirror_event(node=node, body=accepted[0], signature=accepted[1]) == "duplicate"
    fire.refresh_from_db()
    assert fire.status == ItemCase.Status.ACCEPTED
    # No acceptance notice of this node's own: the upstream department issued it.
    assert not fire.application.notices.filter(case=fire).exists()
    decided = _signed(node, "case.decided", {"outcome": "approved", "reason": ""})
    assert nodes.mirror_event(node=node, body=decided[0], signature=decided[1]) == "applied"
    returned = _signed(node, "case.result_returned")
    nodes.mirror_event(node=node, body=returned[0], signature=returned[1], transport=upstream)
    fire.refresh_from_db()
    assert fire.status == ItemCase.Status.RETURNED
    (kept,) = fire.results.all()
    with kept.file.open("rb") as fh:
        assert fh.read() == _pdf()
    forged = _signed(node, "case.cancelled")
    with pytest.raises(nodes.InvalidSignature):
        nodes.mirror_event(node=node, body=forged[0], signature=forged[1].replace("v1=", "v1=0"))
    stale_sig = sign(node.events_secret, forged[0], int(time.time()) - 3600)
    with pytest.raises(nodes.InvalidSignature):
        nodes.mirror_event(node=node, body=forged[0], signature=stale_sig)


def test_the_receiver_answers_over_http(connected, client):
    node, upstream = connected
    received_restaurant()
    nodes.forward_due(transport=upstream)
    body, signature, _ = _signed(node, "case.dispatched")
    ok = client.post(
        "/api/v1/node/events/city",
        body,
        content_type="application/json",
        headers={"Lianban-Signature": signature},
    )
    assert ok.status_code == 200 and ok.json() == {"result": "ignored"}
    unknown = client.post("/api/v1/node/events/nowhere", body, content_type="application/json")
    assert unknown.status_code == 404
    unsigned = client.post("/api/v1/node/events/city", body, content_type="application/json")
    assert unsigned.status_code == 401
    assert unsigned.json()["errors"][0]["path"] == "Lianban-Signature"

"""Retries and stale clients: an Idempotency-Key replays the first answer and refuses a
different request; ETags give 304 on an unchanged read and 412 on a stale If-Match; a stale
expected status gets a clear 409."""

import datetime as dt
import json
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from lianban.accounts.models import User
from lianban.audit.models import ChainHead, Event
from lianban.audit.services import record_event, verify_chain
from lianban.cases.models import ItemCase
from lianban.cases.tests.factories import case_of, received_restaurant
from lianban.common.errors import DomainError
from lianban.integration import idempotency
from lianban.integration.idempotency import KEEP
from lianban.integration.models import IdempotencyRecord
from lianban.integration.tests.conftest import register, system_for

pytestmark = pytest.mark.django_db
S = ItemCase.Status


@pytest.fixture
def market(restaurant, supervisor):
    app = received_restaurant()
    return system_for(register(supervisor, "scjgj")), case_of(app, "SCJGJ-001")


def _accepts(case):
    return Event.objects.filter(
        verb="case.accepted", target_type="cases.itemcase", target_id=str(case.pk)
    ).count()


def test_the_same_key_and_body_replays_the_first_answer_without_acting_twice(market):
    system, case = market
    key = str(uuid.uuid4())
    first = system.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}, key)
    again = system.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}, key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert _accepts(case) == 1


def test_a_key_kept_longer_than_a_day_is_a_new_request(market):
    system, case = market
    key = "order-7"
    first = system.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}, key)
    assert first.status_code == 200
    IdempotencyRecord.objects.filter(key=key).update(
        created_at=timezone.now() - KEEP - dt.timedelta(minutes=1)
    )
    # Acted on afresh (the case is no longer dispatched), not the first answer replayed.
    again = system.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}, key)
    assert again.status_code == 409
    assert not again.has_header("Idempotent-Replayed")
    assert IdempotencyRecord.objects.get(key=key).status_code == 409
    assert _accepts(case) == 1


def test_the_same_key_with_a_different_body_is_refused(market):
    system, case = market
    key = "order-42"
    system.post(
        f"/cases/{case.pk}/refuse", {"expected_status": "dispatched", "reason": "材料不全"}, key
    )
    other = system.post(
        f"/cases/{case.pk}/refuse", {"expected_status": "dispatched", "reason": "其他理由"}, key
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["errors"][0]["path"] == "Idempotency-Key"
    case.refresh_from_db()
    assert case.reason == "材料不全"


def test_keys_belong_to_one_client(market, supervisor):
    system, case = market
    other = system_for(register(supervisor, "scjgj"))
    key = "shared-key"
    assert (
        system.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}, key).status_code
        == 200
    )
    # The other system's request with the same key is its own: executed, and refused as stale.
    response = other.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}, key)
    assert response.status_code == 409
    assert IdempotencyRecord.objects.filter(key=key).count() == 2


def test_an_error_is_replayed_as_it_was_given(market):
    system, case = market
    key = str(uuid.uuid4())
    first = system.post(
        f"/cases/{case.pk}/decide", {"expected_status": "dispatched", "outcome": "approved"}, key
    )
    assert first.status_code == 409
    again = system.post(
        f"/cases/{case.pk}/decide", {"expected_status": "dispatched", "outcome": "approved"}, key
    )
    assert (again.status_code, again.json()) == (409, first.json())


def _probe(refuse: bool, seen: list[tuple[int, int]]):
    """A command that writes a row and an event in a service's transaction, then answers
    (or is refused), noting what the chain holds while its answer is made."""

    def execute() -> idempotency.Result:
        with transaction.atomic():
            user = User.objects.create(username=f"probe-{len(seen)}")
            record_event(actor=None, verb="probe.done", target=user)
        head = ChainHead.objects.filter(pk=1).first()
        seen.append((Event.objects.filter(verb="probe.done").count(), head.length if head else 0))
        if refuse:
            raise DomainError("规则不允许。", path="probe")
        return idempotency.Result(200, {"user": user.pk})

    return execute


def test_a_commands_events_join_the_chain_once_its_answer_is_ready(supervisor):
    seen: list[tuple[int, int]] = []
    r = idempotency.run(user=supervisor, key="k-1", print_="p", execute=_probe(False, seen))
    assert r.status_code == 200
    # While the answer was made, the event was kept back and the chain's head untouched.
    assert seen == [(0, 0)]
    assert Event.objects.filter(verb="probe.done").count() == 1
    assert ChainHead.objects.get(pk=1).length == Event.objects.count()
    assert verify_chain()[1] is None


def test_a_refused_command_keeps_nothing_it_did_only_its_answer(supervisor):
    seen: list[tuple[int, int]] = []
    first = idempotency.run(user=supervisor, key="k-2", print_="p", execute=_probe(True, seen))
    assert first.status_code == 400
    assert json.loads(first.content)["errors"] == [{"path": "probe", "message": "规则不允许。"}]
    # The user the command created before it was refused is gone with its event.
    assert not User.objects.filter(username__startswith="probe-").exists()
    assert not Event.objects.filter(verb="probe.done").exists()
    # The answer was kept: the retry replays it without acting again.
    again = idempotency.run(user=supervisor, key="k-2", print_="p", execute=_probe(True, seen))
    assert (again.status_code, again.content) == (400, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert len(seen) == 1


def test_every_command_needs_a_key(market):
    system, case = market
    response = system.http.post(
        f"/api/v1/cases/{case.pk}/accept",
        {"expected_status": "dispatched"},
        content_type="application/json",
        headers=system.headers(),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "Idempotency-Key", "message": "必须填写。"}]
    case.refresh_from_db()
    assert case.status == S.DISPATCHED


def test_an_unchanged_case_or_list_answers_304(market):
    system, case = market
    first = system.get(f"/cases/{case.pk}")
    etag = first["ETag"]
    unchanged = system.get(f"/cases/{case.pk}", **{"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged["ETag"] == etag
    listed = system.get("/cases")
    assert system.get("/cases", **{"If-None-Match": listed["ETag"]}).status_code == 304
    system.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"})
    changed = system.get(f"/cases/{case.pk}", **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert system.get("/cases", **{"If-None-Match": listed["ETag"]}).status_code == 200


def test_a_stale_expected_status_is_told_clearly(market, supervisor):
    system, case = market
    colleague = system_for(register(supervisor, "scjgj"))
    assert (
        colleague.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}).status_code
        == 200
    )
    stale = system.post(
        f"/cases/{case.pk}/refuse", {"expected_status": "dispatched", "reason": "x"}
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert stale.json()["message"] == "“营业执照登记”已由他人处理，当前为“办理中”，请刷新后查看。"


def test_a_stale_if_match_is_refused_with_412(market):
    system, case = market
    etag = system.get(f"/cases/{case.pk}")["ETag"]
    ok = system.post(
        f"/cases/{case.pk}/accept", {"expected_status": "dispatched"}, **{"If-Match": etag}
    )
    assert ok.status_code == 200
    stale = system.post(
        f"/cases/{case.pk}/extend",
        {"expected_status": "accepted", "days": 3, "approver": "王局长", "reason": "需现场核查"},
        **{"If-Match": etag},
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert "请重新读取" in stale.json()["message"]
    fresh = system.post(
        f"/cases/{case.pk}/extend",
        {"expected_status": "accepted", "days": 3, "approver": "王局长", "reason": "需现场核查"},
        **{"If-Match": ok["ETag"]},
    )
    assert fresh.status_code == 200
    assert fresh.json()["extended"] is True


def test_supplement_suspend_resume_and_refuse_through_the_api(restaurant, supervisor):
    app = received_restaurant()
    market = system_for(register(supervisor, "scjgj"))
    fire = system_for(register(supervisor, "xfzd"))
    base = case_of(app, "SCJGJ-001")
    asked = market.command(base.pk, "supplement", material_codes=["lease"], reason="租赁合同缺页")
    assert asked.json()["status"] == "supplement"
    bad = market.command(base.pk, "refuse", reason="x")
    assert bad.status_code == 409
    safety = case_of(app, "XFZD-001")
    assert fire.command(safety.pk, "accept").status_code == 200
    suspended = fire.command(safety.pk, "suspend", kind="inspection", reason="委托检测消防设施")
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["clocks"][1]["light"] == "paused"
    resumed = fire.command(safety.pk, "resume")
    assert resumed.json()["status"] == "accepted"
    denied = fire.command(safety.pk, "decide", outcome="denied")
    assert denied.json()["errors"] == [{"path": "reason", "message": "不予许可必须说明理由。"}]

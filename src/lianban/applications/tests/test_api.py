"""The applicant's API, ``/api/v1/applications``, with the window's API, through HTTP alone:
a whole online application from start to receipt with one correction, and the rules around
it — session and CSRF, per-user idempotency, ``expected_status``, and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianban.accounts.models import User
from lianban.applications.models import Application, UserIdempotencyRecord
from lianban.applications.tests.api_client import SessionApi
from lianban.applications.tests.factories import ELF, ApplicantFactory, clerk
from lianban.audit.models import Event
from lianban.cases.models import ItemCase
from lianban.catalog.tests.factories import UserFactory
from lianban.integration import idempotency

pytestmark = pytest.mark.django_db
BIG = {"area": "ge100", "sign": "yes"}
MATERIALS = ("id_card", "lease", "floor_plan", "sign_design")


@pytest.fixture
def window():
    return SessionApi(clerk())


def start(api: SessionApi, answers=BIG) -> dict:
    response = api.post("/applications", {"bundle": "restaurant", "answers": answers})
    assert response.status_code == 201, response.content
    return response.json()


def filled(api: SessionApi) -> dict:
    app = start(api)
    path = f"/applications/{app['id']}"
    form = {"applicant_name": "卫滨区好味道餐饮店", "business_area": "120.5"}
    r = api.post(f"{path}/form", {"expected_status": "draft", "form": form})
    assert r.status_code == 200, r.content
    for code in MATERIALS:
        r = api.upload(f"{path}/materials", code, "draft")
        assert r.status_code == 200, r.content
    return r.json()


def test_an_online_application_from_start_to_receipt_through_the_api_alone(
    restaurant, applicant, me, window
):
    app = start(me)
    path = f"/applications/{app['id']}"
    assert app["status"] == "draft"
    assert app["bundle"] == {"code": "restaurant", "name": "我要开饭店", "version": 1}
    assert {f["key"] for f in app["form"]} == {"applicant_name", "business_area", "applicant_phone"}
    assert all(f["editable"] for f in app["form"])
    assert {m["code"] for m in app["materials"]} == set(MATERIALS)
    # What the platform knows of the applicant is filled in already.
    assert {f["key"]: f["value"] for f in app["form"]}["applicant_name"] == applicant.name
    assert Event.objects.filter(verb="application.created", actor=applicant.user).exists()

    # A field error names the field; nothing of that request is saved.
    r = me.post(
        f"{path}/form",
        {"expected_status": "draft", "form": {"applicant_name": "好味道", "business_area": "很大"}},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    assert [e["path"] for e in r.json()["errors"]] == ["form.business_area"]
    assert Application.objects.get(pk=app["id"]).form_data["applicant_name"] == applicant.name
    r = me.post(
        f"{path}/form",
        {
            "expected_status": "draft",
            "form": {
                "applicant_name": "卫滨区好味道餐饮店",
                "business_area": "120.5",
                "applicant_phone": "13912345678",
            },
        },
    )
    assert r.status_code == 200, r.content
    values = {f["key"]: f["value"] for f in r.json()["form"]}
    assert values["applicant_name"] == "卫滨区好味道餐饮店"

    # Submitting too early lists everything missing at once.
    r = me.post(f"{path}/submit", {"expected_status": "draft"})
    assert r.status_code == 400
    assert {e["path"] for e in r.json()["errors"]} >= {"materials.id_card", "materials.floor_plan"}

    r = me.upload(f"{path}/materials", "lease", "draft", ELF)
    assert r.status_code == 400
    assert r.json()["errors"][0]["path"] == "materials.lease"
    for code in MATERIALS:
        r = me.upload(f"{path}/materials", code, "draft")
        assert r.status_code == 200, r.content
    lease = next(m for m in r.json()["materials"] if m["code"] == "lease")
    assert [f["version"] for f in lease["files"]] == [1]

    r = me.post(f"{path}/submit", {"expected_status": "draft"})
    assert r.status_code == 200, r.content
    submitted = r.json()
    assert submitted["status"] == "submitted"
    assert submitted["receipt_number"]
    assert submitted["intake_due"]
    assert submitted["intake_light"] in {"green", "yellow"}

    # The window: the queue, then a verdict per material and one correction notice.
    queue = window.get("/window/queue").json()
    assert queue["count"] == 1
    row = queue["results"][0]
    assert row["id"] == app["id"] and row["light"] in {"green", "yellow"}
    assert row["applicant"]["identifier"] != applicant.credit_code  # masked in the list
    assert "*" in row["applicant"]["identifier"] and "*" in row["applicant"]["phone"]
    wpath = f"/window/applications/{app['id']}"
    seen = window.get(wpath).json()
    assert seen["applicant"]["identifier"] == applicant.credit_code
    assert all(m["review"] is None for m in seen["materials"])
    for code in ("id_card", "floor_plan", "sign_design"):
        r = window.post(
            f"{wpath}/reviews",
            {"expected_status": "submitted", "material": code, "verdict": "accepted"},
        )
        assert r.status_code == 200, r.content
    r = window.post(
        f"{wpath}/reviews",
        {"expected_status": "submitted", "material": "lease", "verdict": "irregular"},
    )
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "reason"
    r = window.post(
        f"{wpath}/reviews",
        {
            "expected_status": "submitted",
            "material": "lease",
            "verdict": "irregular",
            "reason": "租赁合同未盖出租方公章",
        },
    )
    assert r.status_code == 200
    reviews = {m["code"]: m["review"]["verdict"] for m in r.json()["materials"]}
    assert reviews == {
        "id_card": "accepted",
        "lease": "irregular",
        "floor_plan": "accepted",
        "sign_design": "accepted",
    }
    r = window.post(
        f"{wpath}/correction",
        {"expected_status": "submitted", "fields": [{"key": "business_area", "reason": ""}]},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["path"] == "fields[0].reason"
    r = window.post(
        f"{wpath}/correction",
        {
            "expected_status": "submitted",
            "fields": [{"key": "business_area", "reason": "面积与平面图不一致"}],
        },
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "correction"
    correction = next(n for n in r.json()["notices"] if n["kind"] == "correction")
    assert [m["code"] for m in correction["content"]["materials"]] == ["lease"]

    # The applicant sees what to correct, may change only that, and downloads the notice.
    mine = me.get(path).json()
    assert mine["status"] == "correction"
    assert {f["key"] for f in mine["form"] if f["editable"]} == {"business_area"}
    assert [m["code"] for m in mine["materials"] if m["editable"]] == ["lease"]
    assert next(m for m in mine["materials"] if m["code"] == "lease")["review"]["reason"] == (
        "租赁合同未盖出租方公章"
    )
    notice = me.http.get(f"/api/v1{path}/notices/{correction['id']}")
    assert notice.status_code == 200
    assert b"".join(notice.streaming_content).startswith(b"%PDF")
    r = me.post(
        f"{path}/form", {"expected_status": "correction", "form": {"applicant_name": "改名"}}
    )
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "form.applicant_name"
    r = me.post(f"{path}/resubmit", {"expected_status": "correction"})
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "materials.lease"
    r = me.post(f"{path}/form", {"expected_status": "correction", "form": {"business_area": "118"}})
    assert r.status_code == 200
    r = me.upload(f"{path}/materials", "lease", "correction")
    assert r.status_code == 200
    lease = next(m for m in r.json()["materials"] if m["code"] == "lease")
    assert [f["version"] for f in lease["files"]] == [2, 1]
    r = me.post(f"{path}/resubmit", {"expected_status": "correction"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "submitted" and r.json()["review_round"] == 2

    # The window reviews only what changed, then receives: the cases exist.
    r = window.post(
        f"{wpath}/reviews",
        {"expected_status": "submitted", "material": "lease", "verdict": "accepted"},
    )
    assert r.status_code == 200
    r = window.post(f"{wpath}/receive", {"expected_status": "submitted"})
    assert r.status_code == 200, r.content
    received = r.json()
    assert received["status"] == "received"
    assert {c["item_code"] for c in received["cases"]} == {
        "SCJGJ-001",
        "SCJGJ-002",
        "XFZD-001",
        "CGJ-001",
    }
    assert ItemCase.objects.filter(application_id=app["id"]).count() == 4
    mine = me.get(path).json()
    assert {n["kind"] for n in mine["notices"]} == {"correction", "receipt"}
    assert {c["status"] for c in mine["cases"]} <= {"dispatched", "waiting"}
    assert window.get("/window/queue").json()["count"] == 0
    assert list(
        Event.objects.filter(target_id=str(app["id"]), verb__startswith="application.")
        .order_by("pk")
        .values_list("verb", flat=True)
    )[-3:] == ["application.resubmitted", "application.material_reviewed", "application.received"]


def test_a_stale_expected_status_is_409_and_changes_nothing(restaurant, me):
    app = filled(me)
    path = f"/applications/{app['id']}"
    assert me.post(f"{path}/submit", {"expected_status": "draft"}).status_code == 200
    r = me.post(f"{path}/withdraw", {"expected_status": "draft"})
    assert r.status_code == 409
    assert r.json()["errors"][0]["path"] == "expected_status"
    assert Application.objects.get(pk=app["id"]).status == "submitted"
    r = me.post(f"{path}/withdraw", {"expected_status": "submitted", "reason": "不开了"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_a_retry_with_the_same_key_replays_and_another_request_with_it_is_refused(
    restaurant, me, applicant
):
    body = {"bundle": "restaurant", "answers": BIG}
    first = me.post("/applications", body, key="start-1")
    again = me.post("/applications", body, key="start-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Application.objects.filter(applicant=applicant).count() == 1
    other = me.post(
        "/applications", {**body, "answers": {"area": "lt50", "sign": "no"}}, key="start-1"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    # A refusal is an answer too: the retry gets the same one.
    path = f"/applications/{first.json()['id']}"
    refused = me.post(f"{path}/submit", {"expected_status": "draft"}, key="submit-1")
    assert refused.status_code == 400
    assert me.post(f"{path}/submit", {"expected_status": "draft"}, key="submit-1").json() == (
        refused.json()
    )
    assert set(UserIdempotencyRecord.objects.values_list("user_id", flat=True)) == {
        applicant.user.pk
    }


def test_keys_are_kept_per_user(restaurant, me):
    someone = SessionApi(ApplicantFactory().user)
    body = {"bundle": "restaurant", "answers": BIG}
    mine = me.post("/applications", body, key="same-key")
    theirs = someone.post("/applications", body, key="same-key")
    assert mine.status_code == theirs.status_code == 201
    assert not theirs.has_header("Idempotent-Replayed")
    assert mine.json()["id"] != theirs.json()["id"]


def test_every_post_needs_an_idempotency_key(restaurant, me):
    r = me.http.post(
        "/api/v1/applications",
        '{"bundle": "restaurant", "answers": {}}',
        content_type="application/json",
        headers={"X-CSRFToken": me.csrf},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["path"] == "Idempotency-Key"


def test_a_post_without_the_csrf_token_is_refused_and_a_read_is_not(restaurant, me, applicant):
    r = me.post("/applications", {"bundle": "restaurant", "answers": BIG}, csrf=False)
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed"
    assert not Application.objects.filter(applicant=applicant).exists()
    assert me.get("/applications").status_code == 200


def test_situation_answers_are_checked_with_their_paths(restaurant, me):
    r = me.post("/applications", {"bundle": "restaurant", "answers": {"area": "ge100"}})
    assert r.status_code == 400
    assert [e["path"] for e in r.json()["errors"]] == ["answers.sign"]
    r = me.post("/applications", {"bundle": "nothing", "answers": {}})
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "bundle"


def test_my_applications_are_listed_newest_first_and_paginated(restaurant, me):
    ids = [start(me)["id"] for _ in range(3)]
    r = me.get("/applications", {"page_size": 2})
    assert r.status_code == 200
    assert r.json()["count"] == 3 and r.json()["pages"] == 2
    assert [a["id"] for a in r.json()["results"]] == ids[::-1][:2]
    assert [
        a["id"] for a in me.get("/applications", {"page": 2, "page_size": 2}).json()["results"]
    ] == ids[:1]


def test_another_applicants_application_is_not_found(restaurant, me):
    app = filled(me)
    path = f"/applications/{app['id']}"
    someone = SessionApi(ApplicantFactory().user)
    assert someone.get(path).status_code == 404
    assert someone.get("/applications").json()["count"] == 0
    r = someone.post(f"{path}/submit", {"expected_status": "draft"})
    assert r.status_code == 404
    file_id = app["materials"][0]["files"][0]["id"]
    assert someone.get(f"{path}/materials/{file_id}").status_code == 404
    assert me.get(f"{path}/materials/{file_id}").status_code == 200
    assert Application.objects.get(pk=app["id"]).status == "draft"


@pytest.mark.parametrize("role", [User.Role.REVIEWER, User.Role.SUPERVISOR, User.Role.EDITOR])
def test_other_roles_are_refused(restaurant, role):
    api = SessionApi(UserFactory(role=role))
    r = api.get("/applications")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert api.post("/applications", {"bundle": "restaurant", "answers": BIG}).status_code == 403
    assert api.get("/window/queue").status_code == 403


def test_a_clerk_is_refused_on_the_applicants_api_and_an_applicant_on_the_windows(
    restaurant, me, window
):
    assert window.get("/applications").status_code == 403
    assert me.get("/window/queue").status_code == 403


def test_anonymous_callers_get_401(restaurant, me):
    app = start(me)
    anonymous = SessionApi()
    assert anonymous.get("/applications").status_code == 401
    assert anonymous.get(f"/applications/{app['id']}").status_code == 401
    r = anonymous.http.post(
        "/api/v1/applications",
        '{"bundle": "restaurant", "answers": {}}',
        content_type="application/json",
        headers={"Idempotency-Key": "k"},
    )
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


def test_a_users_keys_are_purged_with_the_clients_after_a_day(restaurant, me):
    me.post("/applications", {"bundle": "restaurant", "answers": BIG}, key="old")
    assert UserIdempotencyRecord.objects.count() == 1
    assert idempotency.purge(before=timezone.now() - dt.timedelta(hours=1)) == 0
    assert idempotency.purge(before=timezone.now() + dt.timedelta(seconds=1)) == 1
    assert not UserIdempotencyRecord.objects.exists()


def test_an_applicant_account_without_an_applicant_record_is_refused(restaurant):
    api = SessionApi(UserFactory(role=User.Role.APPLICANT))
    assert api.get("/applications").status_code == 403
    r = api.post("/applications", {"bundle": "restaurant", "answers": BIG})
    assert r.status_code == 403

"""The window's API, ``/api/v1/window``, through HTTP: the intake queue by its clock, 容缺
receipt and the applicant's later hand-in, delivery at the counter and by self-print, and who
may do what."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from lianban.applications import services
from lianban.applications.models import Application, Commitment
from lianban.applications.tests.api_client import SessionApi
from lianban.applications.tests.factories import ApplicantFactory, clerk, pdf, publish
from lianban.applications.tests.test_delivery_pages import ADDRESS, draft, finish_all, received
from lianban.cases.models import ItemCase
from lianban.catalog.models import ItemMaterial, ServiceItem
from lianban.catalog.tests.factories import MaterialFactory, restaurant_bundle

pytestmark = pytest.mark.django_db
BIG = {"area": "ge100", "sign": "yes"}
MATERIALS = ("id_card", "lease", "floor_plan", "sign_design")


@pytest.fixture
def restaurant():
    """The restaurant, where the food licence also wants a secondary material (食品安全管理
    制度) that 容缺受理 may leave for later."""
    bundle = restaurant_bundle()
    rules = MaterialFactory(code="food_rules", name="食品安全管理制度")
    ItemMaterial.objects.create(
        item=ServiceItem.objects.get(code="SCJGJ-002"), material=rules, secondary=True, position=9
    )
    return publish(bundle)


@pytest.fixture
def window():
    return SessionApi(clerk())


def submitted(applicant=None, answers=BIG) -> Application:
    applicant = applicant or ApplicantFactory()
    user = applicant.user
    app = services.application_start(
        bundle_code="restaurant",
        answers=answers,
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=user,
    )
    services.application_save_form(
        application=app,
        data={"applicant_name": "好味道", "business_area": "120", "applicant_phone": "13912345678"},
        actor=user,
    )
    for code in MATERIALS:
        services.material_upload(
            application=app, material_code=code, stream=pdf(), name="x.pdf", actor=user
        )
    return services.application_submit(application=app, actor=user)


def test_the_queue_puts_the_most_urgent_first_and_is_paginated(restaurant, window):
    # Submitted on Monday, Tuesday and Wednesday: due Tuesday, Wednesday and Thursday.
    apps = []
    for day in (23, 24, 25):
        with time_machine.travel(dt.datetime(2026, 11, day, 2, tzinfo=dt.UTC)):
            apps.append(submitted())
    draft()  # an online draft is not the window's
    with time_machine.travel(dt.datetime(2026, 11, 25, 4, tzinfo=dt.UTC)):
        first = window.get("/window/queue", {"page_size": 2})
        second = window.get("/window/queue", {"page": 2, "page_size": 2})
    assert first.status_code == 200
    body = first.json()
    assert (body["count"], body["pages"], body["page_size"]) == (3, 2, 2)
    assert [r["id"] for r in body["results"]] == [apps[0].pk, apps[1].pk]
    assert [r["intake_due"] for r in body["results"]] == ["2026-11-24", "2026-11-25"]
    assert [r["light"] for r in body["results"]] == ["red", "yellow"]
    assert [r["id"] for r in second.json()["results"]] == [apps[2].pk]
    assert second.json()["results"][0]["light"] == "yellow"
    assert window.get("/window/queue", {"page_size": 0}).status_code == 400


def test_conditional_receipt_and_the_applicants_later_hand_in(restaurant, window):
    applicant = ApplicantFactory()
    app = submitted(applicant)
    path = f"/window/applications/{app.pk}"
    seen = window.get(path).json()
    assert [d["code"] for d in seen["deferrable"]] == ["food_rules"]
    latest = seen["deferrable"][0]["latest_due"]
    for code in MATERIALS:
        r = window.post(
            f"{path}/reviews",
            {"expected_status": "submitted", "material": code, "verdict": "accepted"},
        )
        assert r.status_code == 200
    r = window.post(f"{path}/receive", {"expected_status": "submitted"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["path"] == "materials.food_rules"
    r = window.post(
        f"{path}/receive",
        {
            "expected_status": "submitted",
            "commitments": [
                {"material": "food_rules", "due": "2000-01-03", "statement": "承诺补交"}
            ],
        },
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["path"] == "commitments[0].due"
    r = window.post(
        f"{path}/receive",
        {
            "expected_status": "submitted",
            "commitments": [{"material": "food_rules", "due": latest, "statement": "承诺补交"}],
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "received" and body["conditional"] is True
    assert {n["kind"] for n in body["notices"]} == {"commitment", "receipt"}
    assert body["commitments"][0]["fulfilled_at"] is None
    rules = next(m for m in body["materials"] if m["code"] == "food_rules")
    assert rules["review"]["verdict"] == "deferred"
    assert len(body["cases"]) == 4

    me = SessionApi(applicant.user)
    r = me.upload(f"/applications/{app.pk}/commitments", "lease", "received")
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "materials.lease"
    r = me.upload(f"/applications/{app.pk}/commitments", "food_rules", "received")
    assert r.status_code == 200, r.content
    assert r.json()["commitments"][0]["fulfilled_at"] is not None
    assert Commitment.objects.get(application=app).fulfilled_at is not None


def test_a_verdict_is_kept_once_per_key_and_a_stale_status_is_409(restaurant, window):
    app = submitted()
    path = f"/window/applications/{app.pk}"
    body = {"expected_status": "submitted", "material": "lease", "verdict": "accepted"}
    first = window.post(f"{path}/reviews", body, key="v-1")
    again = window.post(f"{path}/reviews", body, key="v-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert app.reviews.count() == 1
    r = window.post(f"{path}/receive", {"expected_status": "draft"})
    assert r.status_code == 409 and r.json()["errors"][0]["path"] == "expected_status"
    r = window.post(f"{path}/reviews", {**body, "verdict": "deferred"})
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "verdict"


def test_results_are_handed_over_at_the_counter(restaurant, window):
    app = received(method="together")
    finish_all(app)
    path = f"/window/applications/{app.pk}"
    seen = window.get(path).json()
    results = [doc for c in seen["cases"] for doc in c["results"]]
    assert results and all(doc["downloadable"] for doc in results)
    download = window.http.get(f"/api/v1{path}/results/{results[0]['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # The applicant chose to collect at the window: not theirs to download online.
    me = SessionApi(app.applicant.user)
    assert me.get(f"/applications/{app.pk}/results/{results[0]['id']}").status_code == 404
    r = window.post(f"{path}/deliver", {"expected_status": "received"})
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "recipient"
    r = window.post(f"{path}/deliver", {"expected_status": "received", "recipient": "张三"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "archived"
    assert set(r.json()["delivery"]["delivered_items"]) == {c["item_name"] for c in seen["cases"]}


def test_self_print_results_are_collected_and_downloaded_by_the_applicant(restaurant, window):
    app = received(method="self_print")
    finish_all(app)
    me = SessionApi(app.applicant.user)
    path = f"/applications/{app.pk}"
    results = [doc for c in me.get(path).json()["cases"] for doc in c["results"]]
    assert results and not any(doc["downloadable"] for doc in results)
    assert me.get(f"{path}/results/{results[0]['id']}").status_code == 404
    r = window.post(f"/window/applications/{app.pk}/deliver", {"expected_status": "received"})
    assert r.status_code == 403
    r = me.post(f"{path}/collect", {"expected_status": "received"})
    assert r.status_code == 200, r.content
    assert all(d["downloadable"] for c in r.json()["cases"] for d in c["results"])
    assert {c.status for c in app.cases.all()} == {ItemCase.Status.DELIVERED}
    download = me.http.get(f"/api/v1{path}/results/{results[0]['id']}")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_the_applicant_chooses_the_delivery_method(restaurant):
    app = draft()
    me = SessionApi(app.applicant.user)
    path = f"/applications/{app.pk}/delivery"
    r = me.post(path, {"expected_status": "draft", "method": "post", "address": "短"})
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "delivery_address"
    r = me.post(path, {"expected_status": "draft", "method": "post", "address": ADDRESS})
    assert r.status_code == 200
    assert r.json()["delivery"] == {
        "method": "post",
        "method_label": "邮寄送达（全部办结后）",
        "address": ADDRESS,
        "delivered_items": [],
    }


def test_an_online_draft_is_not_the_windows_and_applicants_may_not_use_the_window(
    restaurant, window
):
    app = draft()
    assert window.get(f"/window/applications/{app.pk}").status_code == 404
    r = window.post(
        f"/window/applications/{app.pk}/reviews",
        {"expected_status": "draft", "material": "lease", "verdict": "accepted"},
    )
    assert r.status_code == 404
    me = SessionApi(app.applicant.user)
    assert me.get(f"/window/applications/{app.pk}").status_code == 403
    assert SessionApi().get("/window/queue").status_code == 401

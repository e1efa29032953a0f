"""一次提交 (``POST /api/v1/applications/submit``): the whole application in one multipart
request, submitted exactly as the step-by-step calls would have left it, or nothing kept and
every problem listed at once."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianban.accounts.models import User
from lianban.applications import api, numbers
from lianban.applications.models import Application, MaterialFile
from lianban.applications.tests.api_client import SessionApi
from lianban.applications.tests.factories import ELF, PDF, clerk
from lianban.audit.models import Event
from lianban.audit.services import verify_chain
from lianban.catalog import selectors as catalog_selectors
from lianban.catalog.tests.factories import UserFactory
from lianban.common.tests.test_storage import FullDisk
from lianban.notifications.models import Notification

pytestmark = pytest.mark.django_db
MATERIALS = ("id_card", "lease", "floor_plan", "sign_design")
WHOLE = {
    "bundle": "restaurant",
    "answers": {"area": "ge100", "sign": "yes"},
    "form": {"applicant_name": "卫滨区好味道餐饮店", "business_area": "120.5"},
    "delivery": {"method": "post", "address": "河南省新乡市卫滨区胜利路 1 号"},
}


def files(*codes: str) -> dict[str, bytes]:
    return {code: PDF for code in codes or MATERIALS}


def nothing_kept() -> None:
    assert not Application.objects.exists()
    assert not MaterialFile.objects.exists()
    assert not Event.objects.filter(verb__startswith="application.").exists()
    assert not Notification.objects.exists()


def test_one_request_submits_the_whole_application(restaurant, applicant, me, settings):
    r = me.submit_at_once(WHOLE, files(), key="one")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "submitted"
    assert body["receipt_number"]
    assert body["intake_due"]
    assert body["warnings"] == []
    # Laid out from what the submission held in hand, the answer is the application as
    # reading it afresh shows it (a read gives times to the millisecond, a command to the µs).
    read = me.get(f"/applications/{body['id']}").json()
    answer = re.sub(r"(T[\d:]{8}\.\d{3})\d*Z", r"\1Z", r.content.decode())
    assert read == {**json.loads(answer), "warnings": []}
    app = Application.objects.get(pk=body["id"])
    assert app.applicant == applicant
    assert app.channel == Application.Channel.ONLINE
    assert app.form_data["business_area"] == "120.5"
    assert (app.delivery_method, app.delivery_address) == ("post", "河南省新乡市卫滨区胜利路 1 号")
    stored = {f.material_code: f for f in app.material_files.all()}
    assert set(stored) == set(MATERIALS)
    assert all(f.version == 1 and f.evidence == MaterialFile.Evidence.C for f in stored.values())
    for f in stored.values():
        f.file.open("rb")
        assert f.file.read() == PDF
        f.file.close()
    # Each step left the event it leaves when taken alone, in the order the steps run.
    verbs = list(
        Event.objects.filter(target_id=str(app.pk), verb__startswith="application.")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "application.created",
        "application.form_saved",
        *["application.material_uploaded"] * 4,
        "application.delivery_chosen",
        "application.submitted",
    ]
    steps = Event.objects.filter(target_id=str(app.pk), verb__startswith="application.")
    assert not steps.exclude(actor=applicant.user).exists()
    assert verify_chain()[1] is None
    # The same request again is the same answer, not a second application.
    again = me.submit_at_once(WHOLE, files(), key="one")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    assert Application.objects.count() == 1
    # Other content under the same key is refused.
    other = me.submit_at_once({**WHOLE, "form": {"business_area": "99"}}, files(), key="one")
    assert other.status_code == 422
    # The window receives it as any other online application.
    window = SessionApi(clerk())
    path = f"/window/applications/{body['id']}"
    for code in MATERIALS:
        r = window.post(
            f"{path}/reviews",
            {"expected_status": "submitted", "material": code, "verdict": "accepted"},
        )
        assert r.status_code == 200, r.content
    r = window.post(f"{path}/receive", {"expected_status": "submitted"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "received"


def test_the_application_is_written_in_a_few_statements(restaurant, me, monkeypatch):
    # As in a fresh process: nothing of the catalog known yet.
    monkeypatch.setattr(catalog_selectors, "_definitions", {})
    monkeypatch.setattr(catalog_selectors, "_names", {})
    # The day's first submission opens the day's receipt counter; the second is measured.
    assert me.submit_at_once(WHOLE, files(), key="first").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        r = me.submit_at_once(WHOLE, files(), key="second")
    assert r.status_code == 201, r.content
    sql = [q["sql"] for q in queries.captured_queries]

    def count(start: str) -> int:
        return sum(s.startswith(start) for s in sql)

    # The four files in one INSERT; the form, the delivery and the submission in one UPDATE
    # of the row its start inserted; every step's event in one INSERT.
    assert count('INSERT INTO "applications_materialfile"') == 1
    assert count('INSERT INTO "applications_application"') == 1
    assert count('UPDATE "applications_application"') == 1
    assert count('INSERT INTO "audit_event"') == 1
    # The answer is laid out from what the submission holds: once the receipt number is
    # taken, nothing is read but the chain's head.
    taken = next(n for n, s in enumerate(sql) if "receiptcounter" in s)
    reads = [s for s in sql[taken:] if s.startswith("SELECT") and "audit_chainhead" not in s]
    assert reads == []
    assert len(sql) <= 20, sql


def test_the_receipt_number_is_taken_last_with_the_chains_head(restaurant, me, monkeypatch):
    # Every submission of the day waits for the day's counter until the holder commits: it
    # is taken once the answer is laid out, and only the rows that carry the number, the
    # chain and the stored answer are written after it.
    assert me.submit_at_once(WHOLE, files(), key="first").status_code == 201
    order: list[str] = []
    take, present = numbers.next_receipt_number, api._present

    def taking(day):  # type: ignore[no-untyped-def]
        order.append("number")
        return take(day)

    def laying_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        order.append("answer")
        return present(*args, **kwargs)

    monkeypatch.setattr(numbers, "next_receipt_number", taking)
    monkeypatch.setattr(api, "_present", laying_out)
    with CaptureQueriesContext(connection) as queries:
        r = me.submit_at_once(WHOLE, files(), key="second")
    assert r.status_code == 201, r.content
    assert order == ["answer", "number"]
    sql = [q["sql"] for q in queries.captured_queries]
    taken = next(n for n, s in enumerate(sql) if "receiptcounter" in s)
    written = [s.split('"')[1] for s in sql[taken + 1 :] if s.startswith(("INSERT", "UPDATE"))]
    assert written == [
        "applications_application",
        "notifications_notification",
        "audit_event",
        "audit_chainhead",
        "applications_useridempotencyrecord",
    ]
    # The answer, the row, the event and the notification all carry the number taken.
    app = Application.objects.get(pk=r.json()["id"])
    assert numbers.is_valid(app.receipt_number)
    assert r.json()["receipt_number"] == app.receipt_number
    assert r.json()["receipt_number"] != Application.objects.exclude(pk=app.pk).get().receipt_number
    event = Event.objects.get(verb="application.submitted", target_id=str(app.pk))
    assert event.data["receipt_number"] == app.receipt_number
    assert Notification.objects.filter(body__contains=app.receipt_number).exists()
    replayed = me.submit_at_once(WHOLE, files(), key="second")
    assert replayed.json()["receipt_number"] == app.receipt_number
    assert verify_chain()[1] is None


def test_every_problem_is_listed_at_once_and_nothing_is_kept(restaurant, me):
    bad = {
        **WHOLE,
        "form": {"business_area": "很多", "no_such_field": "1"},
        "delivery": {"method": "post", "address": "短"},
    }
    r = me.submit_at_once(bad, {"id_card": PDF, "lease": ELF, "no_such": PDF})
    assert r.status_code == 400, r.content
    body = r.json()
    assert "未提交也未保存" in body["message"]
    paths = {e["path"] for e in body["errors"]}
    assert paths == {
        "form.business_area",
        "form.no_such_field",
        "materials.lease",
        "materials.no_such",
        "delivery.address",
    }
    assert all(e["message"] for e in body["errors"])
    nothing_kept()


def test_an_incomplete_application_is_refused_as_submit_refuses_it(restaurant, me, settings):
    r = me.submit_at_once({**WHOLE, "form": {"applicant_name": ""}}, files("id_card"))
    assert r.status_code == 400, r.content
    paths = {e["path"] for e in r.json()["errors"]}
    assert {"form.business_area", "materials.lease"} <= paths
    nothing_kept()
    # The file handed in was stored before the refusal and is gone with it.
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("application", "path"),
    [
        ("{not json", "application"),
        (json.dumps({**WHOLE, "bundle": None}), "application.bundle"),
        (json.dumps({k: v for k, v in WHOLE.items() if k != "delivery"}), "application.delivery"),
        (json.dumps({**WHOLE, "delivery": {"method": "x" * 13}}), "application.delivery.method"),
    ],
)
def test_an_unreadable_application_part_names_its_path(restaurant, me, application, path):
    r = me.http.post(
        "/api/v1/applications/submit",
        {"application": application},
        headers={"Idempotency-Key": "k", "X-CSRFToken": me.csrf},
    )
    assert r.status_code == 400, r.content
    assert path in {e["path"] for e in r.json()["errors"]}
    nothing_kept()


def test_a_file_under_another_name_or_twice_is_refused(restaurant, me):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, PDF, "application/pdf")

    r = me.http.post(
        "/api/v1/applications/submit",
        {
            "application": json.dumps(WHOLE, ensure_ascii=False),
            "lease": upload("lease.pdf"),
            "materials.id_card": [upload("a.pdf"), upload("b.pdf")],
        },
        headers={"Idempotency-Key": "k", "X-CSRFToken": me.csrf},
    )
    assert r.status_code == 400, r.content
    assert {e["path"] for e in r.json()["errors"]} == {"lease", "materials.id_card"}
    nothing_kept()


def test_an_unknown_bundle_or_wrong_answers_are_refused(restaurant, me):
    r = me.submit_at_once({**WHOLE, "bundle": "nothing"}, files())
    assert r.status_code == 400
    assert r.json()["errors"][0]["path"] == "bundle"
    r = me.submit_at_once({**WHOLE, "answers": {"area": "huge"}}, files())
    assert r.status_code == 400
    assert {e["path"] for e in r.json()["errors"]} >= {"answers.area"}
    nothing_kept()


def test_only_an_applicant_may_submit_at_once(restaurant):
    anonymous = SessionApi()
    anonymous.http.get("/accounts/login/")  # a CSRF cookie, but no session
    assert anonymous.submit_at_once(WHOLE, files()).status_code == 401
    for role in (User.Role.CLERK, User.Role.REVIEWER, User.Role.SUPERVISOR):
        assert SessionApi(UserFactory(role=role)).submit_at_once(WHOLE, files()).status_code == 403
    nothing_kept()


class FullDiskAfter(FullDisk):
    """The disk fills up while the third file is written."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.opened = 0

    def __call__(self, fd, mode="r", *args, **kwargs):
        if "w" in mode and os.readlink(f"/proc/self/fd/{fd}").startswith(self.root):
            self.opened += 1
            if self.opened < 3:
                return self.real(fd, mode, *args, **kwargs)
        return super().__call__(fd, mode, *args, **kwargs)


def test_a_full_disk_keeps_nothing_and_the_retry_is_acted_on(restaurant, me, settings, monkeypatch):
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    before = {p for p in media.rglob("*") if p.is_file()}
    monkeypatch.setattr(os, "fdopen", FullDiskAfter(media))
    r = me.submit_at_once(WHOLE, files(), key="full")
    monkeypatch.undo()
    assert r.status_code == 507, r.content
    assert r.json()["code"] == "storage_full"
    assert "未提交也未保存" in r.json()["message"]
    # The two files written before the disk filled are gone with the partial third.
    assert {p for p in media.rglob("*") if p.is_file()} == before
    nothing_kept()
    # Once there is room, the same request under the same key is submitted, not replayed.
    again = me.submit_at_once(WHOLE, files(), key="full")
    assert again.status_code == 201, again.content
    assert not again.has_header("Idempotent-Replayed")

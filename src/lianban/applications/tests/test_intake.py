"""Intake from start to receipt: online with a correction, and at the window with 容缺."""

import datetime as dt

import pytest
import time_machine

from lianban.applications import numbers, services
from lianban.applications.models import Application, ApplicationItem, MaterialFile, Notice
from lianban.applications.tests.factories import (
    ELF,
    PNG,
    ApplicantFactory,
    clerk,
    pdf,
)
from lianban.audit.models import Event
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.notifications.models import Notification

pytestmark = pytest.mark.django_db
BIG = {"area": "ge100", "sign": "yes"}  # all four items but the small-shop registration
FORM = {
    "applicant_name": "卫滨区好味道餐饮店",
    "business_area": "120.5",
    "applicant_phone": "13912345678",
}


@pytest.fixture
def window():
    return clerk()


def start(applicant, answers=BIG, channel=Application.Channel.ONLINE, actor=None):
    return services.application_start(
        bundle_code="restaurant",
        answers=answers,
        applicant=applicant,
        channel=channel,
        actor=actor or applicant.user,
    )


def fill(application, actor, *, skip=()):
    services.application_save_form(application=application, data=FORM, actor=actor)
    for code in ("id_card", "lease", "floor_plan", "sign_design"):
        if code not in skip:
            services.material_upload(
                application=application,
                material_code=code,
                stream=pdf(),
                name=f"{code}.pdf",
                actor=actor,
            )


def test_online_application_from_draft_to_receipt_with_one_correction(
    restaurant, applicant, window
):
    app = start(applicant)
    fill(app, applicant.user)
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, tzinfo=dt.UTC)):
        app = services.application_submit(application=app, actor=applicant.user)
    assert app.status == Application.Status.SUBMITTED
    assert numbers.is_valid(app.receipt_number)
    assert app.intake_due == dt.date(2026, 10, 8)  # one working day, across National Day

    for code in ("id_card", "floor_plan", "sign_design"):
        services.material_review(
            application=app, material_code=code, verdict="accepted", actor=window
        )
    services.material_review(
        application=app,
        material_code="lease",
        verdict="irregular",
        reason="租赁合同未盖出租方公章",
        actor=window,
    )
    notice = services.application_request_correction(
        application=app,
        actor=window,
        fields=[{"key": "business_area", "reason": "面积与平面图不一致"}],
    )
    assert notice.kind == Notice.Kind.CORRECTION
    assert [m["code"] for m in notice.content["materials"]] == ["lease"]
    assert [f["key"] for f in notice.content["fields"]] == ["business_area"]
    assert notice.pdf.read().startswith(b"%PDF")

    # Only what the notice lists may change.
    with pytest.raises(DomainError) as exc:
        services.application_save_form(
            application=app, data={"applicant_name": "改名"}, actor=applicant.user
        )
    assert exc.value.errors[0]["path"] == "form.applicant_name"
    with pytest.raises(DomainError):
        services.material_upload(
            application=app,
            material_code="id_card",
            stream=pdf(),
            name="id.pdf",
            actor=applicant.user,
        )
    with pytest.raises(DomainError) as exc:
        services.application_resubmit(application=app, actor=applicant.user)
    assert exc.value.errors[0]["path"] == "materials.lease"

    services.application_save_form(
        application=app, data={"business_area": "118"}, actor=applicant.user
    )
    services.material_upload(
        application=app,
        material_code="lease",
        stream=pdf(),
        name="lease-stamped.pdf",
        actor=applicant.user,
    )
    app = services.application_resubmit(application=app, actor=applicant.user)
    assert app.status == Application.Status.SUBMITTED
    assert app.review_round == 2

    for code in ("id_card", "lease", "floor_plan", "sign_design"):
        services.material_review(
            application=app, material_code=code, verdict="accepted", actor=window
        )
    receipt = services.application_receive(application=app, actor=window)
    app.refresh_from_db()
    assert app.status == Application.Status.RECEIVED
    assert receipt.number == f"SJ{app.receipt_number}-1"
    assert [m["version"] for m in receipt.content["materials"] if m["code"] == "lease"] == [2]
    # Both versions of the lease are kept.
    assert MaterialFile.objects.filter(application=app, material_code="lease").count() == 2

    items = {i.item_code: i for i in ApplicationItem.objects.filter(application=app)}
    assert list(items) == ["SCJGJ-001", "SCJGJ-002", "XFZD-001", "CGJ-001"]
    # Minimum necessary: the sign department sees neither the lease nor the floor area.
    assert items["CGJ-001"].material_codes == ["id_card", "sign_design"]
    assert items["CGJ-001"].field_keys == ["applicant_name"]
    assert items["SCJGJ-002"].after == ["SCJGJ-001"]

    verbs = list(
        Event.objects.filter(target_type="applications.application").values_list("verb", flat=True)
    )
    assert verbs == (
        ["application.created", "application.form_saved"]
        + ["application.material_uploaded"] * 4
        + ["application.submitted"]
        + ["application.material_reviewed"] * 4
        + [
            "application.correction_requested",
            "application.form_saved",
            "application.material_uploaded",
            "application.resubmitted",
        ]
        + ["application.material_reviewed"] * 4
        + ["application.received"]
    )
    sms = Notification.objects.filter(channel="sms", phone=applicant.phone)
    assert sms.count() == 3


def test_submitting_twice_is_harmless_and_says_so(restaurant, applicant):
    app = start(applicant)
    fill(app, applicant.user)
    app = services.application_submit(application=app, actor=applicant.user)
    number = app.receipt_number
    with pytest.raises(TransitionError) as exc:
        services.application_submit(application=app, actor=applicant.user)
    assert number in exc.value.message
    assert "无需重复提交" in exc.value.message
    app.refresh_from_db()
    assert app.receipt_number == number
    assert Event.objects.filter(verb="application.submitted").count() == 1


def test_an_incomplete_application_cannot_be_submitted(restaurant, applicant):
    app = start(applicant)
    services.application_save_form(
        application=app, data={"applicant_name": "店"}, actor=applicant.user
    )
    with pytest.raises(DomainError) as exc:
        services.application_submit(application=app, actor=applicant.user)
    paths = {e["path"] for e in exc.value.errors}
    assert {"form.business_area", "materials.id_card", "materials.floor_plan"} <= paths
    assert "materials.lease" in paths  # secondary for the licence, primary for the base
    app.refresh_from_db()
    assert app.status == Application.Status.DRAFT
    assert app.receipt_number is None


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"applicant_phone": "1234"}, "form.applicant_phone", "11位"),
        ({"business_area": "很大"}, "form.business_area", "数字"),
        ({"business_area": "-3"}, "form.business_area", "不小于0"),
        ({"nonsense": "x"}, "form.nonsense", "没有"),
    ],
)
def test_bad_form_values_are_refused_with_a_path_and_nothing_changes(
    restaurant, applicant, data, path, words
):
    app = start(applicant)
    before = dict(app.form_data)
    with pytest.raises(DomainError) as exc:
        services.application_save_form(
            application=app, data={**data, "applicant_name": "新名"}, actor=applicant.user
        )
    assert exc.value.errors[0]["path"] == path
    assert words in exc.value.errors[0]["message"]
    app.refresh_from_db()
    assert app.form_data == before


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (ELF, "licence.pdf", "可执行程序"),
        (b"MZ\x90\x00" + b"\x00" * 60, "licence.pdf", "可执行程序"),
        (PNG, "licence.pdf", "后缀"),
        (b"hello world", "licence.pdf", "只接受"),
        (b"", "licence.pdf", "空的"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(restaurant, applicant, content, name, words):
    app = start(applicant)
    with pytest.raises(DomainError) as exc:
        services.material_upload(
            application=app,
            material_code="id_card",
            stream=pdf(content),
            name=name,
            actor=applicant.user,
        )
    assert words in exc.value.message
    assert exc.value.errors[0]["path"] == "materials.id_card"
    assert not MaterialFile.objects.exists()


def test_an_oversized_file_is_refused(restaurant, applicant, monkeypatch):
    monkeypatch.setenv("LIANBAN_MAX_UPLOAD_MB", "0.001")
    app = start(applicant)
    with pytest.raises(DomainError) as exc:
        services.material_upload(
            application=app,
            material_code="id_card",
            stream=pdf(b"%PDF-" + b"0" * 2000),
            name="a.pdf",
            actor=applicant.user,
        )
    assert "过大" in exc.value.message


def test_someone_elses_application_is_out_of_reach(restaurant, applicant):
    app = start(applicant)
    stranger = ApplicantFactory()
    with pytest.raises(NotAllowed):
        services.application_save_form(application=app, data=FORM, actor=stranger.user)
    with pytest.raises(NotAllowed):
        start(applicant, actor=stranger.user)


def test_correction_must_list_everything_at_once(restaurant, applicant, window):
    app = start(applicant)
    fill(app, applicant.user)
    app = services.application_submit(application=app, actor=applicant.user)
    services.material_review(
        application=app, material_code="lease", verdict="missing", actor=window
    )
    with pytest.raises(DomainError) as exc:
        services.application_request_correction(application=app, actor=window)
    assert "尚未审查" in exc.value.message
    with pytest.raises(DomainError):
        services.material_review(
            application=app, material_code="id_card", verdict="irregular", reason=" ", actor=window
        )


@pytest.fixture
def restaurant_with_rules():
    """The restaurant, where the licence also wants food-safety rules as a secondary
    material: the one thing that may be deferred under 容缺."""
    from lianban.applications.tests.factories import publish
    from lianban.catalog.models import ItemMaterial, ServiceItem
    from lianban.catalog.tests.factories import MaterialFactory, restaurant_bundle

    bundle = restaurant_bundle()
    rules = MaterialFactory(code="food_rules", name="食品安全管理制度")
    ItemMaterial.objects.create(
        item=ServiceItem.objects.get(code="SCJGJ-002"), material=rules, secondary=True, position=9
    )
    return publish(bundle)


def walk_in(window):
    person = ApplicantFactory(walk_in=True)
    app = start(person, channel=Application.Channel.WINDOW, actor=window)
    services.application_save_form(application=app, data=FORM, actor=window)
    for code in ("id_card", "lease", "floor_plan", "sign_design"):
        services.material_upload(
            application=app,
            material_code=code,
            stream=pdf(),
            name=f"{code}.pdf",
            actor=window,
            original_seen=True,
        )
        services.material_review(
            application=app, material_code=code, verdict="accepted", actor=window
        )
    return app


@time_machine.travel(dt.datetime(2026, 9, 29, 10, tzinfo=dt.UTC))
def test_walk_in_with_a_conditional_acceptance(restaurant_with_rules, window):
    app = walk_in(window)
    assert {f.evidence for f in MaterialFile.objects.filter(application=app)} == {"B"}
    # The licence promises 10 working days: from 2026-09-29 that is 2026-10-19.
    with pytest.raises(DomainError) as exc:
        services.application_receive(
            application=app,
            actor=window,
            commitments=[{"material": "food_rules", "due": "2026-10-20", "statement": "承诺补交"}],
        )
    assert exc.value.errors[0]["path"] == "commitments[0].due"
    assert "2026年10月19日" in exc.value.errors[0]["message"]
    with pytest.raises(DomainError) as exc:
        services.application_receive(
            application=app,
            actor=window,
            commitments=[{"material": "food_rules", "due": "2026-10-19", "statement": " "}],
        )
    assert exc.value.errors[0]["path"] == "commitments[0].statement"
    with pytest.raises(DomainError) as exc:
        services.application_receive(
            application=app,
            actor=window,
            commitments=[{"material": "lease", "due": "2026-10-19", "statement": "承诺"}],
        )
    assert "主要材料" in exc.value.errors[0]["message"]
    app.refresh_from_db()
    assert app.status == Application.Status.DRAFT and app.receipt_number is None

    receipt = services.application_receive(
        application=app,
        actor=window,
        commitments=[
            {
                "material": "food_rules",
                "due": "2026-10-19",
                "statement": "本人承诺于2026年10月19日前补交食品安全管理制度。",
            }
        ],
    )
    app.refresh_from_db()
    assert app.status == Application.Status.RECEIVED and app.conditional
    assert [n.kind for n in app.notices.all()] == ["commitment", "receipt"]
    deferred = [m for m in receipt.content["materials"] if m["code"] == "food_rules"]
    assert deferred == [
        {
            "code": "food_rules",
            "name": "食品安全管理制度",
            "version": 0,
            "evidence": "",
            "deferred_until": "2026-10-19",
        }
    ]
    assert app.commitments.get().due == dt.date(2026, 10, 19)


def test_a_missing_primary_material_blocks_receipt(restaurant, window):
    person = ApplicantFactory(walk_in=True)
    app = start(person, channel=Application.Channel.WINDOW, actor=window)
    services.application_save_form(application=app, data=FORM, actor=window)
    with pytest.raises(DomainError) as exc:
        services.application_receive(application=app, actor=window)
    assert "materials.id_card" in {e["path"] for e in exc.value.errors}


def test_only_a_clerk_takes_walk_in_applications(restaurant, applicant):
    with pytest.raises(NotAllowed):
        start(
            ApplicantFactory(walk_in=True), channel=Application.Channel.WINDOW, actor=applicant.user
        )


def test_prefill_uses_only_the_applicants_own_fields(restaurant):
    from lianban.catalog.models import Field, ItemField, ServiceItem
    from lianban.catalog.tests.factories import FieldFactory, restaurant_bundle  # noqa: F401

    person = ApplicantFactory(person=True)
    spouse = FieldFactory(key="spouse_id_number", label="配偶身份证号码", type=Field.Type.ID_NUMBER)
    own = FieldFactory(
        key="applicant_id_number", label="申请人身份证号码", type=Field.Type.ID_NUMBER
    )
    item = ServiceItem.objects.get(code="SCJGJ-001")
    ItemField.objects.create(item=item, field=spouse, position=8)
    ItemField.objects.create(item=item, field=own, position=9)
    from lianban.applications.tests.factories import publish
    from lianban.catalog.models import Bundle

    publish(Bundle.objects.get(code="restaurant"))
    # The restaurant is for legal persons; start it as the window would for this test's sake.
    person.kind = "legal"
    person.save()
    app = services.application_start(
        bundle_code="restaurant",
        answers=BIG,
        applicant=person,
        channel=Application.Channel.ONLINE,
        actor=person.user,
    )
    assert app.form_data["applicant_id_number"] == person.id_number
    assert "spouse_id_number" not in app.form_data


def test_a_later_notice_cannot_list_what_the_first_one_missed(restaurant, applicant, window):
    app = start(applicant)
    fill(app, applicant.user)
    app = services.application_submit(application=app, actor=applicant.user)
    for code in ("id_card", "floor_plan", "sign_design"):
        services.material_review(
            application=app, material_code=code, verdict="accepted", actor=window
        )
    services.material_review(
        application=app, material_code="lease", verdict="irregular", reason="未盖章", actor=window
    )
    services.application_request_correction(application=app, actor=window)
    services.material_upload(
        application=app, material_code="lease", stream=pdf(), name="lease.pdf", actor=applicant.user
    )
    app = services.application_resubmit(application=app, actor=applicant.user)
    # Unchanged materials keep their verdict; only the new lease needs a look.
    carried = dict(app.reviews.filter(round=2).values_list("material_code", "verdict"))
    assert carried == {"id_card": "accepted", "floor_plan": "accepted", "sign_design": "accepted"}
    services.material_review(
        application=app,
        material_code="floor_plan",
        verdict="irregular",
        reason="看漏了",
        actor=window,
    )
    services.material_review(
        application=app, material_code="lease", verdict="accepted", actor=window
    )
    with pytest.raises(DomainError) as exc:
        services.application_request_correction(application=app, actor=window)
    assert "不能新增" in exc.value.message
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED


def test_a_new_file_clears_the_verdict_on_the_old_one(restaurant, window):
    person = ApplicantFactory(walk_in=True)
    app = start(person, channel=Application.Channel.WINDOW, actor=window)
    services.material_upload(
        application=app,
        material_code="id_card",
        stream=pdf(),
        name="a.pdf",
        actor=window,
        original_seen=True,
    )
    services.material_review(
        application=app, material_code="id_card", verdict="accepted", actor=window
    )
    services.material_upload(
        application=app, material_code="id_card", stream=pdf(), name="b.pdf", actor=window
    )
    assert not app.reviews.filter(material_code="id_card").exists()

"""民意征求 pages: proposing signed in or not, tracking with the number and the phone's
last four digits, the public list, the supervisor's list and triage, the lead department's
requests, and the draft bundle kept out of the public guide until it is published."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from lianban.accounts.models import User
from lianban.applications.tests.factories import ApplicantFactory, published_restaurant
from lianban.catalog import services as catalog_services
from lianban.catalog.models import Bundle
from lianban.catalog.tests.factories import ServiceItemFactory, UserFactory
from lianban.proposals.models import Proposal
from lianban.proposals.services import proposal_triage
from lianban.proposals.tests.factories import (
    PHONE,
    change_proposal,
    department,
    editor_of,
    new_proposal,
    supervisor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def form_data(**overrides):
    data = {
        "kind": "new",
        "title": "我要开宠物店",
        "subject": "legal",
        "category": "establish",
        "reason": "要跑好几个部门",
        "proposer_name": "王五",
        "phone": "139 1234 5678",
    }
    data.update(overrides)
    return data


def test_anyone_can_propose_and_then_sees_it_from_the_same_browser(client):
    item = ServiceItemFactory(name="动物诊疗许可")
    assert client.get("/proposals/new/").status_code == 200
    response = client.post("/proposals/new/", form_data(items=[item.pk]))
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/proposals/{proposal.number}/"
    assert proposal.phone == PHONE and proposal.proposer is None
    assert list(proposal.items.all()) == [item]
    html = client.get(response["Location"]).content.decode()
    assert "待研究" in html and "我要开宠物店" in html and "动物诊疗许可" in html


def test_a_bad_phone_number_gets_a_clear_error_and_nothing_is_saved(client):
    html = client.post("/proposals/new/", form_data(phone="1234")).content.decode()
    assert "手机号码应为11位数字" in html
    html = client.post("/proposals/new/", form_data(kind="change")).content.decode()
    assert "请选择要调整的一件事" in html
    assert not Proposal.objects.exists()


def test_a_change_can_only_name_a_published_bundle(client):
    bundle = published_restaurant()
    draft = Bundle.objects.create(
        code="draft",
        name="草稿一件事",
        lead_department=bundle.lead_department,
        subject="legal",
        category="operate",
    )
    form = client.get("/proposals/new/").content.decode()
    assert bundle.name in form and "草稿一件事" not in form
    response = client.post(
        "/proposals/new/", form_data(kind="change", bundle=draft.pk, change="改")
    )
    assert response.status_code == 200 and not Proposal.objects.exists()
    client.post("/proposals/new/", form_data(kind="change", bundle=bundle.pk, change="加预约"))
    assert Proposal.objects.get().bundle == bundle


def test_others_need_the_number_and_the_last_four_digits(client):
    proposal = new_proposal()
    proposal_triage(proposal=proposal, action="decline", actor=supervisor(), note="不在本区权限")
    page = client.get(f"/proposals/{proposal.number}/").content.decode()
    assert "手机号码后四位" in page and "不在本区权限" not in page
    wrong = client.post(f"/proposals/{proposal.number}/", {"phone_tail": "0000"}).content.decode()
    assert "不正确" in wrong and "不在本区权限" not in wrong
    right = client.post(f"/proposals/{proposal.number}/", {"phone_tail": "5678"}).content.decode()
    assert "暂不采纳" in right and "不在本区权限" in right
    assert client.get("/proposals/ZQ00000000000000/").status_code == 404


def test_guessing_the_digits_is_stopped_after_ten_tries(client):
    proposal = new_proposal()
    for tail in range(10):
        client.post(f"/proposals/{proposal.number}/", {"phone_tail": f"{tail:04d}"})
    html = client.post(f"/proposals/{proposal.number}/", {"phone_tail": "5678"}).content.decode()
    assert "尝试次数过多" in html and "待研究" not in html


def test_a_signed_in_applicant_finds_their_proposals_in_their_account(client):
    applicant = ApplicantFactory(phone="13811112222")
    client.force_login(applicant.user)
    form = client.get("/proposals/new/").content.decode()
    assert "13811112222" in form  # the account's phone is offered
    client.post("/proposals/new/", form_data(phone="13811112222"))
    proposal = Proposal.objects.get()
    assert proposal.proposer == applicant.user
    mine = client.get("/proposals/mine/").content.decode()
    assert proposal.number in mine
    client.logout()
    stranger = UserFactory()
    client.force_login(stranger)
    assert proposal.number not in client.get("/proposals/mine/").content.decode()
    assert "手机号码后四位" in client.get(f"/proposals/{proposal.number}/").content.decode()


def test_the_public_list_shows_only_accepted_proposals_without_the_proposer(client):
    lead = department()
    taken = new_proposal(title="我要开宠物店")
    new_proposal(title="我要养蜜蜂", phone="13600001111")
    declined = new_proposal(title="我要开赌场", phone="13600002222")
    proposal_triage(proposal=taken, action="accept", actor=supervisor(), department=lead)
    proposal_triage(proposal=declined, action="decline", actor=supervisor(), note="违法")
    html = client.get("/proposals/").content.decode()
    assert "我要开宠物店" in html and lead.name in html
    assert "我要养蜜蜂" not in html and "我要开赌场" not in html
    assert "王五" not in html and "5678" not in html


def test_the_triage_pages_are_for_the_supervisor_only(client):
    proposal = new_proposal()
    response = client.get("/proposals/manage/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role in (User.Role.APPLICANT, User.Role.EDITOR, User.Role.REVIEWER):
        client.force_login(UserFactory(role=role))
        assert client.get("/proposals/manage/").status_code == 403
        response = client.post(
            f"/proposals/manage/{proposal.number}/", {"action": "decline", "note": "x"}
        )
        assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED


def test_the_supervisor_filters_the_list(client):
    bundle = published_restaurant()
    pets = new_proposal(title="我要开宠物店")
    bees = new_proposal(title="我要养蜜蜂", phone="13600001111")
    change = change_proposal(bundle)
    proposal_triage(proposal=bees, action="decline", actor=supervisor(), note="暂缓")
    client.force_login(supervisor())

    def numbers(**query):
        html = client.get("/proposals/manage/", query).content.decode()
        return {p.number for p in (pets, bees, change) if p.number in html}

    assert numbers() == {pets.number, change.number}  # waiting ones by default
    assert numbers(status="all") == {pets.number, bees.number, change.number}
    assert numbers(status="declined") == {bees.number}
    assert numbers(status="all", kind="change") == {change.number}
    assert numbers(status="all", q="蜜蜂") == {bees.number}
    assert numbers(status="all", q=bees.number) == {bees.number}


def test_the_supervisor_accepts_on_the_page_and_the_draft_stays_out_of_the_guide(client):
    lead = department()
    editor = editor_of(lead)
    proposal = new_proposal()
    client.force_login(supervisor())
    page = client.get(f"/proposals/manage/{proposal.number}/").content.decode()
    assert "王五" in page and "139****5678" in page
    html = client.post(
        f"/proposals/manage/{proposal.number}/", {"action": "accept", "seen_status": "submitted"}
    ).content.decode()
    assert "请选择承办的牵头部门" in html
    response = client.post(
        f"/proposals/manage/{proposal.number}/",
        {"action": "accept", "department": lead.pk, "seen_status": "submitted"},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    draft = proposal.draft_bundle
    assert draft is not None and Bundle.objects.filter(pk=draft.pk, name="我要开宠物店").exists()

    client.logout()
    assert client.get(f"/guide/{draft.code}/").status_code == 404
    assert "我要开宠物店" not in client.get("/").content.decode()

    # The lead department's editor finds the request, writes the bundle up and submits it;
    # once recorded and published it is in the public guide.
    client.force_login(editor)
    requests = client.get("/proposals/requests/").content.decode()
    assert proposal.number in requests and f"/admin/catalog/bundle/{draft.pk}/change/" in requests
    version = catalog_services.bundle_submit_for_filing(bundle=draft, actor=editor)
    assert client.get(f"/guide/{draft.code}/").status_code == 404
    catalog_services.version_record(version=version, actor=None)
    catalog_services.version_publish(version=version, actor=None)
    client.logout()
    assert client.get(f"/guide/{draft.code}/").status_code == 200
    assert "我要开宠物店" in client.get("/").content.decode()


def test_a_stale_triage_page_is_told_someone_else_acted(client):
    proposal = new_proposal()
    proposal_triage(proposal=proposal, action="decline", actor=supervisor(), note="甲")
    client.force_login(supervisor())
    html = client.post(
        f"/proposals/manage/{proposal.number}/",
        {"action": "decline", "note": "乙", "seen_status": "submitted"},
    ).content.decode()
    assert "已由他人处理" in html
    proposal.refresh_from_db()
    assert proposal.outcome_note == "甲"


def test_marking_a_duplicate_by_number_on_the_page(client):
    original = new_proposal()
    again = new_proposal(phone="13600002222")
    client.force_login(supervisor())
    html = client.post(
        f"/proposals/manage/{again.number}/",
        {"action": "mark_duplicate", "duplicate_of": "ZQ000", "seen_status": "submitted"},
    ).content.decode()
    assert "未找到该编号的建议" in html
    client.post(
        f"/proposals/manage/{again.number}/",
        {"action": "mark_duplicate", "duplicate_of": original.number, "seen_status": "submitted"},
    )
    again.refresh_from_db()
    assert again.duplicate_of == original


def test_editors_see_only_their_own_departments_requests(client):
    bundle = published_restaurant()
    mine = change_proposal(bundle)
    other_lead = department("lyj", "林业局")
    theirs = new_proposal()
    proposal_triage(proposal=mine, action="accept", actor=supervisor())
    proposal_triage(proposal=theirs, action="accept", actor=supervisor(), department=other_lead)
    client.force_login(editor_of(bundle.lead_department))
    html = client.get("/proposals/requests/").content.decode()
    assert mine.number in html and theirs.number not in html
    # The editor also opens the proposal handed to them, but not another department's.
    assert "网上预约现场核查" in client.get(f"/proposals/{mine.number}/").content.decode()
    assert "手机号码后四位" in client.get(f"/proposals/{theirs.number}/").content.decode()
    client.force_login(UserFactory())
    assert client.get("/proposals/requests/").status_code == 403

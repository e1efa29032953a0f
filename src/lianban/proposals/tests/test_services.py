"""民意征求: handing in a proposal, and the supervisor's triage through one transition
function — each move checked, audited and told to the proposer by SMS."""

from __future__ import annotations

import pytest

from lianban.accounts.models import User
from lianban.applications.tests.factories import published_restaurant
from lianban.audit.models import Event
from lianban.catalog.models import Bundle, BundleVersion
from lianban.catalog.tests.factories import UserFactory
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.notifications.models import Notification
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
from lianban.proposals.transitions import PROPOSAL_TRANSITIONS, allowed_actions

pytestmark = pytest.mark.django_db
S = Proposal.Status


def sms_to(phone: str) -> list[str]:
    return list(
        Notification.objects.filter(channel=Notification.Channel.SMS, phone=phone)
        .order_by("id")
        .values_list("body", flat=True)
    )


def verbs() -> list[str]:
    return list(Event.objects.order_by("id").values_list("verb", flat=True))


def test_a_proposal_gets_a_number_an_event_and_a_receipt_sms():
    proposal = new_proposal()
    assert proposal.status == S.SUBMITTED
    assert proposal.number.startswith("ZQ") and len(proposal.number) == 16
    assert proposal.proposer is None and proposal.phone == PHONE
    assert sorted(proposal.items.values_list("name", flat=True)) == ["动物诊疗许可", "营业执照"]
    event = Event.objects.get(verb="proposal.submitted")
    assert event.target_id == str(proposal.pk) and event.data["kind"] == "new"
    assert PHONE not in str(event.data)  # the trail keeps no phone numbers
    [sms] = sms_to(PHONE)
    assert proposal.number in sms


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"phone": "12345"}, "phone"),
        ({"proposer_name": " "}, "proposer_name"),
        ({"reason": ""}, "reason"),
        ({"title": ""}, "title"),
        ({"category": "nonsense"}, "category"),
        ({"subject": ""}, "subject"),
        ({"kind": "other"}, "kind"),
    ],
)
def test_bad_input_is_refused_with_the_field_at_fault(overrides, path):
    with pytest.raises(DomainError) as exc:
        new_proposal(**overrides)
    assert exc.value.errors[0]["path"] == path
    assert not Proposal.objects.exists()


def test_a_change_names_the_bundle_and_what_should_change():
    bundle = published_restaurant()
    with pytest.raises(DomainError) as exc:
        change_proposal(None)
    assert exc.value.errors[0]["path"] == "bundle"
    with pytest.raises(DomainError) as exc:
        change_proposal(bundle, change="")
    assert exc.value.errors[0]["path"] == "change"
    draft = Bundle.objects.create(
        code="draft",
        name="草稿",
        lead_department=bundle.lead_department,
        subject="legal",
        category="operate",
    )
    with pytest.raises(DomainError, match="已发布"):
        change_proposal(draft)
    proposal = change_proposal(bundle)
    assert proposal.title == bundle.name and proposal.headline == f"建议调整：{bundle.name}"


def test_a_signed_in_proposal_belongs_to_the_account():
    user = UserFactory()
    proposal = new_proposal(actor=user)
    assert proposal.proposer == user
    # SMS to the phone, and the portal inbox as well.
    assert Notification.objects.filter(recipient=user, channel="inbox").count() == 1


def test_accepting_a_new_bundle_makes_an_unpublished_draft_for_the_lead_department():
    lead = department()
    editor = editor_of(lead)
    proposal = new_proposal()
    proposal = proposal_triage(
        proposal=proposal, action="accept", actor=supervisor(), department=lead, note="请尽快编制"
    )
    assert proposal.status == S.ACCEPTED and proposal.department == lead
    bundle = Bundle.objects.get(pk=proposal.draft_bundle_id)
    assert bundle.name == "我要开宠物店" and bundle.lead_department == lead
    assert bundle.subject == "legal" and bundle.category == "establish"
    assert sorted(bundle.bundle_items.values_list("item__name", flat=True)) == [
        "动物诊疗许可",
        "营业执照",
    ]
    assert not BundleVersion.objects.filter(bundle=bundle).exists()
    assert Notification.objects.filter(recipient=editor, subject__contains="我要开宠物店").exists()
    assert "已采纳" in sms_to(PHONE)[-1] and lead.name in sms_to(PHONE)[-1]
    assert verbs() == ["proposal.submitted", "catalog.bundle_drafted", "proposal.accepted"]
    accepted = Event.objects.get(verb="proposal.accepted")
    assert accepted.data == {
        "number": proposal.number,
        "old": "submitted",
        "new": "accepted",
        "draft_bundle": bundle.code,
        "department": lead.code,
        "note": "请尽快编制",
    }


def test_accepting_a_new_bundle_needs_a_lead_department():
    proposal = new_proposal()
    with pytest.raises(DomainError) as exc:
        proposal_triage(proposal=proposal, action="accept", actor=supervisor())
    assert exc.value.errors[0]["path"] == "department"
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED and not Bundle.objects.exists()


def test_accepting_a_change_hands_it_to_the_bundles_lead_department():
    bundle = published_restaurant()
    editor = editor_of(bundle.lead_department)
    proposal = change_proposal(bundle)
    bundles = Bundle.objects.count()
    proposal = proposal_triage(proposal=proposal, action="accept", actor=supervisor())
    assert proposal.department == bundle.lead_department and proposal.draft_bundle is None
    assert Bundle.objects.count() == bundles
    [request] = Notification.objects.filter(recipient=editor)
    assert "请研究调整" in request.subject and "网上预约现场核查" in request.body


def test_declining_needs_a_reason_which_the_proposer_is_told():
    proposal = new_proposal()
    with pytest.raises(DomainError) as exc:
        proposal_triage(proposal=proposal, action="decline", actor=supervisor(), note=" ")
    assert exc.value.errors[0]["path"] == "note"
    proposal = proposal_triage(
        proposal=proposal, action="decline", actor=supervisor(), note="涉及事项不在本区权限内"
    )
    assert proposal.status == S.DECLINED and proposal.outcome_note == "涉及事项不在本区权限内"
    assert "涉及事项不在本区权限内" in sms_to(PHONE)[-1]
    assert verbs()[-1] == "proposal.declined"


def test_a_duplicate_points_to_the_original_proposal():
    original = new_proposal()
    again = new_proposal(phone="13600002222")
    third = new_proposal(phone="13600003333")
    with pytest.raises(DomainError):
        proposal_triage(proposal=again, action="mark_duplicate", actor=supervisor())
    with pytest.raises(DomainError):
        proposal_triage(
            proposal=again, action="mark_duplicate", actor=supervisor(), duplicate_of=again
        )
    again = proposal_triage(
        proposal=again, action="mark_duplicate", actor=supervisor(), duplicate_of=original
    )
    assert again.status == S.DUPLICATE and again.duplicate_of == original
    assert original.number in sms_to("13600002222")[-1]
    with pytest.raises(DomainError):  # not to a duplicate: to the original
        proposal_triage(
            proposal=third, action="mark_duplicate", actor=supervisor(), duplicate_of=again
        )


@pytest.mark.parametrize("role", [User.Role.APPLICANT, User.Role.EDITOR, User.Role.CLERK])
def test_only_the_supervisor_triages(role):
    proposal = new_proposal()
    with pytest.raises(NotAllowed):
        proposal_triage(
            proposal=proposal, action="decline", actor=UserFactory(role=role), note="不行"
        )
    with pytest.raises(NotAllowed):
        proposal_triage(proposal=proposal, action="decline", actor=None, note="不行")
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED


@pytest.mark.parametrize("first", ["accept", "decline", "mark_duplicate"])
@pytest.mark.parametrize("then", ["accept", "decline", "mark_duplicate"])
def test_a_decided_proposal_cannot_be_decided_again(first, then):
    original = new_proposal(phone="13600009999")
    proposal = new_proposal()
    extra = {"department": department(), "note": "理由", "duplicate_of": original}
    proposal_triage(proposal=proposal, action=first, actor=supervisor(), **extra)
    before = Event.objects.count()
    with pytest.raises(TransitionError):
        proposal_triage(proposal=proposal, action=then, actor=supervisor(), **extra)
    assert Event.objects.count() == before


def test_the_table_allows_every_move_from_submitted_only():
    proposal = new_proposal()
    assert allowed_actions(proposal) == list(PROPOSAL_TRANSITIONS)
    for action in PROPOSAL_TRANSITIONS:
        assert PROPOSAL_TRANSITIONS[action][0] == frozenset({S.SUBMITTED})
    with pytest.raises(TransitionError):
        proposal_triage(proposal=proposal, action="reopen", actor=supervisor())


def test_a_page_that_saw_an_older_status_does_not_act():
    proposal = new_proposal()
    proposal_triage(proposal=proposal, action="decline", actor=supervisor(), note="甲")
    with pytest.raises(DomainError, match="已由他人处理"):
        proposal_triage(
            proposal=proposal,
            action="decline",
            actor=supervisor(),
            note="乙",
            seen_status="submitted",
        )

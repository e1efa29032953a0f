"""民意征求: handing in a proposal and the supervisor's triage.

Each function changes the proposal, writes the audit event and queues the proposer's SMS in
one transaction; accepting a proposal for a new 一件事 also makes the draft bundle in the
catalog's working copy, so it exists exactly when the acceptance does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lianban.accounts.models import User
from lianban.audit.services import appended_together, record_event
from lianban.catalog.models import Bundle, BundleItem, BundleVersion, Department, ServiceItem
from lianban.common.errors import DomainError, NotAllowed
from lianban.common.identity import validate_phone
from lianban.common.text import clean_text
from lianban.notifications.services import notify, notify_applicant
from lianban.proposals.models import Proposal
from lianban.proposals.transitions import target_status

S = Proposal.Status
MAX_ITEMS = 30


def _new_number() -> str:
    # Random rather than sequential: the number is printed on an SMS and, with the phone's
    # last four digits, opens the tracking page; a sequence would invite guessing.
    today = timezone.localdate()
    while True:
        number = f"ZQ{today:%Y%m%d}{secrets.randbelow(10**6):06d}"
        if not Proposal.objects.filter(number=number).exists():
            return number


def _tell_proposer(proposal: Proposal, text: str) -> None:
    """SMS to the phone given with the proposal, and the inbox if it was made signed in."""
    notify_applicant(
        SimpleNamespace(user=proposal.proposer, user_id=proposal.proposer_id, phone=proposal.phone),
        text,
        link=f"/proposals/{proposal.number}/",
    )


@transaction.atomic
@appended_together()
def proposal_submit(
    *,
    kind: str,
    reason: str,
    proposer_name: str,
    phone: str,
    actor: Any,
    title: str = "",
    subject: str = "",
    category: str = "",
    items: Iterable[ServiceItem] = (),
    items_text: str = "",
    bundle: Bundle | None = None,
    change: str = "",
) -> Proposal:
    """Take in a proposal from anyone (``actor`` None: not signed in) and send its number by
    SMS. A new 一件事 needs a name and a situation; a change names the bundle and what
    should change."""
    try:
        phone = validate_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], path="phone") from exc
    proposer_name = clean_text(proposer_name, max_length=64, path="proposer_name", label="姓名")
    reason = clean_text(reason, max_length=2000, path="reason", label="理由")
    items_text = clean_text(
        items_text, max_length=500, path="items_text", label="其他事项或部门", required=False
    )
    items = list(items)
    if len(items) > MAX_ITEMS:
        raise DomainError(f"涉及事项最多选择{MAX_ITEMS}项。", path="items")
    if kind == Proposal.Kind.NEW:
        title = clean_text(title, max_length=128, path="title", label="一件事名称")
        if subject not in Bundle.Subject.values:
            raise DomainError("请选择服务对象。", path="subject")
        if category not in Bundle.Category.values:
            raise DomainError("请选择属于哪类情形。", path="category")
        bundle, change = None, ""
    elif kind == Proposal.Kind.CHANGE:
        if bundle is None:
            raise DomainError("请选择要调整的一件事。", path="bundle")
        if not bundle.versions.filter(status=BundleVersion.Status.PUBLISHED).exists():
            # A draft is not public yet: its lead department is still writing it.
            raise DomainError("只能对已发布的一件事提出调整建议。", path="bundle")
        change = clean_text(change, max_length=2000, path="change", label="希望如何调整")
        title, subject, category = bundle.name, bundle.subject, bundle.category
    else:
        raise DomainError("请选择建议类型。", path="kind")
    user = actor if getattr(actor, "pk", None) else None
    proposal = Proposal.objects.create(
        number=_new_number(),
        kind=kind,
        title=title,
        subject=subject,
        category=category,
        items_text=items_text,
        bundle=bundle,
        change=change,
        reason=reason,
        proposer=user,
        proposer_name=proposer_name,
        phone=phone,
    )
    proposal.items.set(items)
    record_event(
        actor=user,
        verb="proposal.submitted",
        target=proposal,
        data={
            "number": proposal.number,
            "kind": kind,
            "title": title,
            "bundle": bundle.code if bundle else None,
            "items": [i.code for i in items],
            "signed_in": user is not None,
        },
    )
    _tell_proposer(
        proposal,
        f"您的“一件事一次办”建议已收到，编号 {proposal.number}。"
        "可凭编号和手机号码后四位查询处理结果。",
    )
    return proposal


def _draft_bundle(proposal: Proposal, department: Department, actor: Any) -> Bundle:
    """A new bundle in the catalog's working copy, with no version: the public guide lists
    only published versions, so it stays out of sight until the lead department has
    written it up and the supervisor has recorded and published it."""
    position = (Bundle.objects.aggregate(p=Max("position"))["p"] or 0) + 1
    bundle = Bundle.objects.create(
        code=f"proposal-{proposal.number.lower()}",
        name=proposal.title,
        lead_department=department,
        subject=proposal.subject or Bundle.Subject.NATURAL,
        category=proposal.category or Bundle.Category.OPERATE,
        summary=f"根据民意征求建议 {proposal.number} 立项。{proposal.reason}"[:2000],
        position=position,
    )
    for pos, item in enumerate(proposal.items.order_by("code")):
        BundleItem.objects.create(bundle=bundle, item=item, position=pos)
    record_event(
        actor=actor,
        verb="catalog.bundle_drafted",
        target=bundle,
        data={"code": bundle.code, "proposal": proposal.number, "department": department.code},
    )
    return bundle


def _editors(department: Department) -> list[User]:
    return list(User.objects.filter(role=User.Role.EDITOR, is_active=True, department=department))


@transaction.atomic
@appended_together()
def proposal_triage(
    *,
    proposal: Proposal,
    action: str,
    actor: Any,
    note: str = "",
    department: Department | None = None,
    duplicate_of: Proposal | None = None,
    seen_status: str | None = None,
) -> Proposal:
    """The supervisor's decision on a proposal (the moves are in
    :mod:`lianban.proposals.transitions`):

    - ``accept`` a new 一件事: a draft bundle assigned to ``department`` as lead department,
      whose editors are told; a change: a change request to the bundle's lead department;
    - ``decline``, with the reason in ``note`` (required);
    - ``mark_duplicate`` of ``duplicate_of``, an earlier proposal that is not itself a
      duplicate.

    The proposer gets an SMS either way. ``seen_status`` (from a page) refuses to act on a
    proposal someone else has decided since it was shown."""
    if not getattr(actor, "is_supervisor", False):
        raise NotAllowed("只有政务大数据局可以处理民意征求建议。")
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if seen_status is not None and seen_status != proposal.status:
        raise DomainError("该建议已由他人处理，请刷新后查看。")
    old = proposal.status
    proposal.status = target_status(proposal, action)
    note = clean_text(note, max_length=500, path="note", label="处理意见", required=False)
    data: dict[str, Any] = {"number": proposal.number, "old": old, "new": proposal.status}
    if action == "accept":
        if proposal.kind == Proposal.Kind.NEW:
            if department is None or department.is_supervisor:
                raise DomainError("请选择承办的牵头部门。", path="department")
            proposal.department = department
            proposal.draft_bundle = _draft_bundle(proposal, department, actor)
            data["draft_bundle"] = proposal.draft_bundle.code
            outcome = f"已采纳，交由{department.name}牵头编制“{proposal.title}”办事指南"
            editors_subject = f"民意征求建议 {proposal.number}：请编制“{proposal.title}”"
            link = f"/admin/catalog/bundle/{proposal.draft_bundle.pk}/change/"
        else:
            assert proposal.bundle is not None
            proposal.department = proposal.bundle.lead_department
            outcome = f"已采纳，交由{proposal.department.name}研究调整“{proposal.bundle.name}”"
            editors_subject = f"民意征求建议 {proposal.number}：请研究调整“{proposal.bundle.name}”"
            link = f"/proposals/{proposal.number}/"
        data["department"] = proposal.department.code
        notify(
            recipients=_editors(proposal.department),
            subject=editors_subject,
            body=f"{proposal.change or proposal.reason}\n\n政务大数据局意见：{note}".strip(),
            link=link,
        )
    elif action == "decline":
        if not note:
            raise DomainError("不予采纳须说明理由。", path="note")
        outcome = f"暂不采纳，理由：{note}"
    else:
        if duplicate_of is None:
            raise DomainError("请填写与之重复的建议编号。", path="duplicate_of")
        if duplicate_of.pk == proposal.pk or duplicate_of.status == S.DUPLICATE:
            raise DomainError(
                "重复建议应指向最初的那条建议（不能是它本身，也不能是另一条重复建议）。",
                path="duplicate_of",
            )
        proposal.duplicate_of = duplicate_of
        data["duplicate_of"] = duplicate_of.number
        outcome = f"与建议 {duplicate_of.number} 相同，已合并处理"
    proposal.outcome_note = note
    proposal.decided_at = timezone.now()
    proposal.decided_by = actor if getattr(actor, "pk", None) else None
    proposal.save()
    if note:
        data["note"] = note
    record_event(actor=actor, verb=f"proposal.{proposal.status}", target=proposal, data=data)
    _tell_proposer(proposal, f"您的“一件事一次办”建议（编号 {proposal.number}）{outcome}。")
    return proposal

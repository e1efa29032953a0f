"""好差评 writes: inviting the applicant after a service, taking their review, and the
follow-up of a bad review (差评整改) through one transition function, with appeals and the
overdue sweep. Each function changes the rows, writes the audit event and queues the
notifications in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lianban.accounts.models import User
from lianban.applications.models import Application
from lianban.audit.models import Event
from lianban.audit.services import appended_together, record_event
from lianban.cases.models import ItemCase
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.common.text import clean_text
from lianban.notifications.services import notify, notify_applicant
from lianban.reviews.models import ASPECTS, BAD_LEVELS, Level, Occasion, Rectification, Review
from lianban.reviews.tokens import hash_token, new_token, site_url
from lianban.reviews.transitions import RUNNING, target_status
from lianban.workdays.selectors import add_workdays, count_workdays

R = Rectification.Status
INVITATION_DAYS = 30  # an SMS link, and the right to rate at all, last this long
FEEDBACK_DAYS = 30
# The window screen offers only the clerk's latest visit, and only this soon after it:
# an old visit can no longer be rated at the counter (the SMS link still works).
SCREEN_MINUTES = 60
COMMENT_MAX = 500
STEP_TEXT_MAX = 1000

VISIT_VERBS = {
    "application.received": Occasion.Kind.RECEIPT,
    "application.correction_requested": Occasion.Kind.CORRECTION,
    "application.delivered": Occasion.Kind.DELIVERY,
}
AT_THE_WINDOW = {"together", "each"}  # delivery methods handed over at the counter


def _now() -> dt.datetime:
    return timezone.now()


def followup_days() -> int:
    return int(getattr(settings, "LIANBAN_REVIEW_FOLLOWUP_DAYS", 5))


# ---- Invitations ---------------------------------------------------------------------------


def on_audit_events(events: list[Event]) -> None:
    """Audit listener: a completion, or a visit at the window, invites a review (inside the
    transaction of the step that wrote the event, so a rolled-back step invites nobody)."""
    for event in events:
        _invite_for(event)


def _invite_for(event: Event) -> None:
    if event.verb == "application.completed":
        kind = Occasion.Kind.COMPLETION
    elif event.verb in VISIT_VERBS:
        kind = VISIT_VERBS[event.verb]
    else:
        return
    if event.target_type != "applications.application":
        return
    application = Application.objects.select_related("applicant").get(pk=int(event.target_id))
    clerk = event.actor
    if kind != Occasion.Kind.COMPLETION:
        # A visit is a meeting at the counter: a clerk acted, for an application taken at
        # the window (an online one is received at a desk, unseen), or results handed over.
        if clerk is None or getattr(clerk, "role", None) != User.Role.CLERK:
            return
        if kind == Occasion.Kind.DELIVERY:
            if (event.data or {}).get("method") not in AT_THE_WINDOW:
                return
        elif application.channel != Application.Channel.WINDOW:
            return
    occasion_invite(application=application, kind=kind, event=event)


def occasion_invite(*, application: Application, kind: str, event: Event) -> Occasion | None:
    """Open one occasion to rate and send the applicant an SMS with a single-use link."""
    if Occasion.objects.filter(event_id=event.pk).exists():
        return None
    token, digest = new_token()
    is_visit = kind != Occasion.Kind.COMPLETION
    clerk = event.actor if is_visit else None
    occasion = Occasion.objects.create(
        application=application,
        applicant=application.applicant,
        kind=kind,
        event_id=event.pk,
        window=(getattr(clerk, "window", "") or "综合窗口") if is_visit else "",
        clerk=clerk,
        token_hash=digest,
        created_at=event.occurred_at,
        expires_at=event.occurred_at + dt.timedelta(days=INVITATION_DAYS),
    )
    if not is_visit:
        departments = (
            ItemCase.objects.filter(application=application)
            .exclude(status=ItemCase.Status.CANCELLED)
            .values_list("department_id", flat=True)
            .distinct()
        )
        occasion.departments.set(set(departments))
    record_event(
        actor=None,
        verb="review.invited",
        target=occasion,
        data={"application": application.receipt_number, "kind": kind},
    )
    what = (
        f"“{application.bundle_name}”已办结"
        if not is_visit
        else f"您刚在{occasion.window}办理了“{application.bundle_name}”"
        f"（{occasion.get_kind_display()}）"
    )
    notify_applicant(
        application.applicant,
        f"{what}，请对本次服务作出评价：{site_url(f'/reviews/r/{token}/')}"
        f"（{INVITATION_DAYS}日内有效，仅可评价一次）。",
        link=f"/reviews/applications/{application.pk}/",
    )
    return occasion


# ---- The review ----------------------------------------------------------------------------


def _clean_review(level: Any, aspects: Any, comment: Any) -> tuple[int, list[str], str]:
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = 0
    if value not in Level.values:
        raise DomainError("请选择评价等级。", path="level")
    comment = clean_text(
        comment, max_length=COMMENT_MAX, path="comment", label="评价内容", required=False
    )
    picked = [a for a in ASPECTS if a in set(aspects or [])]
    unknown = set(aspects or []) - set(ASPECTS)
    if unknown:
        raise DomainError("差评方面须从所列选项中选择。", path="aspects")
    if value in BAD_LEVELS:
        errors = []
        if not picked:
            errors.append({"path": "aspects", "message": "请选择不满意的方面。"})
        if not comment:
            errors.append({"path": "comment", "message": "请写明不满意的具体情况。"})
        if errors:
            raise DomainError("请说明不满意的方面和具体情况。", errors=errors)
    else:
        picked = []  # aspects are what a bad review is about
    return value, picked, comment


def occasion_by_token(token: str) -> Occasion:
    """The occasion an SMS link names; refuses a wrong, used or expired link."""
    occasion = Occasion.objects.filter(token_hash=hash_token(token or "")).first()
    if occasion is None:
        raise NotAllowed("评价链接无效，请核对短信中的链接。")
    return occasion


def check_open(occasion: Occasion) -> None:
    if Review.objects.filter(occasion=occasion).exists():
        raise TransitionError("本次服务已评价，评价作出后不能更改（可在网上办事大厅追加评价）。")
    if occasion.expires_at <= _now():
        raise TransitionError(f"评价邀请已过期（有效期{INVITATION_DAYS}日）。")


def window_visit(clerk: Any) -> Occasion | None:
    """The visit the clerk's rating screen offers: their latest, if recent and unrated."""
    latest = (
        Occasion.objects.filter(
            clerk=clerk, created_at__gte=_now() - dt.timedelta(minutes=SCREEN_MINUTES)
        )
        .exclude(kind=Occasion.Kind.COMPLETION)
        .select_related("application__applicant")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or Review.objects.filter(occasion=latest).exists():
        return None
    return latest


@transaction.atomic
@appended_together()
def review_submit(
    *,
    occasion: Occasion,
    channel: str,
    level: Any,
    aspects: Any = None,
    comment: Any = "",
    actor: Any = None,
    screen_session: str = "",
) -> Review:
    """The applicant rates one occasion, once. Through the portal the applicant must be the
    one signed in; at the window screen only the clerk's current visit can be rated; an SMS
    link is checked by the caller (``occasion_by_token``). A bad review opens a follow-up
    for each responsible unit."""
    occasion = (
        Occasion.objects.select_for_update(of=("self",))
        .select_related("application__applicant", "applicant")
        .get(pk=occasion.pk)
    )
    if channel == Review.Channel.PORTAL:
        if occasion.applicant.user_id is None or occasion.applicant.user_id != getattr(
            actor, "pk", None
        ):
            raise NotAllowed("只能评价本人的办件。")
    elif channel == Review.Channel.WINDOW:
        current = window_visit(actor) if getattr(actor, "role", None) == User.Role.CLERK else None
        if current is None or current.pk != occasion.pk:
            raise NotAllowed("窗口评价器只能评价本窗口刚刚办理的这次服务。")
    elif channel != Review.Channel.SMS:
        raise DomainError("评价渠道无效。", path="channel")
    check_open(occasion)
    value, picked, text = _clean_review(level, aspects, comment)
    review = Review.objects.create(
        occasion=occasion,
        channel=channel,
        level=value,
        aspects=picked,
        comment=text,
        screen_session=screen_session if channel == Review.Channel.WINDOW else "",
        created_at=_now(),
    )
    record_event(
        actor=actor if channel != Review.Channel.SMS else None,
        verb="review.submitted",
        target=review,
        data={
            "application": occasion.application.receipt_number,
            "occasion": occasion.kind,
            "channel": channel,
            "level": value,
            "aspects": picked,
        },
    )
    if value in BAD_LEVELS:
        _open_rectifications(review, occasion)
    return review


def _open_rectifications(review: Review, occasion: Occasion) -> None:
    today = timezone.localdate(review.created_at)
    due = add_workdays(today, followup_days())
    units: list[dict[str, Any]] = (
        [{"department": d} for d in occasion.departments.order_by("code")]
        if not occasion.is_visit
        else [{"window": occasion.window}]
    )
    for unit in units:
        rectification = Rectification.objects.create(
            review=review, due=due.date, due_provisional=due.provisional, **unit
        )
        record_event(
            actor=None,
            verb="review.rectification_opened",
            target=rectification,
            data={
                "review": review.pk,
                "unit": rectification.unit_name,
                "due": due.date.isoformat(),
            },
        )
        notify(
            recipients=unit_staff(rectification),
            subject=f"收到差评，请于{due.date:%Y年%m月%d日}前完成整改",
            body=f"{occasion.application.bundle_name}（{occasion.application.receipt_number}）："
            f"{review.get_level_display()}。",
            link=f"/reviews/followups/{rectification.pk}/",
        )


@transaction.atomic
@appended_together()
def review_supplement(*, review: Review, text: Any, actor: Any) -> Review:
    """Append the applicant's supplementary comment (once); the review itself stays."""
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("occasion__applicant")
        .get(pk=review.pk)
    )
    user_id = review.occasion.applicant.user_id
    if user_id is None or user_id != getattr(actor, "pk", None):
        raise NotAllowed("只能对本人的评价追加评价。")
    if review.supplemented_at is not None:
        raise TransitionError("已追加过评价。")
    review.supplement = clean_text(
        text, max_length=COMMENT_MAX, path="supplement", label="追加评价"
    )
    review.supplemented_at = _now()
    review.save(update_fields=["supplement", "supplemented_at"])
    record_event(actor=actor, verb="review.supplemented", target=review, data={})
    return review


# ---- The follow-up -------------------------------------------------------------------------


def unit_staff(rectification: Rectification) -> list[User]:
    """The people answerable for a unit's follow-ups: the department's reviewers, or the
    window's clerks."""
    users = User.objects.filter(is_active=True)
    if rectification.department_id:
        return list(
            users.filter(role=User.Role.REVIEWER, department_id=rectification.department_id)
        )
    return list(users.filter(role=User.Role.CLERK, window=rectification.window))


def supervisors() -> list[User]:
    return list(User.objects.filter(is_active=True, role=User.Role.SUPERVISOR))


def is_unit_member(rectification: Rectification, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if rectification.department_id:
        return user.role == User.Role.REVIEWER and user.department_id == rectification.department_id
    return (
        user.role == User.Role.CLERK and bool(user.window) and user.window == rectification.window
    )


def _text(inputs: dict[str, Any], key: str, label: str, required: bool = True) -> str:
    return clean_text(
        inputs.get(key), max_length=STEP_TEXT_MAX, path=key, label=label, required=required
    )


def _call_back(r: Rectification, inputs: dict[str, Any], actor: Any) -> dict[str, Any]:
    r.callback_outcome = _text(inputs, "callback_outcome", "回访情况")
    return {}


def _verify(r: Rectification, inputs: dict[str, Any], actor: Any) -> dict[str, Any]:
    finding = inputs.get("finding") or ""
    if finding not in Rectification.Finding.values:
        raise DomainError("请选择核实结论（属实、部分属实或不属实）。", path="finding")
    r.finding = finding
    r.finding_note = _text(inputs, "finding_note", "核实情况")
    return {"finding": finding}


def _rectify(r: Rectification, inputs: dict[str, Any], actor: Any) -> dict[str, Any]:
    needed = r.finding in {Rectification.Finding.TRUE, Rectification.Finding.PARTLY}
    # A review found untrue needs no measures; one found (partly) true does.
    r.measures = _text(inputs, "measures", "整改措施", required=needed)
    return {}


def _report(r: Rectification, inputs: dict[str, Any], actor: Any) -> dict[str, Any]:
    r.report = _text(inputs, "report", "反馈内容")
    r.reported_at = _now()
    token, digest = new_token()
    r.feedback_token_hash = digest
    r.feedback_expires_at = r.reported_at + dt.timedelta(days=FEEDBACK_DAYS)
    application = r.review.occasion.application
    notify_applicant(
        application.applicant,
        f"您对“{application.bundle_name}”的评价，{r.unit_name}已核实处理：{r.report[:60]}"
        f"。请告诉我们您是否满意：{site_url(f'/reviews/f/{token}/')}",
        link=f"/reviews/applications/{application.pk}/",
    )
    return {"on_time": timezone.localdate(r.reported_at) <= r.due}


def _applicant_answer(r: Rectification, inputs: dict[str, Any], actor: Any) -> dict[str, Any]:
    satisfied = inputs.get("satisfied")
    if satisfied not in {"yes", "no", True, False}:
        raise DomainError("请选择是否满意整改结果。", path="satisfied")
    r.applicant_satisfied = satisfied in {"yes", True}
    r.applicant_comment = clean_text(
        inputs.get("comment"), max_length=COMMENT_MAX, path="comment", label="意见", required=False
    )
    r.closed_at = _now()
    r.feedback_token_hash = ""  # single use
    notify(
        recipients=unit_staff(r),
        subject=f"申请人对整改结果{'满意' if r.applicant_satisfied else '不满意'}",
        body=r.applicant_comment,
        link=f"/reviews/followups/{r.pk}/",
    )
    return {"satisfied": r.applicant_satisfied}


def _appeal(r: Rectification, inputs: dict[str, Any], actor: Any) -> dict[str, Any]:
    r.appeal_reason = _text(inputs, "appeal_reason", "申诉理由")
    r.appeal_from = r.status
    r.appealed_at = _now()
    notify(
        recipients=supervisors(),
        subject=f"{r.unit_name}对一条差评提出申诉",
        body=r.appeal_reason,
        link=f"/reviews/followups/{r.pk}/",
    )
    return {}


def _decide_appeal(r: Rectification, inputs: dict[str, Any], actor: Any) -> dict[str, Any]:
    r.appeal_decision = _text(inputs, "appeal_decision", "处理意见")
    r.appeal_decided_at = _now()
    moved = 0
    if r.appealed_at is not None and inputs["_action"] == "reject_appeal":
        # The unit could not act while the supervisor decided: those days do not count.
        moved = count_workdays(
            timezone.localdate(r.appealed_at), timezone.localdate(r.appeal_decided_at)
        ).days
        if moved:
            result = add_workdays(r.due, moved)
            r.due, r.due_provisional = result.date, r.due_provisional or result.provisional
    upheld = inputs["_action"] == "uphold_appeal"
    notify(
        recipients=unit_staff(r),
        subject="差评申诉成立，该评价不计入统计" if upheld else "差评申诉被驳回，请继续整改",
        body=r.appeal_decision,
        link=f"/reviews/followups/{r.pk}/",
    )
    return {"due": r.due.isoformat(), "moved_days": moved}


STEPS = {
    "call_back": _call_back,
    "verify": _verify,
    "rectify": _rectify,
    "report": _report,
    "applicant_answer": _applicant_answer,
    "appeal": _appeal,
    "uphold_appeal": _decide_appeal,
    "reject_appeal": _decide_appeal,
}
UNIT_ACTIONS = {"call_back", "verify", "rectify", "report", "appeal"}
SUPERVISOR_ACTIONS = {"uphold_appeal", "reject_appeal"}


@transaction.atomic
@appended_together()
def rectification_act(
    *,
    rectification: Rectification,
    action: str,
    actor: Any,
    inputs: dict[str, Any] | None = None,
    expected_status: str | None = None,
) -> Rectification:
    """Take one step of a follow-up: lock it, check who acts and that the step is the next
    one, apply the step's inputs, write the audit event and queue its notifications.

    The unit's staff call back, verify, rectify, report and may appeal; the supervisor
    decides appeals; the applicant's answer (``applicant_answer``) comes through the
    feedback link, with no actor."""
    if action not in STEPS:
        raise DomainError("未知的整改操作。", path="action")
    r = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("review__occasion__application__applicant", "department")
        .get(pk=rectification.pk)
    )
    if action in UNIT_ACTIONS and not (
        is_unit_member(r, actor) or getattr(actor, "is_superuser", False)
    ):
        raise NotAllowed("只能办理本单位的差评整改。")
    if action in SUPERVISOR_ACTIONS and not getattr(actor, "is_supervisor", False):
        raise NotAllowed("申诉由政务大数据局审核。")
    if action == "applicant_answer" and actor is not None:
        user_id = r.review.occasion.applicant.user_id
        if user_id is None or user_id != getattr(actor, "pk", None):
            raise NotAllowed("只能由评价人确认整改结果。")
    if expected_status and r.status != expected_status:
        raise TransitionError(
            f"该差评整改已由他人处理，当前为“{r.get_status_display()}”，请刷新后查看。"
        )
    old = r.status
    new = target_status(r, action)
    data = STEPS[action](r, {**(inputs or {}), "_action": action}, actor)
    r.status = new
    r.save()
    record_event(
        actor=actor,
        verb=f"review.rectification_{action}",
        target=r,
        data={"review": r.review_id, "unit": r.unit_name, "old": old, "new": new, **data},
    )
    return r


def rectification_by_feedback_token(token: str) -> Rectification:
    """The follow-up a feedback link names; refuses a wrong, used or expired link."""
    r = None
    if token:
        r = Rectification.objects.filter(feedback_token_hash=hash_token(token)).first()
    if r is None:
        raise NotAllowed("链接无效或已使用。")
    if r.feedback_expires_at is not None and r.feedback_expires_at <= _now():
        raise TransitionError(f"链接已过期（有效期{FEEDBACK_DAYS}日）。")
    return r


# ---- Escalation ----------------------------------------------------------------------------


def sweep_overdue(*, today: dt.date | None = None) -> int:
    """Mark follow-ups past their deadline as overdue and tell the unit and the supervisor.
    Each row is claimed with a compare-and-swap, so running twice (or twice at once)
    escalates each follow-up once."""
    today = today or timezone.localdate()
    ids = list(
        Rectification.objects.filter(
            status__in=RUNNING, overdue_at__isnull=True, due__lt=today
        ).values_list("pk", flat=True)
    )
    marked = 0
    for pk in ids:
        with transaction.atomic():
            claimed = Rectification.objects.filter(
                pk=pk, status__in=RUNNING, overdue_at__isnull=True
            ).update(overdue_at=_now())
            if not claimed:
                continue
            r = Rectification.objects.select_related(
                "review__occasion__application", "department"
            ).get(pk=pk)
            record_event(
                actor=None,
                verb="review.rectification_overdue",
                target=r,
                data={"review": r.review_id, "unit": r.unit_name, "due": r.due.isoformat()},
            )
            application = r.review.occasion.application
            notify(
                recipients=[*unit_staff(r), *supervisors()],
                subject=f"差评整改超期：{r.unit_name}",
                body=f"{application.bundle_name}（{application.receipt_number}）的差评整改"
                f"应于{r.due:%Y年%m月%d日}前完成，当前为“{r.get_status_display()}”。",
                link=f"/reviews/followups/{r.pk}/",
            )
            marked += 1
    return marked

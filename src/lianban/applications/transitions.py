"""The allowed transitions of an application during intake: one table."""

from __future__ import annotations

from lianban.applications.models import Application
from lianban.common.errors import TransitionError

S = Application.Status

# action: (states it may start from, state it leads to, what it is called)
APPLICATION_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED, "提交"),
    "receive": (frozenset({S.SUBMITTED, S.DRAFT}), S.RECEIVED, "收件"),
    "request_correction": (frozenset({S.SUBMITTED, S.DRAFT}), S.CORRECTION, "一次性告知补正"),
    "resubmit": (frozenset({S.CORRECTION}), S.SUBMITTED, "补正后重新提交"),
    "withdraw": (frozenset({S.DRAFT, S.SUBMITTED, S.CORRECTION}), S.WITHDRAWN, "撤回"),
    "complete": (frozenset({S.RECEIVED}), S.COMPLETED, "办结"),
    "archive": (frozenset({S.COMPLETED}), S.ARCHIVED, "归档"),
}

# Where the applicant (or the clerk at the window) may still change the form and materials;
# in CORRECTION only what the correction notice lists.
EDITABLE = frozenset({S.DRAFT, S.CORRECTION})


def target_status(application: Application, action: str) -> str:
    sources, target, label = APPLICATION_TRANSITIONS[action]
    if application.status not in sources:
        raise TransitionError(
            f"申请{application.receipt_number or ''}当前为“{application.get_status_display()}”，"
            f"不能{label}。"
        )
    return target

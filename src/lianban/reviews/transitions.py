"""The allowed transitions of a follow-up (差评整改): one table."""

from __future__ import annotations

from lianban.common.errors import TransitionError
from lianban.reviews.models import Rectification

S = Rectification.Status

# Steps a unit may still appeal from: before it has reported back to the applicant.
APPEALABLE = frozenset({S.OPEN, S.CALLED_BACK, S.VERIFIED, S.RECTIFIED})
# Not yet reported: these are what the deadline (and the overdue sweep) watch.
RUNNING = APPEALABLE
DONE = frozenset({S.REPORTED, S.CLOSED})

# action: (states it may start from, state it leads to — None: back to the state before the
# appeal, what it is called)
RECTIFICATION_TRANSITIONS: dict[str, tuple[frozenset[str], str | None, str]] = {
    "call_back": (frozenset({S.OPEN}), S.CALLED_BACK, "回访"),
    "verify": (frozenset({S.CALLED_BACK}), S.VERIFIED, "核实"),
    "rectify": (frozenset({S.VERIFIED}), S.RECTIFIED, "整改"),
    "report": (frozenset({S.RECTIFIED}), S.REPORTED, "反馈"),
    "applicant_answer": (frozenset({S.REPORTED}), S.CLOSED, "确认整改结果"),
    "appeal": (APPEALABLE, S.APPEALED, "申诉"),
    "uphold_appeal": (frozenset({S.APPEALED}), S.APPEAL_UPHELD, "认定申诉成立"),
    "reject_appeal": (frozenset({S.APPEALED}), None, "驳回申诉"),
}

# The unit's steps, in the order its page offers them.
UNIT_STEPS = ("call_back", "verify", "rectify", "report")


def unit_step(rectification: Rectification) -> str | None:
    """The one step the unit takes next, if any."""
    for action in UNIT_STEPS:
        if rectification.status in RECTIFICATION_TRANSITIONS[action][0]:
            return action
    return None


def target_status(rectification: Rectification, action: str) -> str:
    sources, target, label = RECTIFICATION_TRANSITIONS[action]
    if rectification.status not in sources:
        raise TransitionError(
            f"该差评整改当前为“{rectification.get_status_display()}”，不能{label}"
            "（可能已由他人处理，请刷新后查看）。"
        )
    return target if target is not None else rectification.appeal_from

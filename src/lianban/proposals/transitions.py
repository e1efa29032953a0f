"""The allowed moves of a proposal: one table."""

from __future__ import annotations

from lianban.common.errors import TransitionError
from lianban.proposals.models import Proposal

S = Proposal.Status

# action: (states it may start from, state it leads to, what it is called)
PROPOSAL_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED, "采纳"),
    "decline": (frozenset({S.SUBMITTED}), S.DECLINED, "不予采纳"),
    "mark_duplicate": (frozenset({S.SUBMITTED}), S.DUPLICATE, "标记为重复建议"),
}


def allowed_actions(proposal: Proposal) -> list[str]:
    return [a for a, (sources, _, _) in PROPOSAL_TRANSITIONS.items() if proposal.status in sources]


def target_status(proposal: Proposal, action: str) -> str:
    if action not in PROPOSAL_TRANSITIONS:
        raise TransitionError(f"未知的处理方式：{action}。", path="action")
    sources, target, label = PROPOSAL_TRANSITIONS[action]
    if proposal.status not in sources:
        raise TransitionError(
            f"建议 {proposal.number} 当前为“{proposal.get_status_display()}”，不能{label}"
            "（可能已由他人处理，请刷新后查看）。"
        )
    return target

"""The allowed transitions of an item case: one table."""

from __future__ import annotations

from lianban.cases.models import ItemCase
from lianban.common.errors import TransitionError

S = ItemCase.Status

# action: (states it may start from, state it leads to, what it is called)
CASE_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "dispatch": (frozenset({S.WAITING}), S.DISPATCHED, "分送"),
    "accept": (frozenset({S.DISPATCHED}), S.ACCEPTED, "受理"),
    "refuse": (frozenset({S.DISPATCHED}), S.REFUSED, "不予受理"),
    "request_supplement": (frozenset({S.DISPATCHED}), S.SUPPLEMENT, "要求补正"),
    "supplement_received": (frozenset({S.SUPPLEMENT}), S.DISPATCHED, "接收补正材料"),
    "suspend": (frozenset({S.ACCEPTED}), S.SUSPENDED, "中止计时"),
    "resume": (frozenset({S.SUSPENDED}), S.ACCEPTED, "恢复计时"),
    "extend": (frozenset({S.ACCEPTED}), S.ACCEPTED, "延期"),
    "decide": (frozenset({S.ACCEPTED}), S.DECIDED, "作出决定"),
    "return_result": (frozenset({S.DECIDED}), S.RETURNED, "送回办理结果"),
    "deliver": (frozenset({S.RETURNED}), S.DELIVERED, "送达"),
    "cancel": (frozenset({S.WAITING}), S.CANCELLED, "取消"),
}

TERMINAL = frozenset({S.DELIVERED, S.REFUSED, S.CANCELLED})


# What a department does to its case, in the order its pages and its system's API offer them.
DEPARTMENT_ACTIONS = (
    "accept",
    "refuse",
    "request_supplement",
    "suspend",
    "resume",
    "extend",
    "decide",
    "return_result",
)


def allowed_actions(case: ItemCase) -> list[str]:
    """The department's actions the case's status allows now (延期 only once)."""
    return [
        action
        for action in DEPARTMENT_ACTIONS
        if case.status in CASE_TRANSITIONS[action][0] and not (action == "extend" and case.extended)
    ]


def target_status(case: ItemCase, action: str) -> str:
    sources, target, label = CASE_TRANSITIONS[action]
    if case.status not in sources:
        raise TransitionError(
            f"“{case.item_name}”当前为“{case.get_status_display()}”，不能{label}"
            "（可能已由他人处理，请刷新后查看）。"
        )
    return target

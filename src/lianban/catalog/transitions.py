"""The allowed transitions of a bundle version through 备案 to publication: one table."""

from __future__ import annotations

from lianban.catalog.models import BundleVersion
from lianban.common.errors import TransitionError

S = BundleVersion.Status

# action: (states it may start from, state it leads to, what it is called)
VERSION_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "record": (frozenset({S.SUBMITTED}), S.RECORDED, "备案"),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED, "退回"),
    "withdraw": (frozenset({S.SUBMITTED}), S.WITHDRAWN, "撤回"),
    "publish": (frozenset({S.RECORDED}), S.PUBLISHED, "发布"),
    "supersede": (frozenset({S.PUBLISHED}), S.SUPERSEDED, "停用"),
}


def target_status(version: BundleVersion, action: str) -> str:
    """The status ``action`` leads to, or TransitionError naming why it cannot happen."""
    sources, target, label = VERSION_TRANSITIONS[action]
    if version.status not in sources:
        raise TransitionError(
            f"“{version.bundle.name}”第{version.number}版当前为“{version.get_status_display()}”，"
            f"不能{label}。"
        )
    return target

"""Proposals made through the real service, as the page makes them."""

from __future__ import annotations

from typing import Any

from lianban.accounts.models import User
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import DepartmentFactory, ServiceItemFactory, UserFactory
from lianban.proposals.models import Proposal
from lianban.proposals.services import proposal_submit

PHONE = "13912345678"


def new_proposal(actor: Any = None, **overrides: Any) -> Proposal:
    values: dict[str, Any] = {
        "kind": Proposal.Kind.NEW,
        "title": "我要开宠物店",
        "subject": "legal",
        "category": "establish",
        "items": [ServiceItemFactory(name="动物诊疗许可"), ServiceItemFactory(name="营业执照")],
        "items_text": "还有门头招牌审批",
        "reason": "开宠物店要跑好几个部门。",
        "proposer_name": "王五",
        "phone": PHONE,
    }
    values.update(overrides)
    return proposal_submit(actor=actor, **values)


def change_proposal(bundle: Any, actor: Any = None, **overrides: Any) -> Proposal:
    values: dict[str, Any] = {
        "kind": Proposal.Kind.CHANGE,
        "bundle": bundle,
        "change": "增加“网上预约现场核查”。",
        "reason": "现场核查要等好几天。",
        "proposer_name": "赵六",
        "phone": "13700001111",
    }
    values.update(overrides)
    return proposal_submit(actor=actor, **values)


def supervisor() -> User:
    return UserFactory(supervisor=True)


def editor_of(department: Department) -> User:
    return UserFactory(editor=True, department=department)


def department(code: str = "nyncj", name: str = "农业农村局") -> Department:
    return DepartmentFactory(code=code, name=name)

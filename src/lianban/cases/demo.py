"""Demo item cases in every state, across the first batch, made through the same services
the window and the departments use."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.db import transaction

from lianban.accounts.models import User
from lianban.accounts.services import applicant_for_walk_in
from lianban.applications import services as intake
from lianban.applications.demo import _fill, _first_answers, _scan
from lianban.applications.models import Application
from lianban.applications.selectors import plan_of
from lianban.cases import services
from lianban.cases.models import ItemCase
from lianban.catalog.selectors import definition_of, published_version
from lianban.common.identity import credit_code_check_char, resident_id_check_char

S = ItemCase.Status


def _reviewer(case: ItemCase) -> User:
    return User.objects.filter(
        role=User.Role.REVIEWER, department=case.department
    ).first() or User.objects.get(username="admin")


def _receive(code: str, n: int, clerk: User, delivery: str = "together") -> Application:
    version = published_version(code)
    assert version is not None
    subject = definition_of(version).snapshot["subject"]
    if subject == "natural":
        first17 = f"41070219{80 + n % 20:02d}0{n % 9 + 1}1{n % 9 + 1}{n:03d}"[:17]
        applicant = applicant_for_walk_in(
            kind="natural",
            name=f"演示申请人{n}",
            phone=f"1380000{n:04d}",
            id_number=first17 + resident_id_check_char(first17),
            actor=clerk,
        )
    else:
        first17 = f"92410702MA{n:07d}"
        applicant = applicant_for_walk_in(
            kind="legal",
            name=f"卫滨区演示商户{n}",
            phone=f"1390000{n:04d}",
            credit_code=first17 + credit_code_check_char(first17),
            legal_representative="演示法人",
            actor=clerk,
        )
    app = intake.application_start(
        bundle_code=code,
        answers=_first_answers(code),
        applicant=applicant,
        channel="window",
        actor=clerk,
    )
    _fill(app, clerk)
    for m in plan_of(app).materials:
        intake.material_review(
            application=app, material_code=m["code"], verdict="accepted", actor=clerk
        )
    app.delivery_method = delivery
    app.save(update_fields=["delivery_method"])
    intake.application_receive(application=app, actor=clerk)
    app.refresh_from_db()
    return app


def _each(app: Application, status: str, fn: Callable[[ItemCase, User], object]) -> None:
    for case in app.cases.filter(status=status).order_by("item__position"):
        fn(case, _reviewer(case))


def _finish(case: ItemCase, who: User) -> None:
    services.case_decide(case=case, actor=who, outcome="approved")
    case.refresh_from_db()
    services.case_return_result(
        case=case,
        actor=who,
        documents=[
            {
                "kind": "licence",
                "title": f"{case.item_name}（准予）",
                "number": f"DEMO-{case.pk}",
                "stream": io.BytesIO(_scan(case.item_code).read()),
                "name": "result.pdf",
            }
        ],
    )


def _accept(case: ItemCase, who: User) -> None:
    services.case_accept(case=case, actor=who)


@transaction.atomic
def create_demo_cases() -> int:
    if ItemCase.objects.filter(application__applicant__name__startswith="演示").exists():
        return 0
    clerk = User.objects.get(username="chuangkou")
    # Fresh: every free item waits for its department's acceptance.
    _receive("hotel", 1, clerk)
    # In progress: accepted, one suspended for inspection, one extended.
    app = _receive("restaurant", 2, clerk)
    _each(app, S.DISPATCHED, _accept)
    accepted = list(app.cases.filter(status=S.ACCEPTED).order_by("item__position"))
    if accepted:
        services.case_suspend(
            case=accepted[0],
            actor=_reviewer(accepted[0]),
            kind="inspection",
            reason="委托第三方检测排水设施",
        )
    if len(accepted) > 1:
        services.case_extend(
            case=accepted[1],
            actor=_reviewer(accepted[1]),
            days=5,
            approver="部门负责人",
            reason="现场核查需要补充时间",
        )
    # In order: tax deregistration decided, so the licence cancellation is dispatched.
    app = _receive("enterprise-deregistration", 3, clerk)
    _each(app, S.DISPATCHED, _accept)
    _each(app, S.ACCEPTED, _finish)
    # A department asks for a supplement before accepting.
    app = _receive("supermarket", 4, clerk)
    first = app.cases.filter(status=S.DISPATCHED).order_by("item__position").first()
    if first is not None:
        services.case_request_supplement(
            case=first,
            actor=_reviewer(first),
            material_codes=first.item.material_codes[:1],
            reason="营业执照复印件不清晰，请重新提供",
        )
    # Refused, and what waited for it cancelled.
    app = _receive("marriage", 5, clerk)
    first = app.cases.filter(status=S.DISPATCHED).order_by("item__position").first()
    if first is not None:
        services.case_refuse(
            case=first, actor=_reviewer(first), reason="当事人一方未到场，不符合结婚登记的受理条件"
        )
    # Results at the window, waiting to be handed over each as it is done.
    app = _receive("pharmacy", 6, clerk, delivery="each")
    _each(app, S.DISPATCHED, _accept)
    _each(app, S.ACCEPTED, _finish)
    # Decided, the result not yet back at the window.
    app = _receive("convenience-store", 8, clerk)
    first = app.cases.filter(status=S.DISPATCHED).order_by("item__position").first()
    if first is not None:
        who = _reviewer(first)
        services.case_accept(case=first, actor=who)
        services.case_decide(case=first, actor=who, outcome="approved")
    # Done and delivered: completed and archived.
    app = _receive("birth", 7, clerk)
    for _ in range(3):  # items that wait for others are dispatched as those are decided
        _each(app, S.DISPATCHED, _accept)
        _each(app, S.ACCEPTED, _finish)
    services.application_deliver(application=app, actor=clerk, recipient="演示申请人7")
    return ItemCase.objects.count()

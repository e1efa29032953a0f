"""Two demo proposals for the embedded default (`make run`), made through the services:
one from a visitor without an account, already taken up into a draft bundle led by the
market regulator; one from the demo applicant 张三, still waiting for the supervisor."""

from __future__ import annotations

from django.db import transaction

from lianban.accounts.models import User
from lianban.catalog.models import Bundle, BundleVersion, Department, ServiceItem
from lianban.proposals.models import Proposal
from lianban.proposals.services import proposal_submit, proposal_triage

DEMO_TITLE = "我要开办民宿"


@transaction.atomic
def create_demo_proposals() -> int:
    """Make the two demo proposals once; returns how many were made (0 if already there)."""
    if Proposal.objects.filter(title=DEMO_TITLE).exists():
        return 0
    items = [
        item
        for name in ("营业执照", "特种行业", "消防")
        if (item := ServiceItem.objects.filter(name__contains=name).order_by("code").first())
    ]
    taken = proposal_submit(
        kind=Proposal.Kind.NEW,
        title=DEMO_TITLE,
        subject=Bundle.Subject.NATURAL,
        category=Bundle.Category.OPERATE,
        items=items,
        items_text="卫生许可（如提供餐饮）",
        reason="乡村民宿越来越多，开办要分别跑市场监管、公安、消防，希望一次办好。",
        proposer_name="演示访客",
        phone="13800000009",
        actor=None,
    )
    proposal_triage(
        proposal=taken,
        action="accept",
        actor=User.objects.get(username="dsj"),
        department=Department.objects.get(code="scjgj"),
        note="请区市场监管局牵头，会同公安局、消防救援支队编制办事指南。",
    )
    published = Bundle.objects.filter(versions__status=BundleVersion.Status.PUBLISHED)
    bundle = published.filter(code="restaurant").first() or published.first()
    made = 1
    if bundle is not None:
        zhangsan = User.objects.get(username="zhangsan")
        proposal_submit(
            kind=Proposal.Kind.CHANGE,
            bundle=bundle,
            change="希望现场核查可以在网上预约具体时间。",
            reason="等候现场核查时无法确定哪天要在店里。",
            proposer_name="张三",
            phone="13800000001",
            actor=zhangsan,
        )
        made += 1
    return made

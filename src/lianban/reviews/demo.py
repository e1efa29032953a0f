"""Demo reviews for `make run`: a few ratings of the demo applications' window visits and
completion, and one bad review of 1号综合窗口 whose follow-up is in progress (called back)."""

from __future__ import annotations

from django.db import transaction

from lianban.accounts.models import User
from lianban.reviews import services
from lianban.reviews.models import Occasion, Review


@transaction.atomic
def create_demo_reviews() -> int:
    if Review.objects.exists():
        return 0
    occasions = list(Occasion.objects.select_related("application").order_by("created_at", "id"))
    if not occasions:
        return 0
    visits = [o for o in occasions if o.kind == Occasion.Kind.RECEIPT]
    made = 0
    # The demo rates as the SMS link would: the window screen only takes a live visit.
    for occasion, level in zip(visits[:3], (5, 4, 3), strict=False):
        services.review_submit(occasion=occasion, channel=Review.Channel.SMS, level=level)
        made += 1
    for occasion in occasions:
        if occasion.kind == Occasion.Kind.COMPLETION:
            services.review_submit(occasion=occasion, channel=Review.Channel.SMS, level=4)
            made += 1
            break
    if len(visits) > 3:
        bad = services.review_submit(
            occasion=visits[3],
            channel=Review.Channel.SMS,
            level=2,
            aspects=["efficiency", "materials"],
            comment="收件时让我回去复印两次材料，前后跑了三趟。",
        )
        made += 1
        clerk = User.objects.filter(username="chuangkou").first()
        for r in bad.rectifications.all():
            if clerk is not None and services.is_unit_member(r, clerk):
                services.rectification_act(
                    rectification=r,
                    action="call_back",
                    actor=clerk,
                    inputs={"callback_outcome": "已电话回访，申请人反映复印材料往返多次。"},
                )
    return made

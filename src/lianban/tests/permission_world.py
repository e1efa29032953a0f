"""The objects the permission matrix opens, made once through the real services: people in
every role, an application of one applicant with its cases in one department, a completed
one with a bad review and its follow-up, a proposal, a bulletin, department systems, a
lower node and an upstream node."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone

from lianban.accounts.demo import role_group
from lianban.accounts.models import User
from lianban.applications.models import Application, Notice
from lianban.applications.tests.factories import ApplicantFactory, clerk, published_restaurant
from lianban.applications.tests.test_delivery_pages import draft, finish, finish_all, received
from lianban.cases import services as cases
from lianban.cases.models import Delivery, ItemCase, ResultDocument
from lianban.cases.tests.factories import received_restaurant
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import DepartmentFactory, UserFactory
from lianban.integration import nodes
from lianban.integration import services as integration
from lianban.integration.models import ClientSystem, Scope, WebhookDelivery
from lianban.proposals.tests.factories import new_proposal
from lianban.reviews.models import Occasion, Rectification
from lianban.reviews.services import window_visit
from lianban.reviews.tests.factories import bad_review
from lianban.reviews.tokens import new_token
from lianban.signing.models import IssuedDocument
from lianban.supervision import services as supervision

# Under 50㎡ without a sign: 营业执照登记 and 食品小经营店登记, both of 区市场监管局 (scjgj);
# the fire brigade (xfzd) has no case in it, so its reviewer is "another department".
SMALL_NO_SIGN = {"area": "lt50", "sign": "no"}
FORM = {
    "applicant_name": "卫滨区好味道小吃店",
    "business_area": "40",
    "applicant_phone": "13912345678",
}
DEPARTMENT_SCOPES = [s.value for s in Scope if s != Scope.NODE_FORWARD]


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, Any]
    # API clients: the bearer token of each registered system.
    tokens: dict[str, str] = field(default_factory=dict)


def _application(owner: Any, *, staff: User) -> Application:
    """Received, for electronic self-print; its business-licence case decided and its result
    returned to the window, its small-shop case dispatched."""
    app = received_restaurant(
        SMALL_NO_SIGN, delivery=Delivery.Method.SELF_PRINT, applicant=owner, window=staff
    )
    finish(ItemCase.objects.get(application=app, item_code="SCJGJ-001"))
    # The first download (网上自助打印) is done: the result is the applicant's to download.
    cases.application_deliver(application=app, actor=owner.user)
    app.refresh_from_db()
    return app


def _token(issued: integration.IssuedSecret) -> str:
    return integration.token_issue(
        client_id=issued.client.client_id,
        client_secret=issued.secret,
        scope=None,
        grant_type="client_credentials",
    ).token


def build_world() -> World:
    published_restaurant()
    scjgj = Department.objects.get(code="scjgj")
    xfzd = Department.objects.get(code="xfzd")
    DepartmentFactory(code="dsj", name="政务服务和大数据管理局", is_supervisor=True)

    owner = ApplicantFactory()
    other = ApplicantFactory()
    window = clerk()
    window.window = "3号综合窗口"
    window.save(update_fields=["window"])
    editor = UserFactory(editor=True, department=scjgj)
    editor.groups.add(role_group(User.Role.EDITOR))
    supervisor = UserFactory(supervisor=True)
    supervisor.groups.add(role_group(User.Role.SUPERVISOR))
    users = {
        "owner": owner.user,
        "applicant": other.user,
        "clerk": window,
        "reviewer": UserFactory(role=User.Role.REVIEWER, department=scjgj),
        "reviewer_other": UserFactory(role=User.Role.REVIEWER, department=xfzd),
        "editor": editor,
        "supervisor": supervisor,
        # As the demo's 系统管理员: the supervisor's role, staff and superuser.
        "superuser": UserFactory(
            role=User.Role.SUPERVISOR, department=None, is_staff=True, is_superuser=True
        ),
    }

    app = _application(owner, staff=window)
    licence = ItemCase.objects.get(application=app, item_code="SCJGJ-001")
    shop = ItemCase.objects.get(application=app, item_code="SCJGJ-003")
    result = ResultDocument.objects.filter(case=licence).first()
    assert result is not None
    issued_doc = IssuedDocument.objects.filter(seal__department=scjgj).order_by("id").first()
    assert issued_doc is not None
    material = app.material_files.filter(material_code="id_card").first()
    assert material is not None
    notice = Notice.objects.filter(application=app).exclude(pdf="").order_by("id").first()
    assert notice is not None

    # The owner's completed application (区市场监管局 and 城管局), with a bad review whose
    # follow-up belongs to 区市场监管局.
    done = received("together", applicant=owner)
    finish_all(done)
    cases.application_deliver(application=done, actor=window, recipient="李四")
    review = bad_review(done)
    followup = Rectification.objects.filter(review=review, department=scjgj).first()
    assert followup is not None
    occasion = review.occasion
    # The links an SMS carries: to rate a service not yet rated, and to answer a follow-up
    # the unit has reported on (the city administration's part of the same review).
    rate_token, digest = new_token()
    open_occasion = Occasion.objects.filter(review__isnull=True).order_by("id").first()
    assert open_occasion is not None
    Occasion.objects.filter(pk=open_occasion.pk).update(
        token_hash=digest, expires_at=timezone.now() + dt.timedelta(days=7)
    )
    feedback_token, digest = new_token()
    reported = Rectification.objects.filter(review=review).exclude(pk=followup.pk).first()
    assert reported is not None
    Rectification.objects.filter(pk=reported.pk).update(
        feedback_token_hash=digest,
        reported_at=timezone.now(),
        feedback_expires_at=timezone.now() + dt.timedelta(days=7),
    )

    # The service the window's rating screen shows: the clerk's latest at their window.
    visit = window_visit(window)
    assert visit is not None
    proposal = new_proposal(actor=owner.user)
    owners_draft = draft(owner)
    supervision.refresh_figures()
    bulletin = supervision.bulletin_issue(
        month=timezone.localdate().replace(day=1) - dt.timedelta(days=1), actor=supervisor
    )

    system = integration.client_register(
        name="区市场监管局审批系统", department=scjgj, scopes=DEPARTMENT_SCOPES, actor=supervisor
    )
    system_other = integration.client_register(
        name="消防救援支队审批系统", department=xfzd, scopes=DEPARTMENT_SCOPES, actor=supervisor
    )
    node = integration.client_register(
        name="卫滨区联办平台",
        department=None,
        scopes=[Scope.NODE_FORWARD, Scope.WEBHOOKS_MANAGE],
        actor=supervisor,
        kind=ClientSystem.Kind.NODE,
    )
    subscription = integration.subscription_create(
        client=system.client,
        url="https://scjgj.example.gov.cn/hooks",
        event_types=["case.dispatched"],
        actor=system.client.service_account,
    )
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="case.dispatched",
        case_id=shop.pk,
        body="{}",
        retry_since=now,
        next_attempt_at=now,
        created_at=now,
    )
    tokens = {"system": _token(system), "system_other": _token(system_other), "node": _token(node)}
    # The node forwards the small-shop item here once: the node's own forwarded case.
    payload = nodes.forward_payload(shop)
    payload["origin"]["case_id"] = shop.pk + 10_000
    forwarded = Client().post(
        "/api/v1/node/cases",
        json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens['node']}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert forwarded.status_code == 201, forwarded.content
    from lianban.integration.models import UpstreamNode

    UpstreamNode.objects.create(
        code="city",
        name="市联办平台",
        base_url="https://city.example.gov.cn/api/v1",
        client_id="lbc_x",
        client_secret="lbs_x",
        events_secret="whs_" + "x" * 40,
    )

    ids = {
        "app": app.pk,
        "done": done.pk,
        "draft": owners_draft.pk,
        "case": shop.pk,
        "licence_case": licence.pk,
        "material": material.pk,
        "notice": notice.pk,
        "result": result.pk,
        "document": issued_doc.number,
        "receipt": app.receipt_number,
        "occasion": occasion.pk,
        "open_occasion": open_occasion.pk,
        "visit": visit.pk,
        "review": review.pk,
        "followup": followup.pk,
        "rate_token": rate_token,
        "feedback_token": feedback_token,
        "proposal": proposal.number,
        "bulletin": bulletin.pk,
        "client": system.client.pk,
        "credential": system.credential.pk,
        "subscription": subscription.pk,
        "delivery": delivery.pk,
        "forwarded_case": forwarded.json()["id"],
        "bundle": "restaurant",
        "light": "red",
        "user": users["owner"].pk,
        "admin_app": "catalog",
        "upstream": "city",
        "forward_payload": payload,
    }
    return World(users=users, ids=ids, tokens=tokens)

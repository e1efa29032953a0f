"""What the applicant's API (``/api/v1/applications``) and the window's (``/api/v1/window``)
share: who is calling (the Django session the pages' sign-in sets, with its CSRF token on
writes and the role checked), one command runner (``Idempotency-Key`` per user,
``expected_status`` checked under the application's row lock) and the application as both
read it. The rules stay in :mod:`lianban.applications.services` and
:mod:`lianban.cases.services`; this module only reads requests and shapes answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from lianban.accounts.models import User
from lianban.applications import selectors, webforms
from lianban.applications.api_schemas import ApplicationOut
from lianban.applications.applicant_views import case_rows, with_cases
from lianban.applications.files import extension_for
from lianban.applications.models import Application, MaterialFile, MaterialReview, Notice
from lianban.applications.notices import SEALING_RETRY_SECONDS
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.integration import idempotency

SESSION_DOC = (
    "浏览器会话：先按页面方式登录（GET /accounts/login/ 取得 csrftoken Cookie，再以表单 POST "
    "/accounts/login/，字段 username、password、csrfmiddlewaretoken），之后的请求带上 sessionid 和 "
    "csrftoken 两个 Cookie；每个 POST 另在 X-CSRFToken 请求头中带 csrftoken 的值"
    "（HTTPS 下还须带同源的 Referer 或 Origin）。未登录返回 401，CSRF 校验失败或角色不符返回 403。"
)


class CsrfFailed(NotAllowed):
    code = "csrf_failed"


class NotFound(DomainError):
    code = "not_found"
    status = 404


class NoticeSealing(DomainError):
    """The notice is issued and the sealing worker has not sealed its PDF yet (a moment)."""

    code = "notice_sealing"
    status = 409

    def __init__(self, message: str, *, path: str, retry_after: int):
        super().__init__(message, path=path)
        self.headers = {"Retry-After": str(retry_after)}


class SessionRole(APIKeyCookie):
    """The signed-in person of the session, if their role is one of ``roles``. Unlike
    ninja's ``django_auth``, a visitor who is not signed in gets 401 before the CSRF check
    (which would answer 403), and the refusals carry Chinese messages."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = SESSION_DOC

    def __init__(self, *roles: str, superuser: bool = False, label: str) -> None:
        super().__init__(csrf=True)
        self.roles = frozenset(roles)
        self.superuser = superuser
        self.label = label

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        if check_csrf(request) is not None:  # safe methods always pass
            raise CsrfFailed(
                "CSRF 校验失败：请在 X-CSRFToken 请求头中带上 csrftoken Cookie 的值。",
                path="X-CSRFToken",
            )
        allowed = getattr(user, "role", None) in self.roles or (
            self.superuser and user.is_superuser
        )
        if not allowed or (User.Role.APPLICANT in self.roles and not _has_profile(user)):
            raise NotAllowed(f"仅{self.label}可用。")
        return user


def _has_profile(user: Any) -> bool:
    # An applicant acts for the applicant record (person or company) their account holds.
    return hasattr(user, "applicant")


applicant_auth = SessionRole(User.Role.APPLICANT, label="申请人")
clerk_auth = SessionRole(User.Role.CLERK, superuser=True, label="窗口人员")


def application_for(user: Any, application_id: int, *, lock: bool = False) -> Application:
    """One application the person may see (another's is 404, as if it did not exist)."""
    qs: QuerySet[Application] = selectors.visible_to(user)
    if lock:
        qs = qs.select_for_update(of=("self",))
    application = qs.select_related("applicant", "bundle_version").filter(pk=application_id).first()
    if application is None:
        raise NotFound("未找到该申请。", path="application_id")
    return application


def page(qs: QuerySet[Any], number: int, size: int, row: Callable[[Any], dict]) -> dict:
    count = qs.count()
    return {
        "count": count,
        "page": number,
        "page_size": size,
        "pages": max((count + size - 1) // size, 1),
        "results": [row(a) for a in qs[(number - 1) * size : number * size]],
    }


# ---- Commands ----------------------------------------------------------------------------


def command(
    request: HttpRequest,
    *,
    application_id: int,
    expected_status: str,
    key: str | None,
    content: dict[str, Any],
    act: Callable[[Application], list[dict[str, str]] | None],
    present: Callable[[Application], dict[str, Any]],
) -> HttpResponse:
    """Run ``act`` once per (user, ``Idempotency-Key``): the application is locked and its
    status compared with the one the client saw (409 if it changed), then ``act`` calls one
    service; the answer is the application as it now is (``present``), with the warnings
    ``act`` returned. ``content`` identifies the request (files by their digest)."""

    def execute() -> idempotency.Result:
        application = application_for(request.user, application_id, lock=True)
        if application.status != expected_status:
            raise TransitionError(
                f"申请当前为“{application.get_status_display()}”，已有变化，请重新读取后再操作。",
                path="expected_status",
            )
        warnings = act(application) or []
        body = present(application_for(request.user, application_id))
        body["warnings"] = warnings
        return idempotency.Result(200, body)

    return idempotency.run(
        user=request.user,
        key=key,
        print_=idempotency.fingerprint(
            request.method or "", request.path, {"expected_status": expected_status, **content}
        ),
        execute=execute,
    )


# ---- The application as the API shows it ------------------------------------------------

# What the API shows of a row of the form as the pages build it.
FORM_KEYS = ("key", "label", "type", "required", "help", "unit", "choices", "display", "editable")


def _review(r: MaterialReview | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "verdict": r.verdict,
        "verdict_label": r.get_verdict_display(),
        "reason": r.reason,
        "round": r.round,
        "reviewed_at": r.reviewed_at,
    }


def _file(f: MaterialFile) -> dict[str, Any]:
    return {
        "id": f.pk,
        "version": f.version,
        "original_name": f.original_name,
        "content_type": f.content_type,
        "size": f.size,
        "sha256": f.sha256,
        "evidence": f.evidence,
        "uploaded_at": f.uploaded_at,
    }


def shown_reviews(application: Application, *, window: bool) -> dict[str, MaterialReview]:
    """The verdicts to show, as the pages show them: the window sees this round's (while
    correcting, the ones that led to the notice); the applicant only, while correcting, the
    ones that led to the notice."""
    correcting = application.status == Application.Status.CORRECTION
    if not window and not correcting:
        return {}
    round_ = max(application.review_round - 1, 1) if correcting else application.review_round
    return {r.material_code: r for r in application.reviews.filter(round=round_)}


def application_body(
    application: Application,
    *,
    window: bool,
    editable: tuple[set[str], set[str]],
    downloadable: Callable[[Application, Any], bool],
    submitted_with: list[MaterialFile] | None = None,
) -> dict[str, Any]:
    """The application as the applicant's page or the window's review page shows it:
    status and intake clock, the form, the materials with their versions and verdicts, the
    notices, the 容缺 commitments, each case with its clock and results, and the delivery.

    ``submitted_with``: the application was opened and submitted by this request (一次提交)
    with these files, so it has nothing else yet — no notice, commitment, verdict, case or
    delivery — and none of them is read."""
    today = timezone.localdate()
    plan = selectors.plan_of(application)
    fields, materials = editable
    fresh = submitted_with is not None
    form = [
        {**{k: row[k] for k in FORM_KEYS}, "items": row["items"], "help": row["help"] or ""}
        # The API does not show where a value was shared from.
        for row in webforms.form_rows(plan, application, editable=fields, shared={})
    ]
    for row in form:
        row["value"] = application.form_data.get(row["key"])
    material_rows = webforms.material_rows(
        plan,
        application,
        editable=materials,
        reviews={} if fresh else shown_reviews(application, window=window),
        handed_in=submitted_with,
    )
    if fresh:
        notices, commitments, cases, delivered = [], [], [], []
    else:
        notices = list(application.notices.all())
        commitments = list(application.commitments.order_by("due", "pk"))
        with_cases(application)
        cases = case_rows(application, today)
        delivered = [c.item_name for d in application.deliveries.all() for c in d.cases.all()]
    applicant = application.applicant
    version = application.bundle_version
    return {
        "id": application.pk,
        "receipt_number": application.receipt_number,
        "bundle": {
            "code": plan.definition.code,
            "name": application.bundle_name,
            "version": version.number,
        },
        "applicant": {
            "kind": applicant.kind,
            "name": applicant.name,
            "identifier": applicant.identifier,
            "phone": applicant.phone,
        },
        "channel": application.channel,
        "status": application.status,
        "status_label": application.get_status_display(),
        "answers": application.answers,
        "created_at": application.created_at,
        "submitted_at": application.submitted_at,
        "intake_due": application.intake_due,
        "intake_due_provisional": application.intake_due_provisional,
        "intake_light": selectors.light(today, application.intake_due)
        if application.status == Application.Status.SUBMITTED
        else "",
        "received_at": application.received_at,
        "conditional": application.conditional,
        "review_round": application.review_round,
        "planned_completion": application.planned_completion,
        "completed_at": application.completed_at,
        "form": form,
        "materials": [
            {
                "code": m["code"],
                "name": m["name"],
                "description": m["description"] or "",
                "secondary": m["secondary"],
                "items": m["items"],
                "editable": m["editable"],
                "files": [_file(f) for f in m["files"]],
                "review": _review(m["review"]),
            }
            for m in material_rows
        ],
        "notices": [_notice(n) for n in notices],
        "commitments": [
            {
                "material_code": c.material_code,
                "material_name": c.material_name,
                "due": c.due,
                "statement": c.statement,
                "fulfilled_at": c.fulfilled_at,
            }
            for c in commitments
        ],
        "cases": [
            {
                "id": r["case"].pk,
                "item_code": r["case"].item_code,
                "item_name": r["case"].item_name,
                "department": r["case"].department.name,
                "status": r["case"].status,
                "status_label": r["case"].get_status_display(),
                "due": r["clock"].due if r["clock"] is not None else None,
                "light": r["light"] or "",
                "extended": r["extended"],
                "results": [
                    {
                        "id": doc.pk,
                        "kind": doc.kind,
                        "title": doc.title,
                        "number": doc.number,
                        "downloadable": downloadable(application, r["case"]),
                    }
                    for doc in r["results"]
                ],
            }
            for r in cases
        ],
        "delivery": {
            "method": application.delivery_method,
            "method_label": application.get_delivery_method_display(),
            "address": application.delivery_address,
            "delivered_items": delivered,
        },
        "warnings": [],
    }


def _notice(n: Notice) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": n.get_kind_display(),
        "number": n.number,
        "issued_at": n.issued_at,
        "resolved_at": n.resolved_at,
        "content": n.content,
        "has_pdf": bool(n.pdf),
    }


def as_json(body: dict[str, Any]) -> dict[str, Any]:
    """Validated against the documented schema and made JSON (dates as ISO 8601), as the
    idempotency record keeps it."""
    return ApplicationOut.model_validate(body).model_dump(mode="json")


# ---- Downloads ---------------------------------------------------------------------------


def material_download(application: Application, file_id: int) -> FileResponse:
    f = application.material_files.filter(pk=file_id).first()
    if f is None:
        raise NotFound("未找到该材料文件。", path="file_id")
    response = FileResponse(
        f.file.open("rb"),
        as_attachment=True,
        filename=f"{f.material_code}-v{f.version}{extension_for(f.content_type)}",
        content_type=f.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def notice_download(application: Application, notice_id: int) -> FileResponse:
    notice = application.notices.filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("未找到该文书。", path="notice_id")
    if not notice.pdf:
        raise NoticeSealing(
            "文书已出具，正在加盖电子印章，请按 Retry-After 头等待几秒后再下载。",
            path="notice_id",
            retry_after=SEALING_RETRY_SECONDS,
        )
    response = FileResponse(
        notice.pdf.open("rb"),
        as_attachment=True,
        filename=f"{notice.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""The permission matrix: who may open every page and call every API operation, as designed.

Every URL pattern of the site and every operation of the API has a row here, and the test
(``test_permission_matrix``) fails for a route without one — a new page or operation has to
be declared before it ships. A row says, for each role, what the request gets:

- ``OK``: the page itself (2xx, or a redirect other than to the sign-in page); for a POST, any
  answer that is not a refusal (a form error, 400 or 409, is "not refused").
- ``LOGIN``: a redirect to the sign-in page (a visitor on a page for signed-in people).
- ``UNAUTHORIZED`` (401), ``FORBIDDEN`` (403), ``NOT_FOUND`` (404): refused; 404 where the
  object is another person's or another department's and its existence is not theirs to learn.
- ``GONE`` (405): the method is not served (the sign-out is a POST).

Path parameters name objects of :mod:`lianban.tests.permission_world`: ``app`` is the owner's
received application whose cases are all 区市场监管局's (scjgj), ``case`` one of them, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OK = "ok"
LOGIN = "login"
UNAUTHORIZED = 401
FORBIDDEN = 403
NOT_FOUND = 404
GONE = 405

# People signing in to the site: a visitor, the applicant who owns the application, another
# applicant, a window clerk, a reviewer of the department of its cases (scjgj) and one of
# another department (xfzd), a lead department's editor, the supervisor (政务大数据局), and
# the platform's administrator (the supervisor's role, staff and superuser).
PAGE_ROLES = (
    "anon",
    "owner",
    "applicant",
    "clerk",
    "reviewer",
    "reviewer_other",
    "editor",
    "supervisor",
    "superuser",
)
# Callers of the API: the people above through their session (with the CSRF token), the
# department system of scjgj (bearer token) and that of xfzd, and a lower lianban node.
API_ROLES = (
    "anon",
    "owner",
    "applicant",
    "clerk",
    "reviewer",
    "supervisor",
    "superuser",
    "system",
    "system_other",
    "node",
)


def expect(default: object, roles: tuple[str, ...] = PAGE_ROLES, **cells: object) -> dict:
    unknown = set(cells) - set(roles)
    assert not unknown, f"roles not in the matrix: {unknown}"
    return {r: cells.get(r, default) for r in roles}


PUBLIC = expect(OK)
SIGNED_IN = expect(OK, anon=LOGIN)


def only(*allowed: str, refused: object = FORBIDDEN, **cells: object) -> dict:
    """A page for some roles: a visitor is sent to sign in, anyone else is refused."""
    base = {"anon": LOGIN, **{r: OK for r in allowed}, **cells}
    return expect(refused, **base)


STAFF_OF_WINDOW = ("clerk", "superuser")
WORKBENCH = ("reviewer", "reviewer_other", "superuser")
SUPERVISORS = ("supervisor", "superuser")
# An application is seen by its applicant, the window and the supervisor (DESIGN: departments
# see item cases, not applications); for anyone else it does not exist.
APPLICATION = only("owner", "clerk", "supervisor", "superuser", refused=NOT_FOUND)
# The applicant's own pages: an applicant account with an applicant record.
APPLICANT_ONLY = only("owner", "applicant", refused=NOT_FOUND)
OWNER_ONLY = only("owner", refused=NOT_FOUND)
# A case of scjgj: its department's reviewers and the administrator; another department's
# reviewer does not learn it exists.
CASE = only("reviewer", "superuser", reviewer_other=NOT_FOUND)


@dataclass(frozen=True)
class Page:
    name: str  # the URL's name with its namespace, as ``reverse`` takes it
    expected: dict
    method: str = "GET"
    args: dict[str, str] = field(default_factory=dict)  # URL kwarg → world object
    query: str = ""
    # Rows counted before and after a refused POST, with the audit events: a refusal
    # changes nothing.
    touches: tuple[str, ...] = ()
    data: dict[str, str] = field(default_factory=dict)  # POSTed field → world object


APP = {"pk": "app"}
CASE_ARGS = {"pk": "case"}
APPLICATION_ROWS = ("applications.Application", "applications.MaterialFile", "cases.Delivery")
WINDOW_ROWS = (
    "applications.Application",
    "applications.MaterialFile",
    "applications.MaterialReview",
    "applications.Notice",
    "applications.Commitment",
    "cases.ItemCase",
    "cases.Delivery",
)
CASE_ROWS = (
    "cases.ItemCase",
    "cases.Suspension",
    "cases.Extension",
    "cases.SupplementRequest",
    "cases.ResultDocument",
)
CLIENT_ROWS = (
    "integration.ClientSystem",
    "integration.ClientCredential",
    "integration.Subscription",
    "integration.WebhookDelivery",
)
REVIEW_ROWS = ("reviews.Review", "reviews.Rectification")


def post(name: str, expected: dict, args: dict[str, str] | None = None, **kw: object) -> Page:
    return Page(name, expected, method="POST", args=args or {}, **kw)  # type: ignore[arg-type]


PAGES: list[Page] = [
    # ---- Sign-in ------------------------------------------------------------------------
    Page("accounts:login", PUBLIC),
    post("accounts:login", PUBLIC, touches=("accounts.User",)),
    Page("accounts:logout", expect(GONE)),
    post("accounts:logout", PUBLIC),
    Page("accounts:register", PUBLIC),
    post("accounts:register", PUBLIC, touches=("accounts.User", "accounts.Applicant")),
    # 一次登录 answers 404 to everyone while no identity provider is configured (as here).
    Page("accounts:oidc_login", expect(NOT_FOUND)),
    Page("accounts:oidc_callback", expect(NOT_FOUND)),
    # ---- The portal ---------------------------------------------------------------------
    Page("portal:home", PUBLIC),
    Page("portal:guide", PUBLIC, args={"code": "bundle"}),
    Page("portal:notice", PUBLIC, args={"code": "bundle"}),
    Page("portal:notice_pdf", PUBLIC, args={"code": "bundle"}),
    Page("portal:text_size", PUBLIC, query="size=large"),
    Page("portal:track", PUBLIC),
    post("portal:track", PUBLIC),
    Page("portal:track_number", PUBLIC, args={"number": "receipt"}),
    # ---- The applicant's applications ---------------------------------------------------
    Page("applications:mine", APPLICANT_ONLY),
    post(
        "applications:start",
        APPLICANT_ONLY,
        {"code": "bundle"},
        touches=APPLICATION_ROWS,
    ),
    # The window opens the same address on its own review page.
    Page("applications:detail", APPLICATION, args=APP),
    # Filling in, uploading, withdrawing and choosing the delivery of an online draft are the
    # applicant's own acts: the supervisor sees the draft but may not change it, and for the
    # window an online draft does not exist until it is submitted.
    *(
        post(
            f"applications:{name}",
            only("owner", refused=NOT_FOUND, supervisor=FORBIDDEN, superuser=FORBIDDEN),
            {"pk": "draft"},
            touches=APPLICATION_ROWS,
            data=data,
        )
        for name, data in (
            ("save", {"f-applicant_name": "卫滨区改名小吃店"}),
            ("upload", {"material": "id_card", "file": "@pdf"}),
            ("withdraw", {"confirm": "1"}),
            ("delivery", {"delivery_method": "post", "delivery_address": "卫滨区人民路1号"}),
        )
    ),
    # The delivery method is the applicant's or the window's choice, not the supervisor's.
    post(
        "applications:delivery",
        {**APPLICATION, "supervisor": FORBIDDEN, "superuser": FORBIDDEN},
        APP,
        touches=APPLICATION_ROWS,
    ),
    # 网上自助打印 is the applicant's own act.
    Page("applications:result_file", OWNER_ONLY, args={"pk": "app", "doc_id": "result"}),
    Page("applications:material_file", APPLICATION, args={"pk": "app", "file_id": "material"}),
    Page("applications:notice_pdf", APPLICATION, args={"pk": "app", "notice_id": "notice"}),
    # ---- The window -----------------------------------------------------------------------
    Page("window:queue", only(*STAFF_OF_WINDOW)),
    Page("window:new", only(*STAFF_OF_WINDOW)),
    Page("window:take", only(*STAFF_OF_WINDOW), args={"code": "bundle"}),
    post("window:take", only(*STAFF_OF_WINDOW), {"code": "bundle"}, touches=WINDOW_ROWS),
    Page("window:review", only(*STAFF_OF_WINDOW), args=APP),
    # An online draft is the applicant's own until it is submitted.
    Page("window:review", only("superuser", clerk=NOT_FOUND), args={"pk": "draft"}),
    *(
        post(f"window:{name}", only(*STAFF_OF_WINDOW), APP, touches=WINDOW_ROWS)
        for name in (
            "save",
            "upload",
            "verdict",
            "receive",
            "correction",
            "conditional",
            "resubmit",
            "fulfil",
        )
    ),
    # Choosing the delivery and recording it are the window clerk's acts (the cases service
    # refuses anyone else, the administrator included); 网上自助打印 is the applicant's own
    # download, so the window delivers the owner's completed application instead.
    post(
        "window:delivery",
        only("clerk", superuser=FORBIDDEN),
        APP,
        touches=WINDOW_ROWS,
    ),
    post(
        "window:deliver",
        only("clerk", superuser=FORBIDDEN),
        {"pk": "done"},
        touches=WINDOW_ROWS,
    ),
    Page("window:notice", only(*STAFF_OF_WINDOW), args={"pk": "app", "notice_id": "notice"}),
    Page("window:result", only(*STAFF_OF_WINDOW), args={"pk": "app", "doc_id": "result"}),
    # ---- The department's workbench -------------------------------------------------------
    Page("workbench:queue", only(*WORKBENCH)),
    Page("workbench:case", CASE, args=CASE_ARGS),
    *(
        post(f"workbench:{name}", CASE, CASE_ARGS, touches=CASE_ROWS)
        for name in (
            "accept",
            "refuse",
            "request_supplement",
            "suspend",
            "resume",
            "extend",
            "decide",
            "return_result",
        )
    ),
    Page(
        "workbench:material_file",
        CASE,
        args={"pk": "case", "file_id": "material"},
    ),
    Page(
        "workbench:result_file",
        only("reviewer", "superuser", reviewer_other=NOT_FOUND),
        args={"pk": "licence_case", "doc_id": "result"},
    ),
    # ---- Sealed documents -----------------------------------------------------------------
    Page("signing:verify", PUBLIC),
    post("signing:verify", PUBLIC),
    Page("signing:ca", PUBLIC),
    # The register: the supervisor every document, a department's staff their seal's.
    Page("signing:register", only("reviewer", "reviewer_other", "editor", *SUPERVISORS)),
    Page("signing:document", PUBLIC, args={"number": "document"}),
    # Revoking: the issuing department's reviewers and the supervisor.
    post(
        "signing:revoke",
        only("reviewer", *SUPERVISORS),
        {"number": "document"},
        touches=("signing.IssuedDocument",),
    ),
    # ---- The audit trail of one application -----------------------------------------------
    # The applicant, the window, the supervisor, and the departments with a case in it (their
    # part of it).
    Page(
        "audit:application",
        only("owner", "clerk", "reviewer", *SUPERVISORS, refused=NOT_FOUND),
        args=APP,
    ),
    # ---- Department systems (the supervisor's) ---------------------------------------------
    Page("integration:clients", only(*SUPERVISORS)),
    Page("integration:client_new", only(*SUPERVISORS)),
    post("integration:client_new", only(*SUPERVISORS), touches=CLIENT_ROWS),
    Page("integration:client", only(*SUPERVISORS), args={"pk": "client"}),
    *(
        post(f"integration:{name}", only(*SUPERVISORS), {"pk": "client"}, touches=CLIENT_ROWS)
        for name in ("client_scopes", "client_rotate", "client_revoke")
    ),
    post(
        "integration:credential_revoke",
        only(*SUPERVISORS),
        {"pk": "client", "credential_id": "credential"},
        touches=CLIENT_ROWS,
    ),
    post(
        "integration:subscription_disable",
        only(*SUPERVISORS),
        {"pk": "client", "subscription_id": "subscription"},
        touches=CLIENT_ROWS,
    ),
    Page("integration:deliveries", only(*SUPERVISORS)),
    Page("integration:delivery", only(*SUPERVISORS), args={"pk": "delivery"}),
    post(
        "integration:delivery_resend",
        only(*SUPERVISORS),
        {"pk": "delivery"},
        touches=CLIENT_ROWS,
    ),
    # ---- Shared data ----------------------------------------------------------------------
    # The directory of shared data is open to everyone signed in.
    Page("sharing:directory", SIGNED_IN),
    post("sharing:consent", OWNER_ONLY, APP, touches=("sharing.Consent",)),
    post("sharing:revoke", OWNER_ONLY, APP, touches=("sharing.Consent",)),
    # Who read my data: applicants.
    Page("sharing:my_reads", APPLICANT_ONLY),
    # A case's shared data: its department's reviewers and the supervisor.
    Page("sharing:case", only("reviewer", *SUPERVISORS), args=CASE_ARGS),
    Page("sharing:access_log", only(*SUPERVISORS)),
    # ---- 电子监察 ----------------------------------------------------------------------------
    # The supervisor everything, a department's reviewers their own department.
    Page("supervision:dashboard", only("reviewer", "reviewer_other", *SUPERVISORS)),
    Page(
        "supervision:drill",
        only("reviewer", "reviewer_other", *SUPERVISORS),
        query="figure=dispatched",
    ),
    # The window's figures (applications received) are the supervisor's: for a department
    # there is no such figure.
    Page(
        "supervision:drill",
        only(*SUPERVISORS, reviewer=NOT_FOUND, reviewer_other=NOT_FOUND),
        query="figure=received",
    ),
    Page(
        "supervision:warnings",
        only("reviewer", "reviewer_other", *SUPERVISORS),
        args={"light": "light"},
    ),
    Page("supervision:export", only("reviewer", "reviewer_other", *SUPERVISORS)),
    Page("supervision:bulletins", only(*SUPERVISORS)),
    post("supervision:bulletins", only(*SUPERVISORS), touches=("supervision.Bulletin",)),
    Page("supervision:bulletin_pdf", only(*SUPERVISORS), args={"pk": "bulletin"}),
    # ---- 好差评 ------------------------------------------------------------------------------
    # The SMS links are their own credential: whoever holds one may use it.
    Page("reviews:rate_by_link", PUBLIC, args={"token": "rate_token"}),
    post("reviews:rate_by_link", PUBLIC, {"token": "rate_token"}, touches=REVIEW_ROWS),
    Page("reviews:feedback_by_link", PUBLIC, args={"token": "feedback_token"}),
    post("reviews:feedback_by_link", PUBLIC, {"token": "feedback_token"}, touches=REVIEW_ROWS),
    Page("reviews:application", OWNER_ONLY, args={"pk": "done"}),
    Page("reviews:rate", OWNER_ONLY, args={"pk": "open_occasion"}),
    post("reviews:rate", OWNER_ONLY, {"pk": "occasion"}, touches=REVIEW_ROWS),
    post("reviews:supplement", OWNER_ONLY, {"pk": "review"}, touches=REVIEW_ROWS),
    # The window's rating screen faces the applicant at a clerk's window.
    Page("reviews:window", only("clerk")),
    Page("reviews:window_current", only("clerk")),
    post(
        "reviews:window_rate",
        only("clerk"),
        touches=REVIEW_ROWS,
        data={"occasion": "visit", "level": "five"},
    ),
    # Follow-ups: the units that answer for bad reviews (a department's reviewers, a window's
    # clerks) and the supervisor; a unit sees its own.
    Page("reviews:followups", only("clerk", "reviewer", "reviewer_other", *SUPERVISORS)),
    Page(
        "reviews:followup",
        only("reviewer", *SUPERVISORS, clerk=NOT_FOUND, reviewer_other=NOT_FOUND),
        args={"pk": "followup"},
    ),
    post(
        "reviews:followup_act",
        only("reviewer", *SUPERVISORS, clerk=NOT_FOUND, reviewer_other=NOT_FOUND),
        {"pk": "followup"},
        touches=REVIEW_ROWS,
    ),
    Page("reviews:stats", PUBLIC),
    # ---- 民意征求 ----------------------------------------------------------------------------
    Page("proposals:list", PUBLIC),
    Page("proposals:new", PUBLIC),
    post("proposals:new", PUBLIC, touches=("proposals.Proposal",)),
    Page("proposals:mine", SIGNED_IN),
    Page("proposals:manage", only(*SUPERVISORS)),
    Page("proposals:triage", only(*SUPERVISORS), args={"number": "proposal"}),
    post(
        "proposals:triage",
        only(*SUPERVISORS),
        {"number": "proposal"},
        touches=("proposals.Proposal", "catalog.Bundle"),
    ),
    # What an editor's department was handed: editors and the supervisor.
    Page("proposals:requests", only("editor", *SUPERVISORS)),
    # Anyone may ask with the number; the proposal itself needs the phone's last digits
    # unless it is one's own (the page then asks for them, 200 either way).
    Page("proposals:detail", PUBLIC, args={"number": "proposal"}),
    # ---- The API's own pages (the operations are in API_OPERATIONS) -----------------------
    Page("api:openapi-json", PUBLIC),
    Page("api:openapi-view", PUBLIC),
    Page("api:api-root", expect(NOT_FOUND)),
]

# The admin site is Django's: all of its ~150 patterns are built by ``AdminSite.get_urls``
# and every view but the sign-in goes through ``AdminSite.admin_view`` (staff only, then the
# model permissions). A few representative addresses stand for the whole namespace: the
# index, the sign-in, an app index, a model list for each kind of permission, one object.
ADMIN_STAFF = only("editor", *SUPERVISORS, refused=LOGIN)


def admin_for(*allowed: str) -> dict:
    """Who passes the admin's staff check but lacks the model permission gets 403."""
    staff = {r: FORBIDDEN for r in ("editor", "supervisor") if r not in allowed}
    return only(*allowed, "superuser", refused=LOGIN, **staff)


ADMIN = [
    ("admin:index", {}, ADMIN_STAFF),
    ("admin:login", {}, PUBLIC),
    ("admin:app_list", {"app_label": "admin_app"}, ADMIN_STAFF),
    # The catalog: editors and the supervisor (their groups) and the administrator.
    ("admin:catalog_bundle_changelist", {}, admin_for("editor", "supervisor")),
    # Accounts: the administrator alone.
    ("admin:accounts_user_changelist", {}, admin_for()),
    ("admin:accounts_user_change", {"object_id": "user"}, admin_for()),
    # The audit trail: the supervisor reads it.
    ("admin:audit_event_changelist", {}, admin_for("supervisor")),
]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the router declares it, with ``{parameters}``
    expected: dict
    args: dict[str, str] = field(default_factory=dict)  # path parameter → world object
    # A JSON body, or the name of a form the test builds (an upload, the forwarded case).
    body: object = None
    touches: tuple[str, ...] = ()
    query: str = ""


def api(default: object, **cells: object) -> dict:
    return expect(default, API_ROLES, **cells)


PUBLIC_API = api(OK)
# Session operations: no session is 401, another role's session 403.
APPLICANT_API = api(
    FORBIDDEN,
    anon=UNAUTHORIZED,
    owner=OK,
    applicant=OK,
    system=UNAUTHORIZED,
    system_other=UNAUTHORIZED,
    node=UNAUTHORIZED,
)
OWN_APPLICATION_API = {**APPLICANT_API, "applicant": NOT_FOUND}
WINDOW_API = api(
    FORBIDDEN,
    anon=UNAUTHORIZED,
    clerk=OK,
    superuser=OK,
    system=UNAUTHORIZED,
    system_other=UNAUTHORIZED,
    node=UNAUTHORIZED,
)
# Bearer operations: a session is no credential here (401); a system of another department
# does not learn the case exists; a node has no department's cases (403, no scope).
CASE_API = api(UNAUTHORIZED, system=OK, system_other=NOT_FOUND, node=FORBIDDEN)
CASES_LIST_API = api(UNAUTHORIZED, system=OK, system_other=OK, node=FORBIDDEN)
WEBHOOKS_API = api(UNAUTHORIZED, system=OK, system_other=OK, node=OK)
NODE_API = api(UNAUTHORIZED, system=FORBIDDEN, system_other=FORBIDDEN, node=OK)

A = "/applications/{application_id}"
W = "/window/applications/{application_id}"
C = "/cases/{case_id}"
APP_ID = {"application_id": "app"}
CASE_ID = {"case_id": "case"}
STATUS = {"expected_status": "received"}
DISPATCHED = {"expected_status": "dispatched"}

API_OPERATIONS: list[Operation] = [
    # ---- Public: the catalog, the calendar, document verification, the token endpoint ----
    Operation("GET", "/bundles", PUBLIC_API),
    Operation("GET", "/bundles/{code}", PUBLIC_API, {"code": "bundle"}),
    Operation("POST", "/bundles/{code}/plan", PUBLIC_API, {"code": "bundle"}, {"answers": {}}),
    Operation("GET", "/workdays/add", PUBLIC_API, query="start=2026-09-30&days=5"),
    Operation("GET", "/workdays/count", PUBLIC_API, query="start=2026-09-30&end=2026-10-09"),
    Operation("POST", "/documents/verify", PUBLIC_API, body="verify_upload"),
    Operation("GET", "/documents/{number}", PUBLIC_API, {"number": "document"}),
    # The token endpoint authenticates by the client's secret in the body: without one it is
    # refused whoever calls.
    Operation("POST", "/oauth/token", api(UNAUTHORIZED), body="token_form"),
    # ---- Department systems ------------------------------------------------------------
    Operation("GET", "/cases", CASES_LIST_API),
    Operation("GET", C, CASE_API, CASE_ID),
    Operation(
        "GET",
        C + "/materials/{file_id}",
        CASE_API,
        {"case_id": "case", "file_id": "material"},
    ),
    Operation("POST", C + "/accept", CASE_API, CASE_ID, DISPATCHED, ("cases.ItemCase",)),
    Operation(
        "POST",
        C + "/refuse",
        CASE_API,
        CASE_ID,
        {**DISPATCHED, "reason": "不符合条件"},
        ("cases.ItemCase",),
    ),
    Operation(
        "POST",
        C + "/supplement",
        CASE_API,
        CASE_ID,
        {**DISPATCHED, "material_codes": ["id_card"], "reason": "不清晰"},
        ("cases.SupplementRequest",),
    ),
    Operation(
        "POST",
        C + "/suspend",
        CASE_API,
        CASE_ID,
        {**DISPATCHED, "kind": "inspection", "reason": "现场检验"},
        ("cases.Suspension",),
    ),
    Operation("POST", C + "/resume", CASE_API, CASE_ID, DISPATCHED, ("cases.Suspension",)),
    Operation(
        "POST",
        C + "/extend",
        CASE_API,
        CASE_ID,
        {**DISPATCHED, "days": 5, "approver": "王局长", "reason": "情况复杂"},
        ("cases.Extension",),
    ),
    Operation(
        "POST",
        C + "/decide",
        CASE_API,
        CASE_ID,
        {**DISPATCHED, "outcome": "approved"},
        ("cases.ItemCase",),
    ),
    Operation(
        "POST", C + "/results", CASE_API, CASE_ID, "results_upload", ("cases.ResultDocument",)
    ),
    Operation("GET", "/webhooks/event-types", WEBHOOKS_API),
    Operation("GET", "/webhooks", WEBHOOKS_API),
    Operation(
        "POST",
        "/webhooks",
        WEBHOOKS_API,
        body={"url": "https://hooks.example.gov.cn/in", "event_types": ["case.dispatched"]},
        touches=("integration.Subscription",),
    ),
    # One system's subscription: another system or a node does not learn it exists.
    Operation(
        "DELETE",
        "/webhooks/{subscription_id}",
        {**WEBHOOKS_API, "system_other": NOT_FOUND, "node": NOT_FOUND},
        {"subscription_id": "subscription"},
        touches=("integration.Subscription",),
    ),
    # ---- Lower nodes ---------------------------------------------------------------------
    # The node forwards again the case it forwarded (the same case answers, not a new one).
    Operation(
        "POST",
        "/node/cases",
        NODE_API,
        body="forward_payload",
        touches=("applications.Application",),
    ),
    Operation("GET", "/node/cases/{case_id}", NODE_API, {"case_id": "forwarded_case"}),
    Operation("GET", "/node/cases/{case_id}/results", NODE_API, {"case_id": "forwarded_case"}),
    # The upstream node's events are signed with its events secret, not a token or a
    # session: unsigned, they are refused whoever sends them.
    Operation(
        "POST",
        "/node/events/{code}",
        api(UNAUTHORIZED),
        {"code": "upstream"},
        {"type": "case.accepted"},
        ("integration.MirroredEvent",),
    ),
    # ---- The applicant's API (session) -----------------------------------------------------
    Operation("GET", "/applications", APPLICANT_API),
    Operation(
        "POST",
        "/applications",
        APPLICANT_API,
        body={"bundle": "restaurant", "answers": {"area": "lt50", "sign": "no"}},
        touches=("applications.Application",),
    ),
    Operation(
        "POST",
        "/applications/submit",
        APPLICANT_API,
        body="at_once_upload",
        touches=("applications.Application", "applications.MaterialFile"),
    ),
    Operation("GET", A, OWN_APPLICATION_API, APP_ID),
    Operation(
        "GET",
        A + "/materials/{file_id}",
        OWN_APPLICATION_API,
        {"application_id": "app", "file_id": "material"},
    ),
    Operation(
        "GET",
        A + "/notices/{notice_id}",
        OWN_APPLICATION_API,
        {"application_id": "app", "notice_id": "notice"},
    ),
    Operation(
        "GET",
        A + "/results/{result_id}",
        OWN_APPLICATION_API,
        {"application_id": "app", "result_id": "result"},
    ),
    Operation(
        "POST",
        A + "/form",
        OWN_APPLICATION_API,
        APP_ID,
        {**STATUS, "form": {}},
        ("applications.Application",),
    ),
    Operation(
        "POST",
        A + "/materials",
        OWN_APPLICATION_API,
        APP_ID,
        "material_upload",
        ("applications.MaterialFile",),
    ),
    Operation("POST", A + "/submit", OWN_APPLICATION_API, APP_ID, STATUS),
    Operation("POST", A + "/resubmit", OWN_APPLICATION_API, APP_ID, STATUS),
    Operation("POST", A + "/withdraw", OWN_APPLICATION_API, APP_ID, STATUS),
    Operation(
        "POST",
        A + "/commitments",
        OWN_APPLICATION_API,
        APP_ID,
        "material_upload",
        ("applications.MaterialFile",),
    ),
    Operation(
        "POST",
        A + "/delivery",
        OWN_APPLICATION_API,
        APP_ID,
        {**STATUS, "method": "together"},
        ("cases.Delivery",),
    ),
    Operation("POST", A + "/collect", OWN_APPLICATION_API, APP_ID, STATUS, ("cases.Delivery",)),
    # ---- The window's API (session) ---------------------------------------------------------
    Operation("GET", "/window/queue", WINDOW_API),
    Operation("GET", W, WINDOW_API, APP_ID),
    Operation("GET", W, {**WINDOW_API, "clerk": NOT_FOUND}, {"application_id": "draft"}),
    Operation(
        "GET",
        W + "/materials/{file_id}",
        WINDOW_API,
        {"application_id": "app", "file_id": "material"},
    ),
    Operation(
        "GET",
        W + "/notices/{notice_id}",
        WINDOW_API,
        {"application_id": "app", "notice_id": "notice"},
    ),
    Operation(
        "GET",
        W + "/results/{result_id}",
        WINDOW_API,
        {"application_id": "app", "result_id": "result"},
    ),
    Operation(
        "POST",
        W + "/reviews",
        WINDOW_API,
        APP_ID,
        {**STATUS, "material": "id_card", "verdict": "accepted"},
        ("applications.MaterialReview",),
    ),
    Operation("POST", W + "/correction", WINDOW_API, APP_ID, STATUS, ("applications.Notice",)),
    Operation("POST", W + "/receive", WINDOW_API, APP_ID, STATUS, ("cases.ItemCase",)),
    # 网上自助打印 is the applicant's own download: the window delivers the owner's completed
    # application, whose results were handed over together.
    Operation(
        "POST",
        W + "/deliver",
        WINDOW_API,
        {"application_id": "done"},
        STATUS,
        ("cases.Delivery",),
    ),
]

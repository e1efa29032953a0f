"""Reading for the department workbench: a department's queue of item cases, one case with
exactly what its item may see (minimum necessary), and the case's history.

A reviewer sees only the cases of the department they are bound to; a superuser sees all.
The queue is read with a fixed number of queries however many rows it shows: it filters on
the (department, status) index and orders by the running clock's due date, kept on the case;
the page is then read by id with its applicant, then its running clocks, in two more queries
(the bundles' names come from the process's own map once each version has been read)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from lianban.accounts.models import Applicant, User
from lianban.applications import numbers
from lianban.applications.models import MaterialFile
from lianban.audit.models import Event
from lianban.cases import clocks
from lianban.cases.models import Clock, ItemCase, Suspension
from lianban.catalog.planner import Definition
from lianban.catalog.selectors import definition_of, version_names
from lianban.common.rowurls import url_of

S = ItemCase.Status
PAGE_SIZE = 50
RECENT_DAYS = 30

LIGHT_LABELS = {"green": "正常", "yellow": "即将到期", "red": "已超期", "paused": "已中止计时"}


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    statuses: tuple[str, ...]


# The department's work, in the order it is done. "" is the default view: everything open.
OPEN = (S.DISPATCHED, S.SUPPLEMENT, S.ACCEPTED, S.SUSPENDED, S.DECIDED)
FINISHED = (S.RETURNED, S.DELIVERED, S.REFUSED)
GROUPS = (
    Group("", "全部待办", OPEN),
    Group("dispatched", "待受理", (S.DISPATCHED,)),
    Group("supplement", "待补正", (S.SUPPLEMENT,)),
    Group("accepted", "办理中", (S.ACCEPTED,)),
    Group("suspended", "中止计时", (S.SUSPENDED,)),
    Group("decided", "已决定待送回", (S.DECIDED,)),
    Group("finished", f"近{RECENT_DAYS}日办结", FINISHED),
    Group("all", "全部办件", tuple(S.values)),
)
GROUP_BY_KEY = {g.key: g for g in GROUPS}


def may_use_workbench(user: Any) -> bool:
    return bool(
        getattr(user, "is_superuser", False)
        or (getattr(user, "role", None) == User.Role.REVIEWER and user.department_id)
    )


def cases_of(user: Any) -> QuerySet[ItemCase]:
    """The cases a person may see here: a reviewer those of their own department, a
    superuser all, anyone else none."""
    if getattr(user, "is_superuser", False):
        return ItemCase.objects.all()
    if getattr(user, "role", None) == User.Role.REVIEWER and user.department_id:
        return ItemCase.objects.filter(department_id=user.department_id)
    return ItemCase.objects.none()


def _refused_at() -> Subquery:
    # ItemCase has no refusal time of its own: a refused case finished when its acceptance
    # clock stopped (one row through the clock's (case, kind) unique index).
    return Subquery(
        Clock.objects.filter(case=OuterRef("pk"), kind=Clock.Kind.ACCEPTANCE).values("stopped_at")[
            :1
        ]
    )


def filtered(
    cases: QuerySet[ItemCase], *, item_code: str = "", receipt: str = ""
) -> QuerySet[ItemCase]:
    if item_code:
        cases = cases.filter(item_code=item_code)
    if receipt and numbers.is_valid(receipt):
        cases = cases.filter(application__receipt_number=receipt)  # the unique index
    elif receipt:
        cases = cases.filter(application__receipt_number__startswith=receipt)
    return cases


def queue(cases: QuerySet[ItemCase], group: Group, *, now: dt.datetime) -> QuerySet[ItemCase, int]:
    """The ids of one group of the queue, in order: open cases most urgent first (by the
    running clock's due date), the recently finished latest first, everything newest first.

    Only ids, with no joins: the database sorts the department's cases by the (department,
    status) index and the clock subquery alone, and :func:`page_of` then reads the one page
    shown with its applicant and clocks."""
    qs = cases.filter(status__in=group.statuses)
    if group.key == "finished":
        since = now - dt.timedelta(days=RECENT_DAYS)
        # Returned and delivered cases are told by a column; only refusals need the clock
        # (the status is tested first, so the subquery runs for refused cases only).
        qs = (
            qs.annotate(refused_at=_refused_at())
            .filter(
                Q(status__in=(S.RETURNED, S.DELIVERED)) & Q(returned_at__gte=since)
                | Q(status=S.REFUSED) & Q(refused_at__gte=since)
            )
            .annotate(finished_at=Coalesce(F("returned_at"), F("refused_at")))
            .order_by(F("finished_at").desc(), "-pk")
        )
    elif group.key == "all":
        qs = qs.order_by("-pk")
    else:
        # The running clock's due date is kept on the case itself (cases.clocks), so the
        # database orders the department's open cases from the case table alone.
        qs = qs.order_by(F("running_due").asc(nulls_last=True), "pk")
    return qs.values_list("pk", flat=True)


# What a row of the queue prints of a case, its application and its applicant.
ROW_COLUMNS = (
    "pk",
    "status",
    "outcome",
    "item_name",
    "extended",
    "application__receipt_number",
    "application__bundle_version_id",
    "application__applicant__kind",
    "application__applicant__name",
    "application__applicant__id_number",
    "application__applicant__credit_code",
)


def page_of(ids: Iterable[int], *, finished: bool = False) -> list[dict[str, Any]]:
    """The cases of one page of the queue, in the order given, as plain rows with their
    running ``clock``: two queries whatever the page holds (the cases with their application
    and applicant, then their running clocks), and no instance but the clocks' (fifty rows
    made two hundred). With ``finished``, each row also has its ``finished_at``, which only
    the recently finished group shows."""
    ids = list(ids)
    # In no order: the page is put in the order of ``ids`` below, and the model's own order
    # would join each case's item and sort.
    found = ItemCase.objects.filter(pk__in=ids).order_by()
    columns: tuple[str, ...] = ROW_COLUMNS
    if finished:
        found = found.annotate(finished_at=Coalesce(F("returned_at"), _refused_at()))
        columns += ("finished_at",)
    by_id = {row["pk"]: row for row in found.values(*columns)}
    running: dict[int, Clock] = {}
    for clock in Clock.objects.filter(case_id__in=list(by_id), stopped_at__isnull=True).order_by(
        "due", "pk"
    ):
        running.setdefault(clock.case_id, clock)  # the one due first
    return [{**by_id[pk], "clock": running.get(pk)} for pk in ids if pk in by_id]


def group_counts(cases: QuerySet[ItemCase]) -> dict[str, int]:
    """How many open cases each group of the department's work holds, in one query over
    the (department, status) index. The recently finished and the whole history are not
    counted here: that would read every case the department ever had."""
    by_status = dict(
        cases.filter(status__in=OPEN)
        .order_by()
        .values_list("status")
        # COUNT(*), not COUNT(id): the index alone answers it (an index-only scan), where
        # counting ids visits every case's row (at a province's size, 2 ms against 6–40).
        .annotate(n=Count("*"))
        .values_list("status", "n")
    )
    return {
        g.key: sum(by_status.get(s, 0) for s in g.statuses)
        for g in GROUPS
        if set(g.statuses) <= set(OPEN)
    }


def queue_rows(cases: Iterable[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """Each row of :func:`page_of` with what it prints, formatted here once: resolving model
    attributes, choice labels and filters in the template cost a page of fifty rows about
    as much as its queries."""
    cases = list(cases)
    names = version_names(c["application__bundle_version_id"] for c in cases)
    lights: dict[dt.date, str] = {}
    rows = []
    for case in cases:
        clock = case["clock"]
        light = _light(clock, today, lights)
        rows.append(
            {
                "clock": clock,
                "light": light,
                "light_label": LIGHT_LABELS.get(light, ""),
                "bundle_name": names.get(case["application__bundle_version_id"], ""),
                "pk": case["pk"],
                "href": url_of(case["pk"], "workbench:case"),
                "receipt_number": case["application__receipt_number"],
                "item_name": case["item_name"],
                "extended": case["extended"],
                "status": case["status"],
                "status_label": S(case["status"]).label,
                "outcome": case["outcome"],
                "outcome_label": ItemCase.Outcome(case["outcome"]).label if case["outcome"] else "",
                "finished_at": case.get("finished_at"),
                # What the "Y-m-d" date filter prints, for a date.
                "due": clock.due.isoformat() if clock else "",
                "clock_kind": Clock.Kind(clock.kind).label if clock else "",
                "provisional": clock.provisional if clock else False,
                "applicant_name": case["application__applicant__name"],
                "identifier": Applicant.mask(
                    case["application__applicant__kind"],
                    case["application__applicant__id_number"],
                    case["application__applicant__credit_code"],
                ),
            }
        )
    return rows


def _light(clock: Clock | None, today: dt.date, seen: dict[dt.date, str]) -> str:
    # A page's running clocks share a handful of due dates: each date's working days are
    # counted once.
    if clock is None or clock.paused_on is not None or clock.stopped_at is not None:
        return clocks.light(clock, today)
    if clock.due not in seen:
        seen[clock.due] = clocks.light(clock, today)
    return seen[clock.due]


# One case.


def case_for(user: Any, pk: int) -> ItemCase:
    """The case, if this person may see it; 404 otherwise (another department's case is
    not told apart from one that does not exist)."""
    case = (
        cases_of(user)
        .select_related(
            "application__applicant",
            "application__bundle_version",
            "item",
            "department",
            "handled_by",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404("未找到该办件。")
    return case


def item_definition(case: ItemCase) -> dict[str, Any]:
    """The item as the application's catalog version describes it."""
    definition: Definition = definition_of(case.application.bundle_version)
    for item in definition.items:
        if item["code"] == case.item_code:
            return item
    return {"code": case.item_code, "name": case.item_name, "fields": [], "materials": []}


def visible_fields(case: ItemCase, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's own form fields (those handed over), in the item's order."""
    allowed = set(case.item.field_keys)
    return [f for f in item["fields"] if f["key"] in allowed]


def identity_visible(case: ItemCase, fields: list[dict[str, Any]]) -> bool:
    """The applicant's identity number is shown in full only when the item itself asks for
    it; otherwise masked, as in every list."""
    applicant = case.application.applicant
    kind = "id_number" if applicant.kind == applicant.Kind.NATURAL else "credit_code"
    return any(f["type"] == kind for f in fields)


def visible_materials(case: ItemCase, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's own materials (those handed over): the latest version of each and the
    older ones, and any 容缺 commitment to hand it in later."""
    codes = list(case.item.material_codes)
    described = {m["code"]: m for m in item["materials"]}
    files: dict[str, list[MaterialFile]] = {}
    for f in MaterialFile.objects.filter(
        application_id=case.application_id, material_code__in=codes
    ).order_by("material_code", "-version"):
        files.setdefault(f.material_code, []).append(f)
    commitments = {
        c.material_code: c for c in case.application.commitments.filter(material_code__in=codes)
    }
    rows = []
    for code in codes:
        m = described.get(code, {"name": code, "description": "", "secondary": False})
        versions = files.get(code, [])
        rows.append(
            {
                "code": code,
                "name": m["name"],
                "description": m.get("description", ""),
                "secondary": m.get("secondary", False),
                "current": versions[0] if versions else None,
                "older": versions[1:],
                "commitment": commitments.get(code),
            }
        )
    return rows


def case_clocks(case: ItemCase, today: dt.date) -> list[dict[str, Any]]:
    order = {k: n for n, k in enumerate(Clock.Kind.values)}
    rows = []
    for clock in sorted(case.clocks.all(), key=lambda c: order.get(c.kind, 99)):
        light = clocks.light(clock, today)
        rows.append({"clock": clock, "light": light, "light_label": LIGHT_LABELS.get(light, "")})
    return rows


def siblings(case: ItemCase) -> QuerySet[ItemCase]:
    """The application's other items: their name, department and status only."""
    return (
        ItemCase.objects.filter(application_id=case.application_id)
        .exclude(pk=case.pk)
        .select_related("department")
        .only("pk", "item_name", "status", "outcome", "department__name", "item__position")
        .order_by("item__position")
    )


VERBS = {
    "case.created": "建立办件",
    "case.dispatched": "分送本部门",
    "case.forwarded": "转送上级平台办理",
    "case.accepted": "受理",
    "case.refused": "不予受理",
    "case.supplement_requested": "要求补正",
    "case.supplement_received": "收到补正材料",
    "case.suspended": "中止计时",
    "case.resumed": "恢复计时",
    "case.extended": "延期",
    "case.decided": "作出决定",
    "case.result_returned": "办理结果送回窗口",
    "case.delivered": "送达",
    "case.cancelled": "取消",
}


def history(case: ItemCase, material_names: dict[str, str]) -> list[dict[str, Any]]:
    """The case's audit events, oldest first, each with a line a person reads."""
    events = (
        Event.objects.filter(target_type="cases.itemcase", target_id=str(case.pk))
        .select_related("actor")
        .order_by("id")
    )
    statuses = dict(S.choices)
    outcomes = dict(ItemCase.Outcome.choices)
    kinds = dict(Suspension.Kind.choices)
    rows = []
    for e in events:
        d = e.data or {}
        details = []
        if d.get("outcome"):
            details.append(outcomes.get(d["outcome"], d["outcome"]))
        if d.get("kind"):
            details.append(kinds.get(d["kind"], d["kind"]))
        if d.get("days"):
            details.append(f"延长{d['days']}个工作日，批准人{d.get('approver', '')}")
        if d.get("skipped_workdays") is not None:
            details.append(f"不计入{d['skipped_workdays']}个工作日")
        if d.get("reason"):
            details.append(f"理由：{d['reason']}")
        if d.get("materials"):
            named = (material_names.get(c, c) for c in d["materials"])
            details.append(f"材料：{'、'.join(named)}")
        for key, label in (
            ("acceptance_due", "受理期限"),
            ("decision_due", "办结期限"),
        ):
            if d.get(key):
                details.append(f"{label}{d[key]}")
        if d.get("documents"):
            details.append(
                "结果：" + "、".join(str(doc.get("title", "")) for doc in d["documents"])
            )
        rows.append(
            {
                "event": e,
                "verb": VERBS.get(e.verb, e.verb),
                "actor": str(e.actor) if e.actor else "系统",
                "status": statuses.get(d.get("new", ""), ""),
                "details": "；".join(details),
            }
        )
    return rows


class Counted:
    """A queue's ids with their count already known (from :func:`group_counts`), so that
    paging does not count the department's cases a second time."""

    ordered = True

    def __init__(self, ids: QuerySet[ItemCase, int], count: int):
        self.ids = ids
        self.total = count

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        return self.ids[index]

"""The documents the window issues at intake: what each says, and its PDF."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lianban.applications.models import Application, MaterialFile, Notice
from lianban.applications.selectors import current_files
from lianban.audit.services import appended_together
from lianban.documents.render import (
    SEAL_BOX,
    SEAL_PAGE,
    Document,
    Section,
    Table,
    chinese_date,
    render_pdf,
)
from lianban.signing.pdfsign import Stamp
from lianban.signing.services import issue_document, verify_url

PREFIX = {
    Notice.Kind.RECEIPT: "SJ",
    Notice.Kind.CORRECTION: "BZ",
    Notice.Kind.COMMITMENT: "RQ",
    Notice.Kind.ACCEPTANCE: "SL",
    Notice.Kind.REFUSAL: "BSL",
}
WINDOW = "政务服务大厅“一件事一次办”综合窗口"
# How soon a page or a client asks again for a notice the sealing worker has not sealed yet.
SEALING_RETRY_SECONDS = 2


def issue(
    *, application: Application, kind: str, actor: Any, content: dict[str, Any], case: Any = None
) -> Notice:
    """Create the notice and, unless a sealing worker is configured to, its sealed PDF; runs
    inside the caller's transaction. The number and the content are fixed here either way:
    the window prints the notice from its content at once, and the PDF only adds the seal."""
    first = application.notices.filter(kind=kind).count() + 1
    for n in range(first, first + 20):
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    application=application,
                    case=case,
                    kind=kind,
                    content=content,
                    issued_by=actor,
                    issued_at=timezone.now(),
                    number=f"{PREFIX[Notice.Kind(kind)]}{application.receipt_number}-{n}",
                )
            break
        except IntegrityError:
            # Two departments accepting cases of one application at once both counted the
            # same notices: the one that waited takes the next number.
            continue
    else:
        raise RuntimeError(f"no free notice number after {first + 19}")
    if not settings.LIANBAN_SEAL_IN_WORKER:
        seal(notice)
    return notice


def seal(notice: Notice) -> Notice:
    """Lay out ``notice``, seal it and enter it in the register; runs inside a transaction
    (the issuing change's, or the sealing worker's, which holds the notice's row)."""
    application, case, actor = notice.application, notice.case, notice.issued_by
    kind = notice.kind
    pdf = render_pdf(document_for(notice))
    # The window seals what it issues; a department seals its own acceptance or refusal,
    # which the reviewer who decided it also signs.
    issued = issue_document(
        pdf=pdf,
        number=notice.number,
        kind=kind,
        title=notice.get_kind_display(),
        department=case.department if case is not None else None,
        actor=actor,
        stamp=Stamp(SEAL_PAGE, SEAL_BOX.pdf_points()),
        personal=case is not None,
        application=application,
        case=case,
    )
    # The notice points at the register's file: one copy, the one verification knows.
    notice.pdf.name = issued.file.name
    notice.save(update_fields=["pdf"])
    return notice


def seal_next() -> Notice | None:
    """The sealing worker's step: seal the oldest notice still without its PDF, in a
    transaction of its own. The notice's row is claimed with ``FOR UPDATE SKIP LOCKED``, so
    workers on several machines never seal one notice twice; a worker killed while sealing
    leaves no document and no event (its transaction rolls back) and the notice waits for the
    next worker."""
    with transaction.atomic(), appended_together():
        notice = (
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pdf="")
            .select_related("application", "case__department", "issued_by")
            .order_by("id")
            .first()
        )
        if notice is None:
            return None
        return seal(notice)


def seal_pending(limit: int = 100) -> int:
    """Seal up to ``limit`` waiting notices; returns how many were sealed."""
    sealed = 0
    while sealed < limit and seal_next() is not None:
        sealed += 1
    return sealed


def receipt_content(application: Application, plan: Any) -> dict[str, Any]:
    files = current_files(application)
    deferred = {c.material_code: c for c in application.commitments.all()}
    materials = []
    for m in plan.materials:
        f = files.get(m["code"])
        if f is not None:
            materials.append(
                {
                    "code": m["code"],
                    "name": m["name"],
                    "version": f.version,
                    "evidence": f.evidence,
                    "sha256": f.sha256,
                }
            )
        elif m["code"] in deferred:
            materials.append(
                {
                    "code": m["code"],
                    "name": m["name"],
                    "version": 0,
                    "evidence": "",
                    "deferred_until": deferred[m["code"]].due.isoformat(),
                }
            )
    return {
        "items": [
            {
                "code": i["code"],
                "name": i["name"],
                "department": i["department"]["name"],
                "promised_limit_days": i["promised_limit_days"],
            }
            for i in plan.items
        ],
        "materials": materials,
        "total_days": plan.total_days,
    }


def document_for(notice: Notice) -> Document:
    application = notice.application
    c = notice.content
    head = (
        f"申请事项：{application.bundle_name}　收件编号：{application.receipt_number}　"
        f"申请人：{application.applicant.name}（{application.applicant.masked_identifier}）"
    )
    sections: list[Section]
    if notice.kind == Notice.Kind.RECEIPT:
        evidence = dict(MaterialFile.Evidence.choices)
        sections = [
            Section(
                "",
                paragraphs=[
                    head,
                    (
                        f"您提交的“{application.bundle_name}”申请主要材料齐全、符合法定形式，"
                        "部分次要材料经您书面承诺按期补交，本窗口予以容缺收件，并分送以下部门办理。"
                        if application.conditional
                        else f"您提交的“{application.bundle_name}”申请材料齐全、"
                        "符合法定形式，本窗口已予收件，并分送以下部门办理。"
                    ),
                ],
            ),
            Section(
                "一、已收材料",
                table=Table(
                    ("序号", "材料名称", "形式", "备注"),
                    [
                        (
                            str(n),
                            m["name"],
                            evidence.get(m["evidence"], "") if m["version"] else "容缺",
                            (
                                f"第{m['version']}版"
                                if m["version"]
                                else f"承诺于{m['deferred_until']}前补交"
                            ),
                        )
                        for n, m in enumerate(c["materials"], start=1)
                    ],
                ),
            ),
            Section(
                "二、办理事项",
                table=Table(
                    ("序号", "事项名称", "办理部门", "承诺时限"),
                    [
                        (
                            str(n),
                            i["name"],
                            i["department"],
                            f"{i['promised_limit_days']}个工作日"
                            if i["promised_limit_days"]
                            else "即办",
                        )
                        for n, i in enumerate(c["items"], start=1)
                    ],
                ),
            ),
            Section(
                "三、说明",
                paragraphs=[
                    f"各部门自收件后1个工作日内作出受理决定；按关键路径计，承诺办结时限合计"
                    f"{c['total_days']}个工作日（受理当日不计入）。",
                    "办理结果由综合窗口统一送达。原件由综合窗口留存，各部门不再要求提供。",
                    "扫描下方二维码可核验本回执的真实性，并随时查看办理进度。",
                ],
            ),
        ]
        title = "收件回执"
    elif notice.kind == Notice.Kind.CORRECTION:
        rows = [
            (str(n), m["name"], "缺少" if m["problem"] == "missing" else "不符合要求", m["reason"])
            for n, m in enumerate(c["materials"], start=1)
        ]
        rows += [
            (str(len(rows) + n), f"申请表：{f['label']}", "需更正", f["reason"])
            for n, f in enumerate(c["fields"], start=1)
        ]
        sections = [
            Section(
                "",
                paragraphs=[
                    head,
                    "经形式审查，您的申请需补正下列内容。本告知书一次性"
                    "列明全部补正事项，补正后请重新提交，无需再次提交其他材料。",
                ],
            ),
            Section("补正事项", table=Table(("序号", "项目", "问题", "补正要求"), rows)),
        ]
        title = "补正告知书"
    elif notice.kind in {Notice.Kind.ACCEPTANCE, Notice.Kind.REFUSAL}:
        return _case_document(notice, head)
    else:
        sections = [
            Section(
                "",
                paragraphs=[
                    head,
                    "下列次要材料暂缺，申请人书面承诺按期补交，"
                    "本窗口予以容缺受理。逾期未补交的，相关事项可能不予办理。",
                ],
            ),
            Section(
                "承诺事项",
                table=Table(
                    ("序号", "材料名称", "承诺补交日期", "承诺内容"),
                    [
                        (str(n), x["name"], x["due"], x["statement"])
                        for n, x in enumerate(c["commitments"], start=1)
                    ],
                ),
            ),
        ]
        title = "容缺受理承诺书"
    return Document(
        title=title,
        number=notice.number,
        issued_at=notice.issued_at,
        issuer=WINDOW,
        recipient=application.applicant.name,
        sections=sections,
        verify_url=verify_url(notice.number),
        footer=f"{title} {notice.number} · 出具日期 {chinese_date(timezone.localtime(notice.issued_at))}",
    )


def _case_document(notice: Notice, head: str) -> Document:
    """受理通知书 / 不予受理通知书: the department's word on one item (操作规程 第十五条);
    a refusal states its reason."""
    application = notice.application
    c = notice.content
    if notice.kind == Notice.Kind.ACCEPTANCE:
        title = "受理通知书"
        paragraphs = [
            head,
            f"您申请的“{c['item']}”，经审查，申请材料齐全、符合法定形式，本机关决定予以受理。",
            f"本事项承诺办结时限为{c['promised_limit_days']}个工作日（受理次日起算），"
            f"将于{c['decision_due']}前作出决定。检验、检测、检疫、鉴定、专家评审、听证所需时间"
            "不计入办理时限。",
        ]
    else:
        title = "不予受理通知书"
        paragraphs = [
            head,
            f"您申请的“{c['item']}”，经审查，本机关决定不予受理。",
            f"理由：{c['reason']}",
            "如对本决定不服，可以依法申请行政复议或者提起行政诉讼。",
        ]
    return Document(
        title=title,
        number=notice.number,
        issued_at=notice.issued_at,
        issuer=c["department"],
        recipient=application.applicant.name,
        sections=[Section("", paragraphs=paragraphs)],
        verify_url=verify_url(notice.number),
        footer=f"{title} {notice.number} · {c['department']}",
    )

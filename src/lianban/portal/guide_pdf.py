"""The 一次性告知单 as a sealed PDF: what the printable page says, issued by the window.

The same bundle version and the same answers always give the same document: it is sealed and
registered the first time it is asked for, and served from the register afterwards, so the
register holds one entry per distinct notice, not one per download."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from lianban.catalog.planner import Definition, Plan
from lianban.documents.render import SEAL_BOX, SEAL_PAGE, Document, Section, Table, render_pdf
from lianban.signing.models import IssuedDocument
from lianban.signing.pdfsign import Stamp
from lianban.signing.services import issue_document, verify_url

ISSUER = "政务服务大厅“一件事一次办”综合窗口"


def number_for(definition: Definition, plan: Plan) -> str:
    answers = {key: sorted(values) for key, values in sorted(plan.answers.items())}
    digest = hashlib.sha256(
        json.dumps([definition.code, definition.version, answers], ensure_ascii=False).encode()
    ).hexdigest()[:12]
    return f"GZ-{definition.code}-{definition.version}-{digest}"[:64]


def document_for(definition: Definition, plan: Plan, number: str) -> Document:
    snapshot = definition.snapshot
    sections: list[Section] = [
        Section(
            "",
            paragraphs=[
                f"您咨询的“{definition.name}”（牵头部门：{snapshot['lead_department']['name']}，"
                f"第{definition.version}版），按您所述情形，一次性告知如下。",
            ],
        )
    ]
    if plan.answer_labels():
        sections.append(
            Section("一、您的情形", table=Table(("问题", "回答"), plan.answer_labels()))
        )
    if plan.pending:
        sections.append(
            Section(
                "",
                paragraphs=[
                    "尚有问题未回答（"
                    + "；".join(q.text for q in plan.pending)
                    + "），以下仅列已确定的事项。"
                ],
            )
        )
    sections.append(
        Section(
            f"二、办理事项（共{len(plan.items)}项）",
            table=Table(
                ("序号", "事项名称", "办理部门", "承诺时限"),
                [
                    (
                        str(n),
                        item["name"],
                        item["department"]["name"],
                        "即办"
                        if item.get("handling_form") == "即办件"
                        else f"{item['promised_limit_days']}个工作日",
                    )
                    for n, item in enumerate(plan.items, start=1)
                ],
            ),
        )
    )
    sections.append(
        Section(
            f"三、申请材料（一套材料，共{len(plan.materials)}份）",
            table=Table(
                ("序号", "材料名称", "要求", "容缺"),
                [
                    (
                        str(n),
                        m["name"],
                        m.get("description") or "—",
                        "可书面承诺后补" if m.get("secondary") else "—",
                    )
                    for n, m in enumerate(plan.materials, start=1)
                ],
            ),
        )
    )
    sections.append(
        Section(
            f"四、需填写的信息（一张表，共{len(plan.fields)}项）",
            paragraphs=[
                "、".join(f["label"] + ("＊" if f.get("required") else "") for f in plan.fields)
                or "无"
            ],
        )
    )
    sections.append(
        Section(
            "五、办理流程与时限",
            paragraphs=[
                f"{n}. {s['title']}：{s['description']}"
                for n, s in enumerate(plan.steps(), start=1)
            ]
            + [
                f"承诺办结时限合计{plan.total_days}个工作日（按事项前后置关系的关键路径计算，受理当日不计入；"
                "检验、检测、鉴定、专家评审、听证所需时间不计入）。"
            ],
        )
    )
    sections.append(
        Section(
            "六、办理地点",
            paragraphs=[
                "线上：网上政务服务平台“一件事一次办”专栏；线下：政务服务大厅“一件事一次办”综合窗口。"
                "材料齐全的当场出具收件回执，办理结果由综合窗口一次送达。",
                "注：事项的材料、时限、收费与依据以牵头部门最终发布为准"
                + ("；标注为示例的内容待牵头部门确认。" if plan.items else "。"),
            ],
        )
    )
    return Document(
        title="一次性告知单",
        number=number,
        issued_at=timezone.now(),
        issuer=ISSUER,
        recipient="申请人",
        sections=sections,
        verify_url=verify_url(number),
        footer=f"“{definition.name}”一次性告知单 {number}",
    )


def sealed_notice(definition: Definition, plan: Plan) -> IssuedDocument:
    number = number_for(definition, plan)
    found = IssuedDocument.objects.filter(number=number).first()
    if found is not None:
        return found
    pdf = render_pdf(document_for(definition, plan, number))
    try:
        with transaction.atomic():
            return issue_document(
                pdf=pdf,
                number=number,
                kind=IssuedDocument.Kind.GUIDE,
                title=f"“{definition.name}”一次性告知单",
                department=None,
                actor=None,
                stamp=Stamp(SEAL_PAGE, SEAL_BOX.pdf_points()),
            )
    except IntegrityError:
        # Asked for twice at once: the other request registered it first.
        return IssuedDocument.objects.get(number=number)

"""The layout of a bulletin (通报): what the sealed PDF says, from the data kept with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from lianban.documents.render import Document, Section, Table
from lianban.signing.services import verify_url

TITLE = "“一件事一次办”电子监察通报"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _figure_cells(f: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(f["dispatched"]),
        str(f["refused"]),
        percent(f["processing_rate"]),
        percent(f["completion_rate"]),
    )


def document_for(
    *,
    content: dict[str, Any],
    number: str,
    issued_at: dt.datetime,
    issuer: str,
    figures_as_of: dt.datetime | None,
) -> Document:
    year, month = (int(x) for x in content["month"].split("-"))
    period = f"{year}年{month}月"
    t = content["total"]
    as_of = (
        f"数据截至{timezone.localtime(figures_as_of):%Y-%m-%d %H:%M}。"
        if figures_as_of
        else "统计数据尚未生成。"
    )
    summary = (
        f"{period}，全区“一件事”收件{t['received']}件，分送联办事项办件{t['dispatched']}件；"
        f"不予受理{t['refused']}件（不予受理率{percent(t['refusal_rate'])}）；"
        f"网上申请收件及时率{percent(t['intake_rate'])}，办理及时率{percent(t['processing_rate'])}"
        f"（超期决定{t['decided'] - t['decided_on_time']}件），办结率{percent(t['completion_rate'])}。"
    )
    head = ("排名", "部门", "办件量", "不予受理", "办理及时率", "办结率")
    sections = [
        Section("一、总体情况", paragraphs=[summary, as_of]),
        Section(
            "二、部门排名",
            paragraphs=["按办理及时率、办结率、不予受理率（低者在前）、办件量依次排序。"],
            table=Table(
                head,
                [
                    (str(n), r["label"], *_figure_cells(r))
                    for n, r in enumerate(content["ranking"], start=1)
                ]
                or [("—", "本月无办件", "", "", "", "")],
            ),
        ),
        Section(
            "三、分“一件事”情况",
            table=Table(
                ("一件事", "收件量", "办件量", "不予受理", "办理及时率", "办结率"),
                [(r["label"], str(r["received"]), *_figure_cells(r)) for r in content["bundles"]]
                or [("本月无办件", "", "", "", "", "")],
            ),
        ),
        Section(
            "四、近期走势",
            table=Table(
                ("月份", "收件量", "办件量", "收件及时率", "办理及时率", "办结率"),
                [
                    (
                        r["month"],
                        str(r["received"]),
                        str(r["dispatched"]),
                        percent(r["intake_rate"]),
                        percent(r["processing_rate"]),
                        percent(r["completion_rate"]),
                    )
                    for r in content["trend"]
                ],
            ),
        ),
    ]
    return Document(
        title=TITLE,
        number=number,
        issued_at=issued_at,
        issuer=issuer,
        recipient="各联办部门、政务服务中心",
        sections=sections,
        verify_url=verify_url(number),
        footer=f"{period}电子监察通报",
    )

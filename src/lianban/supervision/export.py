"""Excel export of the dashboard: the month's figures by the chosen dimension, and the trend."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from lianban.supervision import selectors
from lianban.supervision.selectors import Figures, Scope

HEADER = (
    "收件量",
    "网上申请已答复",
    "按时答复",
    "收件及时率",
    "办件量",
    "已取消",
    "已办结",
    "办结率",
    "受理审查完成",
    "不予受理",
    "不予受理率",
    "已决定",
    "按时决定",
    "办理及时率",
)


def _cells(f: Figures) -> list[object]:
    intake: list[object] = (
        [f.received, f.online_answered, f.online_on_time, f.intake_rate]
        if f.intake_shown
        else [None, None, None, None]
    )
    return [
        *intake,
        f.dispatched,
        f.cancelled,
        f.concluded,
        f.completion_rate,
        f.acceptance_decided,
        f.refused,
        f.refusal_rate,
        f.decided,
        f.decided_on_time,
        f.processing_rate,
    ]


RATE_COLUMNS = {HEADER.index(h) + 2 for h in HEADER if h.endswith("率")}


def workbook(scope: Scope, month: dt.date, by: str, as_of: str) -> bytes:
    rows, total = selectors.month_figures(scope, month, by)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{month:%Y-%m}"
    ws.append([f"电子监察统计 {month:%Y年%m月}（按{selectors.DIMENSIONS[by]}）", as_of])
    ws.append([selectors.DIMENSIONS[by], *HEADER])
    for r in rows:
        ws.append([r.label, *_cells(r.figures)])
    ws.append(["合计", *_cells(total)])
    trend = wb.create_sheet("月度走势")
    trend.append(["月份", *HEADER])
    for m, f in selectors.trend(scope, month):
        trend.append([f"{m:%Y-%m}", *_cells(f)])
    for sheet, first in ((ws, 3), (trend, 2)):
        for cell in sheet[first - 1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=first):
            for cell in row:
                if cell.column in RATE_COLUMNS:
                    cell.number_format = "0.0%"
        sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

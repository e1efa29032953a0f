from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

PROVISIONAL = '<span class="tag" title="该年度节假日安排尚未公布，按周末推算">暂按周末推算</span>'


@register.simple_tag
def queue_body(rows: list[dict[str, Any]], finished: bool) -> SafeString:
    """The queue's rows (``selectors.queue_rows``) as table rows, built here once: a template
    loop resolving twenty variables a row cost a page of fifty rows more than its queries.
    Every text that comes from a record is escaped; the rest is fixed text and codes."""
    return mark_safe("\n".join(_row(row, finished) for row in rows))


def _row(row: dict[str, Any], finished: bool) -> str:
    light = row["light"]
    if light:
        light_cell = (
            f'<span class="light light-{light}" aria-hidden="true"></span>{row["light_label"]}'
        )
    else:
        light_cell = "—"
    if finished:
        at = row["finished_at"]
        due_cell = timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""
    elif row["clock"]:
        provisional = PROVISIONAL if row["provisional"] else ""
        due_cell = f'{row["due"]}<span class="small">　{row["clock_kind"]}</span>{provisional}'
    else:
        due_cell = "—"
    extended = '<span class="tag">已延期</span>' if row["extended"] else ""
    outcome = f'<span class="small">　{row["outcome_label"]}</span>' if row["outcome"] else ""
    return (
        f'<tr class="queue-row light-row-{light or "none"}" id="case-row-{row["pk"]}">\n'
        f"<td>{light_cell}</td>\n"
        f"<td>{due_cell}</td>\n"
        f'<td><a href="{escape(row["href"])}">{escape(row["receipt_number"])}</a></td>\n'
        f"<td>{escape(row['bundle_name'])}</td>\n"
        f"<td>{escape(row['item_name'])}{extended}</td>\n"
        f"<td>{escape(row['applicant_name'])}<br>"
        f'<span class="small">{escape(row["identifier"])}</span></td>\n'
        f'<td><span class="status status-{row["status"]}">{row["status_label"]}</span>'
        f"{outcome}</td>\n</tr>"
    )

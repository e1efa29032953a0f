from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from lianban.supervision.selectors import Figures

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """A rate as the dashboard prints it: 93.3%, or — when nothing was counted."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.simple_tag
def figure_cells(f: Figures, query: str, drill: str) -> SafeString:
    """One dashboard row's figure cells, each count linked to the cases behind it (``drill``,
    the drill page's address, with the row's ``query``). Built here once per row: an include
    with a ``{% url %}`` per cell cost a dashboard of forty rows more than its queries. The
    address is escaped once; the rest is counts, rates and fixed text."""
    href = f"{escape(drill)}?{escape(query)}&amp;figure="

    def count(n: int, figure: str) -> str:
        return f'<a href="{href}{figure}">{int(n)}</a>' if n else "0"

    if f.intake_shown:
        late = (
            f' <a class="small" href="{href}online_late">超期{int(f.online_late)}</a>'
            if f.online_late
            else ""
        )
        intake = f"<td>{count(f.received, 'received')}</td>\n<td>{pct(f.intake_rate)}{late}</td>"
    else:
        intake = "<td>—</td><td>—</td>"
    # Safe: the address is escaped above; the rest is integers, rates and fixed text.
    return mark_safe(
        f"{intake}\n"
        f"<td>{count(f.dispatched, 'dispatched')}</td>\n"
        f"<td>{count(f.refused, 'refused')}</td>\n"
        f"<td>{pct(f.refusal_rate)}</td>\n"
        f"<td>{count(f.decided, 'decided')}</td>\n"
        f"<td>{count(f.decided_late, 'decided_late')}</td>\n"
        f"<td>{pct(f.processing_rate)}</td>\n"
        f"<td>{count(f.concluded, 'concluded')}</td>\n"
        f"<td>{pct(f.completion_rate)}</td>\n"
    )

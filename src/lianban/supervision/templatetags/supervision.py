from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """A rate as the dashboard prints it: 93.3%, or — when nothing was counted."""
    return "—" if value is None else f"{value * 100:.1f}%"

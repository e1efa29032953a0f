"""Demo data for 电子监察: the rollup of the demo applications and cases, so the dashboard
has figures right after ``make run``."""

from lianban.supervision.services import refresh_figures


def create_demo_figures() -> int:
    """Bring the figures up to date (idempotent: a second run recomputes nothing new)."""
    return refresh_figures().months

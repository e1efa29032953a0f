from django import template

register = template.Library()


@register.filter
def bracketed(note: str) -> str:
    """A catalog note in full-width brackets, unless it was printed with them already."""
    if not note:
        return ""
    return note if note.startswith("（") else f"（{note}）"

"""The merged form and the material list as pages show them, for the applicant's page and
the window's alike (one form, wherever it is filled)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lianban.applications import formdata
from lianban.applications.models import Application, MaterialFile
from lianban.catalog.planner import Plan

INPUT_TYPES = {
    "integer": "number",
    "decimal": "text",
    "date": "date",
    "phone": "tel",
    "email": "email",
    "id_number": "text",
    "credit_code": "text",
    "text": "text",
    "address": "text",
}


def form_rows(
    plan: Plan,
    application: Application,
    *,
    editable: set[str],
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    shared: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One row per merged field: its input, current value, error, and whether it may change
    now. A rejected value is shown back as typed, so nothing a person entered is lost.
    ``shared`` (field key → source department) is read from the consent unless given."""
    errors = errors or {}
    rows = []
    names = {i["code"]: i["name"] for i in plan.items}
    if shared is None:
        from lianban.sharing.selectors import prefilled_sources  # sharing builds on intake

        shared = prefilled_sources(application)
    for f in plan.fields:
        key = f["key"]
        stored = application.form_data.get(key)
        value = posted[key] if posted is not None and key in posted else stored
        rows.append(
            {
                "key": key,
                "name": f"f-{key}",
                "id": f"field-{key}",
                "label": f["label"],
                "type": f["type"],
                "input_type": INPUT_TYPES.get(f["type"], "text"),
                "required": f["required"],
                "help": f["help"],
                "unit": f["unit"],
                "choices": f["choices"],
                "value": value if value is not None else "",
                "values": value if isinstance(value, list) else [],
                "display": formdata.display(f, stored),
                "error": errors.get(f"form.{key}", ""),
                "editable": key in editable,
                "items": [names[c] for c in f["items"]],
                # The department the value was shared from, while it is still that value.
                "shared": shared.get(key, "") if stored == application.form_data.get(key) else "",
            }
        )
    return rows


def posted_form(request: HttpRequest, plan: Plan, editable: set[str]) -> dict[str, Any]:
    """The form values a POST carries, for the editable fields only."""
    data: dict[str, Any] = {}
    for f in plan.fields:
        key = f["key"]
        if key not in editable:
            continue
        name = f"f-{key}"
        if f["type"] == "multichoice":
            # Unticking every box sends nothing, so the form marks that the group was there.
            if f"{name}-present" in request.POST:
                data[key] = request.POST.getlist(name)
        elif f["type"] == "boolean":
            if name in request.POST:
                data[key] = request.POST.get(name)
        elif name in request.POST:
            data[key] = request.POST.get(name, "")
    return data


def material_rows(
    plan: Plan,
    application: Application,
    *,
    editable: set[str],
    reviews: dict[str, Any] | None = None,
    handed_in: list[MaterialFile] | None = None,
) -> list[dict[str, Any]]:
    """One row per material of the plan: its versions handed in (newest first), the review
    verdict of this round, and whether a new version may be handed in now. The versions are
    read unless given (``handed_in``, newest first within a material)."""
    files: dict[str, list[MaterialFile]] = {}
    if handed_in is None:
        handed_in = list(application.material_files.order_by("material_code", "-version"))
    for f in handed_in:
        files.setdefault(f.material_code, []).append(f)
    names = {i["code"]: i["name"] for i in plan.items}
    reviews = reviews or {}
    return [
        {
            "code": m["code"],
            "name": m["name"],
            "description": m["description"],
            "secondary": m["secondary"],
            "items": [names[c] for c in m["items"]],
            "files": files.get(m["code"], []),
            "current": next(iter(files.get(m["code"], [])), None),
            "review": reviews.get(m["code"]),
            "editable": m["code"] in editable,
        }
        for m in plan.materials
    ]


def error_map(errors: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        out.setdefault(e["path"], e["message"])
    return out

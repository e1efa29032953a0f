"""Every role against every page and every API operation, allowed or refused as designed
(the matrix is declared in :mod:`lianban.tests.permission_matrix`).

The objects are made once; each request runs in a savepoint that is rolled back, so that an
allowed POST (which may really accept a case) leaves the next request the same world. One
test per side collects every mismatch and reports them all at once."""

from __future__ import annotations

import copy
import io
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lianban.api.main import api as ninja_api
from lianban.applications.tests.factories import PDF
from lianban.audit.models import Event
from lianban.tests import permission_matrix as m
from lianban.tests.permission_world import World, build_world

CSRF = "matrixcsrftokenmatrixcsrftoken00"  # any 32 characters do, in cookie and header alike


# ---- The routes the site serves ------------------------------------------------------------


def url_patterns(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """(route, namespaced name) of every URL pattern, through every include."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), ":".join(filter(None, [namespace, p.name or ""]))


def api_operations() -> set[tuple[str, str]]:
    """(method, path) of every operation the API object serves, hidden from the schema or not."""
    found = set()
    for prefix, router in ninja_api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    found.add((method, prefix + path.rstrip("/") if path != "/" else prefix))
    return found


def _api_route(route: str) -> str:
    """``api/v1/cases/<case_id>`` as the router writes it: ``/cases/{case_id}``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.removeprefix("api/v1"))


def test_every_page_and_operation_has_a_row_in_the_matrix():
    declared_pages = {p.name for p in m.PAGES}
    declared_ops = {(o.method, o.path) for o in m.API_OPERATIONS}
    served_ops = api_operations()
    operation_paths = {path for _, path in served_ops}
    missing, stale = [], []
    seen_names = set()
    for route, name in url_patterns():
        seen_names.add(name)
        if route.startswith("admin/"):
            continue  # represented by m.ADMIN (see there)
        if name.startswith("api:") and _api_route(route) in operation_paths:
            continue  # an operation: checked against API_OPERATIONS below
        if name not in declared_pages:
            missing.append(f"page {route} ({name})")
    missing += [f"operation {op[0]} {op[1]}" for op in sorted(served_ops - declared_ops)]
    stale += [f"page {n}" for n in sorted(declared_pages - seen_names)]
    stale += [f"operation {op[0]} {op[1]}" for op in sorted(declared_ops - served_ops)]
    stale += [f"admin {name}" for name, _, _ in m.ADMIN if name not in seen_names]
    assert not missing, "routes without a row in the permission matrix:\n" + "\n".join(missing)
    assert not stale, "matrix rows for routes that do not exist:\n" + "\n".join(stale)
    # Every row says something for every role.
    for page in m.PAGES:
        assert set(page.expected) == set(m.PAGE_ROLES), page.name
    for op in m.API_OPERATIONS:
        assert set(op.expected) == set(m.API_ROLES), op.path
    # The admin namespace is the admin site's alone, whose views all check staff.
    admin_names = {n for r, n in url_patterns() if r.startswith("admin/")}
    assert admin_names == {n for _, n in url_patterns(admin.site.get_urls(), namespace="admin")}


# ---- Asking as each role -------------------------------------------------------------------


def outcome(response: HttpResponseBase, method: str) -> object:
    status = response.status_code
    if 300 <= status < 400:
        location = response.get("Location", "")
        if location.startswith((settings.LOGIN_URL, "/admin/login/")):
            return m.LOGIN
        return m.OK
    if status < 300:
        return m.OK
    if status in (401, 403, 404, 405):
        return status
    if method != "GET" and status in (400, 409, 410, 422):
        return m.OK  # an allowed person's empty or stale form: answered, not refused
    return status


def row_counts(labels: tuple[str, ...]) -> dict[str, int]:
    counts = {"audit.Event": Event.objects.count()}
    for label in labels:
        counts[label] = apps.get_model(label).objects.count()
    return counts


def _page_clients(world: World) -> dict[str, tuple[Client, Any]]:
    clients = {}
    for role in m.PAGE_ROLES:
        client = Client()
        if role != "anon":
            client.force_login(world.users[role])
        clients[role] = (client, copy.deepcopy(client.cookies))
    return clients


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def _ask(
    client: Client, cookies: Any, method: str, url: str, refused: bool, touches: tuple, **kw: Any
) -> tuple[HttpResponseBase, list[str]]:
    """One request in a savepoint rolled back afterwards; for a refusal, what changed."""
    client.cookies = copy.deepcopy(cookies)  # a sign-out or a message must not carry over
    changed = []
    savepoint = transaction.savepoint()
    try:
        before = row_counts(touches) if refused else {}
        response = getattr(client, method.lower())(url, **kw)
        if refused:
            after = row_counts(touches)
            changed = [f"{k} {before[k]}→{after[k]}" for k in before if before[k] != after[k]]
    finally:
        transaction.savepoint_rollback(savepoint)
    return response, changed


def _form_value(value: str, world: World) -> Any:
    if value == "@pdf":
        return SimpleUploadedFile("scan.pdf", PDF, "application/pdf")
    return world.ids.get(value, value)


def test_every_role_on_every_page(world: World):
    started = time.monotonic()
    clients = _page_clients(world)
    mismatches, cells = [], 0
    rows = [(p.name, p.method, p.args, p.query, p.expected, p.touches, p.data) for p in m.PAGES]
    rows += [(name, "GET", args, "", expected, (), {}) for name, args, expected in m.ADMIN]
    for name, method, args, query, expected, touches, data in rows:
        url = reverse(name, kwargs={k: world.ids[v] for k, v in args.items()})
        url += f"?{query}" if query else ""
        for role in m.PAGE_ROLES:
            client, cookies = clients[role]
            want = expected[role]
            refused = method == "POST" and want != m.OK
            # Made for each request: an uploaded file is read once.
            form = {k: _form_value(v, world) for k, v in data.items()}
            kw = {"data": form} if form else {}
            response, changed = _ask(client, cookies, method, url, refused, touches, **kw)
            got = outcome(response, method)
            cells += 1
            if got != want:
                mismatches.append(
                    f"{method} {url} as {role}: expected {want}, got {got} "
                    f"({response.status_code} {response.get('Location', '')})"
                )
            if changed:
                mismatches.append(f"{method} {url} as {role} was refused but changed {changed}")
    print(f"pages: {len(rows)} rows × {len(m.PAGE_ROLES)} roles = {cells} cells", end=" ")
    print(f"in {time.monotonic() - started:.1f} s")
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)


# ---- The API ---------------------------------------------------------------------------------


def _api_clients(world: World) -> dict[str, tuple[Client, Any, dict[str, str]]]:
    clients = {}
    for role in m.API_ROLES:
        client = Client(enforce_csrf_checks=True)
        headers: dict[str, str] = {}
        if role in world.tokens:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
        elif role != "anon":
            client.force_login(world.users[role])
            client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
            headers["X-CSRFToken"] = CSRF
        clients[role] = (client, copy.deepcopy(client.cookies), headers)
    return clients


def _upload(name: str) -> Any:
    f = io.BytesIO(PDF)
    f.name = name
    return f


def _body(body: object, world: World) -> dict[str, Any]:
    """The request's data and content type: JSON, or a multipart form for the uploads."""
    if body is None:
        return {}
    if body == "forward_payload":
        body = world.ids["forward_payload"]
    if body == "verify_upload":
        return {"data": {"file": _upload("document.pdf")}}
    if body == "token_form":
        return {"data": {"grant_type": "client_credentials"}}
    if body == "material_upload":
        return {
            "data": {
                "material": "id_card",
                "expected_status": "received",
                "file": _upload("id_card.pdf"),
            }
        }
    if body == "at_once_upload":
        application = {
            "bundle": "restaurant",
            "answers": {"area": "lt50", "sign": "no"},
            "form": {"applicant_name": "卫滨区好味道餐饮店", "business_area": "40"},
            "delivery": {"method": "together"},
        }
        return {
            "data": {
                "application": json.dumps(application, ensure_ascii=False),
                **{f"materials.{code}": _upload(f"{code}.pdf") for code in ("id_card", "lease")},
            }
        }
    if body == "results_upload":
        documents = [{"kind": "licence", "title": "食品经营许可证", "number": "JY1"}]
        return {
            "data": {
                "expected_status": "dispatched",
                "documents": json.dumps(documents, ensure_ascii=False),
                "files": [_upload("result.pdf")],
            }
        }
    return {"data": json.dumps(body), "content_type": "application/json"}


def test_every_caller_on_every_api_operation(world: World):
    started = time.monotonic()
    clients = _api_clients(world)
    mismatches, cells = [], 0
    for op in m.API_OPERATIONS:
        path = op.path
        for param, key in op.args.items():
            path = path.replace("{" + param + "}", str(world.ids[key]))
        url = f"/api/v1{path}" + (f"?{op.query}" if op.query else "")
        for role in m.API_ROLES:
            client, cookies, headers = clients[role]
            want = op.expected[role]
            refused = op.method != "GET" and want != m.OK
            extra = {"Idempotency-Key": str(uuid.uuid4())} if op.method != "GET" else {}
            response, changed = _ask(
                client,
                cookies,
                op.method,
                url,
                refused,
                op.touches,
                headers={**headers, **extra},
                **_body(op.body, world),
            )
            got = outcome(response, op.method)
            cells += 1
            if got != want:
                mismatches.append(
                    f"{op.method} {url} as {role}: expected {want}, got {got} "
                    f"({response.status_code} {response.content[:160]!r})"
                )
            if changed:
                mismatches.append(f"{op.method} {url} as {role} was refused but changed {changed}")
    print(
        f"api: {len(m.API_OPERATIONS)} operations × {len(m.API_ROLES)} callers = {cells} cells",
        end=" ",
    )
    print(f"in {time.monotonic() - started:.1f} s")
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)

"""The contract around the API: every 系统接入 endpoint, parameter and schema field is
described in Chinese in the OpenAPI document, and the audit hook the outbox relies on runs
inside the change's transaction."""

import re

import pytest
from django.db import transaction

from lianban.api.main import api
from lianban.audit import services as audit
from lianban.audit.models import Event

CHINESE = re.compile(r"[\u4e00-\u9fff]")
OURS = ("/api/v1/oauth", "/api/v1/cases", "/api/v1/webhooks")


def _schema_names(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _schema_names(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_names(value, found)
    return found


def test_every_integration_endpoint_parameter_and_field_is_described_in_chinese():
    doc = api.get_openapi_schema(path_prefix="/api/v1")
    used: set[str] = set()
    for path, operations in doc["paths"].items():
        if not path.startswith(OURS):
            continue
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert CHINESE.search(op.get("summary", "")), where
            assert CHINESE.search(op.get("description", "")), where
            for p in op.get("parameters", []):
                assert CHINESE.search(p.get("description", "")), f"{where} {p['name']}"
            _schema_names(op, used)
    schemas = doc["components"]["schemas"]
    pending = set(used)
    while pending:  # schemas referenced from schemas
        name = pending.pop()
        for nested in _schema_names(schemas[name], set()) - used:
            used.add(nested)
            pending.add(nested)
    shared = {"ErrorOut", "FieldError"}  # the platform's one error shape (lianban.api.errors)
    for name in used - shared:
        schema = schemas[name]
        for field, spec in schema.get("properties", {}).items():
            assert CHINESE.search(spec.get("description", "")), f"{name}.{field}"


@pytest.mark.django_db
def test_listeners_run_once_inside_the_transaction_of_the_event():
    seen = []

    def listener(events):
        for event in events:
            seen.append((event.verb, transaction.get_connection().in_atomic_block))
            if event.verb == "test.refused":
                raise RuntimeError("the listener refuses")

    audit.on_events(listener)
    audit.on_events(listener)
    try:
        with transaction.atomic():
            audit.record_event(actor=None, verb="test.done", target=("test", "1"))
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record_event(actor=None, verb="test.refused", target=("test", "2"))
    finally:
        audit._listeners.remove(listener)
    assert seen == [("test.done", True), ("test.refused", True)]
    # A listener that fails takes the change down with it: nothing half-recorded.
    assert list(Event.objects.values_list("verb", flat=True)) == ["test.done"]

"""Every index is written with every row: the platform's tables keep none that another index
already gives. An index whose columns begin another full index's (a foreign key's own index
beside a composite or unique index that starts with it) answers nothing the other does not,
and the audit chain's hash and verb have no pattern-matching copies (nobody compares them by
prefix). Read from PostgreSQL's catalogue, where the province runs."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from lianban.audit.models import Event

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

INDEXES = """
SELECT i.relname, x.indisunique, x.indpred IS NOT NULL,
       pg_get_indexdef(i.oid) LIKE '%%pattern_ops%%',
       ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord)
FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
WHERE c.relname = %s
"""


def _platform_tables() -> list[str]:
    # Django's own many-to-many tables (created for a ManyToManyField) are left as Django
    # makes them.
    return [
        m._meta.db_table
        for m in apps.get_models(include_auto_created=False)
        if m.__module__.startswith("lianban.")
    ]


def _indexes(table: str) -> list[tuple[str, bool, bool, bool, list[str]]]:
    with connection.cursor() as cur:
        cur.execute(INDEXES, [table])
        return cur.fetchall()


def test_no_index_repeats_the_start_of_another():
    redundant = []
    for table in _platform_tables():
        indexes = _indexes(table)
        for name, unique, partial, pattern, columns in indexes:
            if unique or partial or pattern:
                continue
            for other, _, other_partial, other_pattern, other_columns in indexes:
                if other == name or other_partial or other_pattern:
                    continue
                if other_columns[: len(columns)] == columns:
                    redundant.append(f"{table}.{name} {columns} ⊂ {other} {other_columns}")
    assert redundant == []


def test_the_chain_keeps_its_hash_unique_without_pattern_copies():
    indexes = {
        name: (unique, pattern, cols) for name, unique, _, pattern, cols in _indexes("audit_event")
    }
    assert indexes["audit_event_hash_key"][:1] == (True,)
    assert indexes["audit_event_verb_a7af3e69"] == (False, False, ["verb"])
    assert not any(pattern for _, pattern, _ in indexes.values())
    fields = {
        "occurred_at": timezone.now(),
        "actor_label": "system",
        "verb": "test.event",
        "target_type": "t",
        "target_id": "1",
        "prev_hash": "0" * 64,
        "hash": "a" * 64,
    }
    Event.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(**fields)

"""Reading the published catalog."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.db.models import QuerySet
from django.db.models.fields.json import KT

from lianban.catalog.models import BundleVersion
from lianban.catalog.planner import Definition, compile_snapshot

# Versions never change once made (their digest is checked on save), so a compiled
# definition can be kept for as long as the process lives.
_definitions: dict[tuple[int, str], Definition] = {}
_names: dict[int, str] = {}
_lock = threading.Lock()


def version_name(version_id: int) -> str:
    """The 一件事's name as a version has it, read from the database once per process (the
    name alone: a list of applications should not load and decode every snapshot)."""
    with _lock:
        found = _names.get(version_id)
    if found is None:
        found = str(
            BundleVersion.objects.filter(pk=version_id)
            .values_list(KT("snapshot__name"), flat=True)
            .get()
        )
        with _lock:
            _names[version_id] = found
    return found


def version_names(version_ids: Iterable[int]) -> dict[int, str]:
    """:func:`version_name` for several versions: those this process has not read yet in
    one query (a page of the department's queue reads none once its bundles are known)."""
    wanted = set(version_ids)
    with _lock:
        found = {pk: _names[pk] for pk in wanted if pk in _names}
    missing = wanted - found.keys()
    if missing:
        read = dict(
            BundleVersion.objects.filter(pk__in=missing)
            .order_by()
            .values_list("pk", KT("snapshot__name"))
        )
        with _lock:
            _names.update(read)
        found.update(read)
    return found


def definition_of(version: BundleVersion) -> Definition:
    key = (version.pk, version.digest)
    with _lock:
        found = _definitions.get(key)
    if found is None:
        found = compile_snapshot(version.snapshot, version.number)
        with _lock:
            _definitions[key] = found
    return found


def compiled_name(version: BundleVersion) -> str | None:
    """The 一件事's name from the definition this process has compiled for ``version``, if
    it has (keyed by the digest too, as the definitions are: an id alone could name another
    version's bundle in a database that was rolled back)."""
    if "digest" in version.get_deferred_fields():
        return None
    with _lock:
        found = _definitions.get((version.pk, version.digest))
    return found.name if found is not None else None


def published_versions() -> QuerySet[BundleVersion]:
    return BundleVersion.objects.filter(status=BundleVersion.Status.PUBLISHED)


def published_version(code: str, number: int | None = None) -> BundleVersion | None:
    """The version in force for ``code`` (or a given number, if it was ever published).

    Read without its snapshot, which callers reach through :func:`definition_of`: compiled
    once per process, so the snapshot (tens of kB of JSON) is read and parsed the first time
    only, not on every start of an application."""
    qs = (
        BundleVersion.objects.filter(bundle__code=code)
        .select_related("bundle")
        .defer("snapshot")
        # One row at most: the model's own order (by the bundle's) would only add a join.
        .order_by("pk")
    )
    if number is None:
        return qs.filter(status=BundleVersion.Status.PUBLISHED).first()
    return qs.filter(
        number=number, status__in=[BundleVersion.Status.PUBLISHED, BundleVersion.Status.SUPERSEDED]
    ).first()


def published_definitions() -> list[Definition]:
    """Every bundle in force, in catalog order, compiled. Loads only snapshots not yet
    compiled in this process."""
    rows = list(
        published_versions()
        .order_by("bundle__position", "bundle__code")
        .values_list("pk", "digest", "number")
    )
    with _lock:
        missing = [pk for pk, digest, _ in rows if (pk, digest) not in _definitions]
    if missing:
        for version in BundleVersion.objects.filter(pk__in=missing):
            definition_of(version)
    with _lock:
        return [_definitions[(pk, digest)] for pk, digest, _ in rows]

"""``lianban sweep_files``: stored files that no row names, removed once they are old enough.

A file is stored before its row is committed: the row holds the name the storage gave it. A
request that fails after that (a later step refused, the database gone, the process killed)
rolls its rows back and leaves the file: nothing is lost, but the disk fills. A file and a row
cannot share a transaction, and a killed process runs no cleanup, so rather than undo each file
on every path, this sweep finds the files no row names. It only touches files older than the
grace period (a younger one may belong to a transaction still open) and only the folders the
models' file fields store into (anything else an operator put under the media root stays)."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

GRACE_HOURS = 24


@dataclass
class Sweep:
    examined: int = 0
    orphans: list[str] = field(default_factory=list)
    bytes: int = 0
    removed: bool = False


FileFields = list[tuple[type[models.Model], str]]


def file_fields() -> tuple[dict[str, FileFields], FileFields]:
    """The models' file fields by the top folder they store into, and those whose folder is
    computed (a callable ``upload_to``), which may store anywhere."""
    by_top: dict[str, FileFields] = defaultdict(list)
    anywhere: FileFields = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if not isinstance(f, models.FileField):
                continue
            if isinstance(f.upload_to, str) and f.upload_to.strip("/"):
                by_top[PurePosixPath(f.upload_to).parts[0]].append((model, f.name))
            else:
                anywhere.append((model, f.name))
    return by_top, anywhere


def _named(fields: FileFields, folder: str) -> set[str]:
    """Every stored name under ``folder`` that a row of these fields holds."""
    names: set[str] = set()
    for model, name in fields:
        rows = model._default_manager.filter(**{f"{name}__startswith": folder + "/"})
        names.update(rows.values_list(name, flat=True).iterator(chunk_size=10_000))
    return names


def _folders(root: Path) -> Iterator[tuple[str, list[os.DirEntry[str]]]]:
    """Each folder under ``root`` with its files (one month of one kind, as stored), each
    folder read once; symbolic links are not followed."""
    pending = [str(root)] if root.is_dir() else []
    while pending:
        path = pending.pop()
        with os.scandir(path) as listing:
            entries = list(listing)
        pending += [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        files = [e for e in entries if e.is_file(follow_symlinks=False)]
        if files:
            yield path, files


def sweep(*, grace_hours: float = GRACE_HOURS, remove: bool = True) -> Sweep:
    """Find (and with ``remove``, delete) the stored files no row names, older than the grace
    period. One folder at a time: memory holds one folder's names, not the whole register."""
    root = Path(default_storage.path(""))
    by_top, anywhere = file_fields()
    before = time.time() - grace_hours * 3600
    result = Sweep(removed=remove)
    for top, fields in sorted(by_top.items()):
        for path, entries in _folders(root / top):
            folder = Path(path).relative_to(root).as_posix()
            named = _named(fields + anywhere, folder)
            for entry in entries:
                result.examined += 1
                name = f"{folder}/{entry.name}"
                stat = entry.stat(follow_symlinks=False)
                if name in named or stat.st_mtime > before:
                    continue
                result.orphans.append(name)
                result.bytes += stat.st_size
                if remove:
                    # Gone already is as good: another sweep ran at the same time.
                    Path(entry.path).unlink(missing_ok=True)
    return result

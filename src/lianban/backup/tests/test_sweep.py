"""Files stored by a request that then failed are found and removed by ``sweep_files`` once
old enough; every file a row names stays, byte for byte, and so does anything the models do
not store (an operator's file) or may still be committing (a young file)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from lianban.applications import services as intake
from lianban.applications.models import MaterialFile
from lianban.applications.selectors import plan_of
from lianban.applications.tests.factories import pdf, published_restaurant
from lianban.backup.sweep import file_fields, sweep
from lianban.cases.tests.factories import BIG, received_restaurant
from lianban.signing.models import IssuedDocument

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


class Refused(Exception):
    pass


def _failed_upload(app, code: str) -> str:
    """A material stored, then its transaction rolled back (a later step refused): the
    name of the file it left behind."""
    root = Path(MaterialFile._meta.get_field("file").storage.location)
    before = set(root.rglob("*"))
    with pytest.raises(Refused), transaction.atomic():
        intake.material_upload(
            application=app,
            material_code=code,
            stream=pdf(),
            name=f"{code}.pdf",
            actor=app.applicant.user,
        )
        raise Refused
    (left,) = set(root.rglob("*")) - before - {p for p in root.rglob("*") if p.is_dir()}
    return left.relative_to(root).as_posix()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _age(root: Path, seconds: float, *, keep_young: str) -> None:
    then = time.time() - seconds
    for p in root.rglob("*"):
        if p.is_file() and p.relative_to(root).as_posix() != keep_young:
            os.utime(p, (then, then))


@pytest.fixture
def stored(settings):
    """A received application (materials, its receipt sealed), a draft with two failed
    uploads (one old, one just now), and two files an operator put under the media root."""
    published_restaurant()
    received = received_restaurant()
    draft = intake.application_start(
        bundle_code="restaurant",
        answers=BIG,
        applicant=received.applicant,
        channel="online",
        actor=received.applicant.user,
    )
    codes = [m["code"] for m in plan_of(draft).materials]
    old, young = _failed_upload(draft, codes[0]), _failed_upload(draft, codes[1])
    root = Path(settings.MEDIA_ROOT)
    (root / "README.txt").write_text("运维说明")
    (root / "exports").mkdir()
    (root / "exports" / "figures.csv").write_text("a,b\n")
    _age(root, 2 * DAY, keep_young=young)
    return root, old, young


def _named(root: Path) -> set[str]:
    names = set(MaterialFile.objects.values_list("file", flat=True))
    names |= set(IssuedDocument.objects.values_list("file", flat=True))
    assert names and all((root / n).is_file() for n in names)
    return names


def test_the_sweep_removes_only_old_files_no_row_names(stored):
    root, old, young = stored
    named = _named(root)
    assert old not in named and young not in named
    files = _files(root)

    trial = sweep(remove=False)
    assert trial.orphans == [old] and trial.bytes == len(files[old]) and not trial.removed
    assert trial.examined == len(named) + 2  # both failed uploads; not the operator's files
    assert _files(root) == files

    done = sweep()
    assert done.orphans == [old] and done.removed
    left = _files(root)
    assert set(left) == set(files) - {old}
    assert all(left[n] == files[n] for n in left)  # every other file byte for byte
    assert _named(root) == named

    assert sweep().orphans == []  # nothing more to do; the young file waits for its grace
    _age(root, 2 * DAY, keep_young="")
    assert sweep().orphans == [young]


def test_only_the_folders_the_models_store_into_are_swept():
    by_top, anywhere = file_fields()
    assert {t: sorted(f"{m._meta.label}.{n}" for m, n in fs) for t, fs in by_top.items()} == {
        "issued": ["signing.IssuedDocument.file"],
        "materials": ["applications.MaterialFile.file"],
        "notices": ["applications.Notice.pdf"],
        "results": ["cases.ResultDocument.file"],
    }
    assert anywhere == []


def test_the_command_lists_and_reports_in_chinese(stored, capsys):
    root, old, _ = stored
    call_command("sweep_files", "--dry-run")
    out = capsys.readouterr().out
    assert f"  {old}\n" in out
    assert f"无记录引用的 1 个（{len(_files(root)[old]) / 1e6:.1f} MB），未删除（试运行）。" in out
    assert (root / old).is_file()

    call_command("sweep_files")
    assert "，已删除。" in capsys.readouterr().out
    assert not (root / old).exists()

    with pytest.raises(CommandError, match="宽限期不能少于 1 小时"):
        call_command("sweep_files", "--grace-hours", "0.5")

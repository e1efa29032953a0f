"""A backup taken, the data lost, the backup restored: the same rows, the same files byte for
byte, and an intact audit chain — on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lianban.applications.models import Application, MaterialFile
from lianban.applications.tests.factories import published_restaurant
from lianban.audit.models import ChainHead, Event
from lianban.backup.archive import BackupError, create, restore
from lianban.cases.models import ItemCase
from lianban.cases.tests.factories import received_restaurant
from lianban.signing.models import IssuedDocument

pytestmark = pytest.mark.django_db(transaction=True)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _lose_everything(media: Path) -> None:
    call_command("flush", "--noinput")
    for p in sorted(media.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()


def test_a_backup_restores_rows_files_and_the_chain(settings, tmp_path):
    published_restaurant()
    app = received_restaurant()
    media = Path(settings.MEDIA_ROOT)
    before = {
        "applications": list(Application.objects.values_list("receipt_number", "status")),
        "cases": list(ItemCase.objects.order_by("pk").values_list("pk", "status", "running_due")),
        "documents": list(IssuedDocument.objects.values_list("number", "sha256")),
        "events": Event.objects.count(),
        "head": ChainHead.objects.get(pk=1).last_hash,
    }
    files = _files(media)
    assert files and MaterialFile.objects.filter(application=app).exists()

    archive = tmp_path / "backups" / "lianban.tar.gz"
    summary = create(archive)
    assert summary.files == len(files)
    assert not archive.with_name(archive.name + ".part").exists()

    _lose_everything(media)
    assert not Application.objects.exists() and not _files(media)

    restore(archive)
    after = {
        "applications": list(Application.objects.values_list("receipt_number", "status")),
        "cases": list(ItemCase.objects.order_by("pk").values_list("pk", "status", "running_due")),
        "documents": list(IssuedDocument.objects.values_list("number", "sha256")),
        "events": Event.objects.count(),
        "head": ChainHead.objects.get(pk=1).last_hash,
    }
    assert after == before
    assert _files(media) == files
    call_command("verify_audit")  # raises if the chain were broken

    # A second restore over data that is there now needs --force.
    with pytest.raises(BackupError, match="--force"):
        restore(archive)
    restore(archive, force=True)
    assert Application.objects.count() == len(before["applications"])


def test_a_damaged_archive_restores_nothing(settings, tmp_path):
    published_restaurant()
    received_restaurant()
    archive = tmp_path / "lianban.tar.gz"
    create(archive)
    # Rewrite one file inside the archive with other bytes, keeping the manifest.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("media/") and "changed" not in locals():
                data = data[:-1] + bytes([data[-1] ^ 1])
                changed = member.name
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    count = Application.objects.count()
    with pytest.raises(BackupError, match="已损坏"):
        restore(damaged, force=True)
    assert Application.objects.count() == count  # nothing was touched
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:2000])
    with pytest.raises(BackupError):
        restore(truncated, force=True)


def test_the_commands_report_in_chinese(tmp_path, capsys):
    archive = tmp_path / "x.tar.gz"
    call_command("backup", "--output", str(archive))
    assert "已备份" in capsys.readouterr().out
    with pytest.raises(CommandError, match="找不到备份文件"):
        call_command("restore", str(tmp_path / "nothing.tar.gz"))

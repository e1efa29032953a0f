"""A full disk while a material is uploaded: the applicant gets a clear Chinese error, no
half-written file stays behind, and the version handed in before is untouched."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import TemporaryUploadedFile

from lianban.applications import services as intake
from lianban.applications.models import MaterialFile
from lianban.applications.tests.factories import PDF, ApplicantFactory, pdf, published_restaurant
from lianban.common.storage import LianbanFileStorage, StorageFull

pytestmark = pytest.mark.django_db


class FullDisk:
    """Writes to files under ``root`` fail with ENOSPC after the first 100 bytes, as a disk
    that fills up mid-write does; every other file is written normally."""

    def __init__(self, root: Path):
        self.root = str(root)
        self.real = os.fdopen

    def __call__(self, fd, mode="r", *args, **kwargs):
        f = self.real(fd, mode, *args, **kwargs)
        if "w" not in mode or not os.readlink(f"/proc/self/fd/{fd}").startswith(self.root):
            return f
        real_write = f.write

        def write(chunk):
            real_write(chunk[:100])
            f.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        f.write = write
        return f


def test_a_full_disk_loses_nothing_and_says_so(client, settings, monkeypatch):
    published_restaurant()
    applicant = ApplicantFactory()
    app = intake.application_start(
        bundle_code="restaurant",
        answers={"area": "lt50", "sign": "no"},
        applicant=applicant,
        channel="online",
        actor=applicant.user,
    )
    first = intake.material_upload(
        application=app, material_code="id_card", stream=pdf(), name="id.pdf", actor=applicant.user
    )
    media = Path(settings.MEDIA_ROOT)
    before = {p: p.read_bytes() for p in media.rglob("*") if p.is_file()}

    monkeypatch.setattr(os, "fdopen", FullDisk(media))
    client.force_login(applicant.user)
    upload = io.BytesIO(PDF + b"\n% a newer scan")
    upload.name = "id-new.pdf"
    response = client.post(
        f"/applications/{app.pk}/upload/", {"material": "id_card", "file": upload}
    )
    monkeypatch.undo()

    assert response.status_code == 400
    assert "服务器存储空间已满，文件未能保存" in response.content.decode()
    assert list(MaterialFile.objects.filter(application=app)) == [first]
    after = {p: p.read_bytes() for p in media.rglob("*") if p.is_file()}
    assert after == before  # no partial file, the first version intact
    with first.file.open("rb") as fh:
        assert fh.read() == PDF


def test_a_file_in_memory_is_written_whole_under_a_name_of_its_own(tmp_path):
    storage = LianbanFileStorage(location=tmp_path)
    first = storage.save("materials/1-lease-v1.pdf", ContentFile(PDF))
    again = storage.save("materials/1-lease-v1.pdf", ContentFile(PDF + b"% another"))
    empty = storage.save("materials/empty.txt", ContentFile(b""))
    text = storage.save("notes/说明.txt", ContentFile("一次告知"))

    assert first == "materials/1-lease-v1.pdf"
    assert again != first and again.startswith("materials/1-lease-v1_")
    assert (tmp_path / first).read_bytes() == PDF  # not overwritten by the second
    assert (tmp_path / again).read_bytes() == PDF + b"% another"
    assert (tmp_path / empty).read_bytes() == b""
    assert (tmp_path / text).read_text(encoding="utf-8") == "一次告知"


def spooled(data: bytes) -> TemporaryUploadedFile:
    """A large upload as Django hands it over: spooled to a temporary file."""
    upload = TemporaryUploadedFile("big.pdf", "application/pdf", len(data), None)
    upload.write(data)
    upload.seek(0)
    return upload


def test_an_upload_spooled_to_disk_is_copied_under_a_name_of_its_own(tmp_path):
    storage = LianbanFileStorage(location=tmp_path / "media")
    with spooled(PDF) as first, spooled(PDF + b"% another") as second:
        name = storage.save("materials/big.pdf", first)
        other = storage.save("materials/big.pdf", second)
        assert os.path.exists(first.temporary_file_path())  # Django removes it after the request
    assert (tmp_path / "media" / name).read_bytes() == PDF
    assert other != name and (tmp_path / "media" / other).read_bytes() == PDF + b"% another"


def test_modes_asked_for_are_set(tmp_path):
    files_only = LianbanFileStorage(location=tmp_path / "a", file_permissions_mode=0o600)
    name = files_only.save("sealed/a.pdf", ContentFile(PDF))
    assert (tmp_path / "a" / name).stat().st_mode & 0o777 == 0o600
    both = LianbanFileStorage(
        location=tmp_path / "b", file_permissions_mode=0o640, directory_permissions_mode=0o750
    )
    name = both.save("sealed/b.pdf", ContentFile(PDF))
    assert (tmp_path / "b" / name).stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "b" / "sealed").stat().st_mode & 0o777 == 0o750


@pytest.mark.parametrize("spooled_to_disk", [False, True], ids=["in memory", "spooled"])
@pytest.mark.parametrize("directory_mode", [None, 0o750], ids=["", "directory mode"])
def test_a_full_disk_after_a_name_taken_meanwhile_removes_only_its_own_file(
    tmp_path, monkeypatch, spooled_to_disk, directory_mode
):
    # Another upload took the name between the free-name check and the write (save() checks,
    # _save() writes): this one writes under another name, and when the disk is full it
    # removes that partial file, never the other upload's — whatever kind of upload it is
    # and whatever the storage is asked to do besides.
    storage = LianbanFileStorage(location=tmp_path, directory_permissions_mode=directory_mode)
    theirs = storage.save("materials/7-lease-v1.pdf", ContentFile(PDF))
    mine = PDF + b"% mine"
    monkeypatch.setattr(os, "fdopen", FullDisk(tmp_path))
    with pytest.raises(StorageFull):
        storage._save(theirs, spooled(mine) if spooled_to_disk else ContentFile(mine))
    monkeypatch.undo()
    assert [p.name for p in (tmp_path / "materials").iterdir()] == ["7-lease-v1.pdf"]
    assert (tmp_path / theirs).read_bytes() == PDF

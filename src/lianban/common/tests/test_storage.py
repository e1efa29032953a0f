"""A full disk while a material is uploaded: the applicant gets a clear Chinese error, no
half-written file stays behind, and the version handed in before is untouched."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from lianban.applications import services as intake
from lianban.applications.models import MaterialFile
from lianban.applications.tests.factories import PDF, ApplicantFactory, pdf, published_restaurant

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

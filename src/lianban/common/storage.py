"""Where stored files live: the file system, with a full disk reported as what it is.

Django's file storage lets an ``OSError`` through half-way, leaving a partial file behind and
the request to end in a server error. Here a full disk (or an exhausted quota) removes the
partial file and raises :class:`StorageFull`, a domain error with a Chinese message: the
request's transaction rolls back, the page or the API says the file was not kept and to try
again later, and whatever was stored before stays as it was."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs  # type: ignore[attr-defined]

from lianban.common.errors import DomainError

log = logging.getLogger("lianban.storage")

FULL = {errno.ENOSPC, errno.EDQUOT}
# A new file, never one already there (as Django's storage opens it).
CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class StorageFull(DomainError):
    code = "storage_full"
    status = 507


class LianbanFileStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        try:
            return self._write(name, content)  # removes what it wrote of a failed file
        except OSError as exc:
            if exc.errno not in FULL:
                raise
            log.error("storage full while saving %s", name)
            raise StorageFull(
                "服务器存储空间已满，文件未能保存，已提交的其他内容不受影响。请稍后再试，或告知窗口工作人员。",
                path="file",
            ) from exc

    def _write(self, name: str, content: Any) -> str:
        """Django's ``_save``, with these differences. What it wrote of a failed file is
        removed under the name it was written under: Django's loop may have moved on to
        another name, the requested one being taken meanwhile by another upload, whose file
        a cleanup by that name would delete. And it skips what costs a third of its time for
        a file held in memory (every material, notice and document is): an exclusive lock on
        a file only this call can know of yet (it is created with O_EXCL), and two ``stat``
        calls to give it the storage root's group, which a file created in the root's tree
        has already. An upload spooled to a temporary file (a large one) is copied from it,
        not moved: a rename would replace a file that took the name after Django's check."""
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        if self.directory_permissions_mode is not None:
            # os.makedirs does not apply its mode to the directories it makes on the way.
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        while True:
            try:
                fd = os.open(full_path, CREATE, 0o666)
            except FileExistsError:
                name = self.get_available_name(name)
                full_path = self.path(name)
                continue
            try:
                chunks = iter(content.chunks())
                first = next(chunks, b"")
                with os.fdopen(fd, "wb" if isinstance(first, bytes) else "w") as f:
                    f.write(first)
                    for chunk in chunks:
                        f.write(chunk)
            except BaseException:
                # This call's own file, under whatever name it got: never another one's.
                with contextlib.suppress(OSError):
                    os.remove(full_path)
                raise
            if self.file_permissions_mode is not None:
                os.chmod(full_path, self.file_permissions_mode)
            return os.path.relpath(full_path, self.location).replace("\\", "/")

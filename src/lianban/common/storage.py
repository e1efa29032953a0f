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
from typing import Any

from django.core.files.storage import FileSystemStorage

from lianban.common.errors import DomainError

log = logging.getLogger("lianban.storage")

FULL = {errno.ENOSPC, errno.EDQUOT}


class StorageFull(DomainError):
    code = "storage_full"
    status = 507


class LianbanFileStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        try:
            return str(super()._save(name, content))  # type: ignore[misc]
        except OSError as exc:
            if exc.errno not in FULL:
                raise
            with contextlib.suppress(OSError):
                self.delete(name)  # what was written of it
            log.error("storage full while saving %s", name)
            raise StorageFull(
                "服务器存储空间已满，文件未能保存，已提交的其他内容不受影响。请稍后再试，或告知窗口工作人员。",
                path="file",
            ) from exc

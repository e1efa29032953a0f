"""The reference registry inside the platform: records kept in :class:`ReferenceRecord`, for
the embedded default, the demo and the tests (a real district configures HTTP registries)."""

from __future__ import annotations

from typing import Any

from lianban.sharing.models import DataItem, ReferenceRecord


class ReferenceRegistry:
    def fetch(self, data_item: DataItem, subject: str) -> dict[str, Any] | None:
        record = ReferenceRecord.objects.filter(data_item=data_item, subject=subject).first()
        return dict(record.data) if record is not None else None

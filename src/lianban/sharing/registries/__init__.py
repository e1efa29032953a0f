"""Registries behind one interface: :func:`registry_for` gives the back end a data item is
configured with (the reference registry inside the platform, or a department's HTTP
registry), and each answers ``fetch(data_item, subject)`` with the record or ``None``."""

from __future__ import annotations

from typing import Any, Protocol

from lianban.sharing.models import DataItem, Registry


class RegistryError(Exception):
    """The registry could not answer (timeout, error, refused signature). ``message`` is for
    the applicant or the reviewer, in Chinese; the material can still be uploaded."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Backend(Protocol):
    def fetch(self, data_item: DataItem, subject: str) -> dict[str, Any] | None: ...


def registry_for(data_item: DataItem) -> Backend:
    registry = data_item.registry
    if registry.kind == Registry.Kind.HTTP:
        from lianban.sharing.registries.http import HttpRegistry

        return HttpRegistry(registry)
    from lianban.sharing.registries.reference import ReferenceRegistry

    return ReferenceRegistry()

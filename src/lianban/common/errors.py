"""Errors raised by services, carrying a Chinese message for people and, where one field is
at fault, the path of that field for API clients."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules do not allow. ``errors`` lists ``{"path", "message"}``."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, path: str = "", errors: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors if errors is not None else [{"path": path, "message": message}]


class TransitionError(DomainError):
    """The object is not in a state that allows this action (often: someone acted first)."""

    code = "conflict"
    status = 409


class NotAllowed(DomainError):
    """The actor may not do this."""

    code = "forbidden"
    status = 403

"""Domain errors. They map to HTTP statuses in one table (``web/errors.py``), never in handlers."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause; ``message`` is shown to them (Chinese first)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class IllegalTransition(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Conflict(DomainError):
    """A uniqueness rule would be broken, e.g. a complaint re-sent with the same upstream ref."""

    def __init__(self, message: str, *, field: str | None = None, existing_id: int | None = None):
        super().__init__(message, field=field)
        self.existing_id = existing_id


class ConfigurationError(DomainError):
    pass


class AuthenticationRequired(DomainError):
    pass


class RateLimited(DomainError):
    """Too many requests from one address, phone or API key; try again after a while."""

    def __init__(self, message: str, *, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

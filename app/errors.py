"""Errors a person can cause. Use cases raise these; one handler turns them into a response
with a status code and a Dutch message. Use cases never raise ``HTTPException``."""

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.extra = extra


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"

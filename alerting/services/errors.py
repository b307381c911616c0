"""Errors services raise; the API turns each into problem+json with the status it carries."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}


class NotFound(ServiceError):
    status, title = 404, "Not found"


class Conflict(ServiceError):
    status, title = 409, "Conflict"


class Gone(ServiceError):
    """It existed and is spent or expired (an invite link): asking again will not help."""

    status, title = 410, "Gone"


class TooLarge(ServiceError):
    status, title = 413, "Content too large"


class UnsupportedMedia(ServiceError):
    status, title = 415, "Unsupported media type"


class Invalid(ServiceError):
    status, title = 422, "Unprocessable content"


class Unauthorized(ServiceError):
    status, title = 401, "Unauthorized"


class Forbidden(ServiceError):
    status, title = 403, "Forbidden"


class TooMany(ServiceError):
    status, title = 429, "Too many requests"


class Unavailable(ServiceError):
    status, title = 503, "Service unavailable"

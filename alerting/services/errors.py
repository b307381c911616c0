"""Errors services raise; the API turns each into problem+json with the status it carries, and the
responder socket into an error frame with the `code` it carries."""

from __future__ import annotations

from typing import Any

from alerting.domain.vocabulary import ErrorCode


class ServiceError(Exception):
    status = 400
    title = "Bad request"
    code = ErrorCode.BAD_REQUEST

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}


class NotFound(ServiceError):
    status, title = 404, "Not found"
    code = ErrorCode.NOT_FOUND


class Conflict(ServiceError):
    status, title = 409, "Conflict"
    code = ErrorCode.CONFLICT


class Refused(Conflict):
    """The domain refused the action (a `Reject`): 409 with its explicit `code` in the body."""

    def __init__(self, code: ErrorCode, detail: str):
        super().__init__(detail, extra={"code": code})
        self.code = code


class Gone(ServiceError):
    """It existed and is spent or expired (an invite link): asking again will not help."""

    status, title = 410, "Gone"


class TooLarge(ServiceError):
    status, title = 413, "Content too large"


class UnsupportedMedia(ServiceError):
    status, title = 415, "Unsupported media type"


class Invalid(ServiceError):
    status, title = 422, "Unprocessable content"
    code = ErrorCode.INVALID


class Unauthorized(ServiceError):
    status, title = 401, "Unauthorized"
    code = ErrorCode.UNAUTHORIZED


class Forbidden(ServiceError):
    status, title = 403, "Forbidden"
    code = ErrorCode.FORBIDDEN


class TooMany(ServiceError):
    status, title = 429, "Too many requests"
    code = ErrorCode.TOO_MANY


class Unavailable(ServiceError):
    status, title = 503, "Service unavailable"
    code = ErrorCode.UNAVAILABLE

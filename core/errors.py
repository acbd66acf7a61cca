"""Application errors: a business rule refused an operation; the message is for the user as it is.

Each class says what kind of refusal it is (its error code); `http_status` maps the classes to HTTP
status codes once, for the API's exception handler (core.api) and for pages alike, so no view decides
a status by looking inside an error.
"""

from core.error_codes import ErrorCode


class ApplicationError(Exception):
    """A business rule refused the operation; `message` is shown to the user as it is."""

    code: ErrorCode = ErrorCode.RULE_VIOLATED

    def __init__(self, message: str, *, extra: dict | None = None, code: ErrorCode | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if code is not None:
            self.code = code


class ConflictError(ApplicationError):
    """Someone changed the data since the caller loaded it (a stale revision); nothing was written."""

    code = ErrorCode.CONFLICT


class NotFoundError(ApplicationError):
    """The thing asked for does not exist or is not visible to the caller."""

    code = ErrorCode.NOT_FOUND


class PermissionDeniedError(ApplicationError):
    """The caller may see the thing but not do this to it."""

    code = ErrorCode.PERMISSION_DENIED


# The one mapping from application errors to HTTP status codes (most specific class first).
STATUS_BY_ERROR = (
    (ConflictError, 409),
    (NotFoundError, 404),
    (PermissionDeniedError, 403),
    (ApplicationError, 400),
)


def http_status(error: ApplicationError) -> int:
    """The status code a refusal answers with, on the API and on pages."""
    return next(status for cls, status in STATUS_BY_ERROR if isinstance(error, cls))

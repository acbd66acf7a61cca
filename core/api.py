"""REST API glue shared by every app."""

import dataclasses
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError


def _jsonable(value):
    """Services attach dataclasses, dates and Decimals to errors; the API answers plain JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def exception_handler(exc, context):
    """Render ApplicationError and Django's ValidationError as 400s; everything else as DRF does."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **_jsonable(exc.extra)}, status=400)
    return drf_exception_handler(exc, context)

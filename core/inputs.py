"""core.parsing's parsers as Django form fields, DRF serializer fields, django-filter filters and a query helper.

Pages, exports and the API take months, dates, date-times, day counts and decimals only through
these, so a kind is parsed and bounded in one place (core.parsing) and refused with one message.
"""

import datetime

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import parsing
from core.parsing import InputError

# ---------------------------------------------------------------- page numbers and sizes of long lists

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 500
PAGE_MESSAGE = f"页码无效：应为 1 至 {MAX_PAGE} 之间的整数。"
PAGE_SIZE_MESSAGE = f"每页行数无效：应为 1 至 {MAX_PAGE_SIZE} 之间的整数。"


def _bounded_integer(raw, maximum: int, message: str) -> int:
    text = parsing.clean_text(raw)
    if not text.isascii() or not text.isdigit() or len(text) > 6 or not 1 <= int(text) <= maximum:
        raise InputError(message)
    return int(text)


def parse_page_number(raw) -> int:
    """A page of a paginated list, 1 … 100000 (full-width digits folded; `²`, `1.0`, `-1` refused)."""
    return _bounded_integer(raw, MAX_PAGE, PAGE_MESSAGE)


def parse_page_size(raw) -> int:
    """Rows per page, 1 … 500."""
    return _bounded_integer(raw, MAX_PAGE_SIZE, PAGE_SIZE_MESSAGE)


# ---------------------------------------------------------------- Django form fields


class _ParsedFormField(forms.Field):
    """A form field whose text is read by one core.parsing parser; its message is the form error."""

    parser = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str):
            value = self.from_value(value)
        try:
            return type(self).parser(value)
        except InputError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None

    def from_value(self, value):
        return value


class MonthFormField(_ParsedFormField):
    parser = staticmethod(parsing.parse_month)

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if isinstance(value, datetime.date) else value


class DateFormField(_ParsedFormField):
    parser = staticmethod(parsing.parse_date)

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)

    def from_value(self, value):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)


class DateTimeFormField(_ParsedFormField):
    """A date-time from a `datetime-local` input (no zone: Asia/Shanghai) or any ISO 8601 text."""

    parser = staticmethod(parsing.parse_datetime)

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
        super().__init__(**kwargs)

    def from_value(self, value):
        return value.isoformat() if isinstance(value, datetime.datetime) else str(value)

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            return value.astimezone(parsing.SHANGHAI).replace(tzinfo=None)
        return value


class DayCountFormField(_ParsedFormField):
    parser = staticmethod(parsing.parse_day_count)

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.NumberInput(attrs={"min": 0, "max": parsing.MAX_DAY_COUNT, "step": 1}))
        super().__init__(**kwargs)

    def from_value(self, value):
        return str(value)


# ---------------------------------------------------------------- django-filter filters


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$", "example": "2023-05"})
class MonthFilter(django_filters.Filter):
    field_class = MonthFormField


@extend_schema_field(OpenApiTypes.DATE)
class DateFilter(django_filters.Filter):
    field_class = DateFormField


@extend_schema_field(OpenApiTypes.DATETIME)
class DateTimeFilter(django_filters.Filter):
    field_class = DateTimeFormField


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": parsing.MAX_DAY_COUNT})
class DayCountFilter(django_filters.Filter):
    field_class = DayCountFormField


# ---------------------------------------------------------------- DRF serializer fields


class _ParsedApiField(serializers.Field):
    parser = None

    def run_validation(self, data=serializers.empty):
        if data == "" and self.allow_null:  # an optional date sent blank, as forms send it
            data = None
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str | int):
            data = str(data)
        try:
            return type(self).parser(str(data))
        except InputError as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$", "example": "2023-05"})
class ApiMonthField(_ParsedApiField):
    parser = staticmethod(parsing.parse_month)

    def to_representation(self, value):
        return f"{value:%Y-%m}"


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 12})
class ApiMonthNumberField(_ParsedApiField):
    """The last month of a year-to-date window, 1 … 12."""

    parser = staticmethod(parsing.parse_month_number)

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.DATE)
class ApiDateField(_ParsedApiField):
    parser = staticmethod(parsing.parse_date)

    def to_representation(self, value):
        return value.isoformat() if value else None


@extend_schema_field(OpenApiTypes.DATETIME)
class ApiDateTimeField(_ParsedApiField):
    """ISO 8601 in (a date alone means 00:00 that day, no zone means Asia/Shanghai); RFC 3339 +08:00 out."""

    parser = staticmethod(parsing.parse_datetime)

    def to_representation(self, value):
        return parsing.rfc3339(value)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": parsing.MAX_DAY_COUNT})
class ApiDayCountField(_ParsedApiField):
    parser = staticmethod(parsing.parse_day_count)

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_PAGE})
class ApiPageField(_ParsedApiField):
    parser = staticmethod(parse_page_number)

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE})
class ApiPageSizeField(_ParsedApiField):
    parser = staticmethod(parse_page_size)

    def to_representation(self, value):
        return value


# ---------------------------------------------------------------- query parameters of pages


def query_value(params, name: str, parse, default=None):
    """A query parameter read by a core.parsing parser; absent or blank gives `default`, bad raises InputError."""
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    return parse(raw)

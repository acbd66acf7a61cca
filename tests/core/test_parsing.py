"""core.parsing: each kind of typed input is parsed and bounded once, refused with one Chinese message."""

import datetime
from decimal import Decimal

import pytest

from core import parsing
from core.parsing import InputError

SH = parsing.SHANGHAI


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2023-05", datetime.date(2023, 5, 1)), ("2023-5", datetime.date(2023, 5, 1)), ("２０２３-０５", datetime.date(2023, 5, 1))],
)
def test_a_month_is_read_as_its_first_day(raw, expected):
    assert parsing.parse_month(raw) == expected


@pytest.mark.parametrize(
    "raw", ["9999-12", "0001-01", "1999-12", "2100-01", "2023-13", "2023-00", "²023-05", "٢٠٢٣-٠٥", "2023", "", None]
)
def test_a_month_out_of_range_or_not_in_ascii_digits_is_refused_with_the_month_message(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_month(raw)
    assert exc.value.message == parsing.MONTH_MESSAGE


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("12", 12), ("０５", 5)])
def test_a_month_number_is_1_to_12(raw, expected):
    assert parsing.parse_month_number(raw) == expected


@pytest.mark.parametrize("raw", ["²", "0", "13", "2.0", "-1", "", "1e1", "一"])
def test_a_month_number_refuses_superscripts_and_out_of_range(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_month_number(raw)
    assert exc.value.message == parsing.MONTH_NUMBER_MESSAGE


@pytest.mark.parametrize(
    "raw", ["2023-02-30", "0001-01-01", "0750-06-01", "1021-01-01", "1900-01-01", "2023-1-1", "2023/01/01", "x"]
)
def test_an_impossible_or_out_of_range_date_is_refused(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_date(raw)
    assert exc.value.message == parsing.DATE_MESSAGE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-10-08", datetime.datetime(2023, 10, 8, tzinfo=SH)),
        ("2023-10-08T09:30", datetime.datetime(2023, 10, 8, 9, 30, tzinfo=SH)),
        ("2023-10-08 09:30:15", datetime.datetime(2023, 10, 8, 9, 30, 15, tzinfo=SH)),
        ("2023-10-08T01:30:00Z", datetime.datetime(2023, 10, 8, 9, 30, tzinfo=SH)),
        ("2023-10-08T09:30:00+08:00", datetime.datetime(2023, 10, 8, 9, 30, tzinfo=SH)),
        ("2023-10-08T09:30:00.5+0800", datetime.datetime(2023, 10, 8, 9, 30, 0, 500000, tzinfo=SH)),
    ],
)
def test_a_datetime_without_a_zone_is_asia_shanghai(raw, expected):
    assert parsing.parse_datetime(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-30",
        "2023-10-08T25:00:00",
        "2024-01-01T12:99:00Z",
        "0001-01-01",
        "0750-01-01T00:00",
        "1900-01-01",
        "9999-12-31T23:59:59-14:00",
        "2023-10-08T09:30:00+15:00",
        "yesterday",
    ],
)
def test_an_impossible_datetime_is_refused_with_the_datetime_message(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_datetime(raw)
    assert exc.value.message == parsing.DATETIME_MESSAGE


def test_times_are_echoed_in_rfc3339_with_the_shanghai_offset_not_lmt():
    assert parsing.rfc3339(parsing.parse_datetime("2023-10-08")) == "2023-10-08T00:00:00+08:00"
    assert parsing.rfc3339(datetime.datetime(2023, 10, 8, 1, 30, tzinfo=datetime.UTC)) == "2023-10-08T09:30:00+08:00"
    # Before 1901 the zone database gives Shanghai's local mean time (+08:05:43): why dates are bounded.
    assert datetime.datetime(1900, 1, 1, tzinfo=SH).isoformat().endswith("+08:05:43")


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("3660", 3660), (" 7 ", 7)])
def test_a_day_count_is_a_whole_number_up_to_3660(raw, expected):
    assert parsing.parse_day_count(raw) == expected


@pytest.mark.parametrize("raw", ["3661", "3000000", "99999999", "-1", "1.5", "1e3", "²"])
def test_a_day_count_out_of_range_is_refused(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_day_count(raw)
    assert exc.value.message == parsing.DAY_COUNT_MESSAGE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", Decimal(12)),
        ("12.5", Decimal("12.5")),
        ("1,234.5", Decimal("1234.5")),
        ("１２", Decimal(12)),
        ("-4", Decimal(-4)),
        ("", None),
        ("1.50", Decimal("1.50")),
    ],
)
def test_a_decimal_is_exact(raw, expected):
    assert parsing.parse_decimal(raw, max_digits=6, decimal_places=2) == expected


@pytest.mark.parametrize("raw", ["1,5", "1e2", "1E2", "NaN", "Infinity", "-inf", "1e999999999999999999", "1.2.3", "abc", "12,34"])
def test_a_decimal_in_another_notation_is_refused_not_misread(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_decimal(raw, max_digits=6, decimal_places=2)
    assert exc.value.message == parsing.DECIMAL_MESSAGE.format(value=raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("10000", "扣分：数值过大（整数部分最多 4 位）"),
        ("99999999999999999999999999999999999", "扣分：数值过大（整数部分最多 4 位）"),
        ("4.001", "扣分：最多保留 2 位小数"),
    ],
)
def test_a_decimal_is_bounded_by_its_column(raw, message):
    with pytest.raises(InputError) as exc:
        parsing.parse_decimal(raw, max_digits=6, decimal_places=2, label="扣分")
    assert exc.value.message == message


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "+8613812345678", "138-1234-5678", "025-84561234", "02584561234", "0510-8123456-123", "400-820-8820", ""],
)
def test_a_phone_number_is_a_mobile_or_a_landline(raw):
    assert parsing.parse_phone(raw) == raw


@pytest.mark.parametrize("raw", ["abcdefg", "12345", "1381234567", "23812345678", "138123456789"])
def test_another_phone_number_is_refused(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_phone(raw)
    assert exc.value.message == parsing.PHONE_MESSAGE


@pytest.mark.parametrize("raw", ["320102199001011232", "11010519491231002x", "320102900101123", ""])
def test_a_resident_id_has_its_check_digit(raw):
    assert parsing.parse_id_number(raw) == raw.upper()


@pytest.mark.parametrize("raw", ["12345", "320102199001011234", "320102199002301236", "ABCDEFGHIJKLMNOPQR", "320102991301123"])
def test_another_id_number_is_refused(raw):
    with pytest.raises(InputError) as exc:
        parsing.parse_id_number(raw)
    assert exc.value.message == parsing.ID_NUMBER_MESSAGE


def test_the_api_fields_and_the_form_fields_refuse_with_the_parsers_message():
    from django import forms
    from rest_framework import serializers

    from core.inputs import ApiDateField, ApiDayCountField, DateFormField, MonthFormField

    with pytest.raises(serializers.ValidationError) as api:
        ApiDayCountField().run_validation("99999999")
    assert api.value.detail == [parsing.DAY_COUNT_MESSAGE]
    with pytest.raises(forms.ValidationError) as form:
        MonthFormField().clean("9999-12")
    assert form.value.messages == [parsing.MONTH_MESSAGE]
    assert DateFormField(required=False).clean("") is None
    assert ApiDateField(required=False, allow_null=True).run_validation("") is None

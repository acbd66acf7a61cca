"""The one parser of each kind of typed input: month, date, date-time, day count, decimal.

Every page, export, filter and API field reads these kinds through here (core.inputs adapts them to
Django forms, DRF serializers and django-filter), so each is bounded once and refused with the same
Chinese message everywhere. Pure: no database, no request.

Digits are ASCII `[0-9]` after full-width characters (what a Chinese input method types) are folded
to ASCII; other Unicode digits (superscripts `²`, Arabic-Indic, …) are refused, never read as numbers.

Bounds, chosen where the issue left them open:
- months and dates: 2000-01-01 to 2099-12-31 (the scheme years and the holiday calendar live there);
- date-times: the same days in Asia/Shanghai; a written offset must be within ±14:00;
- day counts: 0 to 3660 (ten years of days, longer than any limit or filter needs);
- decimals: the model column's digits and places; no exponent, NaN or infinity; a comma only as a
  thousands separator (`1,234.5`), so `1,5` is refused rather than read as 15.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from core.errors import ApplicationError

SHANGHAI = ZoneInfo("Asia/Shanghai")

FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)
MAX_DAY_COUNT = 3660

MONTH_MESSAGE = "月份无效：应为 2000-01 至 2099-12 之间的“年-月”，例如 2023-05。"
MONTH_NUMBER_MESSAGE = "月份无效：应为 1 至 12 之间的整数。"
DATE_MESSAGE = "日期无效：应为 2000-01-01 至 2099-12-31 之间的真实日期，写作“年-月-日”，例如 2023-10-08。"
DATETIME_MESSAGE = (
    "时间格式无效：应为 2000 年至 2099 年之间的真实日期和时间，例如 2023-10-08T09:30、"
    "2023-10-08T09:30:00+08:00 或 2023-10-08（当天 0 点）。"
)
DAY_COUNT_MESSAGE = f"天数无效：应为 0 至 {MAX_DAY_COUNT} 之间的整数。"
DECIMAL_MESSAGE = "“{value}”不是有效的数字（应写成 12、12.5 或 1,234.5；不能用科学计数法，逗号只作千位分隔）"
DECIMAL_PLACES_MESSAGE = "最多保留 {places} 位小数"
DECIMAL_DIGITS_MESSAGE = "数值过大（整数部分最多 {digits} 位）"
DECIMAL_NEGATIVE_MESSAGE = "不能为负数"
PHONE_MESSAGE = "联系电话无效：应为11位手机号码（如 13812345678）或带区号的固定电话（如 025-84561234，可带分机号 -123）。"
ID_NUMBER_MESSAGE = "证件号码无效：应为18位居民身份证号码（出生日期真实、末位校验码正确），或15位旧版身份证号码。"

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SHOWN = 30  # how much of a refused value a message repeats

_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_MONTH_NUMBER = re.compile(r"[0-9]{1,2}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?)?"
    r"\s*(Z|[+-][0-9]{2}:?[0-9]{2})?",
    re.IGNORECASE,
)
_DAY_COUNT = re.compile(r"[0-9]{1,5}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?")


class InputError(ApplicationError, ValueError):
    """A typed value is not of its kind or out of bounds; `message` is the Chinese text shown to the user.

    An ApplicationError, so a service may let it through and the API answers it as any refused input (400).
    """


def clean_text(raw) -> str:
    """The typed text with full-width characters folded to ASCII and surrounding spaces removed."""
    return ("" if raw is None else str(raw)).translate(_FULL_WIDTH).strip()


def shown(raw) -> str:
    """A refused value as a message repeats it: at most a few characters."""
    text = "" if raw is None else str(raw)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _date(year: int, month: int, day: int, message: str) -> datetime.date:
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        raise InputError(message) from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InputError(message)
    return value


def parse_month(raw) -> datetime.date:
    """`YYYY-MM` (2000-01 … 2099-12) as the month's first day."""
    match = _MONTH.fullmatch(clean_text(raw))
    if not match:
        raise InputError(MONTH_MESSAGE)
    return _date(int(match[1]), int(match[2]), 1, MONTH_MESSAGE)


def parse_month_number(raw) -> int:
    """A month of the year, 1 … 12, written in ASCII (or full-width) digits; `²` and `2.0` are refused."""
    text = clean_text(raw)
    if not _MONTH_NUMBER.fullmatch(text) or not 1 <= int(text) <= 12:
        raise InputError(MONTH_NUMBER_MESSAGE)
    return int(text)


def parse_date(raw) -> datetime.date:
    """`YYYY-MM-DD`, a real day from 2000-01-01 to 2099-12-31."""
    match = _DATE.fullmatch(clean_text(raw))
    if not match:
        raise InputError(DATE_MESSAGE)
    return _date(int(match[1]), int(match[2]), int(match[3]), DATE_MESSAGE)


def check_date(value: datetime.date) -> datetime.date:
    """A date already parsed elsewhere (a widget, a service's caller) within the same bounds."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InputError(DATE_MESSAGE)
    return value


def parse_datetime(raw) -> datetime.datetime:
    """An ISO 8601 date-time, aware; no offset means Asia/Shanghai, a date alone means 00:00 that day.

    `2023-02-30`, hour 25, minute 99 and year 0001 are refused, as are offsets beyond ±14:00.
    """
    match = _DATETIME.fullmatch(clean_text(raw))
    if not match:
        raise InputError(DATETIME_MESSAGE)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        naive = datetime.datetime(  # noqa: DTZ001 - the zone is attached below
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        raise InputError(DATETIME_MESSAGE) from None
    return check_datetime(naive.replace(tzinfo=_zone(offset)))


def _zone(offset: str | None) -> datetime.tzinfo:
    if offset is None:
        return SHANGHAI
    if offset.upper() == "Z":
        return datetime.UTC
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59 or (hours == 14 and minutes):
        raise InputError(DATETIME_MESSAGE)
    delta = datetime.timedelta(hours=hours, minutes=minutes)
    return datetime.timezone(-delta if offset[0] == "-" else delta)


def check_datetime(value: datetime.datetime) -> datetime.datetime:
    """An aware date-time (naive means Asia/Shanghai) whose Asia/Shanghai day is within the date bounds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    try:
        local_day = value.astimezone(SHANGHAI).date()
    except OverflowError:
        raise InputError(DATETIME_MESSAGE) from None
    if not FIRST_DAY <= local_day <= LAST_DAY:
        raise InputError(DATETIME_MESSAGE)
    return value


def rfc3339(value: datetime.datetime) -> str:
    """A stored time as RFC 3339 in Asia/Shanghai: `2023-10-08T09:30:00+08:00` (never the LMT `+08:05:43`)."""
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def parse_day_count(raw) -> int:
    """A number of days, 0 … 3660, written as a whole number."""
    text = clean_text(raw)
    if not _DAY_COUNT.fullmatch(text) or int(text) > MAX_DAY_COUNT:
        raise InputError(DAY_COUNT_MESSAGE)
    return int(text)


def parse_decimal(raw, *, max_digits: int, decimal_places: int, allow_negative: bool = True, label: str = "") -> Decimal | None:
    """A typed number as an exact Decimal that fits a column of `max_digits` and `decimal_places`; None if blank.

    `label` (e.g. “扣分”) starts the message of a value out of bounds: “扣分：最多保留 2 位小数”.
    """
    text = clean_text(raw).replace(" ", "")
    if text == "":
        return None
    if not _DECIMAL.fullmatch(text):
        raise InputError(DECIMAL_MESSAGE.format(value=shown(raw)))
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:  # the pattern admits only finite plain numbers; kept as a safety net
        raise InputError(DECIMAL_MESSAGE.format(value=shown(raw))) from None
    prefix = f"{label}：" if label else ""
    if value < 0 and not allow_negative:
        raise InputError(prefix + DECIMAL_NEGATIVE_MESSAGE)
    integer_digits = max_digits - decimal_places
    if value.copy_abs() >= Decimal(10) ** integer_digits:
        raise InputError(prefix + DECIMAL_DIGITS_MESSAGE.format(digits=integer_digits))
    if -value.as_tuple().exponent > decimal_places and value != round(value, decimal_places):
        raise InputError(prefix + DECIMAL_PLACES_MESSAGE.format(places=decimal_places))
    return value


def parse_decimal_for(raw, field, *, allow_negative: bool = True, label: str = "") -> Decimal | None:
    """`parse_decimal` bounded by a model DecimalField's own digits and places."""
    return parse_decimal(
        raw,
        max_digits=field.max_digits,
        decimal_places=field.decimal_places,
        allow_negative=allow_negative,
        label=label,
    )


_MOBILE = re.compile(r"(?:\+?86-?)?1[3-9][0-9]-?[0-9]{4}-?[0-9]{4}")
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(?:-[0-9]{1,6})?|[48]00-?[0-9]{3}-?[0-9]{4}")
_ID18 = re.compile(r"[1-9][0-9]{5}([0-9]{4})([0-9]{2})([0-9]{2})[0-9]{3}[0-9X]")
_ID15 = re.compile(r"[1-9][0-9]{5}([0-9]{2})([0-9]{2})([0-9]{2})[0-9]{3}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def parse_phone(raw) -> str:
    """A mainland mobile (optionally +86) or landline with area code (and extension), or a 400/800 number.

    Blank stays blank; spaces are removed.
    """
    text = clean_text(raw).replace(" ", "")
    if text and not (_MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text)):
        raise InputError(PHONE_MESSAGE)
    return text


def id_check_digit(body: str) -> str:
    """The GB 11643 check character of a resident ID's first 17 digits."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def parse_id_number(raw) -> str:
    """A resident ID: 18 characters with a real birth date and the GB 11643 check digit, or the 15-digit form.

    Blank stays blank; a lower-case x is written upper-case.
    """
    text = clean_text(raw).replace(" ", "").upper()
    if not text:
        return text
    if match := _ID18.fullmatch(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        valid = text[-1] == id_check_digit(text[:17])
    elif match := _ID15.fullmatch(text):
        year, month, day = 1900 + int(match[1]), int(match[2]), int(match[3])
        valid = True
    else:
        raise InputError(ID_NUMBER_MESSAGE)
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        raise InputError(ID_NUMBER_MESSAGE) from None
    if not valid or born.year < 1900 or born > datetime.date.today():  # noqa: DTZ011 - a birth date, any zone
        raise InputError(ID_NUMBER_MESSAGE)
    return text

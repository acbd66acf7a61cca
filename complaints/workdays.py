"""China's working-day calendar as a pure lookup (no ORM): entered years, and the fallback for the rest.

A year is *entered* when the office has its official schedule (国务院办公厅放假安排): the days that
depart from Monday–Friday, i.e. holidays (休) and make-up working days (调休上班). For a year that is not
entered, Monday–Friday count as working days except the statutory holidays (全国年节及纪念日放假办法),
which the `holidays` package knows for any year; such days are marked unofficial.
"""

from collections.abc import Callable
from datetime import date
from functools import lru_cache

import chinese_calendar
import holidays as holidays_pkg

from complaints.deadlines import DayInfo

HOLIDAY, WORKDAY = "holiday", "workday"

# chinesecalendar names its holidays in English; the office reads Chinese.
CHINESECALENDAR_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

YearTable = dict[date, tuple[str, str]]  # date -> (kind, name)


def chinesecalendar_years() -> range:
    """The years the installed chinesecalendar knows (2004–2026 for 1.11)."""
    known = list(chinese_calendar.constants.holidays) + list(chinese_calendar.constants.workdays)
    return range(min(known).year, max(known).year + 1)


def chinesecalendar_rows(year: int) -> list[tuple[date, str, str]]:
    """The official schedule of one year from chinesecalendar: (date, kind, Chinese name), by date."""
    if year not in chinesecalendar_years():
        raise ValueError(f"chinesecalendar 没有 {year} 年的放假安排")
    rows = [
        (d, HOLIDAY, CHINESECALENDAR_NAMES.get(str(name), str(name)))
        for d, name in chinese_calendar.constants.holidays.items()
        if d.year == year
    ]
    rows += [
        (d, WORKDAY, f"{CHINESECALENDAR_NAMES.get(str(name), str(name))}调休上班")
        for d, name in chinese_calendar.constants.workdays.items()
        if d.year == year
    ]
    return sorted(rows)


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory holidays of any year (no make-up arrangements), with Chinese names."""
    english = holidays_pkg.China(years=year, observed=False, language="en_US")
    chinese = holidays_pkg.China(years=year, observed=False, language="zh_CN")
    # For years it knows, the package also lists the days off swapped with make-up working days; those are
    # the State Council's yearly arrangement, not statutory holidays, and the fallback must not guess them.
    return {d: chinese[d] for d, name in english.items() if not name.startswith("Day off")}


def fallback_day(d: date) -> DayInfo:
    """A day of a year without an entered schedule: Monday–Friday minus statutory holidays, unofficial."""
    name = statutory_holidays(d.year).get(d)
    if name:
        return DayInfo(working=False, official=False, name=name)
    return DayInfo(working=d.weekday() < 5, official=False)


class TableCalendar:
    """A calendar lookup over entered years, loaded lazily one year at a time."""

    def __init__(self, years: dict[int, YearTable] | None = None, *, loader: Callable[[int], YearTable | None] | None = None):
        # `years` maps an entered year to its exception days; `loader(year)` returns a year's table,
        # or None when the year is not entered.
        self._years: dict[int, YearTable | None] = dict(years or {})
        self._loader = loader

    def _table(self, year: int) -> YearTable | None:
        if year not in self._years:
            self._years[year] = self._loader(year) if self._loader else None
        return self._years[year]

    def is_entered(self, year: int) -> bool:
        return self._table(year) is not None

    def day(self, d: date) -> DayInfo:
        table = self._table(d.year)
        if table is None:
            return fallback_day(d)
        kind_name = table.get(d)
        if kind_name:
            kind, name = kind_name
            return DayInfo(working=kind == WORKDAY, official=True, name=name)
        return DayInfo(working=d.weekday() < 5, official=True)


def chinesecalendar_calendar() -> TableCalendar:
    """A lookup straight from chinesecalendar (for tests and checks; the app reads the database)."""

    def load(year: int) -> YearTable | None:
        if year not in chinesecalendar_years():
            return None
        return {d: (kind, name) for d, kind, name in chinesecalendar_rows(year)}

    return TableCalendar(loader=load)

"""Reading and validating a year's holiday schedule for import (no database: the service applies it).

A file (.csv or .xlsx) or pasted text has one day a line: 日期, 类型, 名称 — e.g. `2027-10-01,休,国庆节`
or `2027-09-26,班,国庆节调休上班`. Every row is checked and every error reported with its row number
before anything is written.
"""

import csv
import datetime

from complaints.workdays import HOLIDAY, WORKDAY
from core import uploads

KIND_WORDS = {
    "休": HOLIDAY,
    "放假": HOLIDAY,
    "假": HOLIDAY,
    "holiday": HOLIDAY,
    "班": WORKDAY,
    "上班": WORKDAY,
    "调休上班": WORKDAY,
    "补班": WORKDAY,
    "workday": WORKDAY,
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d")


# A year has at most 366 days; a header and a few blank lines fit in the margin.
MAX_ROWS = 400
COLUMNS = 3


def read_file(upload) -> list[list[str]]:
    """The rows of an uploaded .xlsx or .csv file (UTF-8 or GB18030), as text cells, within an import's bounds."""
    return uploads.read_table(upload, max_rows=MAX_ROWS, max_columns=COLUMNS, parse_text=_split_lines)


def read_text(text: str) -> list[list[str]]:
    """Rows of pasted text or a CSV file: comma-, tab- or space-separated; refused beyond MAX_ROWS lines."""
    return uploads.text_table(text, max_rows=MAX_ROWS, parse=_split_lines)


def _split_lines(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if "," in line or "，" in line:
            rows.append(next(csv.reader([line.replace("，", ",")])))
        else:
            rows.append(line.split())
    return rows


def parse_date(text: str) -> datetime.date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


def validate_rows(*, year: int, rows: list[list[str]]) -> tuple[list[tuple[datetime.date, str, str]], list[str]]:
    """Check every row; returns the days (date, kind, name) and the errors, one per bad cell."""
    days: dict[datetime.date, tuple[str, str]] = {}
    errors: list[str] = []
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row] + ["", "", ""]
        if not any(cells):
            continue
        if number == 1 and parse_date(cells[0]) is None and ("日期" in cells[0] or cells[0].lower() == "date"):
            continue  # header
        d = parse_date(cells[0])
        if d is None:
            errors.append(f"第{number}行，日期：“{cells[0]}”不是日期（应为 {year}-10-01 这样的格式）")
            continue
        if d.year != year:
            errors.append(f"第{number}行，日期：{d} 不在 {year} 年")
            continue
        kind = KIND_WORDS.get(cells[1].lower())
        if kind is None:
            errors.append(f"第{number}行，类型：“{cells[1]}”无效，应为“休”或“班”")
            continue
        if kind == WORKDAY and d.weekday() < 5:
            errors.append(f"第{number}行，类型：{d} 是周一至周五，本来就是工作日，不能标为调休上班")
            continue
        if d in days:
            errors.append(f"第{number}行，日期：{d} 重复")
            continue
        days[d] = (kind, cells[2][:60])
    if not days and not errors:
        errors.append("没有读到任何日期")
    return sorted((d, kind, name) for d, (kind, name) in days.items()), errors

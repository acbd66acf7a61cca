"""Reading and validating a year's holiday schedule for import (no database: the service applies it).

A file (.csv or .xlsx) or pasted text has one day a line: 日期, 类型, 名称 — e.g. `2027-10-01,休,国庆节`
or `2027-09-26,班,国庆节调休上班`. Every row is checked and every error reported with its row number
before anything is written.
"""

import csv
import datetime
import io
import zipfile

from complaints.workdays import HOLIDAY, WORKDAY

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


def read_file(*, content: bytes, filename: str) -> list[list[str]]:
    """The rows of an uploaded .xlsx or .csv file (UTF-8 or GB18030), as text cells."""
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return read_text(content.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise ValueError("文件编码无法识别，请保存为 UTF-8 或 GB18030 编码的 CSV，或 .xlsx")


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A damaged or renamed file fails inside the zip or XML reader; the clerk gets one message, not a 500.
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            if not book.worksheets:
                raise ValueError("文件中没有工作表")
            return [[_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    # OSError: openpyxl's "File contains no valid workbook part" (a zip without xl/workbook.xml).
    except (zipfile.BadZipFile, InvalidFileException, KeyError, SyntaxError, OSError) as exc:
        raise ValueError("文件无法读取：不是有效的 .xlsx 文件，请用 Excel 另存为 .xlsx 或 CSV 后重新上传") from exc


def read_text(text: str) -> list[list[str]]:
    """Rows of pasted text: comma-, tab- or space-separated."""
    rows = []
    for line in text.splitlines():
        if "," in line or "，" in line:
            rows.append(next(csv.reader([line.replace("，", ",")])))
        else:
            rows.append(line.split())
    return rows


def _cell_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


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

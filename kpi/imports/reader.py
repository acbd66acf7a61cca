"""Read: an uploaded figures file (.xlsx, .xls, .ods or .csv) to sheets of raw cells, bounded, no database.

python-calamine reads every workbook kind (several times faster than openpyxl and without its memory);
it keeps only cells that hold a value, so the 1,048,576-row dimension LibreOffice writes costs nothing.
The file is capped before it is read (`core.uploads`): its size, what its zip parts unpack to, rows and
columns per sheet, and sheets per workbook.
"""

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from core import uploads
from core.uploads import UploadError

# What a page or an API request may upload; the command line reads a year of the whole company (≈ 30 MB of CSV).
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FILE_MAX_BYTES = 100 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
# A national month is ~4,500 rows (wide); a year in the long layout ~1,134,000 (4,500 × 21 × 12).
MAX_ROWS = 1_200_000
MAX_COLUMNS = 200
MAX_SHEETS = 24
KINDS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


@dataclass
class Sheet:
    """One sheet's cells from A1 (rows of raw values: str, int, float, bool, date; '' for empty) and merged ranges."""

    name: str
    rows: list[list]
    # (first row, first column, last row, last column), 0-based and inclusive
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


def cell_ref(sheet: str, row: int, column: int) -> str:
    """`Sheet1!C7` for 0-based row 6, column 2."""
    return f"{sheet}!{column_letter(column)}{row + 1}"


def column_letter(column: int) -> str:
    letters, n = "", column + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_file(content: bytes, name: str, *, max_bytes: int = FILE_MAX_BYTES) -> list[Sheet]:
    """Every sheet of the file with at least one value, within the bounds; UploadError (Chinese) otherwise."""
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise UploadError("只能导入 .xlsx、.xls、.ods 或 .csv 文件")
    if len(content) > max_bytes:
        raise UploadError(f"文件过大（{len(content) / 1024 / 1024:.1f} MB），不能超过 {max_bytes // 1024 // 1024} MB")
    if suffix == ".csv":
        rows = uploads.text_table(uploads.decode_text(content), max_rows=MAX_ROWS)
        return [Sheet(Path(name).stem or "Sheet1", [r[:MAX_COLUMNS] for r in rows])]
    return _workbook(content, suffix)


def _workbook(content: bytes, suffix: str) -> list[Sheet]:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    try:
        if suffix != ".xls":
            uploads.check_unpacked(content, max_unpacked=MAX_UNPACKED_BYTES)
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = [m.name for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        sheets = []
        for sheet_name in names[: MAX_SHEETS + 1]:
            sheet = book.get_sheet_by_name(sheet_name)
            if sheet.height == 0:
                continue
            if len(sheets) == MAX_SHEETS:
                raise UploadError(f"工作簿超过 {MAX_SHEETS} 个有数据的工作表，请拆分后导入")
            end_row, end_col = sheet.end or (0, 0)
            if end_row + 1 > MAX_ROWS:
                raise UploadError(f"工作表“{sheet_name}”超过 {MAX_ROWS} 行，超出导入上限")
            rows = [list(r[:MAX_COLUMNS]) for r in sheet.to_python(skip_empty_area=False)]
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
            sheets.append(Sheet(sheet_name, rows, merged))
        book.close()
        return sheets
    except UploadError:
        raise
    except PasswordError as exc:
        raise UploadError("文件有密码保护，无法读取；请取消密码后重新上传") from exc
    except (zipfile.BadZipFile, CalamineError, XmlError, ZipError, ValueError, OSError, KeyError) as exc:  # damaged or renamed files
        raise UploadError("文件无法读取：不是有效的 Excel 或 CSV 文件，请用 Excel 另存为 .xlsx 或 CSV 后重新上传") from exc

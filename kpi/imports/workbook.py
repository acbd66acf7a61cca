"""Workbooks the import hands out: the month's template (wide layout, two header rows, units and definitions as
comments) that imports back unchanged, and the uploaded workbook with every bad cell marked.

openpyxl writes them: formatting is needed here, which python-calamine (the reader) does not write.
"""

import datetime
import io
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import coordinate_from_string, get_column_letter

from kpi.entries.selectors import EntryLayout
from kpi.imports.reader import read_file

BAD = PatternFill("solid", fgColor="FFC7CE")
HEAD = PatternFill("solid", fgColor="DDEBF7")
ERRORS_SHEET = "错误清单"


def template_workbook(*, title: str, month: datetime.date, layout: EntryLayout, branches: list, stored: dict) -> bytes:
    """One sheet named for the month: 机构代码, 机构名称, then each entered component under its indicator's name,
    one row per branch with what is stored (blank where nothing is), so an unchanged template imports as 无变化."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{month:%Y-%m}"
    groups = [
        (item.indicator.name, [c.component for c in item.components if c.input_here])
        for item in layout.indicators
        if not item.derived and any(c.input_here for c in item.components)
    ]
    width = 2 + sum(len(parts) for _, parts in groups)
    sheet["A1"] = f"{title} {month.year}年{month.month}月 月度数据"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A2"] = "每行一个机构，填本月发生数（不是累计数）；请勿改动表头。鼠标停在列标题上可看单位与口径。"
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    for column, text in ((1, "机构代码"), (2, "机构名称")):
        sheet.cell(row=3, column=column, value=text)
        sheet.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
    column = 3
    codes = []
    for name, parts in groups:
        sheet.cell(row=3, column=column, value=name)
        if len(parts) > 1:
            sheet.merge_cells(start_row=3, start_column=column, end_row=3, end_column=column + len(parts) - 1)
        for component in parts:
            cell = sheet.cell(row=4, column=column, value=f"{component.name}（{component.unit}）")
            note = f"代码：{component.code}\n单位：{component.unit}"
            if component.definition:
                note += f"\n口径：{component.definition}"
            cell.comment = Comment(note, "消保考核")
            sheet.column_dimensions[get_column_letter(column)].width = 16
            codes.append(component.code)
            column += 1
    for row in (3, 4):
        for c in range(1, width + 1):
            cell = sheet.cell(row=row, column=c)
            cell.fill, cell.font = HEAD, Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, branch in enumerate(branches, start=5):
        sheet.cell(row=r, column=1, value=branch.code)
        sheet.cell(row=r, column=2, value=branch.name)
        for c, code in enumerate(codes, start=3):
            value = stored.get((branch.pk, code))
            if value is not None:
                cell = sheet.cell(row=r, column=c, value=int(value) if value == value.to_integral_value() else float(value))
                cell.number_format = "0" if value == value.to_integral_value() else "0.00##"
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 14, 16
    sheet.freeze_panes = "C5"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _split_ref(ref: str) -> tuple[str, int, int] | None:
    if "!" not in ref:
        return None
    sheet, cell = ref.rsplit("!", 1)
    try:
        letters, row = coordinate_from_string(cell)
    except ValueError:
        return None
    from openpyxl.utils.cell import column_index_from_string

    return sheet, row, column_index_from_string(letters)


def marked_workbook(*, content: bytes, file_name: str, errors: list[dict]) -> bytes:
    """The uploaded workbook with each bad cell filled red and its problem as a comment, plus a sheet listing them all.

    An .xlsx is marked in place (its formatting kept); a .csv, .xls or .ods is copied into a new workbook first.
    """
    if Path(file_name).suffix.lower() in (".xlsx", ".xlsm"):
        book = load_workbook(io.BytesIO(content))
    else:
        book = Workbook()
        book.remove(book.active)
        for found in read_file(content, file_name):
            sheet = book.create_sheet(found.sheet[:31])
            for row in found.rows:
                sheet.append([v if v != "" else None for v in row])
    for problem in errors:
        where = _split_ref(problem.get("cell", ""))
        if where is None or where[0] not in book.sheetnames:
            continue
        cell = book[where[0]].cell(row=where[1], column=where[2])
        cell.fill = BAD
        text = f"{problem['code']}：{problem['message']}"
        cell.comment = Comment(text if cell.comment is None else f"{cell.comment.text}\n{text}", "消保考核")
    if ERRORS_SHEET in book.sheetnames:
        del book[ERRORS_SHEET]
    listing = book.create_sheet(ERRORS_SHEET, 0)
    listing.append(["单元格", "代码", "说明", "原值", "应为"])
    for cell in listing[1]:
        cell.font, cell.fill = Font(bold=True), HEAD
    for problem in errors:
        listing.append([problem.get("cell", ""), problem["code"], problem["message"], problem.get("value", ""), problem.get("expected", "")])
    listing.column_dimensions["A"].width, listing.column_dimensions["C"].width = 16, 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

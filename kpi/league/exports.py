"""A league table as the journal prints it (.xlsx) and as flat rows (CSV): both from `league_rows`, so a
branch's clerk gets exactly what the page shows them (every rank and total, only their own cells)."""

import io
from copy import copy
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from complaints.exports import _cell
from kpi.league.selectors import League, Row
from kpi.scoring.decimals import quantize

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
SMALL = Font(size=9, color="555555")
HEAD_FILL = PatternFill("solid", fgColor="E9ECEF")
THIN = Border(bottom=Side(style="thin", color="999999"))
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
# Fills mirror the page's legend; the number lost is in its own column, so print in grey still tells.
LEVEL_FILL = {"full": PatternFill("solid", fgColor="D1E7DD"), "some": PatternFill("solid", fgColor="FFF3CD"),
              "nothing": PatternFill("solid", fgColor="F8D7DA")}
FIXED = 6  # rank, branch, total, qualitative, quantitative, deductions


class _Styles:
    """One styled prototype per (places, font, fill): a 1,300-branch table has 50,000 number cells, and
    styling each one afresh (openpyxl hashes every style part per cell) costs more than writing them."""

    def __init__(self, ws):
        self.ws, self.cache = ws, {}

    def num(self, value: Decimal | None, places: int, *, font=None, fill=None) -> WriteOnlyCell:
        """A number cell at `places` decimals (the value rounded half-up to that precision, the format shows it)."""
        key = (places, id(font), id(fill))
        style = self.cache.get(key)
        if style is None:
            proto = WriteOnlyCell(self.ws)
            proto.number_format = "0" if places == 0 else "0." + "0" * places
            if font is not None:
                proto.font = font
            if fill is not None:
                proto.fill = fill
            style = self.cache[key] = proto._style
        cell = WriteOnlyCell(self.ws, None if value is None else float(quantize(value, places)))
        cell._style = copy(style)
        return cell


def _text(ws, value: str, font=None, fill=None, alignment=None):
    cell = _cell(ws, value, font)
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _rank_text(row: Row) -> str:
    return "一票否决" if row.vetoed else str(row.rank)


def _change_text(change: int | None) -> str:
    if change is None:
        return "—"
    return "—" if change == 0 else (f"▲{change}" if change > 0 else f"▼{-change}")


def league_workbook(table: League) -> bytes:
    """Title, a notes line with targets, points and bonus caps, the header (each indicator a value and a
    score column), one row per branch in rank order, the average and maximum rows, revision and time."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.window.label)
    window = table.window
    widths = [7, 12, 8, 8, 8, 7] + [9, 7] * len(table.columns) + [8]
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "C5"  # rank and branch columns and the four title/header rows stay in view
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "3:4"
    ws.print_options.horizontalCentered = True

    status = "试算（未发布）" if window.is_live else f"已发布第{window.publication.revision}版"
    styles = _Styles(ws)
    _num = styles.num
    ws.append([_text(ws, f"{table.title}考核结果（{status}）", TITLE)])
    notes = "；".join(
        f"{c.name}：分值{c.max_label}" + (f"，考核值{c.target.normalize():f}{c.unit}" if c.target is not None else "")
        for c in table.columns
    )
    ws.append([_text(ws, f"说明：{notes}。{table.tie_rule}", SMALL)])
    head1 = ["排名", "机构", "总分", "定性", "定量", "减分"]
    row1 = [_text(ws, h, BOLD, HEAD_FILL, WRAP) for h in head1]
    row2 = [_text(ws, "", BOLD, HEAD_FILL) for _ in head1]
    for c in table.columns:
        row1 += [_text(ws, c.name, BOLD, HEAD_FILL, WRAP), _text(ws, "", BOLD, HEAD_FILL)]
        row2 += [_text(ws, f"值（{c.unit}）" if c.unit else "值", BOLD, HEAD_FILL, WRAP),
                 _text(ws, f"得分（{c.max_label}）", BOLD, HEAD_FILL, WRAP)]
    row1.append(_text(ws, "名次变化", BOLD, HEAD_FILL, WRAP))
    row2.append(_text(ws, table.previous.label if table.previous else "", SMALL, HEAD_FILL, WRAP))
    ws.append(row1)
    ws.append(row2)
    for row in table.rows:
        line = [_text(ws, _rank_text(row), BOLD), _text(ws, row.name, BOLD), _num(row.total, 2, font=BOLD)]
        line.append(_text(ws, "未评") if row.qualitative_pending else _num(row.qualitative, 2))
        line += [_num(row.quantitative, 2), _num(row.deductions, 2)]
        for cell, column in zip(row.cells or [None] * len(table.columns), table.columns, strict=True):
            if cell is None:
                line += [None, None]
                continue
            line += [_num(cell.value, column.precision), _num(cell.points, 2, fill=LEVEL_FILL[cell.level])]
        line.append(_text(ws, _change_text(row.rank_change)))
        ws.append(line)
    for summary, places in ((table.average, None), (table.maximum, None)):
        line = [_text(ws, "", BOLD), _text(ws, summary.label, BOLD), _num(summary.total, 2, font=BOLD),
                _num(summary.qualitative, 2), _num(summary.quantitative, 2), _cell(ws, None)]
        for value, points, column in zip(summary.values, summary.points, table.columns, strict=True):
            line += [_num(value, places if places is not None else column.precision), _num(points, 2)]
        ws.append(line)
    ws.append([])
    legend = "得分底色：绿=满分（达到分值），黄=部分失分，红=未得分；名次变化对比" + (table.previous.label if table.previous else "（无上一窗口）")
    ws.append([_text(ws, legend, SMALL)])
    published = "" if window.is_live else (
        f"发布：第{window.publication.revision}版，{timezone.localtime(window.publication.published_at):%Y-%m-%d %H:%M}；"
    )
    computed = timezone.localtime(window.run.completed_at) if window.run.completed_at else None
    ws.append([_text(ws, f"{published}计算于 {computed:%Y-%m-%d %H:%M}；方案版本 v{window.run.version.number}" if computed
                     else published, SMALL)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def league_csv_rows(table: League) -> list[dict]:
    """One flat dict per branch (columns fixed by the table's indicators; other branches' cells empty)."""
    out = []
    for row in table.rows:
        line = {
            "rank": row.rank, "branch": row.code, "branch_name": row.name, "vetoed": row.vetoed,
            "previous_rank": row.previous_rank, "rank_change": row.rank_change,
            "total": row.total, "total_change": row.total_change,
            "qualitative": "未评" if row.qualitative_pending else row.qualitative,
            "quantitative": row.quantitative, "deductions": row.deductions,
        }
        cells = row.cells or [None] * len(table.columns)
        for cell, column in zip(cells, table.columns, strict=True):
            line[f"{column.code}_value"] = None if cell is None or cell.value is None else quantize(cell.value, column.precision)
            line[f"{column.code}_points"] = None if cell is None else cell.points
            line[f"{column.code}_lost"] = None if cell is None else cell.lost
        out.append(line)
    return out

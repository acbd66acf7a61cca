"""Excel workbooks: the filtered case list and the monthly publication. Personal data arrives already masked.

Workbooks are written in write-only mode (rows stream out, memory stays flat) and every text is
written as text: what customers type (a name like "=HYPERLINK(...)") never becomes a formula.
"""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from complaints import deadlines as dl

BOLD = Font(bold=True)
NOTE = Font(bold=True, color="C00000")
# What spreadsheet programs read as the start of a formula (and tab / carriage return, which some use to smuggle one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _d(value) -> str:
    return dl.cn(value) if value else ""


def _cell(ws, value, font: Font | None = None) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a workbook cannot hold
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell
    if font is not None:
        cell.font = font
    return cell


def _sheet(wb: Workbook, title: str, header: list[str], rows, *, note: str = "") -> None:
    ws = wb.create_sheet(title)
    for column, width in zip("ABCDEFGHIJKLMNOP", [22, 12, 10, 12, 14, 12, 16, 14, 12, 14, 14, 10, 30, 30], strict=False):
        ws.column_dimensions[column].width = width
    if note:
        ws.append([_cell(ws, note, NOTE)])
    ws.append([_cell(ws, h, BOLD) for h in header])
    for row in rows:
        ws.append([_cell(ws, v) for v in row])


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def case_list_workbook(rows, *, total: int | None = None, limit: int | None = None) -> bytes:
    """The case list as shown: one row per case; `rows` are (case, customer fields as the viewer may see them).

    When the filter matched more than `limit` cases, a note above the header says how many were left out.
    """
    note = ""
    if total is not None and limit is not None and total > limit:
        note = f"筛选结果共 {total} 件，超过单次导出上限，本表只含前 {limit} 件（按收到时间倒序）；请缩小筛选范围后分批导出。"
    wb = Workbook(write_only=True)
    header = [
        "投诉编号",
        "机构",
        "来源",
        "渠道",
        "收到日期",
        "客户姓名",
        "联系电话",
        "证件号码",
        "保单号",
        "投诉类别",
        "状态",
        "处理期限",
        "办结日期",
        "超期",
        "重大投诉",
        "投诉内容",
    ]
    _sheet(
        wb,
        "投诉案件",
        header,
        (
            [
                c.number,
                c.branch.name,
                c.get_source_display(),
                c.get_channel_display(),
                _d(c.received_on),
                cust["customer_name"],
                cust["customer_phone"],
                cust["customer_id_number"],
                c.policy_number,
                c.get_category_display(),
                c.get_status_display(),
                _d(c.decision_due_on),
                _d(c.ended_on),
                "是" if c.is_overdue else "",
                "是" if c.is_major else "",
                c.summary[:200],
            ]
            for c, cust in rows
        ),
        note=note,
    )
    return _save(wb)


def publication_workbook(data: dict) -> bytes:
    """The monthly publication (投诉月度公示): a summary per branch, then overdue, repeat-call and late joint-sheet cases."""
    wb = Workbook(write_only=True)
    month = f"{data['month'].year}年{data['month'].month}月"
    _sheet(
        wb,
        "汇总",
        [f"{month} 机构", "当月收到投诉", "超期案件", "重复来电案件", "重复来电次数", "会办单超时"],
        (
            [s["branch"].name, s["received"], s["overdue"], s["repeat_cases"], s["repeat_calls"], s["joint_late"]]
            for s in data["summary"]
        ),
    )
    _sheet(
        wb,
        "超期案件",
        ["机构", "投诉编号", "来源", "收到日期", "处理期限", "超期起始日", "办结日期", "状态", "超期原因"],
        (
            [
                c.branch.name,
                c.number,
                c.get_source_display(),
                _d(c.received_on),
                _d(c.decision_due_on),
                _d(c.overdue_on),
                _d(c.ended_on),
                c.get_status_display(),
                c.overdue_reason,
            ]
            for c in data["overdue"]
        ),
    )
    _sheet(
        wb,
        "重复来电",
        ["机构", "投诉编号", "来源", "监管转办编号", "收到日期", "当月来电次数", "累计来电次数", "状态"],
        (
            [
                c.branch.name,
                c.number,
                c.get_source_display(),
                c.regulator_ref,
                _d(c.received_on),
                c.month_calls,
                c.total_calls,
                c.get_status_display(),
            ]
            for c in data["repeat"]
        ),
    )
    _sheet(
        wb,
        "会办单超时",
        ["机构", "投诉编号", "会办单发出", "回复期限", "回复日期", "状态"],
        (
            [
                c.branch.name,
                c.number,
                _d(c.joint_sheet_sent_on),
                _d(c.joint_sheet_due_on),
                _d(c.joint_sheet_answered_on),
                c.get_status_display(),
            ]
            for c in data["joint"]
        ),
    )
    return _save(wb)

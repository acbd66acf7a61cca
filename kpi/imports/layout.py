"""Read, second half: find the table in a sheet and turn its cells into records, whatever layout the office used.

- *long*: one row per branch × month × component (机构, 月份, 指标项/组成项, 数值, or their codes);
- *wide*: one row per branch and one column per component; the month from a column, the sheet's title
  (“2023年9月…”), the sheet's name, or the month chosen by the user;
- title rows above the header (found within the first 20 rows), two-row headers (an indicator's name merged
  over 分子 / 分母 or over its components' names), totals rows (合计, 全省) and notes skipped.
No database: names are looked up in a `Catalogue`. Nothing is guessed: a column that could mean two
components is an error, a column that means nothing is ignored with a warning naming it.
"""

import datetime
import re
from dataclasses import dataclass, field

from core import parsing
from core.uploads import cell_text
from kpi.imports.catalogue import ROLE_WORDS, Catalogue, normalize
from kpi.imports.codes import ImportCode, Problem
from kpi.imports.reader import Sheet, cell_ref, column_letter

HEADER_SEARCH_ROWS = 20
BRANCH_WORDS = {"机构", "机构名称", "机构代码", "机构编码", "单位", "单位名称", "中支", "中支名称", "分支机构", "公司", "branch"}
BRANCH_CODE_WORDS = {"机构代码", "机构编码", "代码", "branchcode", "branch_code"}
MONTH_WORDS = {"月份", "统计月份", "数据月份", "所属月份", "期间", "month"}
COMPONENT_WORDS = {"指标项", "组成项", "填报项", "数据项", "项目", "指标", "component"}
VALUE_WORDS = {"数值", "值", "数据", "value", "填报值"}
IGNORED_WORDS = {"序号", "排名", "名次", "备注", "说明", "no", "no."}

_YM = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_YM_COMPACT = re.compile(r"(\d{4})(\d{2})")
_M_ONLY = re.compile(r"(\d{1,2})\s*月")
_TITLE_MONTH = re.compile(r"(\d{4})\s*年\s*(?:度\s*)?(\d{1,2})\s*月")
_TITLE_RANGE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*(?:月)?\s*[-—–~至到]\s*(\d{1,2})\s*月")
_TITLE_YEAR = re.compile(r"(\d{4})\s*年")


@dataclass(slots=True)
class Record:
    """One value of the file: which branch and component it is for, its month, the raw cell and where it is."""

    sheet: str
    row: int
    column: int
    branch_text: str
    branch_ref: str
    month: datetime.date | None
    component: str
    raw: object
    month_problem: Problem | None = None

    @property
    def ref(self) -> str:
        return cell_ref(self.sheet, self.row, self.column) if self.row >= 0 else self.sheet


@dataclass
class SheetResult:
    """What was found in one sheet: its layout and where the month came from, its records and its problems."""

    sheet: str
    layout: str = ""
    header_row: int = -1
    month_source: str = ""
    month: datetime.date | None = None
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[int, str] = field(default_factory=dict)
    values: int = 0  # how many records it gave (kept when the records themselves are let go)


def month_of(value, *, year_hint: int | None = None) -> datetime.date:
    """A month cell or name: a date, 2023-09, 2023年9月, 202309, 2023/9; 9月 or 9 with the year hint.

    The bounds are core.parsing's (2000-01…2099-12); InputError otherwise.
    """
    if isinstance(value, datetime.datetime | datetime.date):
        return parsing.parse_month(f"{value.year}-{value.month:02d}")
    text = parsing.clean_text(cell_text(value))
    found = _YM.fullmatch(text) or _YM_COMPACT.fullmatch(text)
    if found:
        return parsing.parse_month(f"{found.group(1)}-{int(found.group(2)):02d}")
    only = _M_ONLY.fullmatch(text) or re.fullmatch(r"(\d{1,2})", text)
    if only and year_hint:
        return parsing.parse_month(f"{year_hint}-{int(only.group(1)):02d}")
    raise parsing.InputError(parsing.MONTH_MESSAGE)


def _title_month(title: str) -> tuple[datetime.date | None, bool]:
    """The month a title names (None if none), and whether it names a span (1—9月: year-to-date, not a month)."""
    if _TITLE_RANGE.search(title):
        return None, True
    found = _TITLE_MONTH.search(title)
    if not found:
        return None, False
    try:
        return parsing.parse_month(f"{found.group(1)}-{int(found.group(2)):02d}"), False
    except parsing.InputError:
        return None, False


def _row_texts(row: list) -> list[str]:
    return [normalize(cell_text(v)) for v in row]


def _header_kind(texts: list[str], catalogue: Catalogue) -> tuple[int, int, int, int, int]:
    """How much a row looks like a header: (branch columns, month, component-word, value-word, component or indicator names)."""
    branch = sum(t in BRANCH_WORDS for t in texts)
    month = sum(t in MONTH_WORDS for t in texts)
    comp_word = sum(t in COMPONENT_WORDS for t in texts)
    value_word = sum(t in VALUE_WORDS for t in texts)
    names = sum(bool(t) and (bool(catalogue.component_matches(t)) or catalogue.is_indicator(t)) for t in texts)
    return branch, month, comp_word, value_word, names


def _find_header(rows: list[list], catalogue: Catalogue) -> int:
    best, best_score = -1, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        branch, month, comp_word, value_word, names = _header_kind(_row_texts(row), catalogue)
        if not branch:
            continue
        score = (comp_word and value_word) * 100 + names * 2 + month + branch
        if score > best_score:
            best, best_score = index, score
    return best


def _filled_upper(sheet: Sheet, header: int, width: int) -> list[str]:
    """The header row with each merged cell's text spread over the columns it covers (an indicator over 分子 / 分母)."""
    upper = [cell_text(v) for v in sheet.rows[header]] + [""] * (width - len(sheet.rows[header]))
    for r0, c0, _, c1 in sheet.merged:
        if r0 == header:
            for c in range(c0 + 1, min(c1, width - 1) + 1):
                upper[c] = upper[c0]
    return upper


def read_sheet(sheet: Sheet, catalogue: Catalogue, *, chosen_month: datetime.date | None, year_hint: int | None) -> SheetResult:
    """The records of one sheet, or its problems when no table can be found."""
    result = SheetResult(sheet.name)
    rows = sheet.rows
    header = _find_header(rows, catalogue)
    if header < 0:
        if any(isinstance(v, int | float) and not isinstance(v, bool) for row in rows for v in row):
            result.problems.append(Problem(
                ImportCode.NO_TABLE, f"工作表“{sheet.name}”的前 {HEADER_SEARCH_ROWS} 行中找不到表头（应有“机构”列，以及填报项列或“指标项、数值”列）",
                ref=sheet.name, expected="表头含“机构”“月份”“填报项”“数值”，或“机构”加各填报项名称"))
        return result
    result.header_row = header
    width = max((len(r) for r in rows), default=0)
    texts = [normalize(t) for t in _filled_upper(sheet, header, width)]
    title = " ".join(cell_text(v) for row in rows[:header] for v in row if cell_text(v))
    title_year = _TITLE_YEAR.search(title)
    year = int(title_year.group(1)) if title_year else (chosen_month.year if chosen_month else year_hint)
    month, source, problem = _sheet_month(sheet.name, title, chosen_month, year)
    result.month, result.month_source = month, source

    branch_cols = [c for c, t in enumerate(texts) if t in BRANCH_WORDS]
    code_cols = [c for c in branch_cols if texts[c] in BRANCH_CODE_WORDS]
    month_col = next((c for c, t in enumerate(texts) if t in MONTH_WORDS), None)
    comp_col = next((c for c, t in enumerate(texts) if t in COMPONENT_WORDS), None)
    value_col = next((c for c, t in enumerate(texts) if t in VALUE_WORDS), None)
    if month_col is None and problem:
        result.problems.append(problem)

    if comp_col is not None and value_col is not None:
        result.layout = "long"
        first = header + 1
        _long_records(result, sheet, first, branch_cols, code_cols, month_col, comp_col, value_col, catalogue, month, year)
        return result
    result.layout = "wide"
    first, columns = _wide_columns(result, sheet, header, texts, width, catalogue, skip={*branch_cols, month_col})
    result.columns = columns
    _wide_records(result, sheet, first, branch_cols, code_cols, month_col, columns, catalogue, month, year)
    return result


def _sheet_month(name: str, title: str, chosen: datetime.date | None, year: int | None):
    """The month of a sheet without a month column: its title, else its name, else the chosen month."""
    from_title, span = _title_month(title)
    try:
        from_name = month_of(name, year_hint=year)
    except parsing.InputError:
        from_name = None
    if from_title and from_name and from_title != from_name:
        return None, "", Problem(
            ImportCode.MONTH_CONFLICT,
            f"工作表“{name}”的名称（{from_name:%Y-%m}）与标题（{from_title:%Y-%m}）所指月份不一致，请改正其一",
            ref=name, value=title[:60])
    if from_title:
        return from_title, "title", None
    if from_name:
        return from_name, "sheet", None
    if chosen:
        return chosen, "chosen", None
    why = "标题为累计区间（如“1—9月”），不是单月；" if span else ""
    return None, "", Problem(
        ImportCode.NO_MONTH, f"工作表“{name}”无法确定月份：{why}请在表中加“月份”列、在标题或工作表名称中写明（如“2023年9月”），或在导入时选择月份",
        ref=name, expected="2023-09")


def _wide_columns(result, sheet, header, texts, width, catalogue, *, skip):
    """Each value column's component: from its header, or from two header rows (indicator over 分子 / 分母 or part names)."""
    rows = sheet.rows
    lower = _row_texts(rows[header + 1]) + [""] * width if header + 1 < len(rows) else [""] * width
    two_rows = any(t in ROLE_WORDS or (t and catalogue.component_matches(t)) for c, t in enumerate(lower[:width])
                   if c not in skip and not _is_number_text(t)) and not any(
        catalogue.branch_matches(cell_text(v)) for v in rows[header + 1])
    if two_rows:
        # A reader that gives no merged ranges (.ods): a sub-header under a blank cell belongs to the group on its left.
        texts = list(texts)
        for c in range(1, width):
            if not texts[c] and lower[c] and lower[c - 1] and c - 1 not in skip:
                texts[c] = texts[c - 1]
    columns, seen = {}, {}
    for c in range(width):
        if c in skip:
            continue
        upper, sub = texts[c], lower[c] if two_rows else ""
        label = " / ".join(cell_text(v) for v in (rows[header][c] if c < len(rows[header]) else "", sub) if v) or texts[c]
        if not upper and not sub:
            continue
        if upper in IGNORED_WORDS:
            continue
        codes = catalogue.component_matches(sub, under=upper) if sub else catalogue.component_matches(upper)
        where = f"{sheet.name}!{column_letter(c)}{header + 1}"
        if len(codes) > 1:
            names = "、".join(sorted(catalogue.component_names.get(x, x) for x in codes))
            result.problems.append(Problem(ImportCode.AMBIGUOUS_COLUMN, f"列标题“{label}”可能指多个填报项（{names}），请改用填报项代码作列标题",
                                           ref=where, value=label))
            continue
        if not codes:
            if upper or sub:
                result.problems.append(Problem(ImportCode.COLUMN_IGNORED, f"列标题“{label}”不是本方案的填报项，该列已忽略", ref=where, value=label))
            continue
        code = next(iter(codes))
        if code in catalogue.derived:
            result.problems.append(Problem(ImportCode.DERIVED_IGNORED,
                                           f"“{catalogue.component_names[code]}”由投诉记录生成，不能导入，该列已忽略", ref=where, value=label))
            continue
        if code in seen:
            result.problems.append(Problem(ImportCode.DUPLICATE, f"“{catalogue.component_names[code]}”出现在两列（{seen[code]} 与 {column_letter(c)}），请删去其一",
                                           ref=where, value=label))
            continue
        seen[code] = column_letter(c)
        columns[c] = code
    return header + (2 if two_rows else 1), columns


def _is_number_text(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,]+(\.\d+)?", text))


def _branch_cell(row, branch_cols, code_cols):
    """The branch text of a row (its code column first, else its name column) and that cell's column."""
    for c in [*code_cols, *branch_cols]:
        if c < len(row) and cell_text(row[c]):
            return cell_text(row[c]), c
    return "", branch_cols[0] if branch_cols else 0


def _row_month(result, row, index, month_col, month, year):
    if month_col is None:
        return month, None
    raw = row[month_col] if month_col < len(row) else ""
    if cell_text(raw) == "":
        return month, None if month else Problem(ImportCode.NO_MONTH, "月份为空", ref=cell_ref(result.sheet, index, month_col), expected="2023-09")
    try:
        return month_of(raw, year_hint=year), None
    except parsing.InputError:
        return None, Problem(ImportCode.BAD_MONTH, f"“{parsing.shown(cell_text(raw))}”不是月份", ref=cell_ref(result.sheet, index, month_col),
                             value=cell_text(raw), expected="2023-09 或 2023年9月")


def _wide_records(result, sheet, first, branch_cols, code_cols, month_col, columns, catalogue, month, year):
    for index in range(first, len(sheet.rows)):
        row = sheet.rows[index]
        values = [(c, row[c]) for c in columns if c < len(row) and cell_text(row[c]) != ""]
        branch_text, branch_col = _branch_cell(row, branch_cols, code_cols)
        if not values or (branch_text and catalogue.is_totals_row(branch_text)):
            continue
        row_month, problem = _row_month(result, row, index, month_col, month, year)
        branch_ref = cell_ref(sheet.name, index, branch_col)
        for c, raw in values:
            result.records.append(Record(sheet.name, index, c, branch_text, branch_ref, row_month, columns[c], raw, problem))


def _long_records(result, sheet, first, branch_cols, code_cols, month_col, comp_col, value_col, catalogue, month, year):
    derived: dict[str, Problem] = {}  # one warning per derived component, not one per row
    for index in range(first, len(sheet.rows)):
        row = sheet.rows[index]
        raw = row[value_col] if value_col < len(row) else ""
        if cell_text(raw) == "":
            continue
        branch_text, branch_col = _branch_cell(row, branch_cols, code_cols)
        if branch_text and catalogue.is_totals_row(branch_text):
            continue
        component_text = cell_text(row[comp_col]) if comp_col < len(row) else ""
        codes = catalogue.component_matches(component_text)
        where = cell_ref(sheet.name, index, comp_col)
        if len(codes) != 1:
            kind = ImportCode.AMBIGUOUS_COLUMN if codes else ImportCode.UNKNOWN_COMPONENT
            message = (f"“{component_text}”可能指多个填报项，请改用填报项代码" if codes
                       else f"“{parsing.shown(component_text)}”不是本方案的填报项")
            result.problems.append(Problem(kind, message, ref=where, value=component_text, expected="填报项代码或名称"))
            continue
        code = next(iter(codes))
        if code in catalogue.derived:
            derived.setdefault(code, Problem(ImportCode.DERIVED_IGNORED,
                                             f"“{catalogue.component_names[code]}”由投诉记录生成，不能导入，这些行已忽略", ref=where, value=component_text))
            continue
        row_month, problem = _row_month(result, row, index, month_col, month, year)
        result.records.append(Record(sheet.name, index, value_col, branch_text, cell_ref(sheet.name, index, branch_col),
                                     row_month, code, raw, problem))
    result.problems.extend(derived.values())

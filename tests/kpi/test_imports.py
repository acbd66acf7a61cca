"""The import pipeline's read and validate layers: layouts, names, months and every problem code, on small sheets."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from core.uploads import UploadError, cell_text
from kpi.imports.catalogue import Catalogue, normalize, short_name
from kpi.imports.codes import ImportCode
from kpi.imports.layout import month_of, read_sheet
from kpi.imports.reader import Sheet, read_file
from kpi.imports.validation import Plan, State, plan, resolve

DATA = Path(__file__).parent / "data"
SEPT = datetime.date(2023, 9, 1)


def catalogue() -> Catalogue:
    """Three prefectures and the components of two indicators, as the selector builds them."""
    c = Catalogue()
    for code, name in (("nanjing", "南京中支"), ("wuxi", "无锡中支"), ("xuzhou", "徐州中支")):
        c.add_branch(code, name)
    c.add_totals("江苏省分公司")
    for code, name, unit, derived in (
        ("sl_nonbank_passed", "双录首次质检合格件数(非银邮代理)", "件", False),
        ("sl_nonbank_checked", "双录首次质检件数(非银邮代理)", "件", False),
        ("claims_decided_paid", "已决获赔件数", "件", False),
        ("claims_decided", "已决理赔件数", "件", False),
        ("premium_wan", "保费收入", "万元", False),
        ("reg_complaints", "监管转办投诉件数", "件", True),
    ):
        c.add_component(code, name, unit, derived=derived)
    c.add_indicator("双录首次质检合格率(非银邮代理)", {"numerator": "sl_nonbank_passed", "denominator": "sl_nonbank_checked"},
                    percent=True, parts_of=["sl_nonbank_passed", "sl_nonbank_checked"])
    c.add_indicator("获赔率", {"numerator": "claims_decided_paid", "denominator": "claims_decided"}, percent=True,
                    parts_of=["claims_decided_paid", "claims_decided"])
    return c


def state(**kwargs) -> State:
    base = {"stored": {}, "status": {}, "revisions": {}, "editable": None, "office": True, "this_month": datetime.date(2026, 12, 1)}
    return State(**{**base, **kwargs})


def check(sheet: Sheet, *, st: State | None = None, chosen=None, cat=None) -> tuple[Plan, list]:
    cat = cat or catalogue()
    found = read_sheet(sheet, cat, chosen_month=chosen, year_hint=2023)
    result = Plan()
    for p in found.problems:
        result.add(p)
    values = resolve(found.records, cat, result)
    return plan(values, st or state(), cat, into=result), found


def codes(result: Plan) -> list[tuple[str, str]]:
    return [(p.ref, p.code.value) for p in result.errors]


def values(result: Plan) -> dict:
    return {(e.branch, e.month, e.component): e.new for e in result.entries}


# ── layouts ─────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("suffix", ["xlsx", "ods", "xls"])
def test_a_wide_sheet_saved_by_libreoffice_with_a_title_and_a_merged_two_row_header_reads(suffix):
    path = DATA / f"libreoffice-wide-2023-09.{suffix}"
    (sheet,) = read_file(path.read_bytes(), path.name)
    result, found = check(sheet)
    assert (found.layout, found.header_row, found.month, found.month_source) == ("wide", 2, SEPT, "title")
    assert result.ok, result.errors
    assert values(result) == {
        ("nanjing", SEPT, "sl_nonbank_passed"): 950, ("nanjing", SEPT, "sl_nonbank_checked"): 1000,
        ("nanjing", SEPT, "claims_decided_paid"): 90, ("nanjing", SEPT, "claims_decided"): 100,
        ("nanjing", SEPT, "premium_wan"): Decimal("52000.5"),
        ("wuxi", SEPT, "sl_nonbank_passed"): 800, ("wuxi", SEPT, "sl_nonbank_checked"): 820,
        ("wuxi", SEPT, "claims_decided_paid"): 40, ("wuxi", SEPT, "claims_decided"): 41, ("wuxi", SEPT, "premium_wan"): 30000,
        ("xuzhou", SEPT, "sl_nonbank_passed"): 700, ("xuzhou", SEPT, "sl_nonbank_checked"): 700,
        ("xuzhou", SEPT, "claims_decided_paid"): 10, ("xuzhou", SEPT, "claims_decided"): 10, ("xuzhou", SEPT, "premium_wan"): 20000,
    }
    # the 合计 row is skipped, the note below the table too; the unknown 签单率 column is named and ignored
    assert [(w.code, w.ref) for w in result.warnings] == [(ImportCode.COLUMN_IGNORED, "Sheet1!G3")]


def test_a_long_csv_with_a_title_codes_and_names_and_month_spellings():
    text = (
        "2023年各中支月度数据,,,\n"
        "机构,月份,指标项,数值\n"
        "nanjing,2023-08,premium_wan,\"1,234.5\"\n"
        "南京,2023年9月,双录首次质检合格率(非银邮代理)分子,10\n"
        "南京中支,202309,sl_nonbank_checked,12\n"
        "全省合计,2023-09,premium_wan,99999\n"
        "无锡,2023/9,监管转办投诉件数,3\n"
    )
    (sheet,) = read_file(text.encode("gb18030"), "long.csv")
    result, found = check(sheet)
    assert found.layout == "long" and result.ok, result.errors
    assert values(result) == {
        ("nanjing", datetime.date(2023, 8, 1), "premium_wan"): Decimal("1234.5"),
        ("nanjing", SEPT, "sl_nonbank_passed"): 10,
        ("nanjing", SEPT, "sl_nonbank_checked"): 12,
    }
    assert [w.code for w in result.warnings] == [ImportCode.DERIVED_IGNORED]


def _xlsx(build) -> bytes:
    book = Workbook()
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_several_sheets_one_month_each_and_libreoffice_phantom_rows_are_ignored():
    def build(book):
        for index, name in enumerate(("7月", "8月")):
            sheet = book.active if index == 0 else book.create_sheet()
            sheet.title = name
            sheet.append(["2023年度保费收入"])
            sheet.append(["机构名称", "保费收入"])
            sheet.append(["南京中支", 100 + index])
            sheet.append(["合计", 100 + index])
            sheet.cell(row=1048576, column=1).font = Font(bold=True)  # styled but empty, as LibreOffice writes
        book.create_sheet("说明")["A1"] = "填表说明：单位万元"

    sheets = read_file(_xlsx(build), "year.xlsx")
    assert [s.name for s in sheets] == ["7月", "8月", "说明"]
    assert max(len(s.rows) for s in sheets) == 4
    got = {}
    for sheet in sheets:
        result, found = check(sheet)
        assert result.ok
        got.update(values(result))
    assert got == {("nanjing", datetime.date(2023, 7, 1), "premium_wan"): 100, ("nanjing", datetime.date(2023, 8, 1), "premium_wan"): 101}


def test_the_month_comes_from_a_column_a_title_a_sheet_name_or_the_choice_in_that_order():
    header = [["机构", "保费收入"], ["nanjing", 5]]
    assert check(Sheet("Sheet1", [["2023年9月数据"], *header]))[1].month_source == "title"
    assert check(Sheet("2023-08", header))[1].month == datetime.date(2023, 8, 1)
    assert check(Sheet("Sheet1", header), chosen=SEPT)[1].month_source == "chosen"
    result, _ = check(Sheet("Sheet1", header))
    assert [p.code for p in result.errors] == [ImportCode.NO_MONTH]
    # a year-to-date title is not a month: it says so instead of taking 9月
    result, _ = check(Sheet("Sheet1", [["2023年1—9月累计"], *header]))
    assert result.errors[0].code == ImportCode.NO_MONTH and "累计" in result.errors[0].message
    result, _ = check(Sheet("2023-08", [["2023年9月数据"], *header]))
    assert [p.code for p in result.errors] == [ImportCode.MONTH_CONFLICT]
    result, _ = check(Sheet("S", [["机构", "月份", "保费收入"], ["nanjing", "2023-13", 5]]))
    assert codes(result) == [("S!B2", "BAD_MONTH")]


@pytest.mark.parametrize("raw, month", [
    ("2023-09", SEPT), ("2023年9月", SEPT), ("2023/09", SEPT), ("202309", SEPT), ("9月", SEPT), (datetime.datetime(2023, 9, 30), SEPT),
    ("２０２３－０９", SEPT),
])
def test_month_spellings(raw, month):
    assert month_of(raw, year_hint=2023) == month


# ── names ────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("text", ["nanjing", "NANJING", "ｎａｎｊｉｎｇ", "南京", "南京中支", "南京市中心支公司", " 南 京 中 支 ", "南京市"])
def test_a_branch_is_matched_by_code_name_short_name_full_width_and_spaces(text):
    assert catalogue().branch_matches(text) == {"nanjing"}


def test_an_ambiguous_name_is_asked_never_guessed_and_a_confirmed_alias_answers_it():
    cat = catalogue()
    cat.add_branch("nanjing2", "南京分公司")
    result, _ = check(Sheet("S", [["机构", "保费收入"], ["南京", 5], ["宁分", 6]]), chosen=SEPT, cat=cat)
    assert codes(result) == [("S!A2", "AMBIGUOUS_BRANCH"), ("S!A3", "UNKNOWN_BRANCH")]
    assert "南京中支" in result.errors[0].message and "南京分公司" in result.errors[0].message
    cat.add_branch("nanjing", "南京中支", aliases=["宁分"])
    result, _ = check(Sheet("S", [["机构", "保费收入"], ["宁分", 6]]), chosen=SEPT, cat=cat)
    assert values(result) == {("nanjing", SEPT, "premium_wan"): 6}


def test_normalise_and_short_names():
    assert normalize("保费收入（万元）") == "保费收入"
    assert short_name("南京市中心支公司") == "南京" and short_name("中支") == "中支"


def test_a_column_that_could_mean_two_components_is_an_error():
    cat = catalogue()
    cat.add_component("premium_wan2", "保费收入", "万元", derived=False)
    result, _ = check(Sheet("S", [["机构", "保费收入"], ["nanjing", 5]]), chosen=SEPT, cat=cat)
    assert codes(result) == [("S!B1", "AMBIGUOUS_COLUMN")]


# ── values and what may change ───────────────────────────────────────────────────────────────────


def _wide(*rows):
    return Sheet("S", [["机构", "sl_nonbank_passed", "sl_nonbank_checked", "premium_wan"], *rows])


def test_every_bad_value_is_reported_at_once_with_its_cell_and_code():
    result, _ = check(_wide(
        ["nanjing", "12a", 10, -1],
        ["wuxi", 1.5, 10, "1e3"],
        ["xuzhou", 11, 10, 5],
        ["nanjing", "", 10, ""],
        ["", 1, 1, 1],
        ["上海中支", 1, 1, 1],
        ["wuxi", True, "", "123456789012345"],
    ), chosen=SEPT)
    assert codes(result) == [
        ("S!B2", "NOT_A_NUMBER"), ("S!D2", "NEGATIVE"), ("S!B3", "NOT_WHOLE"), ("S!D3", "NOT_A_NUMBER"), ("S!A6", "MISSING_BRANCH"),
        ("S!A7", "UNKNOWN_BRANCH"), ("S!B8", "NOT_A_NUMBER"), ("S!D8", "OUT_OF_RANGE"), ("S!C5", "DUPLICATE"), ("S!B4", "PART_ABOVE_WHOLE"),
    ]
    assert "S!C2" in next(p.message for p in result.errors if p.code == ImportCode.DUPLICATE)


def test_created_changed_and_unchanged_against_what_is_stored():
    stored = {("nanjing", SEPT, "premium_wan"): Decimal("7"), ("nanjing", SEPT, "sl_nonbank_checked"): Decimal("9")}
    result, _ = check(_wide(["nanjing", 5, 10, 7]), chosen=SEPT, st=state(stored=stored))
    assert {e.component: e.kind for e in result.entries} == {"sl_nonbank_passed": "created", "sl_nonbank_checked": "changed", "premium_wan": "unchanged"}
    assert result.counts() == {"created": 1, "changed": 1, "unchanged": 1}
    # the part is checked against the stored whole when only the part is in the file
    result, _ = check(Sheet("S", [["机构", "sl_nonbank_passed"], ["nanjing", 10]]), chosen=SEPT, st=state(stored=stored))
    assert codes(result) == [("S!B2", "PART_ABOVE_WHOLE")]


def test_approved_months_refuse_changes_per_cell_submitted_ones_refuse_branch_staff_and_scope_is_enforced():
    stored = {("nanjing", SEPT, "premium_wan"): Decimal("7")}
    approved = state(stored=stored, status={("nanjing", SEPT): "approved"})
    result, _ = check(_wide(["nanjing", 1, 2, 7]), chosen=SEPT, st=approved)
    assert codes(result) == [("S!B2", "MONTH_LOCKED"), ("S!C2", "MONTH_LOCKED")]
    assert [e.kind for e in result.entries] == ["unchanged"]
    submitted = {("nanjing", SEPT): "submitted"}
    assert codes(check(_wide(["nanjing", 1, 2, 7]), chosen=SEPT, st=state(status=submitted, office=False))[0])[0][1] == "MONTH_SUBMITTED"
    assert check(_wide(["nanjing", 1, 2, 7]), chosen=SEPT, st=state(status=submitted, office=True))[0].ok
    staff = state(editable={"nanjing"}, office=False)
    assert codes(check(_wide(["wuxi", 1, 2, 3]), chosen=SEPT, st=staff)[0]) == [("S!B2", "NOT_IN_SCOPE")]
    future = state(this_month=datetime.date(2023, 8, 1))
    assert {c for _, c in codes(check(_wide(["nanjing", 1, 2, 3]), chosen=SEPT, st=future)[0])} == {"FUTURE_MONTH"}


# ── reading files ────────────────────────────────────────────────────────────────────────────────


def test_files_that_are_not_what_they_say_are_refused_with_a_message():
    with pytest.raises(UploadError, match="无法读取"):
        read_file(b"not a workbook", "fake.xlsx")
    with pytest.raises(UploadError, match="无法读取"):
        read_file(b"\xd0\xcf\x11\xe0 broken", "fake.xls")
    with pytest.raises(UploadError, match="只能导入"):
        read_file(b"x", "figures.txt")
    with pytest.raises(UploadError, match="过大"):
        read_file(b"x" * 1025, "big.csv", max_bytes=1024)


def test_cells_read_as_their_text_without_float_noise():
    assert [cell_text(v) for v in (9448.0, 0.1, 1234.5, "", None, 3, datetime.date(2023, 9, 1))] == ["9448", "0.1", "1234.5", "", "", "3", "2023-09-01"]


def test_a_blank_value_sent_through_the_api_is_a_problem_not_a_crash():
    from kpi.imports.validation import parse_value

    value, problem = parse_value("", ref="figures[0]", name="保费收入", unit="万元")
    assert value is None and (problem.code, problem.ref) == (ImportCode.NOT_A_NUMBER, "figures[0]")

"""core.bulk writes exactly what the ORM writes: COPY on PostgreSQL, bulk_create elsewhere (the suite runs on both)."""

from decimal import Decimal

from core.bulk import delete_rows, insert_rows, raw_values
from kpi.models import BranchScore, Component, StoredCell

SCORE_FIELDS = ["run", "branch", "qualitative", "quantitative", "deductions", "total", "rank", "vetoed", "detail", "cells"]


def test_text_values_empty_strings_commas_quotes_newlines_tabs_and_backslashes_arrive_as_written(db):
    rows = [("a1", "名称, 含逗号", "", "件", '引号 " 与\n换行\r\n', "entered"), ("a2", "二", "\\N", "%", "反斜杠 \\ 与\t制表符", "derived")]
    assert insert_rows(Component, ["code", "name", "name_en", "unit", "definition", "source"], rows) is None
    fields = ("code", "name", "name_en", "unit", "definition", "source")
    assert list(Component.objects.filter(code__in=["a1", "a2"]).order_by("code").values_list(*fields)) == rows


def test_nulls_decimals_json_lists_and_booleans_round_trip_and_rows_delete_by_id(run):
    first, second = run.branch_scores.order_by("pk")[:2]
    BranchScore.objects.filter(pk__in=[first.pk, second.pk]).delete()
    cells = StoredCell.rows({"indicator_code": ["sl_nonbank", "own_yoy"], "value": [Decimal("94.1234565"), Decimal("-0.0000005")],
                             "value2": [None, None], "previous": [None, Decimal("4")], "target": [Decimal("95"), None],
                             "points": [Decimal("3.90"), Decimal("4")]})
    insert_rows(BranchScore, SCORE_FIELDS, [
        (run.pk, first.branch_id, Decimal("1.5"), Decimal("80.25"), Decimal("-2"), Decimal("79.75"), 7, True,
         {"totals": {"x": "1.0000"}, "veto": None}, cells),
        (run.pk, second.branch_id, Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"), 8, False, {"veto": "否决原因"}, []),
    ])
    a, b = BranchScore.objects.get(run=run, branch_id=first.branch_id), BranchScore.objects.get(run=run, branch_id=second.branch_id)
    assert (a.total, a.vetoed, a.detail) == (Decimal("79.75"), True, {"totals": {"x": "1.0000"}, "veto": None})
    assert (b.rank, b.vetoed, b.detail, b.cells) == (8, False, {"veto": "否决原因"}, [])
    # each number at the places it is read at, rounded half away from zero as PostgreSQL's numeric rounds
    assert a.cells == [["sl_nonbank", "94.123457", None, None, "95.0000000000", "3.90"], ["own_yoy", "-0.000001", None, "4.000000", None, "4"]]
    cell = a.cell("sl_nonbank")
    assert (cell.value, cell.value2, cell.target, cell.points, cell.explanation) == (Decimal("94.123457"), None, Decimal("95"), Decimal("3.90"), {})
    assert str(a.cell("own_yoy").points) == "4.00" and a.cell("other") is None  # read at the places the table shows

    delete_rows(BranchScore, [a.pk])
    assert list(BranchScore.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", flat=True)) == [b.pk]


def test_rows_inserted_for_their_ids_get_new_ids_in_order_and_the_orm_goes_on_after_them(db):
    before = Component.objects.create(code="b0", name="前", unit="件", source="entered").pk
    rows = [(f"n{i}", f"新{i}", "", "件", "", "entered") for i in range(3)]
    ids = insert_rows(Component, ["code", "name", "name_en", "unit", "definition", "source"], rows, ids=True)
    assert len(set(ids)) == 3 and min(ids) > before
    assert [Component.objects.get(pk=pk).code for pk in ids] == ["n0", "n1", "n2"]
    assert Component.objects.create(code="a0", name="后", unit="件", source="entered").pk > max(ids)  # the sequence moved on


def test_raw_values_are_the_rows_of_values_list_and_an_impossible_filter_reads_nothing(db):
    insert_rows(Component, ["code", "name", "name_en", "unit", "definition", "source"], [("r1", "一", "", "件", "", "entered")])
    query = Component.objects.filter(code__in=["r1", "x"]).values_list("source", "code")
    assert raw_values(query) == list(query) == [("entered", "r1")]
    assert raw_values(Component.objects.filter(code__in=[]).values_list("code")) == []

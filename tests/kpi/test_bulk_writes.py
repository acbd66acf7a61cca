"""core.bulk writes exactly what the ORM writes: COPY on PostgreSQL, bulk_create elsewhere (the suite runs on both)."""

from decimal import Decimal

from core.bulk import delete_rows, insert_rows
from kpi.models import BranchScore, Component, IndicatorScore

SCORE_FIELDS = ["run", "branch", "qualitative", "quantitative", "deductions", "total", "rank", "vetoed", "detail"]


def test_text_values_empty_strings_commas_quotes_and_newlines_arrive_as_written(db):
    rows = [("a1", "名称, 含逗号", "", "件", '引号 " 与\n换行', "entered"), ("a2", "二", "Two", "%", "", "derived")]
    assert insert_rows(Component, ["code", "name", "name_en", "unit", "definition", "source"], rows) is None
    fields = ("code", "name", "name_en", "unit", "definition", "source")
    assert list(Component.objects.filter(code__in=["a1", "a2"]).order_by("code").values_list(*fields)) == rows


def test_ids_come_back_in_order_and_nulls_decimals_json_and_booleans_round_trip(run):
    first, second = run.branch_scores.order_by("pk")[:2]
    BranchScore.objects.filter(pk__in=[first.pk, second.pk]).delete()
    assert insert_rows(BranchScore, SCORE_FIELDS, [], ids=True) == []
    ids = insert_rows(BranchScore, SCORE_FIELDS, [
        (run.pk, first.branch_id, Decimal("1.5"), Decimal("80.25"), Decimal("-2"), Decimal("79.75"), 7, True, {"totals": {"x": "1.0000"}, "veto": None}),
        (run.pk, second.branch_id, Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"), 8, False, {"veto": "否决原因"}),
    ], ids=True)
    a, b = BranchScore.objects.get(pk=ids[0]), BranchScore.objects.get(pk=ids[1])
    assert (a.branch_id, a.total, a.vetoed, a.detail) == (first.branch_id, Decimal("79.75"), True, {"totals": {"x": "1.0000"}, "veto": None})
    assert (b.branch_id, b.rank, b.vetoed, b.detail) == (second.branch_id, 8, False, {"veto": "否决原因"})

    insert_rows(IndicatorScore, ["branch_score", "indicator_code", "value", "value2", "previous", "target", "points"],
                [(ids[0], "sl_nonbank", Decimal("94.123456"), None, None, Decimal("95"), Decimal("3.90"))], constants={"explanation": {}})
    cell = IndicatorScore.objects.get(branch_score_id=ids[0])
    assert (cell.value, cell.value2, cell.target, cell.points, cell.explanation) == (Decimal("94.123456"), None, Decimal("95"), Decimal("3.90"), {})

    IndicatorScore.objects.filter(branch_score_id=ids[0]).delete()
    delete_rows(BranchScore, [ids[0]])
    assert list(BranchScore.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [ids[1]]
    # the next ordinary insert takes an id past those taken (the sequence moved on)
    again = BranchScore.objects.create(run=run, branch_id=first.branch_id, qualitative=0, quantitative=0, deductions=0, total=0, rank=9)
    assert again.pk > max(ids)

"""Migrations that move stored results: nothing a table was ranked on may change on the way."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = ("kpi", "0008_recompute_request_branches"), ("kpi", "0009_compact_cells")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def at_0008(transactional_db):
    apps = _migrate(BEFORE)
    yield apps
    _migrate(("kpi", MigrationExecutor(connection).loader.graph.leaf_nodes("kpi")[0][1]))


def _score(apps, code):
    """A run of a scheme with one branch score (the rows the old layout needs)."""
    Branch = apps.get_model("branches", "Branch")
    Scheme, Version = apps.get_model("kpi", "Scheme"), apps.get_model("kpi", "SchemeVersion")
    ScoreRun, BranchScore = apps.get_model("kpi", "ScoreRun"), apps.get_model("kpi", "BranchScore")
    province = Branch.objects.create(code=f"p-{code}", name="省", level="province", path=f"/p-{code}/")
    branch = Branch.objects.create(code=code, name="中支", level="prefecture", parent=province, path=f"/p-{code}/{code}/")
    scheme = Scheme.objects.create(code=f"s-{code}", name="方案", year=2023, level="prefecture", province=province)
    version = Version.objects.create(scheme=scheme, number=1, status="published")
    run = ScoreRun.objects.create(scheme=scheme, version=version, month=8, status="complete", is_current=True)
    return BranchScore.objects.create(run=run, branch=branch, qualitative=0, quantitative=Decimal("7.90"), deductions=0,
                                      total=Decimal("7.90"), rank=1)


def test_every_stored_cell_moves_into_its_branch_score_exactly_and_back(at_0008):
    apps = at_0008
    IndicatorScore = apps.get_model("kpi", "IndicatorScore")
    explained, plain = _score(apps, "nanjing"), _score(apps, "wuxi")
    old_explanation = {"steps": ["达到考核值"], "inputs": [["件数", "10000"]]}
    IndicatorScore.objects.create(branch_score=explained, indicator_code="sl_nonbank", value=Decimal("94.48"),
                                  target=Decimal("95"), points=Decimal("3.90"), explanation=old_explanation)
    IndicatorScore.objects.create(branch_score=explained, indicator_code="own_yoy", value=Decimal("3"), previous=Decimal("4"),
                                  points=Decimal("4.00"))
    IndicatorScore.objects.create(branch_score=plain, indicator_code="sl_nonbank", value=None, target=Decimal("95.1234567891"),
                                  points=Decimal("0"))

    apps = _migrate(AFTER)
    from kpi.models import BranchScore  # the current model reads what the migration wrote

    nanjing, wuxi = BranchScore.objects.get(pk=explained.pk), BranchScore.objects.get(pk=plain.pk)
    assert nanjing.cells == [
        ["sl_nonbank", "94.480000", None, None, "95.0000000000", "3.90", old_explanation],
        ["own_yoy", "3.000000", None, "4.000000", None, "4.00"],
    ]
    cell = nanjing.cell("sl_nonbank")
    assert (cell.value, cell.target, cell.points, cell.explanation) == (Decimal("94.48"), Decimal("95"), Decimal("3.90"), old_explanation)
    assert [c.indicator_code for c in nanjing.cell_list()] == ["sl_nonbank", "own_yoy"]  # the indicators' order kept
    assert wuxi.cell("sl_nonbank").target == Decimal("95.1234567891") and wuxi.cell("sl_nonbank").value is None

    apps = _migrate(BEFORE)
    rows = apps.get_model("kpi", "IndicatorScore").objects.order_by("pk")
    assert [(r.branch_score_id, r.indicator_code, r.value, r.previous, r.target, r.points, r.explanation) for r in rows] == [
        (explained.pk, "sl_nonbank", Decimal("94.48"), None, Decimal("95"), Decimal("3.90"), old_explanation),
        (explained.pk, "own_yoy", Decimal("3"), Decimal("4"), None, Decimal("4.00"), {}),
        (plain.pk, "sl_nonbank", None, None, Decimal("95.1234567891"), Decimal("0"), {}),
    ]

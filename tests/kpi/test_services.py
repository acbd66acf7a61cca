"""Scoring runs, scheme versions and targets, through the services the app and tasks use."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.errors import ApplicationError
from kpi import selectors, services
from kpi.choices import SchemeStatus
from kpi.models import BranchScore, Deduction, QualitativeScore, ScoreRun, StoredCell, TargetOverride, Veto


def explained(run, c):
    """The cell's explanation as the pages show it (rendered from the run's kept inputs)."""
    return selectors.cell_explanation(run=run, score=c.score, indicator_code=c.indicator_code)


@dataclass
class Found:
    """A stored cell (its value, target, points…) and the branch score it belongs to."""

    score: BranchScore
    stored: StoredCell

    def __getattr__(self, name):
        return getattr(self.stored, name)


def cell(run, branch, code):
    score = run.branch_scores.select_related("branch").get(branch__code=branch)
    assert score.cell(code) is not None
    return Found(score, score.cell(code))


def test_a_run_scores_each_branch_from_year_to_date_sums(scheme, figure):
    # January 90/100 and February 9358/9900: YTD 9448/10000 = 94.48 %, not the mean of the monthly rates.
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "90")
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "100")
    figure("nanjing", "sl_nonbank_passed", 2023, 2, "9358")
    figure("nanjing", "sl_nonbank_checked", 2023, 2, "9900")
    run = services.score_run_compute(scheme=scheme, month=2)
    c = cell(run, "nanjing", "sl_nonbank")
    assert c.value == Decimal("94.48")
    assert c.points == Decimal("3.90")
    assert explained(run, c)["inputs"] == [["双录首次质检合格件数(非银邮代理)", "9448"], ["双录首次质检件数(非银邮代理)", "10000"]]
    assert explained(run, c)["target"] == "95"
    assert run.version == scheme.version_in_force()


def test_a_branch_without_figures_scores_zero_and_says_data_is_missing(scheme, figure):
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "95")
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "100")
    run = services.score_run_compute(scheme=scheme, month=1)
    c = cell(run, "wuxi", "sl_nonbank")
    assert c.points == 0
    assert "缺少数据" in explained(run, c)["steps"][0]


def test_recomputing_leaves_exactly_one_current_run_per_window(scheme, figure):
    figure("nanjing", "own_complaints", 2023, 1, "3")
    first = services.score_run_compute(scheme=scheme, month=1)
    second = services.score_run_compute(scheme=scheme, month=1)
    assert list(ScoreRun.objects.filter(scheme=scheme, month=1, is_current=True)) == [second]
    assert not ScoreRun.objects.filter(pk=first.pk).exists()
    assert second.branch_scores.count() == 2


def test_a_failed_run_leaves_the_previous_table_visible(scheme, figure, monkeypatch):
    figure("nanjing", "own_complaints", 2023, 1, "3")
    before = services.score_run_compute(scheme=scheme, month=1)

    from kpi import services as kpi_services

    real = kpi_services.insert_rows

    def broken(model, *args, **kwargs):  # the branch scores are written, then the run fails
        real(model, *args, **kwargs)
        raise RuntimeError("boom")

    monkeypatch.setattr(kpi_services, "insert_rows", broken)
    with pytest.raises(RuntimeError):
        services.score_run_compute(scheme=scheme, month=1)
    assert list(ScoreRun.objects.filter(scheme=scheme, month=1, is_current=True)) == [before]
    assert ScoreRun.objects.filter(scheme=scheme).count() == 1


def test_provincial_average_is_the_weighted_average_of_all_branches(scheme, figure):
    figure("nanjing", "reg_complaints", 2023, 1, "3")
    figure("nanjing", "premium_wan", 2023, 1, "100000")
    figure("wuxi", "reg_complaints", 2023, 1, "1")
    figure("wuxi", "premium_wan", 2023, 1, "300000")
    run = services.score_run_compute(scheme=scheme, month=1)
    # (3 + 1) / (400000 万元 / 10000) = 0.1; the mean of the two rates would be 0.1667.
    assert Decimal(run.targets["reg_complaints_per_100m"]["value"]) == Decimal("0.1")
    nanjing = cell(run, "nanjing", "reg_complaints_per_100m")
    assert nanjing.value == Decimal("0.30")  # r = 3 → 10 − 5 × (3 − 2) = 5
    assert nanjing.points == Decimal("5.00")


def test_a_target_override_is_used_and_its_reason_shown(scheme, figure):
    figure("nanjing", "reg_complaints", 2023, 1, "3")
    figure("nanjing", "premium_wan", 2023, 1, "100000")
    TargetOverride.objects.create(scheme=scheme, indicator_code="reg_complaints_per_100m", month=1,
                                  value=Decimal("0.3652"), reason="总公司下发的全省平均")
    run = services.score_run_compute(scheme=scheme, month=1)
    c = cell(run, "nanjing", "reg_complaints_per_100m")
    assert c.target == Decimal("0.3652")
    assert "总公司下发的全省平均" in explained(run, c)["target_source"]
    # r = 0.30 / 0.3652 = 0.8215; 10 + 2 × (1 − 0.8215) = 10.357 → 10.36
    assert c.points == Decimal("10.36")


def test_year_on_year_compares_with_the_same_window_a_year_earlier(scheme, figure):
    for month, now, before in ((1, "30", "40"), (2, "36", "28")):
        figure("nanjing", "own_complaints", 2023, month, now)
        figure("nanjing", "own_complaints", 2022, month, before)
    figure("nanjing", "own_complaints", 2022, 3, "500")  # outside the window: ignored
    run = services.score_run_compute(scheme=scheme, month=2)
    c = cell(run, "nanjing", "own_complaints_count")
    assert (c.value, c.previous) == (Decimal("66"), Decimal("68"))
    assert c.points == Decimal("3.60")  # d = 2/68 = 2.94 % → 5 − 0.2 × floor(7.06) = 3.60


def test_totals_add_qualitative_quantitative_and_deductions_and_veto_ranks_last(scheme, figure, tree):
    figure("nanjing", "own_complaints", 2023, 1, "1")
    QualitativeScore.objects.create(scheme=scheme, branch=tree["nanjing"], item_code="1-1", month=1, score=Decimal("1.5"))
    QualitativeScore.objects.create(scheme=scheme, branch=tree["nanjing"], item_code="2-3", month=1, score=Decimal("0.5"))
    Deduction.objects.create(scheme=scheme, branch=tree["nanjing"], month=1, points=Decimal("-4"), reason="检查发现问题")
    run = services.score_run_compute(scheme=scheme, month=1)
    nanjing = run.branch_scores.get(branch__code="nanjing")
    assert nanjing.qualitative == Decimal("1.5")  # 2-3 is a year-end item: not counted before December
    assert nanjing.deductions == Decimal("-4")
    assert nanjing.total == nanjing.qualitative + nanjing.quantitative + nanjing.deductions
    Veto.objects.create(scheme=scheme, branch=tree["nanjing"], month=1, reason="重大投诉处置不当")
    run = services.score_run_compute(scheme=scheme, month=1)
    ranked = list(run.branch_scores.order_by("rank").values_list("branch__code", "vetoed"))
    assert ranked == [("wuxi", False), ("nanjing", True)]


def test_published_version_cannot_be_edited_and_a_change_makes_a_new_version(scheme, figure):
    v1 = scheme.version_in_force()
    indicator = v1.indicators.get(code="sl_nonbank")
    indicator.target_value = Decimal("96")
    with pytest.raises(ValidationError) as err:
        indicator.full_clean()
    assert "已发布的方案版本不能修改" in str(err.value)

    draft = services.scheme_version_create_draft(scheme=scheme)
    assert draft.number == 2 and draft.indicators.count() == 17 and draft.qualitative_items.count() == 13
    with pytest.raises(ApplicationError):
        services.scheme_version_create_draft(scheme=scheme)
    changed = draft.indicators.get(code="sl_nonbank")
    changed.target_value = Decimal("96")
    changed.full_clean()
    changed.save()
    services.scheme_version_publish(version=draft)
    v1.refresh_from_db()
    assert v1.status == SchemeStatus.SUPERSEDED and scheme.version_in_force() == draft

    figure("nanjing", "sl_nonbank_passed", 2023, 1, "95")
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "100")
    run = services.score_run_compute(scheme=scheme, month=1)
    assert run.version == draft
    assert cell(run, "nanjing", "sl_nonbank").points == Decimal("3.90")  # 95 vs the new 96: one started point below


def test_an_invalid_rule_is_refused_in_chinese_on_save(scheme):
    draft = services.scheme_version_create_draft(scheme=scheme)
    indicator = draft.indicators.get(code="sl_nonbank")
    indicator.rule = {"kind": "steps", "above": [{"step": 0.5, "points": "0.2"}], "below": []}
    indicator.inputs = {"numerator": "no_such_component", "denominator": "sl_nonbank_checked"}
    with pytest.raises(ValidationError) as err:
        indicator.full_clean()
    messages = err.value.message_dict
    assert any("字符串形式的数字" in m for m in messages["rule"])
    assert any("no_such_component" in m for m in messages["inputs"])


def test_a_figure_change_recomputes_the_windows_that_contain_it(scheme, figure, tree, django_capture_on_commit_callbacks):
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "95")
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "100")
    services.score_run_compute(scheme=scheme, month=1)
    services.score_run_compute(scheme=scheme, month=2)
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "96")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.recompute_for_figure_change(year=2023, month=1)
    assert len(callbacks) == 1  # one dispatch of windows 1 and 1–2, which both contain January
    for month in (1, 2):
        run = ScoreRun.objects.get(scheme=scheme, month=month, is_current=True)
        assert cell(run, "nanjing", "sl_nonbank").points == Decimal("4.20")


def test_a_figure_change_ignores_unpublished_schemes_and_creates_no_new_windows_next_year(
    scheme, figure, tree, django_capture_on_commit_callbacks
):
    import copy

    from kpi import demo

    data = copy.deepcopy(demo.scheme_data())
    data.update(code="jiangsu-2024", year=2024)
    next_year = services.scheme_load(data=data)
    draft_only = services.scheme_load(data={**copy.deepcopy(demo.scheme_data()), "code": "draft-2023"})
    draft_only.versions.update(status=SchemeStatus.DRAFT)
    services.score_run_compute(scheme=next_year, month=3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.recompute_for_figure_change(year=2023, month=2)
    # 2023: window 2 (nothing computed yet); 2024: only its computed window 3; the draft: nothing.
    assert len(callbacks) == 2
    assert sorted(ScoreRun.objects.filter(is_current=True).values_list("scheme__code", "month")) == [
        ("jiangsu-2023", 2), ("jiangsu-2024", 3),
    ]


def test_the_figures_changed_event_queues_the_recompute(scheme, figure, tree, django_capture_on_commit_callbacks):
    import datetime

    from core.events import figures_changed

    with django_capture_on_commit_callbacks(execute=True):
        figures_changed.send(sender="complaints", branch_id=tree["nanjing"].pk, months=[datetime.date(2023, 3, 1)])
    assert ScoreRun.objects.filter(scheme=scheme, month=3, is_current=True).exists()

"""The company as one tree: paths, schemes per owner and level, roll-up Σ/Σ, recomputes scoped to the
schemes that read a branch, coalesced and computed in one cumulative pass."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import transaction

from branches.models import Branch, Role, User
from branches.permissions import visible_branch_ids
from kpi import demo, selectors, services, tasks
from kpi.models import MonthlyFigure, RecomputeRequest, ScoreRun
from kpi.scoring.aggregation import window_totals
from kpi.scoring.league import league_assemble


@pytest.fixture
def company(tree):
    """hq (head office) → jiangsu (nanjing → jiangning, wuxi) and zhejiang (hangzhou)."""
    hq = Branch.objects.create(code="hq", name="总公司", level="head_office")
    jiangsu = tree["jiangsu"]
    jiangsu.parent = hq
    jiangsu.save()
    zhejiang = Branch.objects.create(code="zhejiang", name="浙江省分公司", level="province", parent=hq, sort_order=2)
    hangzhou = Branch.objects.create(code="hangzhou", name="杭州中支", level="prefecture", parent=zhejiang)
    return {**{code: Branch.objects.get(code=code) for code in tree}, "hq": hq, "zhejiang": zhejiang, "hangzhou": hangzhou}


def _scheme(code, owner, level):
    return services.scheme_load(data={**demo.scheme_data(), "code": code, "name": code, "province": owner, "level": level})


@pytest.fixture
def schemes(company, scheme):
    """jiangsu's scheme of its prefectures (the shipped one), zhejiang's, and head office's of the provinces."""
    return {"jiangsu": scheme, "zhejiang": _scheme("zhejiang-2023", "zhejiang", "prefecture"), "hq": _scheme("hq-2023", "hq", "province")}


def test_a_branch_path_follows_moves_and_renames_with_its_subtree(company):
    assert company["jiangning"].path == "/hq/jiangsu/nanjing/jiangning/"  # set again when jiangsu moved under hq
    nanjing = company["nanjing"]
    nanjing.parent = company["zhejiang"]
    nanjing.code = "ningbo"
    nanjing.save()
    assert Branch.objects.get(code="jiangning").path == "/hq/zhejiang/ningbo/jiangning/"
    assert Branch.objects.get(code="ningbo").depth == 2
    assert {b.code for b in Branch.objects.subtree(company["zhejiang"])} == {"zhejiang", "hangzhou", "ningbo", "jiangning"}
    assert company["zhejiang"].descendant_ids() == set(Branch.objects.filter(code__in=["zhejiang", "hangzhou", "ningbo", "jiangning"]).values_list("pk", flat=True))


def test_bulk_created_branches_get_their_paths_from_their_parents(company):
    anhui = Branch(code="anhui", name="安徽", level="province", parent=company["hq"])
    Branch.objects.bulk_create([anhui])
    Branch.objects.bulk_create([Branch(code="hefei", name="合肥", level="prefecture", parent=anhui)])
    Branch.objects.bulk_create([Branch(code="feixi", name="肥西", level="county", parent_id=Branch.objects.get(code="hefei").pk)])
    assert dict(Branch.objects.filter(code__in=["anhui", "hefei", "feixi"]).values_list("code", "path")) == {
        "anhui": "/hq/anhui/", "hefei": "/hq/anhui/hefei/", "feixi": "/hq/anhui/hefei/feixi/",
    }


def test_a_provincial_officer_sees_the_province_and_head_office_sees_all(company):
    officer = User.objects.create_user(username="js", password="pw-12345678", branch=company["jiangsu"], role=Role.OFFICER)
    head = User.objects.create_user(username="hq", password="pw-12345678", branch=company["hq"], role=Role.OFFICER)
    assert visible_branch_ids(officer) == {company[c].pk for c in ("jiangsu", "nanjing", "wuxi", "jiangning")}
    assert visible_branch_ids(head) is None


def test_each_scheme_scores_its_level_under_its_owner(schemes):
    assert [b.code for b in selectors.scored_branches(scheme=schemes["jiangsu"])] == ["nanjing", "wuxi"]
    assert [b.code for b in selectors.scored_branches(scheme=schemes["zhejiang"])] == ["hangzhou"]
    assert [b.code for b in selectors.scored_branches(scheme=schemes["hq"])] == ["jiangsu", "zhejiang"]


def test_a_province_scores_the_sum_of_its_branches_components_never_the_average_of_their_rates(schemes, figure):
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "90")
    figure("nanjing", "sl_nonbank_checked", 2023, 1, "100")  # 90 %
    figure("wuxi", "sl_nonbank_passed", 2023, 1, "990")
    figure("wuxi", "sl_nonbank_checked", 2023, 1, "1000")  # 99 %
    figure("jiangning", "sl_nonbank_passed", 2023, 1, "5")  # a county's figures count for the province too
    figure("jiangning", "sl_nonbank_checked", 2023, 1, "10")
    figure("hangzhou", "sl_nonbank_passed", 2023, 1, "96")
    figure("hangzhou", "sl_nonbank_checked", 2023, 1, "100")
    run = services.score_run_compute(scheme=schemes["hq"], month=1)
    cells = {s.branch.code: s.cell("sl_nonbank").value for s in run.branch_scores.select_related("branch")}
    # Σ passed ÷ Σ checked × 100 = (90 + 990 + 5) ÷ (100 + 1000 + 10) × 100 = 97.7477…; the mean of rates would be 94.5.
    assert cells["jiangsu"] == (Decimal(1085) / Decimal(1110) * 100).quantize(Decimal("0.000001"))
    assert cells["zhejiang"] == Decimal("96.000000")


def test_a_figure_change_requests_recomputes_of_exactly_the_schemes_that_read_the_branch(schemes, figure, company, django_capture_on_commit_callbacks):
    for s in schemes.values():
        services.score_run_compute(scheme=s, month=1)
    with django_capture_on_commit_callbacks():
        services.recompute_for_figure_change(year=2023, month=1, branch_ids=[company["jiangning"].pk])
    pending = set(RecomputeRequest.objects.filter(done_at=None).values_list("scheme__code", flat=True))
    assert pending == {"jiangsu-2023", "hq-2023"}  # zhejiang's scheme reads nothing of jiangsu's


def test_a_burst_of_requests_is_one_recompute_per_window(scheme, figure, django_capture_on_commit_callbacks):
    figure("nanjing", "sl_nonbank_passed", 2023, 1, "9448")
    services.score_run_compute(scheme=scheme, month=3)
    last_run = ScoreRun.objects.latest("pk").pk
    deliveries = []
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(100):  # a month approved for 100 branches, one request each
            services.recompute_for_figure_change(year=2023, month=1)
    assert RecomputeRequest.objects.filter(done_at=None).count() == 3  # windows 1, 2, 3: one pending each
    for _ in range(len(callbacks)):
        deliveries.append(tasks.recompute_window(scheme.pk, 1))
    assert ScoreRun.objects.filter(pk__gt=last_run).count() == 3  # 100 messages, three windows computed once each
    assert len(set(deliveries)) == 1 and not RecomputeRequest.objects.filter(done_at=None).exists()
    assert ScoreRun.objects.filter(scheme=scheme, is_current=True).count() == 3


def test_windows_computed_in_one_pass_equal_windows_computed_one_by_one(scheme, figure):
    rng = random.Random(7)
    for month in range(1, 5):
        for branch in ("nanjing", "wuxi"):
            checked = rng.randint(50, 200)
            figure(branch, "sl_nonbank_passed", 2023, month, str(rng.randint(0, checked)))
            figure(branch, "sl_nonbank_checked", 2023, month, str(checked))
            figure(branch, "sl_bank_passed", 2023, month, str(rng.randint(0, 40)))
            figure(branch, "sl_bank_checked", 2023, month, "40")
    runs = services.recompute_pending(scheme=scheme, months=[1, 2, 3, 4])
    for month, run in runs.items():
        alone = league_assemble(selectors.league_inputs_by_month(scheme=scheme, months=[month])[month])
        stored = {bs.branch.code: (bs.total, bs.rank) for bs in run.branch_scores.select_related("branch")}
        assert stored == {code: (row.total, row["rank"]) for code, row in alone.table.iterrows()}
        points = {(s.branch.code, c.indicator_code): c.points for s in run.branch_scores.select_related("branch") for c in s.cell_list()}
        assert points == {(c.branch, c.indicator): c.points for c in alone.window.cells.itertuples()}


def test_every_schemes_window_totals_are_the_sum_of_its_subtrees_rows_to_the_digit(schemes, figure):
    """The subtree sums a recompute reads (one pass, running across months) equal, digit for digit and exponent
    for exponent, Σ of the window's rows rolled up to each scored branch (scheme_figures + window_totals),
    with figures entered at two levels, whole and 4-decimal values, a branch and a component that start late,
    and complaint-derived counts."""
    _month_figures(figure, [1, 2, 4, 5])
    rng = random.Random(3)
    for month in (3, 7):
        for branch in ("nanjing", "jiangning", "hangzhou"):
            figure(branch, "premium_wan", 2023, month, str(Decimal(rng.randint(0, 99999)) / 100))
    figure("zhejiang", "sl_bank_passed", 2023, 9, "7")  # a province's own figure counts for head office's scheme
    figure("hangzhou", "sl_bank_checked", 2023, 12, "0.0001")
    months = [1, 2, 3, 6, 9, 12]
    for scheme in schemes.values():
        windows = selectors.league_inputs_by_month(scheme=scheme, months=months)
        for month in months:
            rows = window_totals(selectors.scheme_figures(scheme=scheme, year=2023, month=month)).sort_index().sort_index(axis=1)
            got = windows[month].totals
            assert list(got.index) == list(rows.index), (scheme.code, month)
            assert list(got.columns) == list(rows.columns), (scheme.code, month)
            assert [[str(v) for v in r] for r in got.to_numpy().tolist()] == [[str(v) for v in r] for r in rows.to_numpy().tolist()]
            assert all(isinstance(v, Decimal) for v in got.to_numpy().ravel())


def test_windows_that_start_later_read_the_months_before_as_one_sum_and_keep_locked_months_apart(schemes, figure, company):
    """A recompute of windows from month N on reads months 1..N as one sum per branch and component (summed by
    the database); every window's totals, this year's and last year's, equal a month-by-month read of all twelve,
    with a month under review left out and a locked month's counts (not the cases' live ones) in."""
    from django.utils import timezone

    from kpi.models import Component, LockedDerivedFigure, MonthlySubmission

    _month_figures(figure, [1, 2, 4, 5, 8])
    figure("hangzhou", "own_complaints", 2022, 3, "4")  # last year, for the year-on-year indicator
    figure("hangzhou", "premium_wan", 2022, 7, "1234.5678")
    figure("wuxi", "premium_wan", 2022, 1, "10")
    # February of wuxi approved with its counts locked (5, while its cases count 2 now); April of nanjing under review
    MonthlySubmission.objects.create(branch=company["wuxi"], month=datetime.date(2023, 2, 1), status="approved", derived_locked_at=timezone.now())
    LockedDerivedFigure.objects.create(
        branch=company["wuxi"], month=datetime.date(2023, 2, 1), component=Component.objects.get(code="reg_complaints"), value=5
    )
    MonthlySubmission.objects.create(branch=company["nanjing"], month=datetime.date(2023, 4, 1), status="submitted")
    for scheme in schemes.values():
        every = selectors.league_inputs_by_month(scheme=scheme, months=range(1, 13))
        for later in ([3, 7, 12], [2, 5], [12]):
            read = selectors.league_inputs_by_month(scheme=scheme, months=later)
            for month in later:
                for part in ("totals", "previous_totals"):
                    got, want = getattr(read[month], part), getattr(every[month], part)
                    assert (list(got.index), list(got.columns)) == (list(want.index), list(want.columns)), (scheme.code, later, month, part)
                    assert [[str(v) for v in r] for r in got.to_numpy().tolist()] == [[str(v) for v in r] for r in want.to_numpy().tolist()], (
                        scheme.code, later, month, part)
    wuxi = selectors.league_inputs_by_month(scheme=schemes["jiangsu"], months=[12])[12].totals.loc["wuxi", "reg_complaints"]
    assert wuxi == 5  # the locked February (5), not its live cases (2); no other wuxi case


def test_a_year_of_the_largest_figures_sums_exactly_past_64_bits(schemes, figure):
    """Twelve months of a figure at MonthlyFigure's 18 digits: their sum (units of 10^-4) no longer fits in 64 bits;
    the window that reads the year as one sum equals the month-by-month read, to the digit."""
    from django.db import connection

    for month in range(1, 13):
        figure("nanjing", "premium_wan", 2023, month, "99999999999999.9999")
    for scheme in (schemes["jiangsu"], schemes["hq"]):
        every = selectors.league_inputs_by_month(scheme=scheme, months=range(1, 13))[12].totals
        once = selectors.league_inputs_by_month(scheme=scheme, months=[12])[12].totals
        assert [[str(v) for v in r] for r in once.to_numpy().tolist()] == [[str(v) for v in r] for r in every.to_numpy().tolist()]
        owner = "nanjing" if scheme == schemes["jiangsu"] else "jiangsu"
        if connection.vendor == "postgresql":  # SQLite keeps such a decimal as a float
            assert once.loc[owner, "premium_wan"] == Decimal("99999999999999.9999") * 12


def _complaint(n, branch, day, source="regulator"):
    from complaints.models import Complaint

    Complaint.objects.create(
        number=f"T{n}", branch=Branch.objects.get(code=branch), source=source, channel="regulator",
        received_at=datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC), received_on=day,
        customer_name="客户", category="claims", summary="测试", clock_started_on=day,
    )


def _month_figures(figure, months):
    from kpi.models import Component

    Component.objects.filter(code="reg_complaints").update(source="derived")  # counted from the cases below
    for n, (branch, day) in enumerate([("wuxi", datetime.date(2023, 2, 3)), ("wuxi", datetime.date(2023, 2, 9)),
                                       ("jiangning", datetime.date(2023, 3, 2)), ("nanjing", datetime.date(2023, 1, 5))]):
        _complaint(n, branch, day)
    rng = random.Random(11)
    for month in months:
        for branch in ("nanjing", "wuxi", "jiangning"):
            checked = rng.randint(50, 200)
            figure(branch, "sl_nonbank_passed", 2023, month, str(rng.randint(0, checked)))
            figure(branch, "sl_nonbank_checked", 2023, month, str(checked))
            figure(branch, "premium_wan", 2023, month, str(rng.randint(1000, 9000)))


def test_the_preview_reads_the_rest_of_the_scheme_from_the_runs_and_scores_exactly_as_from_every_branch(scheme, figure, tree):
    from kpi.entries.preview import entries_preview
    from kpi.entries.selectors import REST, check_context, entry_layout, scheme_window_figures
    from kpi.entries.validation import figures_check

    _month_figures(figure, [1, 2, 3])
    for branch, count in (("nanjing", "7"), ("wuxi", "3")):  # last year, for the year-on-year indicator
        figure(branch, "own_complaints", 2022, 2, count)
        figure(branch, "premium_wan", 2022, 2, "5000")
    services.recompute_pending(scheme=scheme, months=[2, 3])
    nanjing, month = Branch.objects.get(code="nanjing"), datetime.date(2023, 3, 1)
    layout = entry_layout(version=scheme.version_in_force())
    compact = scheme_window_figures(scheme=scheme, month=month, branch=nanjing)
    full = scheme_window_figures(scheme=scheme, month=month)
    assert set(compact["branch"]) == {"nanjing", REST} and set(full["branch"]) == {"nanjing", "wuxi"}
    # the branch's own months before this one come from what February's run kept: one row per component
    own = compact[compact["branch"] == "nanjing"]
    assert set(own["month"]) == {month, datetime.date(2023, 1, 1)}
    assert not own[own["month"] == datetime.date(2023, 1, 1)]["component"].duplicated().any()
    typed = {"sl_nonbank_passed": Decimal("61"), "sl_nonbank_checked": Decimal("90"), "premium_wan": Decimal("7000")}
    previews, warnings = [], []
    for figures in (compact, full):
        context = check_context(scheme=scheme, branch=nanjing, month=month, figures=figures)
        raw = {code: str(value) for code, value in typed.items()}
        checked = figures_check(layout=layout, context=context, raw=raw, require_all=False)
        warnings.append([p.message for p in checked.warnings])
        previews.append(entries_preview(scheme=scheme, layout=layout, branch=nanjing, month=month, typed=checked.values, figures=figures))
    assert warnings[0] == warnings[1]
    a, b = previews
    assert a.total == b.total and set(a.indicators) == set(b.indicators)
    assert a.indicators["reg_complaints_per_100m"].target > 0  # the pooled average includes the other branches' cases
    for code in a.indicators:
        x, y = a.indicators[code], b.indicators[code]
        assert (x.points, x.target, x.ytd_value, x.month_value, x.previous, x.steps, x.hints) == (
            y.points, y.target, y.ytd_value, y.month_value, y.previous, y.steps, y.hints), code
    assert a.indicators["own_complaints_per_100m"].previous is not None  # last year's, from the run's kept totals


def test_the_preview_reads_every_branch_while_a_recompute_is_pending(scheme, figure, django_capture_on_commit_callbacks):
    from kpi.entries.selectors import REST, scheme_window_figures

    _month_figures(figure, [1, 2])
    services.recompute_pending(scheme=scheme, months=[1, 2])
    nanjing, month = Branch.objects.get(code="nanjing"), datetime.date(2023, 2, 1)
    assert REST in set(scheme_window_figures(scheme=scheme, month=month, branch=nanjing)["branch"])
    with django_capture_on_commit_callbacks():
        services.recompute_on_commit(scheme=scheme, month=2)
    assert REST not in set(scheme_window_figures(scheme=scheme, month=month, branch=nanjing)["branch"])


def _stored(scheme, months):
    """Everything a scheme's current runs of `months` say, by window: targets, sums, each branch's row and cells."""
    out = {}
    for run in ScoreRun.objects.filter(scheme=scheme, month__in=months, is_current=True):
        scores = run.branch_scores.select_related("branch")
        out[run.month] = (
            run.targets, run.sums,
            sorted(
                (s.branch.code, s.total, s.rank, s.quantitative, s.detail,
                 sorted((c.indicator_code, c.value, c.value2, c.previous, c.target, c.points) for c in s.cell_list()))
                for s in scores
            ),
        )
    return out


def test_a_recompute_after_an_edit_rereads_only_the_branches_above_it_and_equals_reading_everything(
    schemes, figure, company, monkeypatch, django_capture_on_commit_callbacks
):
    _month_figures(figure, [1, 2, 3])
    figure("wuxi", "sl_bank_passed", 2023, 1, "3")  # a component only wuxi has: it vanishes below
    figure("wuxi", "sl_bank_checked", 2023, 1, "4")
    figure("hangzhou", "sl_nonbank_passed", 2023, 2, "80")
    figure("hangzhou", "sl_nonbank_checked", 2023, 2, "100")
    for s in schemes.values():
        services.recompute_pending(scheme=s, months=[1, 2, 3])
    reused = []
    real = selectors._kept_totals
    monkeypatch.setattr(selectors, "_kept_totals", lambda *a: reused.append(result := real(*a)) or result)

    with django_capture_on_commit_callbacks(execute=True):  # the form's save: figures change, recomputes asked for
        with transaction.atomic():
            MonthlyFigure.objects.filter(branch__code="wuxi", component__code__in=["sl_bank_passed", "sl_bank_checked"]).delete()
            figure("jiangning", "premium_wan", 2023, 2, "123.4567")
            services.recompute_for_figure_change(year=2023, month=1, branch_ids=[company["wuxi"].pk, company["jiangning"].pk])
    assert not RecomputeRequest.objects.filter(done_at=None).exists()
    # jiangsu's and head office's schemes recomputed from kept totals; zhejiang's was not asked
    assert len(reused) == 2 and all(r is not None for r in reused)
    assert sorted(r.read for r in reused) == [{"jiangsu"}, {"nanjing", "wuxi"}]
    partial = {s.code: _stored(s, [1, 2, 3]) for s in schemes.values()}
    assert "sl_bank_passed" not in partial["jiangsu-2023"][3][1]  # the vanished component left the window's sums

    monkeypatch.setattr(selectors, "_kept_totals", real)
    for s in schemes.values():
        services.recompute_schemes(schemes=[s], months=[1, 2, 3])  # asked by window: everything read again
    assert {s.code: _stored(s, [1, 2, 3]) for s in schemes.values()} == partial


def test_an_edit_of_entered_figures_keeps_the_derived_totals_counts_no_case_and_equals_reading_everything(
    schemes, figure, company, monkeypatch, django_capture_on_commit_callbacks
):
    """The monthly form's save changes entered figures only: the branches above it are read again without their
    cases, their complaint-derived totals (this year's, last year's, a locked month's) kept from the runs."""
    from django.utils import timezone

    from kpi.models import Component, LockedDerivedFigure, MonthlySubmission

    _month_figures(figure, [1, 2, 3])
    Component.objects.filter(code="own_complaints").update(source="derived")  # the year-on-year indicator's count
    for n, (branch, day) in enumerate([("wuxi", datetime.date(2022, 2, 7)), ("nanjing", datetime.date(2022, 3, 1)),
                                       ("jiangning", datetime.date(2023, 2, 8)), ("hangzhou", datetime.date(2022, 1, 4))]):
        _complaint(f"S{n}", branch, day, source="self")
    for branch in ("nanjing", "wuxi", "hangzhou"):
        figure(branch, "premium_wan", 2022, 2, "5000")
    # February of wuxi approved with its counts locked (5, while its cases count 2 now)
    MonthlySubmission.objects.create(branch=company["wuxi"], month=datetime.date(2023, 2, 1), status="approved", derived_locked_at=timezone.now())
    LockedDerivedFigure.objects.create(
        branch=company["wuxi"], month=datetime.date(2023, 2, 1), component=Component.objects.get(code="reg_complaints"), value=5
    )
    for s in schemes.values():
        services.recompute_pending(scheme=s, months=[1, 2, 3])
    kept, counted = [], []
    real = selectors._kept_totals
    monkeypatch.setattr(selectors, "_kept_totals", lambda *a: kept.append(result := real(*a)) or result)
    monkeypatch.setattr(selectors, "derived_component_counts", lambda **kw: counted.append(kw) or {})

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            figure("wuxi", "sl_nonbank_passed", 2023, 1, "1")
            figure("jiangning", "premium_wan", 2023, 2, "99.0001")
            figure("nanjing", "premium_wan", 2022, 2, "4000")  # last year's, which this year compares with
            changed = [company["wuxi"].pk, company["jiangning"].pk]
            services.recompute_for_figure_change(year=2023, month=1, branch_ids=changed, entered_only=True)
            services.recompute_for_figure_change(year=2022, month=2, branch_ids=[company["nanjing"].pk], entered_only=True)
    assert not RecomputeRequest.objects.filter(done_at=None).exists()
    assert sorted(r.read for r in kept) == [{"jiangsu"}, {"nanjing", "wuxi"}] and counted == []
    partial = {s.code: _stored(s, [1, 2, 3]) for s in schemes.values()}
    wuxi = next(row for row in partial["jiangsu-2023"][3][2] if row[0] == "wuxi")
    assert wuxi[4]["totals"]["reg_complaints"] == "5.0000" and wuxi[4]["previous_totals"]["own_complaints"] == "1"

    monkeypatch.undo()
    for s in schemes.values():
        services.recompute_schemes(schemes=[s], months=[1, 2, 3])  # asked by window: everything read again
    assert {s.code: _stored(s, [1, 2, 3]) for s in schemes.values()} == partial


def test_a_branch_scored_since_the_runs_is_read_whole_and_a_change_above_every_scored_branch_reads_none(
    schemes, figure, company, django_capture_on_commit_callbacks
):
    """A prefecture opened after the runs were computed has no kept totals: its complaint counts are read even after
    an edit of entered figures only. The province's own figure, above every branch its scheme scores, re-reads
    none of them (an empty read, not an error)."""
    _month_figures(figure, [1, 2])
    for s in schemes.values():
        services.recompute_pending(scheme=s, months=[1, 2])
    suzhou = Branch.objects.create(code="suzhou", name="苏州中支", level="prefecture", parent=company["jiangsu"], sort_order=9)
    _complaint("Z1", "suzhou", datetime.date(2023, 1, 9))
    figure("suzhou", "premium_wan", 2023, 1, "800")
    figure("jiangsu", "premium_wan", 2023, 2, "5")
    for changed, entered_only in (([suzhou.pk], True), ([company["jiangsu"].pk], True), ([company["jiangsu"].pk], False)):
        with django_capture_on_commit_callbacks(execute=True):  # each change recomputed on its own
            services.recompute_for_figure_change(year=2023, month=1, branch_ids=changed, entered_only=entered_only)
        assert not RecomputeRequest.objects.filter(done_at=None).exists()
    partial = {s.code: _stored(s, [1, 2]) for s in schemes.values()}
    row = next(r for r in partial["jiangsu-2023"][2][2] if r[0] == "suzhou")
    assert row[4]["totals"]["reg_complaints"] == "1" and row[4]["totals"]["premium_wan"] == "800.0000"
    for s in schemes.values():
        services.recompute_schemes(schemes=[s], months=[1, 2])
    assert {s.code: _stored(s, [1, 2]) for s in schemes.values()} == partial


def test_a_branch_moved_under_another_parent_recomputes_every_scheme_from_everything(
    schemes, figure, company, users, client_for, django_capture_on_commit_callbacks
):
    """What runs kept of a branch's subtree is stale once a county moves: the tree's load and the admin's change
    form announce it, and every computed window of every published scheme is recomputed reading everything."""
    from branches.services import branch_tree_load

    _month_figures(figure, [1, 2])
    for s in schemes.values():
        services.recompute_pending(scheme=s, months=[1, 2])

    def nanjing_and_wuxi():
        run = ScoreRun.objects.get(scheme=schemes["jiangsu"], month=2, is_current=True)
        return {s.branch.code: s.detail["totals"]["sl_nonbank_checked"] for s in run.branch_scores.select_related("branch")}

    before = nanjing_and_wuxi()
    jiangning = MonthlyFigure.objects.filter(branch__code="jiangning", component__code="sl_nonbank_checked", month__month__lte=2)
    moved = sum(f.value for f in jiangning)
    with django_capture_on_commit_callbacks(execute=True):
        branch_tree_load(rows=[{"code": "jiangning", "name": "江宁支公司", "level": "county", "parent": "wuxi"}])
        assert set(RecomputeRequest.objects.filter(done_at=None).values_list("scheme__code", "branches")) == {
            (s.code, None) for s in schemes.values()
        }
    after = nanjing_and_wuxi()
    assert Decimal(after["wuxi"]) == Decimal(before["wuxi"]) + moved and Decimal(after["nanjing"]) == Decimal(before["nanjing"]) - moved

    jiangning = Branch.objects.get(code="jiangning")
    form = {"code": "jiangning", "name": "江宁支公司", "level": "county", "parent": company["nanjing"].pk, "sort_order": 1}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["admin"]).post(f"/admin/branches/branch/{jiangning.pk}/change/", form)
    assert response.status_code == 302 and nanjing_and_wuxi() == before
    with django_capture_on_commit_callbacks(execute=True):  # a change of name alone moves nothing
        client_for(users["admin"]).post(f"/admin/branches/branch/{jiangning.pk}/change/", {**form, "name": "江宁"})
    assert Branch.objects.get(pk=jiangning.pk).name == "江宁" and not RecomputeRequest.objects.filter(done_at=None).exists()


def test_a_change_that_does_not_say_where_rereads_everything(schemes, figure, monkeypatch, django_capture_on_commit_callbacks):
    _month_figures(figure, [1])
    services.recompute_pending(scheme=schemes["jiangsu"], months=[1])
    calls = []
    monkeypatch.setattr(selectors, "_kept_totals", lambda *a: calls.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        services.recompute_for_figure_change(year=2023, month=1)
    assert calls == [] and ScoreRun.objects.filter(scheme=schemes["jiangsu"], month=1, is_current=True).exists()

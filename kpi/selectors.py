"""Reads for the kpi app: scheme versions, window figures, current runs and league tables."""

import bisect
import datetime
import functools
import operator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, Q, Sum, Value, When, prefetch_related_objects
from django.db.models.functions import Cast, ExtractMonth, Round

from branches.models import Branch, path_codes, path_prefixes
from complaints.selectors import derived_component_counts, derived_component_figures
from core.bulk import raw_values
from kpi.choices import SchemeStatus, Source
from kpi.models import (
    BranchScore,
    Component,
    Deduction,
    LockedDerivedFigure,
    MonthlyFigure,
    MonthlySubmission,
    QualitativeScore,
    Scheme,
    ScoreRun,
    SubmissionStatus,
    TargetOverride,
    Veto,
)
from kpi.rules import scored_indicators, scored_indicators_of
from kpi.scoring.aggregation import window_totals
from kpi.scoring.decimals import ZERO, fmt
from kpi.scoring.league import DeductionEntry, LeagueInputs, QualitativeEntry, explain_cells


def scheme_get(*, code: str) -> Scheme:
    return Scheme.objects.select_related("province").get(code=code)


def scheme_default() -> Scheme | None:
    """The newest scheme that has a published version."""
    return published_schemes().order_by("-year", "code").first()


def published_schemes():
    """The schemes with a published version (each once)."""
    return Scheme.objects.filter(versions__status=SchemeStatus.PUBLISHED).distinct()


def scored_branches(*, scheme: Scheme):
    """The branches a scheme scores: its level, under its owner (a province, or head office for the provinces)."""
    return Branch.objects.subtree(scheme.province).filter(level=scheme.level).order_by("sort_order", "code")


def ancestor_paths(*, branch_ids) -> set[str]:
    """The paths of these branches and of every branch above them: the owners whose schemes read their figures."""
    paths = set()
    for path in Branch.objects.filter(pk__in=list(branch_ids)).values_list("path", flat=True):
        paths.update(path_prefixes(path))
    return paths


def scheme_figures(*, scheme: Scheme, year: int, month: int) -> pd.DataFrame:
    """`window_figures` of January..month for the scheme's scored branches, each with its subtree's figures
    rolled up into it (Σ of the components, never an average of rates)."""
    tree = _Tree()
    owners = tree.owned(tree.scored(scheme))
    return _ByBranch(window_figures(branch_ids=tree.ids(owners), year=year, month=month)).rolled_up(owners)


def branch_figures(*, branch: Branch, year: int, month: int, first: int = 1) -> pd.DataFrame:
    """`window_figures` of one scored branch with its subtree's rolled up into it (of months first..month)."""
    ids = list(Branch.objects.subtree(branch).values_list("pk", flat=True))
    figures = window_figures(branch_ids=ids, year=year, month=month, first=first)
    if not figures.empty:
        figures["branch"] = branch.code
    return figures


def window_months(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, month, 1)


# A month under review (draft, submitted or returned) does not count until the office approves it;
# months with no review record (loaded or imported figures) count as they are.
_unapproved_month = MonthlySubmission.objects.filter(
    branch_id=OuterRef("branch_id"), month=OuterRef("month")
).exclude(status=SubmissionStatus.APPROVED)


def window_figures(*, branch_ids, year: int, month: int, components=None, first: int = 1) -> pd.DataFrame:
    """Monthly figures of January (or month `first`)..month of a year: columns branch (code), component, month,
    value; only the components of `components` if given."""
    return windows_columns(branch_ids=branch_ids, month=month, wanted={year: components}, first=first)[year].frame()


FIGURE_COLUMNS = ["branch", "component", "month", "value"]
# MonthlyFigure.value's (and LockedDerivedFigure.value's) decimal places: every value read from them has exactly
# these (PostgreSQL's numeric(18, 4) prints them, Django quantizes SQLite's to them); a count of cases has none.
FIGURE_PLACES = MonthlyFigure._meta.get_field("value").decimal_places
FIGURE_SCALE = 10**FIGURE_PLACES


@dataclass(frozen=True)
class FigureColumns:
    """A window's figures as columns, row by row: the branch's id, its component (an index into `components`), the
    month's number, and the value as an integer of `places` decimal places (value = units × 10^-places). The
    recompute sums these without making a Decimal of each figure (_Sums); `frame()` is the same rows as Decimals."""

    year: int
    components: tuple[str, ...]
    branch: np.ndarray
    component: np.ndarray
    month: np.ndarray
    units: np.ndarray
    places: np.ndarray

    def __len__(self) -> int:
        return len(self.branch)

    @classmethod
    def of(cls, year: int, rows: list[tuple[int, int, int, int, int]], code_of: dict[int, str]) -> "FigureColumns":
        """From (branch id, component id, month number, units, places) rows; `code_of`: component id → code.
        Units hold in int64 (a value of MonthlyFigure's 18 digits, a count of cases); a sum of months beyond it
        comes as Python ints."""
        table = np.array([(b, c, m, p) for b, c, m, _, p in rows], dtype=np.int64).reshape(-1, 4)
        units = [row[3] for row in rows]
        try:
            units = np.array(units, dtype=np.int64)
        except OverflowError:  # a sum of months beyond int64 (_Sums adds Python ints then)
            units = np.array(units, dtype=object)
        ids, component = np.unique(table[:, 1], return_inverse=True)
        codes = [code_of[i] for i in ids.tolist()]
        order = sorted(range(len(codes)), key=codes.__getitem__)  # components in code order
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return cls(year, tuple(codes[i] for i in order), table[:, 0], rank[component.reshape(-1)], table[:, 2], units, table[:, 3])

    def frame(self) -> pd.DataFrame:
        """Columns branch (code), component, month (date), value (Decimal, with its places)."""
        if not len(self):
            return pd.DataFrame(columns=FIGURE_COLUMNS)
        codes = dict(Branch.objects.filter(pk__in=set(self.branch.tolist())).values_list("pk", "code"))
        months = {m: datetime.date(self.year, m, 1) for m in set(self.month.tolist())}
        frame = pd.DataFrame({
            "branch": [codes[b] for b in self.branch.tolist()],
            "component": [self.components[c] for c in self.component.tolist()],
            "month": [months[m] for m in self.month.tolist()],
            "value": [Decimal(u).scaleb(-p) for u, p in zip(self.units.tolist(), self.places.tolist(), strict=True)],
        })
        frame["value"] = frame["value"].astype(object)
        return frame


def windows_columns(
    *, branch_ids, month: int, wanted: dict[int, set | None], first: int = 1, merge_through: int | None = None, derived: bool = True
) -> dict[int, FigureColumns]:
    """`window_figures` as columns (FigureColumns) of January (or month `first`)..month of several years ({year: its
    components, None for all}): the entered figures in months that count, one query a year, and the derived ones
    (_derived_rows) of all the years together (one scan per date field).

    `merge_through`: for a reader of windows that all end in that month or later (kpi.selectors._Sums), the months
    first..merge_through come as one row per branch and component, labelled with the first of them, summed by the
    database (a window of December reads ~80,000 sums, not ~520,000 figures); a month whose derived figures some
    branch read has locked stays apart (its live counts give way to the locked ones, month by month).
    `derived=False`: the entered figures only (the caller has the derived ones)."""
    if not wanted:
        return {}
    code_of = dict(Component.objects.values_list("pk", "code"))
    pk_of = {code: pk for pk, code in code_of.items()}
    merged = frozenset(range(first, merge_through + 1)) if merge_through and merge_through > first else frozenset()
    rows = {
        year: _entered_rows(
            branch_ids=branch_ids, start=datetime.date(year, first, 1), end=datetime.date(year, month, 1),
            components=components, merged=merged,
        )
        for year, components in wanted.items()
    }
    codes = _derived_codes() if derived else set()
    asked = set().union(*(codes if c is None else codes & set(c) for c in wanted.values()))
    if asked:
        start, end = datetime.date(min(wanted), first, 1), datetime.date(max(wanted), month, 1)
        for b, c, m, units, places in _derived_rows(branch_ids=branch_ids, start=start, end=end, components=asked, pk_of=pk_of, merged=merged):
            components = wanted.get(m.year, ())
            if first <= m.month <= month and (components is None or code_of[c] in components):
                rows[m.year].append((b, c, m.month, units, places))
    return {year: FigureColumns.of(year, rows[year], code_of) for year in wanted}


def _entered_rows(*, branch_ids, start, end, components=None, merged=frozenset()) -> list[tuple[int, int, int, int, int]]:
    """The entered figures of months start..end that count (their month approved, or never reviewed), as
    FigureColumns rows (branch id, component id, month number, units, places); those of the `merged` month
    numbers summed into one row labelled with the first of them."""
    entered = MonthlyFigure.objects.filter(branch_id__in=branch_ids, month__range=(start, end), component__source=Source.ENTERED)
    if components is not None:
        entered = entered.filter(component__code__in=list(components))
    entered = entered.exclude(Exists(_unapproved_month))
    # the value as an integer of FIGURE_PLACES places, made by the database (exact: numeric on PostgreSQL; SQLite
    # keeps a decimal as a float, which ROUND brings back to its 4 places)
    units = Cast(Round(F("value") * FIGURE_SCALE), BigIntegerField())
    # summed by PostgreSQL, whose SUM of bigints is a numeric; SQLite's would overflow past 2^63 (twelve months of
    # figures near MonthlyFigure's 18 digits), so it hands over every month and _Sums adds them up
    if merged and connection.vendor == "postgresql":
        dates = [datetime.date(start.year, m, 1) for m in sorted(merged)]
        month = Case(When(month__in=dates, then=Value(min(merged))), default=ExtractMonth("month"))
        read = entered.annotate(m=month).values("branch_id", "component_id", "m").annotate(u=Sum(units)).order_by()
    else:
        read = entered.annotate(m=ExtractMonth("month"), u=units)
    return [(b, c, int(m), int(u), FIGURE_PLACES) for b, c, m, u in raw_values(read.values_list("branch_id", "component_id", "m", "u"))]


def _derived_rows(*, branch_ids, start, end, components, pk_of: dict[str, int], merged=frozenset()) -> list[tuple[int, int, datetime.date, int, int]]:
    """The derived components of `components` of months start..end, as FigureColumns rows but with the month's date:
    as the complaints app counts them now, except in approved months, which keep the values locked when they were
    approved (a later case change waits as a correction). Of the `merged` month numbers, those no branch locked
    come as one row labelled with the first of them."""
    locked_keys = locked_months(branch_ids=branch_ids, start=start, end=end)
    merged = merged - {m.month for _, m in locked_keys}
    live = derived_component_counts(branch_ids=branch_ids, start=start, end=end, components=components, merged=merged)
    rows = [(b, pk_of[c], m, n, 0) for (b, c, m), n in live.items()]
    if not locked_keys:
        return rows
    # A month locked for a branch covers the cases of its whole subtree: a live count of a branch below a
    # locked one (read when figures roll up) gives way to the lock too.
    path_of = dict(Branch.objects.filter(pk__in={*branch_ids, *(b for b, _ in locked_keys)}).values_list("pk", "path"))
    locked_at = {(path_of[b], m) for b, m in locked_keys}
    rows = [r for r in rows if not any((p, r[2]) in locked_at for p in path_prefixes(path_of[r[0]]))]
    locked = LockedDerivedFigure.objects.filter(branch_id__in=branch_ids, month__range=(start, end), component__code__in=list(components))
    for b, c, m, v in locked.filter(_locked_month).values_list("branch_id", "component_id", "month", "value"):
        rows.append((b, c, m, int(v * FIGURE_SCALE), FIGURE_PLACES))
    return rows


def _derived_codes(components=None) -> set[str]:
    codes = set(Component.objects.filter(source=Source.DERIVED).values_list("code", flat=True))
    return codes if components is None else codes & set(components)


def live_derived_figures(*, branch_ids, start, end, components=None) -> pd.DataFrame:
    """The derived components (those of `components` if given) as the complaints app counts them from the cases now."""
    derived_codes = _derived_codes(components)
    if not derived_codes:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    return derived_component_figures(branch_ids=branch_ids, start=start, end=end, components=derived_codes)


# An approved month whose complaint-derived components were locked at approval.
_locked_month = Exists(
    MonthlySubmission.objects.filter(
        branch_id=OuterRef("branch_id"), month=OuterRef("month"), status=SubmissionStatus.APPROVED,
        derived_locked_at__isnull=False,
    )
)


def locked_months(*, branch_ids, start, end) -> set[tuple[int, datetime.date]]:
    """(branch id, month) of the approved months in start..end whose derived components are locked."""
    return set(
        MonthlySubmission.objects.filter(
            branch_id__in=branch_ids, month__range=(start, end), status=SubmissionStatus.APPROVED,
            derived_locked_at__isnull=False,
        ).values_list("branch_id", "month")
    )


def component_names() -> dict[str, str]:
    return dict(Component.objects.values_list("code", "name"))


def qualitative_as_of(*, scheme: Scheme, month: int) -> dict[int, dict[str, QualitativeScore]]:
    """Each branch's latest score per qualitative item given in months 1..month."""
    out: dict[int, dict[str, QualitativeScore]] = {}
    for s in QualitativeScore.objects.filter(scheme=scheme, month__lte=month).order_by("month"):
        out.setdefault(s.branch_id, {})[s.item_code] = s
    return out


def current_run(*, scheme: Scheme, month: int) -> ScoreRun | None:
    return ScoreRun.objects.filter(scheme=scheme, month=month, is_current=True).select_related("version").first()


def latest_current_run(*, scheme: Scheme) -> ScoreRun | None:
    return ScoreRun.objects.filter(scheme=scheme, is_current=True).order_by("-month").select_related("version").first()


def run_branch_scores(*, run: ScoreRun):
    """The run's rows in rank order, each with its indicator scores (BranchScore.cells)."""
    return run.branch_scores.select_related("branch")


def cell_explanations(*, run: ScoreRun, branch_scores) -> dict[int, dict[str, dict]]:
    """Every indicator's explanation of each branch score, {branch score id: {indicator code: explanation}}.

    Runs keep the inputs, not the explanations (a national run would otherwise write ~80,000 of them): each one is
    rendered here by the Decimal engine from the branch's kept component totals and the run's exact targets
    (kpi.scoring.league.explain_cells), the same text a fully explained run gives. Runs written before kept
    their explanations; those are returned as stored.
    """
    out, context = {}, None
    for score in branch_scores:
        cells = score.cell_list()
        if cells and all("steps" in c.explanation for c in cells):
            out[score.pk] = {c.indicator_code: c.explanation for c in cells}
            continue
        if context is None:
            context = (tuple(scored_indicators(run.version)), component_names(), _exact_targets(run))
        indicators, names, targets = context
        code = score.branch.code
        inputs = LeagueInputs(
            indicators=indicators, totals=_one_row(code, score.detail.get("totals")),
            previous_totals=_one_row(code, score.detail.get("previous_totals")), branches=(code,), component_names=names,
        )
        points = {c.indicator_code: c.points for c in cells}
        out[score.pk] = {
            indicator: {**explanation, "points": fmt(points[indicator], 2)}
            for indicator, explanation in explain_cells(inputs, code, targets).items() if indicator in points
        }
    return out


def cell_explanation(*, run: ScoreRun, score: BranchScore, indicator_code: str) -> dict:
    """One cell's explanation (`cell_explanations` of one branch score)."""
    return cell_explanations(run=run, branch_scores=[score])[score.pk].get(indicator_code, {})


def _exact_targets(run: ScoreRun) -> dict[str, dict]:
    def exact(t):
        text = t.get("exact", t["value"])
        return None if text is None else Decimal(text)

    return {code: {"value": exact(t), "source": t["source"]} for code, t in run.targets.items()}


def _one_row(code: str, totals: dict | None) -> pd.DataFrame:
    if not totals:
        return pd.DataFrame(dtype=object)
    return pd.DataFrame([{c: Decimal(v) for c, v in totals.items()}], index=[code], dtype=object)


def computed_months(*, scheme: Scheme) -> list[int]:
    """The window ends that have a current run."""
    return sorted(ScoreRun.objects.filter(scheme=scheme, is_current=True).values_list("month", flat=True))


def league_inputs(
    *, scheme: Scheme, month: int, version=None, figures: pd.DataFrame | None = None, previous_figures: pd.DataFrame | None = None
) -> LeagueInputs:
    """Everything the league table of 1..month is computed from, as plain data (kpi.scoring.league).

    `version` defaults to the version in force; `figures` replaces the window's stored figures of this year (the
    monthly form's preview passes them with the typed month in place), `previous_figures` those of last year.
    """
    version = version or scheme.version_in_force()
    return league_inputs_by_scheme(
        schemes=[(scheme, version)], months=[month], given={scheme.year: figures, scheme.year - 1: previous_figures}
    )[scheme.pk][month]


def league_inputs_by_month(*, scheme: Scheme, months, version=None) -> dict[int, LeagueInputs]:
    """`league_inputs` of several windows of a scheme from one read of the figures (`league_inputs_by_scheme`)."""
    return league_inputs_by_scheme(schemes=[(scheme, version or scheme.version_in_force())], months=months)[scheme.pk]


def league_inputs_by_scheme(*, schemes, months, given=None, changed=None) -> dict[int, dict[int, LeagueInputs]]:
    """`league_inputs` of windows ending in `months` for many (scheme, version) pairs, by scheme id and month.

    One read of the figures of every branch the schemes reach, per year (this one and the one before), rolled up
    to each scheme's scored branches; window N is window N−1 plus month N (_Sums); the office's inputs
    (overrides, qualitative scores, deductions, vetoes) of all the schemes in one query each. Its cost grows with
    the rows read, not with the number of schemes. `given` (one scheme only) maps a year to figures that replace
    that year's read (None: read it).

    `changed` ({scheme id: kpi.outbox.Change, the branches whose figures changed}) makes those schemes read only
    the scored branches at or above a changed branch; every other scored branch keeps the totals its window's
    current run kept (`_kept_totals`), when every window has such a run of the same branches (otherwise all is
    read). When only entered figures changed, for every scheme of a year, the complaint-derived totals of the
    branches read again are kept too, and the complaints are not counted.
    """
    given = {year: f for year, f in (given or {}).items() if f is not None}
    months = sorted(set(months))
    prefetch_related_objects([version for _, version in schemes], "qualitative_items")
    indicators_of = scored_indicators_of([version.pk for _, version in schemes])
    # every figure given (the monthly form's preview): only the scored branches are needed, not the whole tree
    every_given = bool(given) and all({scheme.year, scheme.year - 1} <= set(given) for scheme, _ in schemes)
    tree = _Tree.scored_only([scheme for scheme, _ in schemes]) if every_given else _Tree()
    scored = {scheme.pk: tree.scored(scheme) for scheme, _ in schemes}
    changed, kept = changed or {}, {}
    for scheme, _ in schemes:
        if changed.get(scheme.pk) is not None and not given:
            found = _kept_totals(scheme, months, scored[scheme.pk], tree, changed[scheme.pk].branches)
            if found is not None:
                kept[scheme.pk] = found
    read_of = {pk: [b for b in branches if pk not in kept or b[1] in kept[pk].read] for pk, branches in scored.items()}
    owners = {scheme.pk: tree.owned(read_of[scheme.pk]) for scheme, _ in schemes}
    reached = {code for mapping in owners.values() for code in mapping}
    extras = _office_inputs([scheme for scheme, _ in schemes], months[-1])
    names = component_names()
    out = {}
    for year in sorted({scheme.year for scheme, _ in schemes}):
        of_year = [(s, v) for s, v in schemes if s.year == year]
        # last year is read only for what it is scored on: the components of the year-on-year indicators
        wanted = {year: None, year - 1: {c for _, v in of_year for i in indicators_of[v.pk] if i.spec.target_kind == "year_on_year" for c in i.inputs.components}}
        # only entered figures changed for every scheme of the year: the branches read again keep their derived totals
        keeps = all(s.pk in kept and changed[s.pk].entered_only and kept[s.pk].read_kept for s, _ in of_year)
        derived_kept = _derived_codes() if keeps else set()
        columns = windows_columns(
            branch_ids=tree.ids(reached), month=months[-1], wanted={y: c for y, c in wanted.items() if y not in given},
            merge_through=months[0], derived=not derived_kept,
        )
        read = {y: _Sums(figures, tree, months[-1], reached) for y, figures in columns.items()}
        for scheme, version in of_year:
            codes = [code for _, code, _ in read_of[scheme.pk]]
            totals = {y: {m: sums.window(codes, m) for m in months} for y, sums in read.items()}
            totals.update({y: dict.fromkeys(months, window_totals(f)) for y, f in given.items()})
            if scheme.pk in kept:
                for y, key in ((year, "totals"), (year - 1, "previous_totals")):
                    totals[y] = {m: _with_kept(totals[y][m], kept[scheme.pk].rows(m, key, derived_kept)) for m in months}
            branches = scored[scheme.pk]
            indicators = indicators_of[version.pk]
            items = {q.code: q for q in version.qualitative_items.all()}
            out[scheme.pk] = {
                m: _window_inputs(scheme, m, branches, indicators, items, names, extras, totals[year][m], totals[year - 1][m])
                for m in months
            }
    return out


@dataclass(frozen=True)
class _Kept:
    """What a scheme's current runs kept of its windows, for a recompute after some branches' figures changed."""

    read: set[str]  # the scored branches at or above a changed branch: read again
    details: dict[int, dict[str, dict]]  # {month: {scored branch: its run's detail}}

    @property
    def read_kept(self) -> bool:
        """Whether every window's run kept the totals of every branch read again (not so for a branch that has
        become scored since): only then can their complaint-derived totals come from the runs."""
        return all(code in details for details in self.details.values() for code in self.read)

    def rows(self, month: int, key: str, derived: set[str]) -> dict[str, dict | None]:
        """The kept totals (`key`: "totals" or "previous_totals") that a window's fresh read lacks: every other
        branch's, and the `derived` components' of the branches read again (when their entered figures alone were)."""
        out = {}
        for code, detail in self.details[month].items():
            if code not in self.read:
                out[code] = detail[key]
            elif derived and detail[key]:
                out[code] = {c: v for c, v in detail[key].items() if c in derived}
        return out


def _kept_totals(scheme, months, scored, tree: "_Tree", changed_ids) -> _Kept | None:
    """For a recompute after the figures of `changed_ids` changed: the windows' current runs' details; None when a
    window has no current run, or one of other branches, or of before runs kept their totals
    (kpi.services._write_runs)."""
    runs = dict(ScoreRun.objects.filter(scheme=scheme, month__in=months, is_current=True).values_list("pk", "month"))
    if sorted(runs.values()) != list(months):
        return None
    changed = [tree.by_pk[pk][0] for pk in changed_ids if pk in tree.by_pk]
    affected = {code for _, code, path in scored if any(p.startswith(path) for p in changed)}
    codes = {code for _, code, _ in scored}
    stored: dict[int, dict[str, dict]] = {m: {} for m in months}
    for run_id, code, detail in BranchScore.objects.filter(run_id__in=list(runs)).values_list("run_id", "branch__code", "detail"):
        if "totals" not in detail:
            return None
        stored[runs[run_id]][code] = detail
    if any(set(stored[m]) | affected != codes for m in months):  # a run of other branches than the scheme's now
        return None
    return _Kept(affected, stored)


def _with_kept(fresh: pd.DataFrame, kept: dict[str, dict | None]) -> pd.DataFrame:
    """A window's totals: the rows read again (`fresh`) with the kept rows ({branch: {component: text} or None
    for a branch with no figures}) added, as one read of every branch gives them: rows and columns sorted, a
    cell no figure reached ZERO, a column no figure reached absent. Such a cell is the only total written "0"
    (a Σ of figures keeps their 4 places, MonthlyFigure.value; a count of cases is never 0). A branch in both
    has the kept components that its fresh row lacks (the derived ones, when only entered figures were read)."""
    rows = {code: kept_decimals(t) for code, t in kept.items() if t}
    columns = fresh.columns.tolist()
    for code, values in zip(fresh.index.tolist(), fresh.to_numpy().tolist(), strict=True):
        rows[code] = {**rows.get(code, {}), **dict(zip(columns, values, strict=True))}
    if not rows:
        return pd.DataFrame(dtype=object)
    codes = sorted(rows)
    components = sorted({c for row in rows.values() for c in row})
    reached = [c for c in components if any(not _unreached(rows[code].get(c, ZERO)) for code in codes)]
    values = [[rows[code].get(c, ZERO) for c in reached] for code in codes]
    return pd.DataFrame(values, index=pd.Index(codes, name="branch"), columns=reached, dtype=object)


def kept_decimals(totals: dict[str, str] | None) -> dict[str, Decimal]:
    """A branch's totals as a run kept them (text), as Decimals, without the cells no figure reached (kept "0")."""
    return {c: Decimal(v) for c, v in (totals or {}).items() if v != "0"}


def _unreached(value: Decimal) -> bool:
    return value == ZERO and value.as_tuple().exponent == 0


class _Tree:
    """The whole branch tree in memory, sorted by path: a subtree is one contiguous slice (bisect), so finding
    what many schemes score and read costs the size of their subtrees, not the tree times the schemes."""

    FIELDS = ("path", "pk", "code", "level", "sort_order")

    def __init__(self, branches=None):
        """`branches`: the part of the tree to hold (default: all of it)."""
        self.rows = sorted((branches if branches is not None else Branch.objects.all()).values_list(*self.FIELDS))
        self.paths = [row[0] for row in self.rows]
        self.by_pk = {row[1]: row for row in self.rows}
        self.by_code = {row[2]: row for row in self.rows}

    @classmethod
    def scored_only(cls, schemes) -> "_Tree":
        """The schemes' owners and the branches they score: enough for `scored`, not for reading figures."""
        owners = dict(Branch.objects.filter(pk__in={s.province_id for s in schemes}).values_list("pk", "path"))
        scored = functools.reduce(operator.or_, (Q(path__startswith=owners[s.province_id], level=s.level) for s in schemes))
        return cls(Branch.objects.filter(scored | Q(pk__in=list(owners))))

    def subtree(self, path: str):
        return self.rows[bisect.bisect_left(self.paths, path) : bisect.bisect_left(self.paths, path + "\U0010ffff")]

    def scored(self, scheme) -> list[tuple[int, str, str]]:
        """(id, code, path) of the branches the scheme scores, in the table's order: its level, under its owner."""
        rows = [(order, code, pk, path) for path, pk, code, level, order in self.subtree(self.by_pk[scheme.province_id][0]) if level == scheme.level]
        return [(pk, code, path) for order, code, pk, path in sorted(rows)]

    def owned(self, scored) -> dict[str, str]:
        """The code of every branch at or under a scored branch → that scored branch's code (the roll-up)."""
        out = {}
        for _, code, path in sorted(scored, key=lambda b: len(b[2])):  # nearest scored ancestor wins
            for row in self.subtree(path):
                out[row[2]] = code
        return out

    def ids(self, codes) -> list[int]:
        return [self.by_code[code][1] for code in codes]


class _Sums:
    """Σ of each component of a year's figures for every branch over its whole subtree (the roll-up), month by
    month and then running across the months (window N = window N−1 + month N): one pass over the rows however
    many schemes read them, each scheme's window a slice. Exact: integers on each component's decimal scale,
    and each cell keeps the exponent a Σ of its Decimals has, so the totals are the very Decimals (digits and
    exponent) a Σ of the rows gives (`window_totals`)."""

    def __init__(self, figures: FigureColumns, tree: "_Tree", last: int, codes=None):
        """`codes`: the branches read (default: the whole tree); a subtree is only summed within them."""
        rows = tree.rows if codes is None else sorted(tree.by_code[code] for code in codes)
        self.position = {row[2]: n for n, row in enumerate(rows)}
        self.components = list(figures.components)
        shape = (len(rows), len(self.components), last)
        self.counts = np.zeros(shape, dtype=np.int64)
        self.places = np.zeros(shape, dtype=np.int64)
        self.scale = dict.fromkeys(self.components, 0)
        if not len(figures):
            self.sums = np.zeros(shape, dtype=np.int64)
            return
        # every value on its component's scale: the most places any of its figures has
        scales = np.zeros(len(self.components), dtype=np.int64)
        np.maximum.at(scales, figures.component, figures.places)
        self.scale = dict(zip(self.components, scales.tolist(), strict=True))
        shift = scales[figures.component] - figures.places
        ints = figures.units
        if shift.any():
            ints = ints.astype(object) * np.array([10**k for k in shift.tolist()], dtype=object)
        wide = max(abs(int(ints.max())), abs(int(ints.min()))) * len(ints) >= 2**62  # a Σ that int64 might not hold
        ints = ints.astype(object if wide else np.int64)
        row_of = {tree.by_code[code][1]: n for code, n in self.position.items()}
        at_row = np.full(max(row_of) + 1, -1, dtype=np.int64)
        at_row[list(row_of)] = list(row_of.values())
        at = (at_row[figures.branch], figures.component, figures.month - 1)
        if (at[0] < 0).any():
            raise ValueError("figures of a branch that was not read")
        self.sums = np.zeros(shape, dtype=object if wide else np.int64)
        np.add.at(self.sums, at, ints)
        np.add.at(self.counts, at, 1)
        np.maximum.at(self.places, at, figures.places)
        # each branch's subtree: the deepest branches first, each level added into its parents
        parent = np.array([self.position.get(_parent_code(row[0]), -1) for row in rows], dtype=np.int64)
        depth = np.array([row[0].count("/") for row in rows])
        for level in sorted(set(depth.tolist()), reverse=True):
            rows = np.flatnonzero((depth == level) & (parent >= 0))
            for target, array, add in ((parent[rows], self.sums, np.add), (parent[rows], self.counts, np.add), (parent[rows], self.places, np.maximum)):
                add.at(array, target, array[rows])
        self.sums = np.cumsum(self.sums, axis=2)
        self.counts = np.cumsum(self.counts, axis=2)
        self.places = np.maximum.accumulate(self.places, axis=2)

    def window(self, codes, month: int) -> pd.DataFrame:
        """`window_totals` of January..month for the branches `codes`, each over its subtree."""
        rows = sorted((code, self.position[code]) for code in codes)
        if not rows or not self.components:
            return pd.DataFrame(dtype=object)
        index = np.array([p for _, p in rows], dtype=np.int64)
        seen = self.counts[index, :, month - 1] > 0
        kept = seen.any(axis=1)
        if not kept.any():
            return pd.DataFrame(dtype=object)
        columns = np.flatnonzero(seen[kept].any(axis=0))
        index, seen = index[kept], seen[kept][:, columns]
        at = np.ix_(index, columns)
        sums, places = self.sums[:, :, month - 1][at], self.places[:, :, month - 1][at]
        # each Σ from its component's scale to the places its own figures have
        shift = np.array([self.scale[self.components[c]] for c in columns.tolist()], dtype=np.int64)[None, :] - places
        if shift.any():
            sums = sums // (10**shift).astype(sums.dtype)
        flat = [
            Decimal(n).scaleb(-p) if present else ZERO
            for n, p, present in zip(sums.ravel().tolist(), places.ravel().tolist(), seen.ravel().tolist(), strict=True)
        ]
        values = np.empty(sums.shape, dtype=object)
        values.ravel()[:] = flat
        codes = [code for (code, _), k in zip(rows, kept.tolist(), strict=True) if k]
        # object labels, as given: pandas would otherwise infer its string type for every small window's codes
        index, labels = pd.Index(codes, name="branch", dtype=object), pd.Index([self.components[c] for c in columns.tolist()], dtype=object)
        return pd.DataFrame(values, index=index, columns=labels, dtype=object)


def _parent_code(path: str) -> str | None:
    codes = path_codes(path)
    return codes[-2] if len(codes) > 1 else None


class _ByBranch:
    """A table of figures with its rows indexed by branch code, to take any set of branches' rows at once."""

    def __init__(self, figures: pd.DataFrame):
        self.figures = figures
        self.rows = figures.groupby("branch").indices if not figures.empty else {}

    def rolled_up(self, owners: dict[str, str]) -> pd.DataFrame:
        """The rows of the branches in `owners`, each put under the scored branch it rolls up to."""
        taken = [self.rows[code] for code in owners if code in self.rows]
        if not taken:
            return self.figures.iloc[0:0]
        rows = self.figures.iloc[np.sort(np.concatenate(taken))].copy()
        rows["branch"] = rows["branch"].map(owners)
        return rows


@dataclass
class _OfficeInputs:
    """The office's inputs of many schemes up to a month, read in one query each."""

    overrides: dict[tuple[int, int], dict[str, tuple[Decimal, str]]]
    qualitative: dict[int, list[QualitativeScore]]
    deductions: dict[int, list[Deduction]]
    vetoes: dict[int, list[Veto]]


def _office_inputs(schemes, month: int) -> _OfficeInputs:
    ids = [s.pk for s in schemes]
    extras = _OfficeInputs({}, {}, {}, {})
    for o in TargetOverride.objects.filter(scheme_id__in=ids, month__lte=month):
        extras.overrides.setdefault((o.scheme_id, o.month), {})[o.indicator_code] = (o.value, o.reason)
    for q in QualitativeScore.objects.filter(scheme_id__in=ids, month__lte=month).order_by("month", "pk"):
        extras.qualitative.setdefault(q.scheme_id, []).append(q)
    for d in Deduction.objects.filter(scheme_id__in=ids, month__lte=month).order_by("pk"):
        extras.deductions.setdefault(d.scheme_id, []).append(d)
    for v in Veto.objects.filter(scheme_id__in=ids, month__lte=month).order_by("month", "pk"):
        extras.vetoes.setdefault(v.scheme_id, []).append(v)
    return extras


def _window_inputs(scheme, month, branches, indicators, items, names, extras: _OfficeInputs, totals, previous_totals) -> LeagueInputs:
    code_of = {pk: code for pk, code, _ in branches}
    latest: dict[int, dict[str, QualitativeScore]] = {}
    for q in extras.qualitative.get(scheme.pk, ()):
        if q.month <= month:
            latest.setdefault(q.branch_id, {})[q.item_code] = q
    deductions: dict[str, list[DeductionEntry]] = {}
    for d in extras.deductions.get(scheme.pk, ()):
        if d.month <= month and d.branch_id in code_of:
            deductions.setdefault(code_of[d.branch_id], []).append(DeductionEntry(points=d.points, month=d.month, reason=d.reason))
    return LeagueInputs(
        indicators=indicators,
        totals=totals,
        previous_totals=previous_totals,
        branches=tuple(code_of.values()),
        overrides=extras.overrides.get((scheme.pk, month), {}),
        component_names=names,
        qualitative=_qualitative_entries(latest, items, month, code_of),
        deductions={code: tuple(entries) for code, entries in deductions.items()},
        vetoes={
            code_of[v.branch_id]: v.reason for v in extras.vetoes.get(scheme.pk, ()) if v.month <= month and v.branch_id in code_of
        },
    )


def qualitative_entries(*, scheme, version, month, code_of: dict[int, str]) -> dict[str, tuple[QualitativeEntry, ...]]:
    """Each branch's latest qualitative scores of the version's items that count in a window ending in `month`."""
    items = {q.code: q for q in version.qualitative_items.all()}
    return _qualitative_entries(qualitative_as_of(scheme=scheme, month=month), items, month, code_of)


def _qualitative_entries(latest, items, month, code_of) -> dict[str, tuple[QualitativeEntry, ...]]:
    out = {}
    for branch_id, scores in latest.items():
        if branch_id not in code_of:
            continue
        out[code_of[branch_id]] = tuple(
            QualitativeEntry(
                item=code, name=items[code].name, score=s.score, max_points=items[code].max_points,
                order=items[code].order, unpublished=s.unpublished, reason=s.reason,
            )
            for code, s in scores.items() if code in items and items[code].counts_in(month)
        )
    return out

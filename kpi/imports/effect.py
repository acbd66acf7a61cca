"""What an import would do to the live league table: every branch's score and rank before → after, from the real engine.

The window is the latest month the import touches in the scheme's year (1–N月). Before is the league of the
stored figures; after, the same inputs with the import's months in place (as they will count once the months
are approved: the office's imports approve them, a branch's await review). Both go through
`kpi.selectors.league_inputs` and `kpi.scoring.league.league_assemble`, the two the runs use.
"""

import datetime

import pandas as pd

from kpi import selectors as kpi_selectors
from kpi.choices import Source
from kpi.imports.validation import Entry
from kpi.models import MonthlyFigure, Scheme
from kpi.scoring.aggregation import window_totals
from kpi.scoring.decimals import fmt
from kpi.scoring.league import league_assemble
from kpi.templatetags.kpi_format import ytd_label


def with_months_replaced(figures: pd.DataFrame, months: pd.DataFrame, replaced: set[tuple[str, datetime.date]]) -> pd.DataFrame:
    """`figures` (branch, component, month, value) with every (branch, month) in `replaced` taken from `months` instead."""
    if not figures.empty and replaced:
        keys = pd.MultiIndex.from_arrays([figures["branch"], figures["month"]])
        figures = figures[~keys.isin(list(replaced))]
    frames = [f for f in (figures, months) if not f.empty]
    out = pd.concat(frames, ignore_index=True) if frames else months
    out["value"] = out["value"].astype(object)
    return out


def _months_after(entries: list[Entry], codes: dict[str, int], year: int, window: int) -> tuple[pd.DataFrame, set]:
    """The touched months of `year` up to the window as they will be: stored entered figures, then the import's values."""
    touched = {(e.branch, e.month) for e in entries if e.month.year == year and e.month.month <= window}
    if not touched:
        return pd.DataFrame(columns=["branch", "component", "month", "value"]), touched
    by_id = {pk: code for code, pk in codes.items()}
    stored = MonthlyFigure.objects.filter(
        branch_id__in={codes[b] for b, _ in touched}, month__in={m for _, m in touched}, component__source=Source.ENTERED
    ).values_list("branch_id", "component__code", "month", "value")
    values = {(by_id[b], c, m): v for b, c, m, v in stored if (by_id.get(b), m) in touched}
    for e in entries:
        if (e.branch, e.month) in touched:
            values[(e.branch, e.component, e.month)] = e.new
    rows = [(b, c, m, v) for (b, c, m), v in values.items()]
    return pd.DataFrame(rows, columns=["branch", "component", "month", "value"]), touched


def league_effect(*, scheme: Scheme, entries: list[Entry], codes: dict[str, int]) -> dict:
    """Score and rank per branch before → after the import, for the window the import reaches; {} if it touches none."""
    this_year = [e.month.month for e in entries if e.month.year == scheme.year]
    last_year = [e.month.month for e in entries if e.month.year == scheme.year - 1]
    if not this_year and not last_year:
        return {}
    computed = kpi_selectors.computed_months(scheme=scheme)
    window = max(this_year) if this_year else max([*computed, max(last_year)])
    branches = list(kpi_selectors.scored_branches(scheme=scheme))
    ids = [b.pk for b in branches]
    names = {b.code: b.name for b in branches}
    inputs = kpi_selectors.league_inputs(scheme=scheme, month=window)
    before = league_assemble(inputs).table
    current = kpi_selectors.window_figures(branch_ids=ids, year=scheme.year, month=window)
    previous = kpi_selectors.window_figures(branch_ids=ids, year=scheme.year - 1, month=window)
    now_months, now_touched = _months_after(entries, codes, scheme.year, window)
    prev_months, prev_touched = _months_after(entries, codes, scheme.year - 1, window)
    after = league_assemble(inputs.with_changes(
        totals=window_totals(with_months_replaced(current, now_months, now_touched)),
        previous_totals=window_totals(with_months_replaced(previous, prev_months, prev_touched)),
    )).table
    rows = []
    for code, row in after.iterrows():
        old = before.loc[code]
        rows.append({
            "branch": code, "branch_name": names[code],
            "total_before": fmt(old.total, 2), "rank_before": int(old["rank"]),
            "total_after": fmt(row.total, 2), "rank_after": int(row["rank"]),
            "delta": fmt(row.total - old.total, 2), "rank_change": int(old["rank"]) - int(row["rank"]),
        })
    return {
        "window": window, "label": ytd_label(window),
        "changed": sum(1 for r in rows if r["total_before"] != r["total_after"] or r["rank_change"]),
        "rows": rows,
    }

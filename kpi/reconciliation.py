"""Published-versus-computed: every difference between a journal's league table and ours, with its reason."""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from kpi.demo import read_csv
from kpi.models import ScoreRun

DATA = Path(__file__).resolve().parent / "data"


FIELD_LABELS = {"qualitative": "定性得分", "quantitative": "定量得分", "deduction": "减分", "total": "总分", "rank": "名次"}


@dataclass(frozen=True)
class Reference:
    """A published table shipped with a scheme's data (the journal's), and the window it covers."""

    month: int
    title: str


@dataclass
class Difference:
    branch: str
    branch_name: str
    field: str
    label: str
    published: str
    computed: str
    reason: str
    explained: bool

    @property
    def delta(self) -> Decimal:
        return Decimal(self.computed) - Decimal(self.published)


@dataclass
class Report:
    cells: int = 0
    cells_exact: int = 0
    cells_within: int = 0
    totals: int = 0
    totals_exact: int = 0
    ranks_exact: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.explained]

    def summary_lines(self) -> list[str]:
        within = self.cells - self.cells_exact
        return [
            f"指标得分：{self.cells_exact}/{self.cells} 完全一致，{within} 个有差异，其中 {self.cells_within} 个在容差内",
            f"总分：{self.totals_exact}/{self.totals} 一致；名次：{self.ranks_exact}/{self.totals} 一致",
            f"差异 {len(self.differences)} 处，其中未解释 {len(self.unexplained)} 处",
        ]


def published_dir(scheme_code: str) -> Path | None:
    path = DATA / scheme_code
    return path if (path / "published_ranking.csv").exists() else None


def _known(folder: Path) -> dict:
    return json.loads((folder / "known_discrepancies.json").read_text(encoding="utf-8"))


def reference_for(scheme_code: str) -> Reference | None:
    """The published reference of a scheme, if one ships with its data."""
    folder = published_dir(scheme_code)
    if folder is None:
        return None
    ref = _known(folder)["reference"]
    return Reference(int(ref["month"]), ref["title"])


@dataclass
class _Scored:
    """A branch's totals and indicator points as the comparison reads them."""

    name: str
    qualitative: Decimal
    quantitative: Decimal
    deductions: Decimal
    total: Decimal
    rank: int
    points: dict[str, Decimal]


def reconcile(run: ScoreRun, *, rows=None) -> Report:
    """Compare a run with the published reference of its window. Pages pass the rows of
    kpi.league.selectors.league_rows that the user may see (their cells are the user's scope), which limits
    the differences *and* the counts; without rows (the command line) every branch of the run is compared."""
    folder = published_dir(run.scheme.code)
    report = Report()
    reference = reference_for(run.scheme.code)
    if folder is None or reference is None or reference.month != run.month:
        return report
    known = _known(folder)
    names = dict(run.version.indicators.values_list("code", "name"))
    by_branch = {(r["branch"], r["field"]): r["reason"] for r in known["explained"] if "branch" in r}
    by_indicator = {r["indicator"]: r for r in known["explained"] if "indicator" in r}
    if rows is None:
        scores = {
            bs.branch.code: _Scored(bs.branch.name, bs.qualitative, bs.quantitative, bs.deductions, bs.total, bs.rank,
                                    {c.indicator_code: c.points for c in bs.cell_list()})
            for bs in run.branch_scores.select_related("branch")
        }
    else:
        scores = {
            r.code: _Scored(r.name, r.qualitative, r.quantitative, r.deductions, r.total, r.rank,
                            {c.code: c.points for c in r.cells if c is not None})
            for r in rows if r.visible
        }

    def add(code, fld, published, computed, reason, explained):
        label = names.get(fld.removeprefix("indicator:"), fld) if fld.startswith("indicator:") else FIELD_LABELS[fld]
        report.differences.append(Difference(code, scores[code].name, fld, label, published, computed, reason, explained))

    for row in read_csv(folder / "published_indicator_values_and_scores.csv"):
        bs = scores.get(row["branch"])
        if bs is None:
            continue
        computed = bs.points.get(row["indicator"], Decimal(0))
        published = Decimal(row["published_score"])
        report.cells += 1
        if computed == published:
            report.cells_exact += 1
            continue
        rule = by_indicator.get(row["indicator"])
        within = rule is not None and abs(computed - published) <= Decimal(rule["tolerance"])
        report.cells_within += within
        add(row["branch"], f"indicator:{row['indicator']}", f"{published:.2f}", f"{computed:.2f}",
            rule["reason"] if within else "未解释的差异", within)
    for row in read_csv(folder / "published_ranking.csv"):
        bs = scores.get(row["branch"])
        if bs is None:
            continue
        report.totals += 1
        for fld, computed in (("qualitative", bs.qualitative), ("quantitative", bs.quantitative),
                              ("deduction", bs.deductions), ("total", bs.total), ("rank", Decimal(bs.rank))):
            published = Decimal(row[fld])
            same = computed == published
            if fld == "total":
                report.totals_exact += same
            if fld == "rank":
                report.ranks_exact += same
            reason = by_branch.get((row["branch"], "deductions" if fld == "deduction" else fld))
            if not same or (fld == "qualitative" and reason):
                add(row["branch"], fld, f"{published:f}", f"{computed:f}", reason or "未解释的差异", reason is not None)
    first = known.get("first", [])
    report.differences.sort(key=lambda d: (d.branch not in first, d.field.startswith("indicator"), d.branch))
    return report

"""The whole company as benchmark data: head office → 36 provinces → ~14 prefectures each → ~8 counties each,
12 months of every entered component and about a million complaint cases, written with PostgreSQL COPY.

Used by `manage.py benchmark_national` inside a throw-away database; nothing here runs in the product.
"""

import csv
import datetime
import json
import random
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from branches.models import Branch, BranchLevel
from complaints.demo import COMPONENTS as COMPLAINT_COMPONENTS
from core.bulk import copy_rows
from kpi import services
from kpi.choices import SchemeStatus, Source
from kpi.demo import DEMO_DIR
from kpi.models import Component, Indicator, MonthlyFigure, QualitativeItem, Scheme, SchemeVersion

SCHEME_FILE = DEMO_DIR.parent / "schemes" / "jiangsu-2023.json"
YEAR = 2023


@dataclass
class Company:
    """What was built: the tree's size by level, the schemes, and who reports figures."""

    branches: dict[str, int]
    schemes: list[Scheme]
    reporters: list[int]
    figures: int
    complaints: int


def build_tree(rng: random.Random, *, provinces: int = 36) -> dict[str, list[Branch]]:
    """Head office, its provinces, ~14 prefectures a province and ~8 counties a prefecture."""
    root = Branch.objects.create(code="hq", name="总公司", level=BranchLevel.HEAD_OFFICE)
    levels = {BranchLevel.HEAD_OFFICE: [root], BranchLevel.PROVINCE: [], BranchLevel.PREFECTURE: [], BranchLevel.COUNTY: []}
    for p in range(1, provinces + 1):
        province = Branch(code=f"p{p:02d}", name=f"第{p}省分公司", level=BranchLevel.PROVINCE, parent=root, sort_order=p)
        levels[BranchLevel.PROVINCE].append(province)
    Branch.objects.bulk_create(levels[BranchLevel.PROVINCE])
    for province in levels[BranchLevel.PROVINCE]:
        for f in range(1, rng.randint(10, 18) + 1):
            levels[BranchLevel.PREFECTURE].append(
                Branch(code=f"{province.code}f{f:02d}", name=f"{province.name[:-4]}第{f}中支", level=BranchLevel.PREFECTURE,
                       parent=province, sort_order=f)
            )
    Branch.objects.bulk_create(levels[BranchLevel.PREFECTURE])
    for prefecture in levels[BranchLevel.PREFECTURE]:
        for c in range(1, rng.randint(5, 11) + 1):
            levels[BranchLevel.COUNTY].append(
                Branch(code=f"{prefecture.code}c{c:02d}", name=f"{prefecture.name}第{c}支公司", level=BranchLevel.COUNTY,
                       parent=prefecture, sort_order=c)
            )
    Branch.objects.bulk_create(levels[BranchLevel.COUNTY], batch_size=2000)
    return levels


def build_schemes(levels, *, county_schemes: bool) -> list[Scheme]:
    """The 2023 rules as every owner's scheme: head office's of the provinces, each province's of its
    prefectures and (with `county_schemes`) each prefecture's of its counties; version 1 published."""
    data = json.loads(SCHEME_FILE.read_text(encoding="utf-8"))
    template = services.scheme_load(data={**data, "code": "hq-2023", "name": "总公司2023年考核方案", "province": "hq",
                                         "level": BranchLevel.PROVINCE})
    owners = [(p, BranchLevel.PREFECTURE) for p in levels[BranchLevel.PROVINCE]]
    if county_schemes:
        owners += [(f, BranchLevel.COUNTY) for f in levels[BranchLevel.PREFECTURE]]
    now = timezone.now()
    schemes = Scheme.objects.bulk_create(
        Scheme(code=f"{o.code}-2023", name=f"{o.name}2023年考核方案", year=YEAR, level=level, province=o) for o, level in owners
    )
    source = template.versions.get()
    versions = SchemeVersion.objects.bulk_create(
        SchemeVersion(scheme=s, number=1, status=SchemeStatus.PUBLISHED, published_at=now, notes=source.notes) for s in schemes
    )
    indicators = list(source.indicators.all())
    items = list(source.qualitative_items.all())
    Indicator.objects.bulk_create(
        (Indicator(**{f.attname: getattr(i, f.attname) for f in Indicator._meta.concrete_fields if f.attname not in ("id", "version_id")},
                   version=v) for v in versions for i in indicators),
        batch_size=5000,
    )
    QualitativeItem.objects.bulk_create(
        (QualitativeItem(version=v, code=q.code, name=q.name, max_points=q.max_points, year_end_only=q.year_end_only, order=q.order)
         for v in versions for q in items),
        batch_size=5000,
    )
    return [template, *schemes]


def _demo_months() -> list[dict[str, str]]:
    """The demo's figures as one {component: value} per branch-month: whole records keep numerators ≤ denominators."""
    records: dict[tuple[str, str], dict[str, str]] = {}
    with (DEMO_DIR / "monthly_figures.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            records.setdefault((row["branch"], row["month"]), {})[row["component"]] = row["value"]
    return list(records.values())


def build_figures(rng: random.Random, reporters: list[int], *, months: int = 12) -> int:
    """Every entered component of every reporting branch for months 1..`months` of the year (COPY)."""
    entered = dict(Component.objects.filter(source=Source.ENTERED).values_list("code", "pk"))
    samples = _demo_months()
    now = timezone.now().isoformat()

    def rows():
        for branch_id in reporters:
            for m in range(1, months + 1):
                sample = rng.choice(samples)
                for code, value in sample.items():
                    if code in entered:
                        yield (branch_id, entered[code], datetime.date(YEAR, m, 1).isoformat(), value, now, now, "import", "benchmark")

    return copy_rows(
        MonthlyFigure._meta.db_table,
        ["branch_id", "component_id", "month", "value", "created_at", "updated_at", "source", "source_ref"],
        rows(),
    )


def _filler(data_type: str):
    return {"boolean": False, "jsonb": "{}", "json": "{}", "integer": 0, "bigint": 0, "smallint": 0,
            "date": f"{YEAR}-01-01", "timestamp with time zone": timezone.now().isoformat()}.get(data_type, "")


def build_complaints(rng: random.Random, branch_ids: list[int], *, count: int) -> int:
    """`count` cases over the year and the year before (for year-on-year indicators), COPY'd with every
    NOT NULL column filled; dates laid out so that each derived component has cases."""
    from complaints.models import Complaint

    table = Complaint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = %s", [table]
        )
        columns = {name: (dtype, nullable == "YES") for name, dtype, nullable in cursor.fetchall()}
    given = ["number", "branch_id", "source", "channel", "received_at", "received_on", "customer_name", "category",
             "summary", "status", "clock_started_on", "limit15_due_on", "ended_on", "counts_in_figures",
             "mediation_required_on", "mediated_on", "agreement_on", "agreement_executed_on"]
    given = [c for c in given if c in columns]
    fill = [c for c, (dtype, nullable) in columns.items() if c not in given and c != "id" and not nullable]
    start = datetime.date(YEAR - 1, 1, 1)
    days = (datetime.date(YEAR, 12, 31) - start).days

    def rows():
        for n in range(count):
            received = start + datetime.timedelta(days=rng.randrange(days))
            limit = received + datetime.timedelta(days=21)
            ended = received + datetime.timedelta(days=rng.randint(3, 40)) if rng.random() < 0.9 else None
            mediation = received + datetime.timedelta(days=5) if rng.random() < 0.05 else None
            agreement = mediation + datetime.timedelta(days=10) if mediation and rng.random() < 0.6 else None
            values = {
                "number": f"N{n:08d}", "branch_id": rng.choice(branch_ids),
                "source": "regulator" if rng.random() < 0.3 else "self", "channel": "hotline",
                "received_at": f"{received.isoformat()}T09:00:00+08:00", "received_on": received.isoformat(),
                "customer_name": "客户", "category": "claims", "summary": "基准测试", "status": "closed" if ended else "accepted",
                "clock_started_on": received.isoformat(), "limit15_due_on": limit.isoformat(),
                "ended_on": ended and ended.isoformat(), "counts_in_figures": True,
                "mediation_required_on": mediation and mediation.isoformat(),
                "mediated_on": mediation and (mediation + datetime.timedelta(days=3)).isoformat() if mediation and rng.random() < 0.8 else None,
                "agreement_on": agreement and agreement.isoformat(),
                "agreement_executed_on": agreement and (agreement + datetime.timedelta(days=7)).isoformat() if agreement and rng.random() < 0.7 else None,
            }
            yield [values[c] for c in given] + [_filler(columns[c][0]) for c in fill]

    return copy_rows(table, given + fill, rows())


@transaction.atomic
def build_company(*, seed: int = 2023, county_schemes: bool = True, complaints: int = 1_000_000, months: int = 12) -> Company:
    """The national tree, its schemes, a year of figures from the reporting branches and the complaint cases."""
    rng = random.Random(seed)
    levels = build_tree(rng)
    schemes = build_schemes(levels, county_schemes=county_schemes)
    # The complaint components come from the cases, as in production (the shipped scheme enters them for 2023).
    Component.objects.filter(code__in=COMPLAINT_COMPONENTS).update(source=Source.DERIVED)
    reporting_level = BranchLevel.COUNTY if county_schemes else BranchLevel.PREFECTURE
    reporters = [b.pk for b in levels[reporting_level]]
    figures = build_figures(rng, reporters, months=months)
    cases = build_complaints(rng, [b.pk for b in levels[BranchLevel.COUNTY]], count=complaints)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Company(
        branches={str(level.label): len(branches) for level, branches in levels.items()},
        schemes=schemes, reporters=reporters, figures=figures, complaints=cases,
    )

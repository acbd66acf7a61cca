"""Print how fast the scoring core and a full run are, on synthetic branches (a benchmark, not a test)."""

import statistics
import time
from decimal import Decimal

import pandas as pd
from django.core.management.base import BaseCommand

from kpi import demo
from kpi.scoring.aggregation import parse_inputs
from kpi.scoring.engine import IndicatorSpec, score_indicator
from kpi.scoring.rules import parse_rule
from kpi.scoring.window import ScoredIndicator, score_window


def _indicators() -> list[ScoredIndicator]:
    out = []
    for i in demo.scheme_data()["indicators"]:
        spec = IndicatorSpec(
            code=i["code"], name=i["name"], precision=i["precision"], direction=i["direction"], target_kind=i["target_kind"],
            base=Decimal(i["base_points"]), bonus_cap=Decimal(i["bonus_cap"]),
            rule=parse_rule(i["rule"], target_kind=i["target_kind"], has_target2=i.get("target_value2") is not None),
            target=Decimal(i["target_value"]) if i.get("target_value") else None,
            target2=Decimal(i["target_value2"]) if i.get("target_value2") else None,
        )
        out.append(ScoredIndicator(spec, parse_inputs(i["inputs"])))
    return out


def _totals(branches: int, components: list[str], seed: int) -> pd.DataFrame:
    rows = {}
    for n in range(branches):
        base = 1000 + (n * 7919 + seed) % 9000
        rows[f"b{n:05d}"] = {c: Decimal(base + (n * 31 + k * 17) % (base // 10 + 1)) for k, c in enumerate(components)}
    return pd.DataFrame.from_dict(rows, orient="index").astype(object)


class Command(BaseCommand):
    help = "评分引擎性能基准：打印 17 个指标在不同机构数下的计分耗时"

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="13,500,4000")
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, sizes, repeat, **options):
        indicators = _indicators()
        components = sorted({c for i in indicators for c in i.inputs.components})
        self.stdout.write("branches  indicators  cells   median_s  cells_per_s")
        for size in (int(s) for s in sizes.split(",")):
            totals, previous = _totals(size, components, 1), _totals(size, components, 2)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                result = score_window(indicators, totals, previous, overrides={"reg_complaints_per_100m": (Decimal("0.365"), "基准")})
                times.append(time.perf_counter() - start)
            cells = len(result.cells)
            median = statistics.median(times)
            self.stdout.write(f"{size:>8}  {len(indicators):>10}  {cells:>6}  {median:>8.3f}  {cells / median:>11.0f}")
        spec = indicators[0].spec
        table = pd.DataFrame({"value": [Decimal(9000 + n % 1000) / 100 for n in range(100_000)]}, dtype=object)
        start = time.perf_counter()
        score_indicator(spec, table)
        self.stdout.write(f"one indicator (steps rule), 100000 rows: {time.perf_counter() - start:.3f} s")

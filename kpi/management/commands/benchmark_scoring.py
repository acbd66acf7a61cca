"""Print how fast the scoring core and a full run are, on synthetic branches (a benchmark, not a test)."""

import statistics
import time
from decimal import Decimal

import pandas as pd
from django.core.management.base import BaseCommand

from kpi import demo
from kpi.scoring.aggregation import parse_inputs
from kpi.scoring.engine import IndicatorSpec, score_indicator
from kpi.scoring.league import LeagueInputs, league_assemble
from kpi.scoring.rules import parse_rule
from kpi.scoring.window import ScoredIndicator, score_window

ENGINE_MODES = (("decimal", True), ("decimal", False), ("exact", False))


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


def compare_engines(branches: int, repeat: int = 3) -> dict:
    """Median seconds of league_assemble on a synthetic window of `branches` × the 2023 scheme's indicators,
    per (engine, explain) of ENGINE_MODES, and whether every engine gave the same points and ranks."""
    indicators = _indicators()
    components = sorted({c for i in indicators for c in i.inputs.components})
    inputs = LeagueInputs(
        indicators=tuple(indicators), totals=_totals(branches, components, 1), previous_totals=_totals(branches, components, 2),
        branches=tuple(f"b{n:05d}" for n in range(branches)),
        overrides={"reg_complaints_per_100m": (Decimal("0.365"), "基准")},
    )
    seconds, results = {}, {}
    for engine, explain in ENGINE_MODES:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            results[(engine, explain)] = league_assemble(inputs, engine=engine, explain=explain)
            times.append(time.perf_counter() - start)
        seconds[(engine, explain)] = statistics.median(times)
    reference = results[ENGINE_MODES[0]]
    same = all(
        [str(p) for p in league.window.cells["points"]] == [str(p) for p in reference.window.cells["points"]]
        and league.table["rank"].tolist() == reference.table["rank"].tolist()
        for league in results.values()
    )
    return {"seconds": seconds, "same": same, "cells": len(reference.window.cells)}


class Command(BaseCommand):
    help = "评分引擎性能基准：打印 17 个指标在不同机构数下的计分耗时"

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="13,500,4000")
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--engines-at", type=int, default=4500, help="机构数：比较 Decimal 与精确整数引擎(0 = 不比较)")

    def handle(self, *args, sizes, repeat, engines_at, **options):
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
        if engines_at:
            self._engines(engines_at, repeat)

    def _engines(self, branches: int, repeat: int):
        result = compare_engines(branches, repeat)
        seconds = result["seconds"]
        self.stdout.write(f"league_assemble, {branches} branches × 17 indicators ({result['cells']} cells), median of {repeat}:")
        for (engine, explain), s in seconds.items():
            self.stdout.write(f"  {engine}/{'explain' if explain else 'no-explain'}: {s:.3f} s")
        exact = seconds[("exact", False)]
        self.stdout.write(
            f"engines: decimal_explain={seconds[('decimal', True)]:.3f} s decimal_no_explain={seconds[('decimal', False)]:.3f} s "
            f"exact_no_explain={exact:.3f} s speedup={seconds[('decimal', True)] / exact:.1f}x "
            f"(vs no-explain {seconds[('decimal', False)] / exact:.1f}x) same_points_and_ranks={result['same']}"
        )

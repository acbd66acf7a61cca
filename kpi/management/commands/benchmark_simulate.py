"""Print how long a what-if simulation takes on a window of the database (a benchmark, not a test); writes nothing."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError

from core.parsing import InputError, parse_month_number
from kpi import selectors
from kpi.models import Scheme
from kpi.scoring.decimals import fmt
from kpi.simulation.changes import parse_changes
from kpi.simulation.selectors import simulate, simulation_base, simulation_run

GOAL_SECONDS = 0.5


def _changes(base) -> list[tuple[str, dict]]:
    """One change per fixed-target indicator (its target moved by one step of its precision), and one of each other kind."""
    out = []
    for code, d in base.after_definitions.items():
        if d["target_kind"] == "fixed" and d["target_value"] is not None:
            out.append((f"{code} 考核值", {"indicators": {code: {"target": fmt(d["target_value"] + 1)}}}))
    first = next(iter(base.after_definitions))
    out.append((f"{first} 加分上限", {"indicators": {first: {"bonus_cap": "2"}}}))
    out.append((f"{first} 不计分", {"indicators": {first: {"scored": False}}}))
    return out


class Command(BaseCommand):
    help = "模拟性能基准：打印一个窗口(默认方案的最新窗口)每项修改的耗时(秒)，目标 < 0.5 秒"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", help="方案代码；缺省为最新的已发布方案")
        parser.add_argument("--month", help="窗口截至月份；缺省为已计算的最新窗口")
        parser.add_argument("--repeat", type=int, default=3, help="每项修改重复次数(取中位数)")

    def handle(self, *args, scheme=None, month=None, repeat=3, **options):
        found = Scheme.objects.filter(code=scheme).first() if scheme else selectors.scheme_default()
        if found is None:
            raise CommandError("没有可模拟的考核方案")
        try:
            window = parse_month_number(month) if month else (selectors.computed_months(scheme=found) or [12])[-1]
        except InputError as exc:
            raise CommandError(exc.message) from exc
        started = time.perf_counter()
        base = simulation_base(scheme=found, month=window)
        load = time.perf_counter() - started
        self.stdout.write(f"{found.code} 1–{window}月：{len(base.before_inputs.branches)} 个机构，"
                          f"{len(base.after_definitions)} 个指标；载入窗口并算出修改前排名 {load:.3f} 秒")
        worst = 0.0
        for label, data in _changes(base):
            changes = parse_changes(data)
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                simulation_run(base=base, changes=changes)
                times.append(time.perf_counter() - t)
            median = statistics.median(times)
            worst = max(worst, median)
            self.stdout.write(f"  {label}: {median:.3f} 秒/次")
        t = time.perf_counter()
        simulate(scheme=found, month=window, changes=parse_changes(_changes(base)[0][1]))
        whole = time.perf_counter() - t
        self.stdout.write(f"一次完整模拟(载入 + 修改前后两次计算 + 比较)：{whole:.3f} 秒")
        verdict = "达到" if max(worst, whole) < GOAL_SECONDS else "未达到"
        self.stdout.write(f"每项修改最慢 {worst:.3f} 秒；{verdict}目标 < {GOAL_SECONDS} 秒")

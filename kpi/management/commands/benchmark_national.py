"""National scale, measured: what users wait for on the whole company's data (a benchmark, not a test).

Builds, in a throw-away PostgreSQL database beside the configured one (`<name>_national`, dropped at the end
unless --keep), head office → 36 provinces → ~500 prefectures → ~4,000 counties, every owner's 2023 scheme, 12
months of every entered component and ~1,000,000 complaint cases (COPY), then prints:
the SQL floor (one grouped SUM of the window's figures and one grouped count of its complaint cases), a full
recompute of every scheme for one window and for all 12, the cost per 1,000 scored branches at 1×, 10× and
100× of the schemes, an edit's time until the table is updated with Celery workers running (five edits in a row,
the slowest in the last line), the monthly
form's preview, the league page and API under 50 concurrent clients at 13 and 4,500 branches beside a trivial view
(`benchmark_reads`, run by it in a throw-away database of its own; `--no-reads` leaves it out), and the peak
memory. The last line is
`national: window=S s floor=S s ratio=R all_windows=S s incremental=S s peak_mb=N`.
"""

import datetime
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from branches.models import Branch
from kpi import selectors, services
from kpi.benchmarks import national
from kpi.models import MonthlyFigure, Scheme, ScoreRun

# Keystrokes of the preview measured after the form opens.
KEYSTROKES = 20
# The incremental edit is made this many times in a row (the summary line gives the slowest).
EDITS = 5


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class Command(BaseCommand):
    help = "全公司规模的基准：重算、增量更新、预览与内存（PostgreSQL，一次性数据库）"

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=1_000_000)
        parser.add_argument("--no-county-schemes", action="store_true", help="中支不考核支公司（中支填报）")
        parser.add_argument("--month", type=int, default=12, help="单个窗口的截至月份")
        parser.add_argument("--keep", action="store_true", help="保留一次性数据库")
        parser.add_argument("--build-only", action="store_true", help="只构建数据（并保留数据库），不测量")
        parser.add_argument("--workers", type=int, default=2, help="增量测量时启动的 Celery worker 数")
        parser.add_argument("--no-reads", action="store_true", help="不测排名页与 API 的并发读取（benchmark_reads）")

    def handle(self, *args, complaints, no_county_schemes, month, keep, workers, build_only, no_reads, **options):
        if connection.vendor != "postgresql":
            raise CommandError("benchmark_national 需要 PostgreSQL（设置 DATABASE_URL）")
        logging.getLogger("kpi").setLevel(logging.WARNING)
        logging.getLogger("celery").setLevel(logging.WARNING)
        name = self._create_database()
        try:
            if build_only:
                company = national.build_company(complaints=complaints, county_schemes=not no_county_schemes)
                self.stdout.write(f"已构建 {name}：{company.branches} 家机构，{len(company.schemes)} 个方案")
                return
            self._run(complaints=complaints, county_schemes=not no_county_schemes, month=month, workers=workers, name=name,
                      reads=not no_reads)
        finally:
            if not (keep or build_only):
                self._drop_database(name)

    # ── the throw-away database ────────────────────────────────────────────────────────────────────
    def _create_database(self) -> str:
        base = connection.settings_dict["NAME"]
        name = f"{base}_national"
        self._admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = name
        self._base_name = base
        call_command("migrate", verbosity=0)
        return name

    def _drop_database(self, name: str) -> None:
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = self._base_name
        self._admin(f'DROP DATABASE IF EXISTS "{name}"')

    def _admin(self, *statements) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    # ── the measurements ───────────────────────────────────────────────────────────────────────────
    def _run(self, *, complaints, county_schemes, month, workers, name, reads):
        out = self.stdout.write
        start = time.perf_counter()
        company = national.build_company(complaints=complaints, county_schemes=county_schemes)
        schemes = company.schemes
        out(
            f"构建：{company.branches} 家机构，{len(schemes)} 个方案，{company.figures:,} 条月度数据，"
            f"{company.complaints:,} 件投诉，{time.perf_counter() - start:.1f} s"
        )
        floor = self._floor(month)
        out(f"SQL 下限（1–{month}月：一次分组求和 + 一次投诉分组计数）：{floor:.2f} s")

        window = self._recompute(schemes, [month])
        out(f"全部方案重算 1–{month}月一个窗口：{window:.2f} s（{window / floor:.1f}× 下限）")
        all_windows = self._recompute(schemes, list(range(1, 13)))
        out(f"全部方案重算 12 个窗口：{all_windows:.2f} s")
        self._linearity(schemes, month)
        incremental = self._incremental(schemes, month, workers=workers, name=name)
        self._preview(schemes, month, company.reporters)
        if reads:
            self._reads()
        peak = _peak_mb()
        out(f"峰值内存（本进程）：{peak} MB")
        out(
            f"national: window={window:.2f} s floor={floor:.2f} s ratio={window / floor:.1f} "
            f"all_windows={all_windows:.2f} s incremental={incremental:.2f} s peak_mb={peak}"
        )

    def _reads(self) -> None:
        """League reads at 13 and 4,500 branches under 50 clients (`benchmark_reads`, a process and throw-away database
        of its own beside the configured one: its gunicorn must not share this process's memory or data)."""
        self.stdout.write("排名页与 API 的并发读取（benchmark_reads）：")
        result = subprocess.run(
            [sys.executable, "manage.py", "benchmark_reads", "--branches", "13,4500"],
            cwd=settings.BASE_DIR, env=os.environ, capture_output=True, text=True, check=False,
        )
        lines = [line for line in result.stdout.splitlines() if "家机构" in line or line.startswith(("  ", "reads:"))]
        for line in lines or result.stderr.splitlines()[-5:]:
            self.stdout.write("  " + line)

    def _floor(self, month: int) -> float:
        start = time.perf_counter()
        end = datetime.date(national.YEAR, month, 28)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT branch_id, component_id, SUM(value) FROM kpi_monthlyfigure WHERE month BETWEEN %s AND %s GROUP BY 1, 2",
                [datetime.date(national.YEAR, 1, 1), end],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT branch_id, source, date_trunc('month', received_on), COUNT(*) FROM complaints_complaint "
                "WHERE received_on BETWEEN %s AND %s GROUP BY 1, 2, 3",
                [datetime.date(national.YEAR - 1, 1, 1), end],
            )
            cursor.fetchall()
        return time.perf_counter() - start

    def _recompute(self, schemes, months) -> float:
        start = time.perf_counter()
        services.recompute_schemes(schemes=schemes, months=months)
        return time.perf_counter() - start

    def _linearity(self, schemes, month) -> None:
        """Seconds per 1,000 scored branches over about 1 %, 10 % and 100 % of the schemes' branches."""
        sizes = {s.pk: ScoreRun.objects.get(scheme=s, month=month, is_current=True).branch_scores.count() for s in schemes}
        total = sum(sizes.values())
        ordered = sorted(schemes, key=lambda s: -sizes[s.pk])[1:] + [max(schemes, key=lambda s: sizes[s.pk])]
        for share, label in ((0.01, "1×"), (0.1, "10×"), (1.0, "100×")):
            chosen, n = [], 0
            for s in ordered:
                if n >= share * total:
                    break
                chosen.append(s)
                n += sizes[s.pk]
            seconds = self._recompute(chosen, [month])
            self.stdout.write(f"线性：{label} {n:,} 家机构（{len(chosen)} 个方案）{seconds:.2f} s，每千家 {seconds / n * 1000:.2f} s")

    def _incremental(self, schemes, month, *, workers, name) -> float:
        """One county's figure edited for month 1 (through the service the monthly form uses to request the
        recomputes) → the last window of every scheme that reads it is recomputed by the workers; EDITS edits, one
        after the other's tables are updated; prints each, returns the slowest."""
        figure = MonthlyFigure.objects.filter(month=datetime.date(national.YEAR, 1, 1)).select_related("branch").first()
        affected = list(Scheme.objects.filter(province__path__in=selectors.ancestor_paths(branch_ids=[figure.branch_id])))
        eager = settings.CELERY_TASK_ALWAYS_EAGER
        procs = [] if eager else self._start_workers(workers, name)
        times = []
        try:
            for n in range(1, EDITS + 1):
                times.append(self._edit(figure, figure.value + n, affected, month))
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
        mode = "Celery 即时执行(未设 REDIS_URL)" if eager else f"{workers} 个 Celery worker"
        self.stdout.write(
            f"增量：改 {figure.branch.code} 1月一项 → {len(affected)} 个方案（{', '.join(s.code for s in affected)}）"
            f"各重算 1–12 月，至 1–{month}月的表更新（{mode}），连续 {EDITS} 次："
            f"{' / '.join(f'{t:.2f}' for t in times)} s，中位 {statistics.median(times):.2f} s，最慢 {max(times):.2f} s"
        )
        return max(times)

    def _edit(self, figure, value, affected, month) -> float:
        """Seconds from the edit to the last of the affected schemes' window `month` having a new current run."""
        before = {s.pk: ScoreRun.objects.get(scheme=s, month=month, is_current=True).pk for s in affected}
        start = time.perf_counter()
        with transaction.atomic():
            MonthlyFigure.objects.filter(pk=figure.pk).update(value=value)
            services.recompute_for_figure_change(year=national.YEAR, month=1, branch_ids=[figure.branch_id], entered_only=True)
        while True:
            current = {s.pk: ScoreRun.objects.get(scheme=s, month=month, is_current=True).pk for s in affected}
            if all(current[k] != before[k] for k in before):
                return time.perf_counter() - start
            if time.perf_counter() - start > 600:
                raise CommandError("增量更新 600 秒内未完成")
            time.sleep(0.02)

    def _start_workers(self, n, name):
        url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
        env = {**os.environ, "DATABASE_URL": url}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", f"--hostname=bench{i}@%h",
                 "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for i in range(n)
        ]
        time.sleep(4)  # the workers connect to the broker
        return procs

    def _preview(self, schemes, month, reporters) -> float:
        """The monthly form's live preview (what each keystroke waits for): a reporting branch in its own scheme,
        and the first branch of the scheme with the most branches. The form opens (nothing typed), then
        KEYSTROKES keystrokes each type another value into the first entered field; prints the opening, the
        keystrokes' median and worst, and the queries of one; returns the worst keystroke's median."""
        from kpi.entries.preview import entries_preview
        from kpi.entries.selectors import entry_layout

        reporter = Branch.objects.get(pk=reporters[0])
        largest = max(schemes, key=lambda s: selectors.scored_branches(scheme=s).count())
        own = next(s for s in schemes if s.level == reporter.level and reporter.path.startswith(s.province.path))
        worst = 0.0
        when = datetime.date(national.YEAR, month, 1)
        for scheme, branch in ((own, reporter), (largest, selectors.scored_branches(scheme=largest).first())):
            layout = entry_layout(version=scheme.version_in_force())
            start = time.perf_counter()
            entries_preview(scheme=scheme, layout=layout, branch=branch, month=when, typed={})
            opening = time.perf_counter() - start
            times = []
            for n in range(KEYSTROKES):
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    entries_preview(scheme=scheme, layout=layout, branch=branch, month=when, typed={layout.entered[0]: Decimal(100 + n)})
                    times.append(time.perf_counter() - start)
            n = selectors.scored_branches(scheme=scheme).count()
            median = statistics.median(times)
            self.stdout.write(
                f"月度填报预览：{branch.code} 在 {scheme.code}（{n} 家机构）打开 {opening * 1000:.0f} ms，"
                f"每次按键中位 {median * 1000:.0f} ms、最慢 {max(times) * 1000:.0f} ms（{KEYSTROKES} 次），{len(queries)} 次查询"
            )
            worst = max(worst, median)
        return worst

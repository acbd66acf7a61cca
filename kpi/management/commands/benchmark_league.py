"""Print the league page, API and .xlsx export times and query counts for the demo window and for a synthetic
1,300-branch window (a benchmark, not a test; the synthetic rows are written in a transaction rolled back)."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from branches.models import User
from kpi import selectors, views
from kpi.api.views import LeagueApi
from kpi.benchmarks.reads import synthetic_run
from kpi.league.exports import league_workbook
from kpi.league.selectors import league_rows
from kpi.models import ScoreRun
from kpi.publishing import selectors as publishing


class _Rollback(Exception):
    pass


def _measure(fn, repeat: int) -> tuple[float, int]:
    """Median seconds over `repeat` calls and the queries of one call."""
    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        queries = len(captured)
    return statistics.median(times), queries


class Command(BaseCommand):
    help = "排名页、API 与 Excel 导出的耗时与查询数：演示窗口与 1,300 家机构的合成窗口"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", default="jiangsu-2023")
        parser.add_argument("--month", type=int, default=8)
        parser.add_argument("--branches", type=int, default=1300)
        parser.add_argument("--user", default="province")
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, scheme, month, branches, user, repeat, **options):
        scheme_obj = selectors.scheme_get(code=scheme)
        viewer = User.objects.filter(username=user).first()
        if viewer is None:
            raise CommandError(f"没有用户 {user}（先运行 load_demo）")
        window = publishing.window_get(user=viewer, scheme=scheme_obj, month=month, live=True)
        self._report(f"演示窗口 {window.label}（{window.run.branch_scores.count()} 家）", scheme_obj, window, viewer, repeat)
        try:
            with transaction.atomic():
                synthetic = self._synthetic(scheme_obj, window.run, branches)
                big = publishing.window_get(user=viewer, scheme=scheme_obj, month=month, live=True)
                assert big.run.pk == synthetic.pk
                self._report(f"合成窗口（{branches} 家机构）", scheme_obj, big, viewer, repeat)
                raise _Rollback
        except _Rollback:
            pass

    def _report(self, title, scheme, window, viewer, repeat):
        factory = RequestFactory()

        def page():
            request = factory.get(window.url())
            request.user = viewer
            response = views.league_window(request, scheme.code, window.slug, window.revision_slug)
            assert response.status_code == 200

        def api():
            request = factory.get(f"/api/v1/league/?scheme={scheme.code}&month={window.month}&live=true")
            request.user = viewer
            response = LeagueApi.as_view()(request)
            response.render()
            assert response.status_code == 200, response.content[:200]

        def export():
            league_workbook(league_rows(window=window, user=viewer))

        self.stdout.write(title)
        for name, fn in (("排名页", page), ("API JSON", api), ("Excel 导出", export)):
            seconds, queries = _measure(fn, repeat)
            self.stdout.write(f"  {name:<10} {seconds:7.3f} s  {queries:4d} 次查询")

    def _synthetic(self, scheme, model_run: ScoreRun, count: int) -> ScoreRun:
        """A current run of `count` branches, each a copy of a demo branch's scores (cycled), ranked by total."""
        return synthetic_run(scheme=scheme, model_run=model_run, count=count)

"""Print every difference between the published league table and the computed one."""

from django.core.management.base import BaseCommand, CommandError

from kpi import selectors
from kpi.reconciliation import reconcile


class Command(BaseCommand):
    help = "核对公布的排名与系统计算结果，列出每一处差异及原因"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", default="jiangsu-2023")
        parser.add_argument("--month", type=int, default=8)

    def handle(self, *args, scheme, month, **options):
        run = selectors.current_run(scheme=selectors.scheme_get(code=scheme), month=month)
        if run is None:
            raise CommandError(f"{scheme} 1–{month}月尚未计分，请先运行 load_demo 或等待计分任务完成。")
        report = reconcile(run)
        for line in report.summary_lines():
            self.stdout.write(line)
        for d in report.differences:
            mark = "已解释" if d.explained else "未解释"
            self.stdout.write(f"[{mark}] {d.branch_name}({d.branch}) {d.label}: 公布 {d.published} / 计算 {d.computed}  {d.reason}")
        if report.unexplained:
            raise CommandError(f"有 {len(report.unexplained)} 处未解释的差异")

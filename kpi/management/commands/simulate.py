"""What-if from the command line: a window's league with changed targets or another version; writes nothing."""

import csv

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from core.parsing import InputError, parse_month_number
from kpi.models import Scheme
from kpi.scoring.decimals import fmt
from kpi.simulation.changes import parse_changes
from kpi.simulation.selectors import simulate


def target_changes(pairs: list[str]) -> dict:
    """`CODE=VALUE` pairs as the simulation's indicator changes (the value is read by kpi.simulation.changes)."""
    out, errors = {}, []
    for pair in pairs:
        code, sep, raw = pair.partition("=")
        if not sep or not code.strip() or not raw.strip():
            errors.append(f"--target {pair}：应写成 指标代码=数值，如 sl_nonbank=96")
            continue
        out[code.strip()] = {"target": raw.strip()}
    if errors:
        raise CommandError("；".join(errors))
    return out


class Command(BaseCommand):
    help = "模拟修改考核值或方案版本后的排名，输出 CSV：branch,total_before,rank_before,total_after,rank_after(按修改后排名)"

    def create_parser(self, prog_name, subcommand, **kwargs):
        # The issue's `--version N` is the scheme version; it replaces Django's own --version (its release).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--scheme", required=True, help="方案代码，如 jiangsu-2023")
        parser.add_argument("--month", required=True, help="窗口截至月份 1–12(1–N月)")
        parser.add_argument("--target", action="append", default=[], metavar="CODE=VALUE",
                            help="把某指标的考核值固定为 VALUE(显示单位，如 96 表示 96%%)；可重复")
        parser.add_argument("--version", type=int, default=None, metavar="N", help="按方案的第 N 版(如管理后台建的草稿)计分")

    def handle(self, *args, scheme, month, target, version, **options):
        found = Scheme.objects.filter(code=scheme).first()
        if found is None:
            raise CommandError(f"没有代码为“{scheme}”的考核方案")
        try:
            window = parse_month_number(month)
        except InputError as exc:
            raise CommandError(f"--month {month}：{exc.message}") from exc
        data = {"indicators": target_changes(target), "version": version}
        try:
            simulation = simulate(scheme=found, month=window, changes=parse_changes(data))
        except ApplicationError as exc:
            for error in exc.extra.get("errors", [exc.message]):
                self.stderr.write(error)
            raise CommandError("未能模拟") from exc
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["branch", "total_before", "rank_before", "total_after", "rank_after"])
        for row in simulation.rows:
            writer.writerow([row.branch, fmt(row.total_before, 2), row.rank_before, fmt(row.total_after, 2), row.rank_after])

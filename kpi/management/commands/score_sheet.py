"""Score a what-if sheet of indicator values from the command line; writes nothing to the database."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpi import selectors
from kpi.models import Scheme
from kpi.sheet import SheetError, parse_targets, score_sheet


class Command(BaseCommand):
    help = "按考核方案为一张 CSV(branch,indicator,value,value2,previous)计分，输出 branch,indicator,score"

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 CSV，表头 branch,indicator,value,value2,previous")
        parser.add_argument("--scheme", required=True, help="方案代码，如 jiangsu-2023")
        parser.add_argument("--target", action="append", default=[], metavar="CODE=VALUE", help="固定某指标的考核值")

    def handle(self, *args, file, scheme, target, **options):
        found = Scheme.objects.filter(code=scheme).first()
        if found is None:
            raise CommandError(f"没有代码为“{scheme}”的考核方案")
        version = found.version_in_force()
        if version is None:
            raise CommandError(f"方案“{scheme}”尚未发布")
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取 {file}：{exc}") from exc
        run = selectors.latest_current_run(scheme=found)
        try:
            rows = score_sheet(version=version, text=text, targets=parse_targets(target), run_targets=run.targets if run else {})
        except SheetError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} 处错误，未计分") from exc
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["branch", "indicator", "score"])
        writer.writerows(rows)

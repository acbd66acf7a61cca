"""Print how fast figures import at national size (a benchmark, not a test); everything it builds is rolled back.

A province of N prefectures (default 4,500) scored by a copy of the 2023 scheme; one month's wide sheet of
every entered component (≈ 4,500 × 21 values) and a 12-month long CSV. Each is timed through the pipeline
(read; validate; dry run with the league preview; apply) and the month's rows through django-import-export
(a ModelResource on MonthlyFigure: `pip install -r requirements-benchmark.txt`, not a dependency of the product).
"""

import csv
import datetime
import io
import resource
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from openpyxl import Workbook

from branches.models import Branch, Role, User
from complaints.demo import COMPONENTS as COMPLAINT_COMPONENTS
from kpi import demo, services
from kpi.entries.selectors import entry_layout
from kpi.imports import selectors
from kpi.imports import services as imports
from kpi.imports.layout import read_sheet
from kpi.imports.reader import read_file
from kpi.imports.validation import Plan, plan, resolve
from kpi.models import Component, FigureSource, MonthlyFigure

YEAR = 2023


class Rollback(Exception):
    """Raised at the end so that everything the benchmark built is rolled back."""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _base(branch: int, month: int) -> int:
    """A branch's synthetic figure of a month (the same in every sheet, so sheets agree where they overlap)."""
    return 1000 + (branch * 7919 + month * 131) % 9000


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


class Command(BaseCommand):
    help = "导入性能基准：全国规模（4,500 个机构）的宽表与 12 个月长表，读取、校验、试运行（含排名预览）、写入，并与 django-import-export 对比"

    def add_arguments(self, parser):
        parser.add_argument("--branches", type=int, default=4500)
        parser.add_argument("--months", type=int, default=12, help="长表的月份数")
        parser.add_argument("--no-die", action="store_true", help="不运行 django-import-export 对比")

    def handle(self, *args, branches, months, no_die, **options):
        try:
            with transaction.atomic():
                self._run(branches, months, no_die)
                raise Rollback
        except Rollback:
            self.stdout.write("（基准数据已全部回滚）")

    def _world(self, n):
        province = Branch.objects.create(code="bench-province", name="基准省分公司", level="province")
        Branch.objects.bulk_create(
            Branch(code=f"b{i:05d}", name=f"基准{i:05d}中支", level="prefecture", parent=province, sort_order=i) for i in range(n)
        )
        data = {**demo.scheme_data(), "code": "bench-2023", "province": "bench-province", "name": "基准方案"}
        sources = dict(Component.objects.values_list("code", "source"))
        scheme = services.scheme_load(data=data)
        # Loading the scheme file resets the components' sources; complaint counts stay derived from cases.
        for code, source in sources.items():
            Component.objects.filter(code=code).update(source=source)
        Component.objects.filter(code__in=COMPLAINT_COMPONENTS).update(source="derived")
        user = User.objects.create_user(username="bench-admin", password="x-bench-12345", branch=province, role=Role.ADMIN)
        return scheme, user, list(Branch.objects.filter(parent=province).order_by("sort_order"))

    def _run(self, n, months, no_die):
        scheme, user, branches = self._world(n)
        layout = entry_layout(version=scheme.version_in_force())
        codes = list(layout.entered)
        sept = datetime.date(YEAR, 9, 1)
        wide = self._wide(branches, codes, sept)
        values = n * len(codes)
        self.stdout.write(f"机构 {n}，填报项 {len(codes)}：宽表 {values} 个数值（{len(wide) / 1024 / 1024:.1f} MB .xlsx）")

        sheets, t_read = _timed(lambda: read_file(wide, "national.xlsx"))
        catalogue = selectors.catalogue_for(scheme=scheme)

        def validate():
            result = Plan()
            found = [read_sheet(s, catalogue, chosen_month=None, year_hint=YEAR) for s in sheets]
            vals = resolve([r for f in found for r in f.records], catalogue, result)
            ids = dict(Branch.objects.filter(code__in={v.branch for v in vals}).values_list("code", "pk"))
            return plan(vals, selectors.import_state(values=vals, user=user, codes=ids), catalogue, into=result)

        checked, t_validate = _timed(validate)
        assert checked.ok and checked.counts()["created"] == values, (checked.errors[:3], checked.counts())
        batch = imports.batch_create(user=user, channel=FigureSource.IMPORT, file_name="national.xlsx", content=wide, scheme_code=scheme.code)
        _, t_dry = _timed(lambda: imports.batch_prepare(batch=batch))
        assert batch.status == "ready", batch.summary["errors"][:3]
        _, t_apply = _timed(lambda: imports.batch_apply(batch=batch, user=user))
        assert MonthlyFigure.objects.filter(month=sept, branch__parent__code="bench-province").count() == values
        peak = _peak_mb()
        self.stdout.write("阶段                     秒      数值/秒")
        for label, seconds in (("读取 (python-calamine)", t_read), ("校验", t_validate), ("试运行含排名预览", t_dry), ("写入(含重新校验)", t_apply)):
            self.stdout.write(f"{label:<22} {seconds:>7.2f}  {values / seconds:>9.0f}")
        self.stdout.write(f"试运行 / 读取 = {t_dry / t_read:.1f}×；峰值内存 {peak:.0f} MB")

        t_die = None
        if not no_die:
            t_die = self._die(branches, codes, datetime.date(YEAR, 10, 1))
            if t_die is not None:
                self.stdout.write(f"django-import-export 写入同样 {values} 个数值：{t_die:.2f} 秒（{values / t_die:.0f} 数值/秒）；"
                                  f"本管道写入快 {t_die / t_apply:.1f}×")

        long_csv = self._long(branches, codes, months)
        long_values = n * len(codes) * months
        sheets, t_long_read = _timed(lambda: read_file(long_csv, "year.csv"))
        long_batch = imports.batch_create(user=user, channel=FigureSource.IMPORT, file_name="year.csv", content=long_csv, scheme_code=scheme.code)
        _, t_long_dry = _timed(lambda: imports.batch_prepare(batch=long_batch))
        errors = long_batch.summary["counts"]["errors"]
        peak = _peak_mb()
        self.stdout.write(f"长表 {months} 个月 {long_values} 行（{len(long_csv) / 1024 / 1024:.1f} MB CSV）：读取 {t_long_read:.2f} 秒，"
                          f"试运行含排名预览 {t_long_dry:.2f} 秒（{long_values / t_long_dry:.0f} 行/秒，错误 {errors}）；峰值内存 {peak:.0f} MB")
        self.stdout.write(
            f"import: values={values} read={t_read:.2f}s validate={t_validate:.2f}s dry_run={t_dry:.2f}s apply={t_apply:.2f}s "
            f"dry_run_ratio={t_dry / t_read:.1f} die={f'{t_die:.2f}s' if t_die else 'n/a'} "
            f"apply_speedup={'%.1f' % (t_die / t_apply) if t_die else 'n/a'} long_rows={long_values} long_dry_run={t_long_dry:.2f}s peak_mb={peak:.0f}"
        )

    @staticmethod
    def _wide(branches, codes, month) -> bytes:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(f"{month:%Y-%m}")
        sheet.append([f"{month.year}年{month.month}月 月度数据"])
        sheet.append(["机构代码", *codes])
        for i, b in enumerate(branches):
            base = _base(i, month.month)
            sheet.append([b.code, *([base] * len(codes))])  # equal values: no part exceeds its whole
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    @staticmethod
    def _long(branches, codes, months) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["机构", "月份", "填报项", "数值"])
        for m in range(1, months + 1):
            for i, b in enumerate(branches):
                base = _base(i, m)
                for code in codes:
                    writer.writerow([b.code, f"{YEAR}-{m:02d}", code, base])
        return out.getvalue().encode()

    def _die(self, branches, codes, month):
        try:
            import tablib
            from import_export import fields, resources, widgets
        except ImportError:
            self.stdout.write("django-import-export 未安装：pip install -r requirements-benchmark.txt 后可对比")
            return None
        class FigureResource(resources.ModelResource):
            branch = fields.Field(attribute="branch", column_name="branch", widget=widgets.ForeignKeyWidget(Branch, "code"))
            component = fields.Field(attribute="component", column_name="component", widget=widgets.ForeignKeyWidget(Component, "code"))

            class Meta:
                model = MonthlyFigure
                fields = ("branch", "component", "month", "value")
                import_id_fields = ("branch", "component", "month")

        data = tablib.Dataset(headers=["branch", "component", "month", "value"])
        for i, b in enumerate(branches):
            base = _base(i, month.month)
            for code in codes:
                data.append([b.code, code, month.isoformat(), base])
        result, seconds = _timed(lambda: FigureResource().import_data(data, dry_run=False, raise_errors=True))
        assert not result.has_errors()
        return seconds

"""Benchmark the complaint paths that grow with the number of cases; prints figures, leaves the database as it was.

For each size: inside one transaction that is rolled back at the end, a synthetic tree (a province with N
prefectures, codes `bench-…`) and N synthetic cases received over 2025 (both sources, open and ended,
closures within and after 15 days, extensions, appraisal pauses, withdrawals, mediation) are created,
then the creation, the derived figures the league table scores from, the officer's case list with its
"overdue" and "due within 3 days" filters, the daily overdue job and the pure deadline arithmetic are timed.

Speed is measured here, never by timed tests. `python manage.py benchmark_complaints --cases 20000,100000`.
"""

import datetime
import random
import time
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from branches.models import Branch, BranchLevel, Role, User
from complaints import deadlines as dl
from complaints import selectors, services
from complaints.choices import Category, Channel, NoticeMethod, PauseKind, Satisfaction, Source, Status
from complaints.filtersets import ComplaintFilter
from complaints.models import Complaint, Extension, Pause
from complaints.views import PAGE_SIZE

PREFIX = "bench-"
SH = ZoneInfo("Asia/Shanghai")
YEAR = 2025
# The day the benchmark pretends it is: the end of the year of cases, so recent cases are still open.
AS_OF = datetime.date(YEAR, 12, 31)
DAY = datetime.timedelta(days=1)
DEADLINE_CASES = 10_000
OPEN_STATUSES = [Status.RECEIVED, Status.ACCEPTED, Status.INVESTIGATING, Status.DECIDED]
CATEGORIES = [c for c in Category if c != Category.OTHER]
SELF_CHANNELS = [Channel.HOTLINE, Channel.HOTLINE, Channel.HOTLINE, Channel.COUNTER, Channel.ONLINE, Channel.LETTER]


class _Rollback(Exception):
    """Raised at the end of a size's run so its transaction rolls back."""


class _BenchFilter(ComplaintFilter):
    """The list page's FilterSet with "today" fixed at AS_OF (the synthetic cases are all of 2025)."""

    @staticmethod
    def today() -> datetime.date:
        return AS_OF


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError("--cases 须为以逗号分隔的正整数，如 20000,100000") from exc
    if not sizes or min(sizes) < 1:
        raise CommandError("--cases 须为以逗号分隔的正整数，如 20000,100000")
    return sizes


class Command(BaseCommand):
    help = "投诉案件性能基准：在回滚的事务中生成合成机构与案件，计时批量写入、派生考核数据、案件列表、超期任务与期限计算"

    def add_arguments(self, parser):
        parser.add_argument("--cases", default="20000,100000", help="案件数，逗号分隔（默认 20000,100000）")
        parser.add_argument("--branches", type=int, default=13, help="省公司下的中支数（默认 13）")
        parser.add_argument("--seed", type=int, default=2025, help="随机数种子")

    def handle(self, *args, **options):
        sizes = _sizes(options["cases"])
        if options["branches"] < 1:
            raise CommandError("--branches 须为正整数")
        self.stdout.write(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        self.stdout.write(f"cases already in the database: {Complaint.objects.count()}")
        for size in sizes:
            try:
                with transaction.atomic():
                    self._run(size, options["branches"], options["seed"])
                    raise _Rollback
            except _Rollback:
                pass
        left = (
            Branch.objects.filter(code__startswith=PREFIX).count() + Complaint.objects.filter(number__startswith=PREFIX).count()
        )
        self.stdout.write(f"rolled back: {left} bench rows left; cases in the database: {Complaint.objects.count()}")

    # ------------------------------------------------------------------ one size

    def _run(self, size: int, n_branches: int, seed: int) -> None:
        province = Branch.objects.create(code=f"{PREFIX}province", name="基准省分公司", level=BranchLevel.PROVINCE)
        prefectures = [
            Branch.objects.create(
                code=f"{PREFIX}p{i:02d}", name=f"基准中支{i:02d}", level=BranchLevel.PREFECTURE, parent=province, sort_order=i
            )
            for i in range(1, n_branches + 1)
        ]
        officer = User.objects.create_user(username=f"{PREFIX}officer", branch=province, role=Role.OFFICER)
        calendar = selectors.work_calendar()
        for year in (YEAR, YEAR + 1):
            calendar.day(datetime.date(year, 1, 1))  # load the entered years before anything is timed

        started = time.perf_counter()
        cases, extensions, pauses = _build(random.Random(f"{seed}:{size}"), size, prefectures, calendar)
        build_s = time.perf_counter() - started

        rows: list[tuple[str, float, int, str]] = [("build cases in Python (deadlines computed)", build_s, size, "-")]
        started = time.perf_counter()
        Complaint.objects.bulk_create(cases, batch_size=500)
        rows.append(("bulk_create cases", time.perf_counter() - started, size, "-"))

        children: dict[type, list] = {Extension: [], Pause: []}
        for model, by_case in ((Extension, extensions), (Pause, pauses)):
            for case in cases:
                for obj in by_case.get(id(case), ()):
                    obj.case = case
                    children[model].append(obj)
        started = time.perf_counter()
        for model, objs in children.items():
            model.objects.bulk_create(objs, batch_size=1000)
        total = sum(len(objs) for objs in children.values())
        rows.append(("bulk_create extensions + pauses", time.perf_counter() - started, total, "-"))

        counts = _counts(province)
        self.stdout.write("")
        self.stdout.write(
            f"== {size} cases, {n_branches} prefectures, as of {AS_OF} ({connection.vendor}) ==\n"
            + "   "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )

        # The derived figures the league table scores from (kpi.selectors._derived_figures): the whole year, all branches.
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            frame = selectors.derived_component_figures(
                branch_ids=[b.pk for b in prefectures],
                start=datetime.date(YEAR, 1, 1),
                end=datetime.date(YEAR, 12, 1),
                components=set(selectors.COMPONENT_RULES),
            )
            elapsed = time.perf_counter() - started
        rows.append((f"derived_component_figures, year ({len(frame)} figures)", elapsed, size, str(len(ctx))))

        # The officer's case list, first page, as complaints.views.case_list builds it (without the template).
        for label, query in (("overdue=true", {"overdue": "true"}), ("due_within=3", {"due_within": "3"})):
            request = RequestFactory().get("/complaints/", query)
            request.user = officer
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                matched, page_rows = _list_page(request)
                elapsed = time.perf_counter() - started
            rows.append((f"case list {label}, page 1 of {matched} ({page_rows} rows)", elapsed, page_rows, str(len(ctx))))

        # The daily overdue job over every case in the database (the bench cases and any already there).
        in_database = Complaint.objects.count()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            marked = services.complaints_mark_overdue(today=AS_OF)
            elapsed = time.perf_counter() - started
        rows.append((f"complaints_mark_overdue ({marked} marked)", elapsed, in_database, str(len(ctx))))

        # Pure deadline arithmetic (no ORM): decision limit, 15-day limit and the 10-working-day acceptance limit.
        sample = cases[:DEADLINE_CASES]
        facts = [
            (
                c.received_on,
                services._dl_extensions(extensions.get(id(c), ())),
                [dl.Pause(p.started_on, p.ended_on) for p in pauses.get(id(c), ())],
                c.ended_on,
            )
            for c in sample
        ]
        started = time.perf_counter()
        for received_on, ext, pau, ended_on in facts:
            dl.decision_deadline(received_on=received_on, extensions=ext, pauses=pau, ended_on=ended_on)
            dl.decision_deadline(received_on=received_on, extensions=ext, pauses=pau, ended_on=ended_on, count_extensions=False)
            dl.add_workdays(received_on, dl.ACCEPTANCE_WORKDAYS, calendar)
        rows.append((f"deadlines.py for {len(facts)} cases (3 limits each)", time.perf_counter() - started, len(facts), "0"))
        self._table(rows)

    def _table(self, rows) -> None:
        width = max(len(r[0]) for r in rows)
        self.stdout.write(f"   {'measure':<{width}}  {'seconds':>9}  {'rows':>8}  {'rows/s':>10}  {'queries':>7}")
        for label, seconds, count, queries in rows:
            rate = f"{count / seconds:,.0f}" if seconds > 0 else "-"
            self.stdout.write(f"   {label:<{width}}  {seconds:>9.3f}  {count:>8}  {rate:>10}  {queries:>7}")


def _list_page(request) -> tuple[int, int]:
    """complaints.views.case_list up to the rows it renders: filter, annotate, paginate, mask."""
    filterset = _BenchFilter(request.GET, queryset=selectors.complaint_queryset(user=request.user), request=request)
    if not filterset.is_valid():
        raise CommandError(f"筛选条件无效：{filterset.errors}")
    page = Paginator(selectors.with_due_flags(filterset.qs, today=AS_OF), PAGE_SIZE).get_page(1)
    masker = selectors.customer_masker(user=request.user)
    rows = [{"case": case, "customer": masker(case), "branch": case.branch.code} for case in page.object_list]
    return page.paginator.count, len(rows)


def _counts(province: Branch) -> dict[str, int]:
    qs = Complaint.objects.filter(branch__parent=province)
    return {
        "cases": qs.count(),
        "open": qs.open().count(),
        "regulator": qs.filter(source=Source.REGULATOR).count(),
        "ended within 15 days": qs.filter(selectors.CLOSED_15D).count(),
        "overdue flagged": qs.filter(is_overdue=True).count(),
        "withdrawn": qs.filter(status=Status.WITHDRAWN).count(),
        "to mediate": qs.filter(mediation_required_on__isnull=False).count(),
        "extensions": Extension.objects.filter(case__branch__parent=province).count(),
        "pauses": Pause.objects.filter(case__branch__parent=province).count(),
    }


# ---------------------------------------------------------------------- synthetic cases


def _build(rng: random.Random, size: int, branches: list[Branch], calendar):
    """`size` valid cases (deadline fields computed as the services compute them), with their extensions and pauses."""
    cases: list[Complaint] = []
    extensions: dict[int, list[Extension]] = defaultdict(list)
    pauses: dict[int, list[Pause]] = defaultdict(list)
    start = datetime.date(YEAR, 1, 1)
    days = (datetime.date(YEAR, 12, 31) - start).days
    # Bigger prefectures get more cases, as in the real province.
    weights = [rng.uniform(0.5, 2.0) for _ in branches]
    seq: dict[int, int] = defaultdict(int)
    for _ in range(size):
        branch = rng.choices(branches, weights)[0]
        seq[branch.pk] += 1
        received_on = start + DAY * rng.randint(0, days)
        source = Source.REGULATOR if rng.random() < 0.4 else Source.SELF
        category = rng.choice(CATEGORIES)
        case = Complaint(
            number=f"{PREFIX}TS{YEAR}-{branch.code}-{seq[branch.pk]:06d}",
            branch=branch,
            source=source,
            channel=Channel.REGULATOR if source == Source.REGULATOR else rng.choice(SELF_CHANNELS),
            received_at=datetime.datetime.combine(received_on, datetime.time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=SH),
            received_on=received_on,
            clock_started_on=received_on,
            regulator_ref=f"苏金监消转〔{YEAR}〕{rng.randint(100, 99999)}号" if source == Source.REGULATOR else "",
            customer_name="测试客户",
            customer_phone=f"139{rng.randint(10**7, 10**8 - 1)}",
            policy_number=f"P{YEAR}{rng.randint(10**11, 10**12 - 1)}",
            category=category,
            summary="基准测试合成案件",
        )
        ext, pau = _handle(rng, case)
        if ext:
            extensions[id(case)] = ext
        if pau:
            pauses[id(case)] = pau
        fields = services.complaint_deadline_fields(case=case, extensions=ext, pauses=pau, restarts=[], calendar=calendar)
        for name, value in fields.items():
            setattr(case, name, value)
        if case.status == Status.WITHDRAWN:
            case.counts_in_figures = False
        if not case.is_open and case.decision_due_on and case.ended_on and case.ended_on > case.decision_due_on:
            case.is_overdue, case.overdue_on = True, dl.overdue_on(case.decision_due_on)
            case.overdue_reason = "未及时申请延期"
        cases.append(case)
    return cases, extensions, pauses


def _handle(rng: random.Random, case: Complaint) -> tuple[list[Extension], list[Pause]]:
    """Take a case to where it stands at AS_OF; returns its extensions and pauses (unsaved)."""
    r = case.received_on
    age = (AS_OF - r).days
    ext: list[Extension] = []
    pau: list[Pause] = []
    if rng.random() < 0.01:  # withdrawn before acceptance: not counted
        case.status, case.withdrawn_on = Status.WITHDRAWN, min(AS_OF, r + DAY)
        return ext, pau
    # Recent cases are mostly still open; a few old ones are stuck (the overdue job finds those).
    if rng.random() < (0.9 if age < 10 else 0.5 if age < 20 else 0.005):
        case.status = rng.choice(OPEN_STATUSES)
        if case.status != Status.RECEIVED:
            case.accepted_on = min(AS_OF, r + DAY * rng.randint(0, 2))
        if case.status == Status.DECIDED:
            case.decided_on, case.decision = min(AS_OF, r + DAY * rng.randint(3, 10)), "补充赔付"
        if rng.random() < 0.03:
            case.material_complete, case.accepted_on = False, None
            case.status = Status.RECEIVED
        return ext, pau
    case.accepted_on = r + DAY * rng.choice([0, 1, 1, 2])
    if rng.random() < 0.3:
        case.joint_sheet_sent_on = case.accepted_on
        case.joint_sheet_answered_on = case.accepted_on + DAY * rng.randint(1, 7)
    late = rng.random() < 0.08
    if not late:
        if rng.random() < 0.04:  # outside appraisal: paused days not counted
            begin, length = r + DAY * rng.randint(2, 5), rng.randint(3, 8)
            pau.append(Pause(kind=PauseKind.APPRAISAL, started_on=begin, ended_on=begin + DAY * length, note="外部鉴定"))
            notice = r + DAY * (rng.randint(8, 15) + length)
        else:
            notice = r + DAY * rng.randint(2, 15)
    elif rng.random() < 0.5:  # extended to 30 days
        ext.append(Extension(granted_on=r + DAY * rng.randint(8, 14), limit_days=30, approver="客服部负责人", reason="需核实"))
        notice = r + DAY * rng.randint(16, 30)
    else:  # told the customer late: overdue
        notice = r + DAY * rng.randint(16, 25)
    notice = min(notice, AS_OF)
    case.decided_on, case.decision, case.decision_reasons = max(case.accepted_on, notice - DAY), "协商处理", "经核实"
    case.notice_on, case.notice_method = notice, rng.choice([NoticeMethod.PHONE, NoticeMethod.LETTER])
    if rng.random() < 0.8 and notice + DAY * 3 <= AS_OF:
        case.status, case.closed_on = Status.CLOSED, notice + DAY * rng.randint(1, 3)
    else:
        case.status = Status.NOTIFIED
    if rng.random() < 0.6:
        case.callback_on = min(AS_OF, notice + DAY)
        answers = [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]
        case.satisfaction = rng.choices(answers, [70, 22, 8])[0]
    if rng.random() < 0.04:  # a dispute to mediate
        case.mediation_required_on = min(AS_OF, r + DAY * rng.randint(1, 10))
        if rng.random() < 0.85:
            case.mediated_on = min(AS_OF, case.mediation_required_on + DAY * rng.randint(1, 10))
            if rng.random() < 0.6:
                case.agreement_on = min(AS_OF, case.mediated_on + DAY * rng.randint(0, 5))
                if rng.random() < 0.8:
                    case.agreement_executed_on = min(AS_OF, case.agreement_on + DAY * rng.randint(3, 20))
    return ext, pau

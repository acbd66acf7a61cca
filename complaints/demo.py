"""Demo complaint cases for the 13 Jiangsu branches whose monthly counts equal the demo's monthly figures.

For January–August of 2022 and 2023 the cases reproduce, branch by branch and month by month, the
complaint components of `kpi/data/jiangsu-2023/monthly_figures.csv` (regulator and self-received
counts, 15-day closures, mediation); the loader then switches those components to `derived`, so
the league table takes them from the cases and stays exactly as published.

Deterministic (one seeded RNG per branch and month) and idempotent: demo cases are numbered
`DEMO-…` and replaced as a whole on every run. Mediation carried by 2022 cases whose mediation
falls in December 2022 (outside the figures' months) is used only when a branch's 2023 agreements
outrun its 2023 mediations.
"""

import calendar as month_calendar
import csv
import datetime
import random
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import transaction

from branches.models import Branch, User
from complaints import selectors, services
from complaints.choices import Category, Channel, EventKind, NoticeMethod, PauseKind, Satisfaction, Source, Status
from complaints.deadlines import cn
from complaints.models import CaseEvent, ClockRestart, Complaint, Extension, Pause, RepeatCall

FIGURES_CSV = Path(settings.BASE_DIR) / "kpi" / "data" / "jiangsu-2023" / "monthly_figures.csv"
PREFIX = "DEMO-"
SH = ZoneInfo("Asia/Shanghai")
COMPONENTS = (
    "reg_complaints",
    "own_complaints",
    "reg_closed_15d",
    "own_closed_15d",
    "disputes_to_mediate",
    "disputes_mediated",
    "mediation_agreements",
    "agreements_executed",
)
# Jiangsu's ID-number prefixes by city: the demo's ID numbers look like real ones (with a valid check digit).
REGION = {
    "nanjing": "3201",
    "wuxi": "3202",
    "xuzhou": "3203",
    "changzhou": "3204",
    "suzhou": "3205",
    "nantong": "3206",
    "lianyungang": "3207",
    "huaian": "3208",
    "yancheng": "3209",
    "yangzhou": "3210",
    "zhenjiang": "3211",
    "taizhou": "3212",
    "suqian": "3213",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力斌波宁浩峰云志飞鹏"
SUMMARIES = {
    Category.SALES_MISLEADING: "客户反映投保时业务员夸大收益、未说明退保损失，要求全额退保。",
    Category.CLAIMS: "客户反映住院理赔申请提交后长时间未处理，要求尽快赔付。",
    Category.POLICY_SERVICE: "客户反映变更投保人手续办理缓慢，多次往返柜面。",
    Category.SURRENDER: "客户对退保金额有异议，认为现金价值计算有误。",
    Category.ATTITUDE: "客户反映柜面人员服务态度生硬，解释不耐心。",
    Category.RENEWAL: "客户反映续期保费扣款失败未及时通知，保单进入宽限期。",
    Category.PRODUCT: "客户对条款中等待期约定有异议。",
}
CATEGORY_WEIGHTS = [
    (Category.SALES_MISLEADING, 30),
    (Category.CLAIMS, 25),
    (Category.POLICY_SERVICE, 12),
    (Category.SURRENDER, 15),
    (Category.ATTITUDE, 8),
    (Category.RENEWAL, 6),
    (Category.PRODUCT, 4),
]
SELF_CHANNELS = [Channel.HOTLINE, Channel.HOTLINE, Channel.HOTLINE, Channel.COUNTER, Channel.ONLINE, Channel.LETTER]
DAY = datetime.timedelta(days=1)


def _month_days(month: datetime.date) -> int:
    return month_calendar.monthrange(month.year, month.month)[1]


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SH)


def read_targets(path: Path = FIGURES_CSV) -> dict[tuple[str, datetime.date], dict[str, int]]:
    """The complaint components of the figures file: (branch, month) → {component: count}."""
    targets: dict[tuple[str, datetime.date], dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["component"] in COMPONENTS:
                month = datetime.date.fromisoformat(row["month"] + "-01")
                targets[(row["branch"], month)][row["component"]] = int(float(row["value"]))
    return dict(targets)


def _id_number(rng: random.Random, branch: str) -> str:
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 50))
    body = f"{REGION.get(branch, '3201')}{rng.randint(1, 19):02d}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


class _Builder:
    """Collects the demo's rows in memory, then writes them with bulk inserts."""

    def __init__(self, branches: dict[str, Branch]):
        self.branches = branches
        self.handlers = {u.username: u for u in User.objects.filter(username__in=list(branches))}
        self.cases: list[Complaint] = []
        self.extensions: dict[int, list[Extension]] = defaultdict(list)
        self.pauses: dict[int, list[Pause]] = defaultdict(list)
        self.calls: dict[int, list[RepeatCall]] = defaultdict(list)
        self.events: dict[int, list[tuple]] = defaultdict(list)
        self.seq: dict[tuple[str, int], int] = defaultdict(int)
        self.late_toggle = 0

    def new_case(self, rng: random.Random, branch: str, source: str, received_on: datetime.date) -> Complaint:
        year = received_on.year
        self.seq[(branch, year)] += 1
        category = rng.choices([c for c, _w in CATEGORY_WEIGHTS], weights=[w for _c, w in CATEGORY_WEIGHTS])[0]
        received_at = _at(received_on, rng.randint(8, 17), rng.choice([0, 10, 20, 30, 40, 50]))
        case = Complaint(
            number=f"{PREFIX}TS{year}-{branch}-{self.seq[(branch, year)]:04d}",
            branch=self.branches[branch],
            source=source,
            channel=Channel.REGULATOR if source == Source.REGULATOR else rng.choice(SELF_CHANNELS),
            received_at=received_at,
            received_on=received_on,
            clock_started_on=received_on,
            regulator_ref=f"苏金监消转〔{year}〕{rng.randint(100, 9999)}号" if source == Source.REGULATOR else "",
            customer_name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2]))),
            customer_phone="1" + rng.choice("3578") + "".join(str(rng.randint(0, 9)) for _ in range(9)),
            customer_id_number=_id_number(rng, branch),
            policy_number=f"P{year}{rng.randint(10**11, 10**12 - 1)}",
            category=category,
            summary=SUMMARIES[category],
            handler=self.handlers.get(branch),
            status=Status.CLOSED,
        )
        self.cases.append(case)
        self.event(
            case,
            received_at,
            EventKind.CREATED,
            f"登记投诉：{Source(source).label}，{Channel(case.channel).label}，{Category(category).label}",
        )
        return case

    def event(self, case: Complaint, at, kind: str, message: str) -> None:
        at = at if isinstance(at, datetime.datetime) else _at(at, 16)
        self.events[id(case)].append((at, kind, message))

    # -------------------------------------------------------------- handling paths

    def handle(self, rng: random.Random, case: Complaint, *, closed15: bool) -> None:
        """Accept, decide and tell the customer: within 15 days, or later (extended, or overdue)."""
        r = case.received_on
        case.accepted_on = r + DAY * rng.choice([0, 1, 1, 2])
        self.event(case, case.accepted_on, EventKind.ACCEPTED, f"{cn(case.accepted_on)} 受理")
        if rng.random() < 0.35:
            self._joint_sheet(rng, case)
        if closed15:
            if rng.random() < 0.08:  # outside appraisal: days not counted, still a 15-day closure
                start, days = r + DAY * rng.randint(2, 4), rng.randint(3, 6)
                self.pauses[id(case)].append(
                    Pause(kind=PauseKind.APPRAISAL, started_on=start, ended_on=start + DAY * days, note="委托外部机构鉴定")
                )
                self.event(case, start, EventKind.PAUSED, f"{cn(start)} 起外部鉴定/检测，中止计时")
                self.event(
                    case, start + DAY * days, EventKind.RESUMED, f"{cn(start + DAY * days)} 恢复计时，中止 {days} 日不计入"
                )
                notice = r + DAY * (15 + days - rng.randint(0, 1))
            else:
                notice = r + DAY * rng.randint(max(3, (case.accepted_on - r).days + 1), 14)
        elif self._toggle():
            granted = r + DAY * rng.randint(9, 13)
            self.extensions[id(case)].append(
                Extension(granted_on=granted, limit_days=30, approver="分公司客服部负责人", reason="需调取双录及核实销售过程")
            )
            self.event(case, granted, EventKind.EXTENDED, f"{cn(granted)} 经 分公司客服部负责人 批准延期至 30 日")
            notice = r + DAY * rng.randint(18, 27)
        else:
            notice = r + DAY * rng.randint(17, 21)
            case.is_overdue, case.overdue_on = True, r + DAY * 16
            case.overdue_reason = "经办人误判期限，未及时申请延期"
            self.event(case, r + DAY * 16, EventKind.OVERDUE, "处理期限已届满，尚未告知客户处理决定，标记为超期")
        decided = max(case.accepted_on, notice - DAY * rng.choice([0, 0, 1]))
        for pause in self.pauses[id(case)]:
            decided = max(decided, pause.ended_on)
        case.decided_on, case.decision = (
            decided,
            rng.choice(["协商退还部分保费", "维持原处理意见并解释条款", "补充赔付", "办理变更并致歉"]),
        )
        case.decision_reasons = "经调查核实，依据保险合同约定及相关规定作出。"
        case.notice_on, case.notice_method = notice, rng.choice([NoticeMethod.PHONE, NoticeMethod.PHONE, NoticeMethod.LETTER])
        case.closed_on = notice + DAY * rng.randint(1, 4)
        self.event(case, decided, EventKind.DECIDED, f"{cn(decided)} 作出处理决定：{case.decision}")
        self.event(case, notice, EventKind.NOTIFIED, f"{cn(notice)} 以{NoticeMethod(case.notice_method).label}告知客户处理决定")
        self.event(case, case.closed_on, EventKind.CLOSED, f"{cn(case.closed_on)} 结案")
        if rng.random() < 0.7:
            case.callback_on = notice + DAY * rng.randint(1, 3)
            case.satisfaction = rng.choices(
                [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED], [70, 22, 8]
            )[0]
            self.event(
                case,
                case.callback_on,
                EventKind.CALLBACK,
                f"{cn(case.callback_on)} 满意度回访：{Satisfaction(case.satisfaction).label}",
            )
        if rng.random() < (0.3 if case.source == Source.REGULATOR else 0.05):
            for _ in range(rng.choice([1, 1, 2])):
                span = max(1, (notice - r).days)
                at = _at(r + DAY * rng.randint(1, span), rng.randint(9, 17), rng.choice([5, 25, 45]))
                self.calls[id(case)].append(RepeatCall(called_at=at, note="客户来电催办"))
                self.event(case, at, EventKind.REPEAT_CALL, "客户重复来电：催办")

    def _toggle(self) -> bool:
        self.late_toggle += 1
        return self.late_toggle % 2 == 1

    def _joint_sheet(self, rng: random.Random, case: Complaint) -> None:
        case.joint_sheet_sent_on = case.accepted_on
        case.joint_sheet_answered_on = case.accepted_on + DAY * (rng.randint(1, 5) if rng.random() < 0.95 else rng.randint(9, 12))
        self.event(case, case.joint_sheet_sent_on, EventKind.JOINT_SHEET_SENT, f"{cn(case.joint_sheet_sent_on)} 发出会办单")
        self.event(
            case, case.joint_sheet_answered_on, EventKind.JOINT_SHEET_ANSWERED, f"{cn(case.joint_sheet_answered_on)} 会办单回复"
        )

    def withdraw_before_acceptance(self, rng: random.Random, branch: str, month: datetime.date) -> None:
        received = month + DAY * rng.randint(0, _month_days(month) - 2)
        case = self.new_case(rng, branch, Source.SELF, received)
        case.status, case.withdrawn_on, case.counts_in_figures = Status.WITHDRAWN, received + DAY, False
        self.event(case, received + DAY, EventKind.WITHDRAWN, f"{cn(received + DAY)} 客户撤回投诉（受理前撤回，不计入投诉件数）")

    def merge_duplicate(self, rng: random.Random, target: Complaint) -> None:
        received = target.received_on + DAY
        case = self.new_case(rng, target.branch.code, target.source, received)
        case.customer_name, case.customer_phone = target.customer_name, target.customer_phone
        case.customer_id_number, case.policy_number, case.category = (
            target.customer_id_number,
            target.policy_number,
            target.category,
        )
        case.summary, case.regulator_ref = target.summary, target.regulator_ref
        case.status, case.merged_on, case.counts_in_figures = Status.MERGED, received, False
        case._merge_target = target
        self.event(case, received, EventKind.MERGED, f"{cn(received)} 作为重复投诉并入 {target.number}")
        self.event(target, received, EventKind.MERGED_IN, f"并入重复投诉 {case.number}（收到于 {cn(received)}）")


def _build(targets, branches: dict[str, Branch]) -> _Builder:
    b = _Builder(branches)
    counted: dict[str, list[Complaint]] = defaultdict(list)  # per branch, in month order
    for branch, month in sorted(targets, key=lambda k: (k[0], k[1])):
        t = targets[(branch, month)]
        rng = random.Random(f"{branch}:{month:%Y-%m}")
        month_cases = []
        for source, total_key, closed_key in (
            (Source.REGULATOR, "reg_complaints", "reg_closed_15d"),
            (Source.SELF, "own_complaints", "own_closed_15d"),
        ):
            total = t.get(total_key, 0)
            # 2022 has no closure figures: there a few cases run late, so the demo has overdue and extended cases
            # (2023's figures leave almost no room for them).
            closed = t[closed_key] if closed_key in t else total - (total >= 3 and rng.random() < 0.3)
            days = sorted(month + DAY * rng.randint(0, _month_days(month) - 1) for _ in range(total))
            flags = [True] * closed + [False] * (total - closed)
            rng.shuffle(flags)
            for received, in_time in zip(days, flags, strict=True):
                case = b.new_case(rng, branch, source, received)
                b.handle(rng, case, closed15=in_time)
                month_cases.append(case)
        counted[branch] += month_cases
        if month.month in (3, 7):  # a few cases that must not count: a withdrawal before acceptance and a merged repeat
            b.withdraw_before_acceptance(rng, branch, month)
            targets_ok = [c for c in month_cases if (c.notice_on - c.received_on).days >= 3]
            if targets_ok:
                b.merge_duplicate(rng, targets_ok[0])
    for branch in sorted(counted):
        _mediation(b, branch, counted[branch], targets)
    return b


def _mediation(b: _Builder, branch: str, cases: list[Complaint], targets) -> None:
    """Give cases of the branch the mediation dates that reproduce its monthly mediation figures."""
    months = sorted(m for (br, m) in targets if br == branch and "disputes_to_mediate" in targets[(br, m)])
    rng = random.Random(f"{branch}:mediation")
    used: set[int] = set()
    mediated: list[Complaint] = []
    for month in months:
        t = targets[(branch, month)]
        last = month + DAY * (_month_days(month) - 1)
        pool = [c for c in cases if id(c) not in used and c.received_on <= last]
        # Prefer the month's own cases, then the most recent earlier ones.
        pool.sort(key=lambda c: (c.received_on < month, -c.received_on.toordinal()))
        need = t.get("disputes_to_mediate", 0)
        if len(pool) < need:
            raise RuntimeError(f"{branch} {month:%Y-%m}：可作为应调解纠纷的投诉不足")
        for i, case in enumerate(pool[:need]):
            used.add(id(case))
            start = max(month, case.received_on)
            case.mediation_required_on = min(last, start + DAY * rng.randint(0, 3))
            if i < t.get("disputes_mediated", 0):
                case.mediated_on = case.mediation_required_on + DAY * rng.randint(1, 6)
                mediated.append(case)
    _agreements(b, branch, cases, months, mediated, used, targets, rng)


def _agreements(b, branch, cases, months, mediated, used, targets, rng) -> None:
    mediated.sort(key=lambda c: c.mediated_on)
    taken: set[int] = set()
    fallback = [c for c in cases if c.received_on.year < months[0].year and id(c) not in used] if months else []
    for month in months:
        t = targets[(branch, month)]
        last = month + DAY * (_month_days(month) - 1)
        chosen = [c for c in mediated if id(c) not in taken and c.mediated_on <= last][: t.get("mediation_agreements", 0)]
        while len(chosen) < t.get("mediation_agreements", 0):
            # More agreements than this year's mediations so far: a dispute mediated in December of the year before.
            if not fallback:
                raise RuntimeError(f"{branch} {month:%Y-%m}：调解协议件数多于已调解的纠纷")
            case = fallback.pop()
            used.add(id(case))
            case.mediation_required_on = datetime.date(month.year - 1, 12, 1) + DAY * rng.randint(0, 20)
            case.mediated_on = case.mediation_required_on + DAY * 2
            chosen.append(case)
        for i, case in enumerate(chosen):
            taken.add(id(case))
            case.agreement_on = min(last, max(month, case.mediated_on) + DAY * rng.randint(0, 3))
            if i < t.get("agreements_executed", 0):
                case.agreement_executed_on = case.agreement_on + DAY * rng.randint(3, 20)
    for case in cases:
        if case.mediation_required_on:
            parts = [f"认定应调解 {cn(case.mediation_required_on)}"]
            parts += [f"调解 {cn(case.mediated_on)}"] if case.mediated_on else []
            parts += [f"达成协议 {cn(case.agreement_on)}"] if case.agreement_on else []
            parts += [f"协议履行 {cn(case.agreement_executed_on)}"] if case.agreement_executed_on else []
            b.event(
                case,
                case.agreement_executed_on or case.agreement_on or case.mediated_on or case.mediation_required_on,
                EventKind.MEDIATION,
                "调解情况：" + "；".join(parts),
            )


def _delete_demo() -> None:
    demo = Complaint.objects.filter(number__startswith=PREFIX)
    for model in (CaseEvent, Extension, Pause, ClockRestart, RepeatCall):
        model.objects.filter(case__in=demo).delete()
    demo.update(merged_into=None)
    Complaint.history.filter(number__startswith=PREFIX).delete()
    demo.delete()


@transaction.atomic
def load_demo_complaints(*, figures_csv: Path = FIGURES_CSV) -> int:
    """Replace the demo cases, switch the complaint components to derived, check the counts; returns the case count."""
    targets = read_targets(figures_csv)
    codes = sorted({branch for branch, _m in targets})
    branches = {b.code: b for b in Branch.objects.filter(code__in=codes)}
    missing = sorted(set(codes) - set(branches))
    if missing:
        raise RuntimeError(f"缺少机构：{'、'.join(missing)}；请先运行 load_demo")
    _delete_demo()
    b = _build(targets, branches)
    calendar = selectors.work_calendar()
    for case in b.cases:
        fields = services.complaint_deadline_fields(
            case=case, extensions=b.extensions[id(case)], pauses=b.pauses[id(case)], restarts=[], calendar=calendar
        )
        for name, value in fields.items():
            setattr(case, name, value)
    Complaint.objects.bulk_create(b.cases, batch_size=500)
    for case in b.cases:
        target = getattr(case, "_merge_target", None)
        if target is not None:
            case.merged_into = target
    Complaint.objects.bulk_update([c for c in b.cases if c.merged_into_id], ["merged_into"])
    for rows, model in ((b.extensions, Extension), (b.pauses, Pause), (b.calls, RepeatCall)):
        objs = []
        for case in b.cases:
            for obj in rows.get(id(case), []):
                obj.case = case
                objs.append(obj)
        model.objects.bulk_create(objs, batch_size=1000)
    CaseEvent.objects.bulk_create(
        (
            CaseEvent(case=case, at=at, kind=kind, message=message)
            for case in b.cases
            for at, kind, message in sorted(b.events[id(case)], key=lambda e: e[0])
        ),
        batch_size=2000,
    )
    _use_derived_components()
    _check(targets, list(branches.values()))
    return len(b.cases)


def _use_derived_components() -> None:
    # complaints does not import kpi (kpi depends on complaints); the Component rows are updated by name.
    if apps.is_installed("kpi"):
        apps.get_model("kpi", "Component").objects.filter(code__in=COMPONENTS).update(source="derived")


def _check(targets, branches: list[Branch]) -> None:
    """Refuse (and roll back) unless every figure of the file comes out of the cases exactly."""
    months = sorted({m for _b, m in targets})
    frame = selectors.derived_component_figures(
        branch_ids=[b.pk for b in branches], start=months[0], end=months[-1], components=set(COMPONENTS)
    )
    derived = {(r.branch, r.component, r.month): int(r.value) for r in frame.itertuples()}
    wrong = [
        f"{branch} {month:%Y-%m} {component}: 应为 {value}，得 {derived.get((branch, component, month), 0)}"
        for (branch, month), values in targets.items()
        for component, value in values.items()
        if derived.get((branch, component, month), 0) != value
    ]
    if wrong:
        raise RuntimeError("演示投诉数据与月度数据不一致：" + "；".join(wrong[:10]))

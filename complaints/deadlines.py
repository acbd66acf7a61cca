"""Legal deadlines of a complaint: pure date arithmetic that explains every step it takes.

No ORM and no Django here. Callers pass the facts recorded on a case (receipt, extensions, pauses,
restarts, the end) and, for working-day limits, a calendar lookup (complaints.workdays). Every
function returns a `Deadline`: the date, whether it rests on an official holiday schedule, and the
steps, in Chinese, that a clerk can read to check it.

Rules (银行业保险业消费投诉处理管理办法 and the company's rules):
- The decision limit is 15 calendar days ("日"), extendable to 30 and then 60 days; the day of receipt
  is not counted. It ends when the customer is told of the decision.
- Time in outside appraisal or mediation is not counted: a pause from S to E adds (E − S) days, i.e.
  the days after S up to and including E. A pause that starts after the limit has run out adds nothing.
- New facts or reasons restart the clock from their arrival: the limit is 15 days again, and the
  extensions and pauses recorded before the restart no longer apply.
- Working-day limits count only working days after the start day, on China's official calendar.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

DECISION_LIMIT_DAYS = 15
EXTENSION_LIMITS = (30, 60)  # the first extension takes the limit to 30 days, the second to 60
JOINT_SHEET_WORKDAYS = 5  # 会办单: 120 hours
MATERIAL_REQUEST_WORKDAYS = 5  # ask for missing material within 5 working days of receipt
ACCEPTANCE_WORKDAYS = 10  # accept or refuse within 10 working days of complete material
UNOFFICIAL = "放假安排未发布"

RUNNING, PAUSED, ENDED = "running", "paused", "ended"
WEEKDAYS = "一二三四五六日"


def cn(d: date) -> str:
    """A date as Chinese readers write it: 2023年8月31日."""
    return f"{d.year}年{d.month}月{d.day}日"


def cn_weekday(d: date) -> str:
    return f"{cn(d)}（星期{WEEKDAYS[d.weekday()]}）"


@dataclass(frozen=True)
class DayInfo:
    """One day of the calendar: whether people work, and whether an official schedule says so."""

    working: bool
    official: bool
    name: str = ""


class CalendarLookup(Protocol):
    def day(self, d: date) -> DayInfo: ...


@dataclass(frozen=True)
class Deadline:
    """A computed limit: its date (None while paused), whether it is official, and how it was reached."""

    due_on: date | None
    official: bool = True
    state: str = RUNNING
    steps: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "official": self.official,
            "state": self.state,
            "steps": list(self.steps),
        }


@dataclass(frozen=True)
class Extension:
    granted_on: date
    limit_days: int
    approver: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Pause:
    started_on: date
    ended_on: date | None = None
    label: str = "中止"


@dataclass(frozen=True)
class Restart:
    on: date
    reason: str = ""


def clock_start(received_on: date, restarts: Iterable[date]) -> date:
    """The day the decision clock last started: the receipt, or the latest restart on or after it."""
    return max([received_on, *(on for on in restarts if on >= received_on)])


def extensions_in_force(clock_started_on: date, extensions: Iterable[Extension]) -> list[Extension]:
    """The extensions granted since the clock last started, oldest first (earlier ones no longer apply)."""
    return sorted((e for e in extensions if e.granted_on >= clock_started_on), key=lambda e: e.granted_on)


def limit_in_force(clock_started_on: date, extensions: Iterable[Extension]) -> int:
    """The decision limit in days: 15, or what the latest extension since the clock started granted."""
    in_force = extensions_in_force(clock_started_on, extensions)
    return in_force[-1].limit_days if in_force else DECISION_LIMIT_DAYS


def next_extension_limit(current_limit: int) -> int | None:
    """The limit the next extension grants, or None when 60 days is already reached."""
    later = [limit for limit in EXTENSION_LIMITS if limit > current_limit]
    return later[0] if later else None


def add_workdays(start: date, days: int, calendar: CalendarLookup, *, title: str = "") -> Deadline:
    """The date of the `days`-th working day after `start` (the start day itself is not counted)."""
    if days < 0:
        raise ValueError("days must be ≥ 0")
    steps = [f"{title}起算日 {cn(start)}（当日不计），计 {days} 个工作日"]
    d, counted = start, 0
    holidays: list[str] = []
    makeup: list[str] = []
    weekends = 0
    unofficial_years: set[int] = set()
    while counted < days:
        d += timedelta(days=1)
        info = calendar.day(d)
        if not info.official:
            unofficial_years.add(d.year)
        if info.working:
            counted += 1
            if d.weekday() >= 5:
                makeup.append(f"{cn_weekday(d)}{info.name}")
        elif info.name or d.weekday() < 5:
            holidays.append(f"{cn_weekday(d)}{info.name}")
        else:
            weekends += 1
    if weekends:
        steps.append(f"跳过周末 {weekends} 天")
    if holidays:
        steps.append("跳过放假日：" + "、".join(holidays))
    if makeup:
        steps.append("调休上班日计为工作日：" + "、".join(makeup))
    for year in sorted(unofficial_years):
        steps.append(f"{year}年{UNOFFICIAL}：按周一至周五并剔除法定节假日推算，待录入当年放假安排后重算")
    steps.append(f"第 {days} 个工作日为 {cn_weekday(d)}" if days else f"不加工作日，仍为 {cn(d)}")
    return Deadline(due_on=d, official=not unofficial_years, steps=tuple(steps))


def decision_deadline(
    *,
    received_on: date,
    extensions: Iterable[Extension] = (),
    pauses: Iterable[Pause] = (),
    restarts: Iterable[Restart] = (),
    ended_on: date | None = None,
    end_note: str = "",
    count_extensions: bool = True,
) -> Deadline:
    """The decision-and-notice limit in calendar days; with count_extensions=False, the plain 15 days."""
    steps = [f"收到投诉 {cn(received_on)}（当日不计）"]
    restarts = sorted((r for r in restarts if r.on >= received_on), key=lambda r: r.on)
    for restart in restarts:
        steps.append(f"{cn(restart.on)} 收到新的事实和理由，重新计时（当日不计）{_colon(restart.reason)}")
    start = clock_start(received_on, (r.on for r in restarts))

    extensions = list(extensions)
    in_force = extensions_in_force(start, extensions)
    if count_extensions:
        limit = limit_in_force(start, extensions)
        for ext in in_force:
            approver = f"经 {ext.approver} 批准" if ext.approver else ""
            steps.append(f"{cn(ext.granted_on)} {approver}延期至 {ext.limit_days} 日{_colon(ext.reason)}")
        if len(in_force) < len(extensions):
            steps.append(f"重新计时前的 {len(extensions) - len(in_force)} 次延期不再适用")
    else:
        limit = DECISION_LIMIT_DAYS
        steps.append("15日办结口径：延期不计入")

    due = start + timedelta(days=limit)
    steps.append(f"处理期限 {limit} 日：{cn(start)} + {limit} 日 = {cn(due)}")

    covered_until: date | None = None
    for pause in sorted((p for p in pauses if p.started_on >= start), key=lambda p: p.started_on):
        if pause.started_on > due:
            steps.append(f"{pause.label}自 {cn(pause.started_on)} 开始，已在期限届满之后，不顺延")
            continue
        if pause.ended_on is None:
            steps.append(f"自 {cn(pause.started_on)} 起{pause.label}，中止计时；恢复后按中止天数顺延")
            return Deadline(due_on=None, state=PAUSED, steps=tuple(steps))
        start = max(pause.started_on, covered_until) if covered_until else pause.started_on
        days = max(0, (pause.ended_on - start).days)
        covered_until = max(pause.ended_on, covered_until or pause.ended_on)
        due += timedelta(days=days)
        steps.append(f"{pause.label} {cn(pause.started_on)} 至 {cn(pause.ended_on)}，{days} 日不计入，顺延至 {cn(due)}")

    steps.append(f"期限届满日：{cn(due)}")
    if ended_on is not None:
        steps.append(end_note or f"{cn(ended_on)} 处理结束")
        return Deadline(due_on=due, state=ENDED, steps=tuple(steps))
    return Deadline(due_on=due, steps=tuple(steps))


def closed_within(deadline: Deadline, ended_on: date | None) -> bool:
    """Whether a case that ended on `ended_on` ended within the deadline."""
    return ended_on is not None and deadline.due_on is not None and ended_on <= deadline.due_on


def overdue_on(due_on: date | None) -> date | None:
    """The first day a case is overdue: the day after its limit (None while the limit is paused)."""
    return due_on + timedelta(days=1) if due_on else None


def _colon(text: str) -> str:
    return f"：{text}" if text else ""


def pauses_overlap(pauses: Sequence[Pause], new: Pause) -> bool:
    """Whether a new pause overlaps a recorded one (an open pause runs to the end of time)."""
    far = date.max
    for p in pauses:
        if new.started_on < (p.ended_on or far) and p.started_on < (new.ended_on or far):
            return True
    return False

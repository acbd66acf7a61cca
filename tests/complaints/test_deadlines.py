"""The pure deadline rules: working days on China's calendar, the decision limit, extensions, pauses, restarts."""

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints import deadlines as dl
from complaints.workdays import TableCalendar, chinesecalendar_calendar, chinesecalendar_rows, fallback_day

D = date.fromisoformat
CAL = chinesecalendar_calendar()


# Every holiday and make-up day used below is checked against chinesecalendar in test_calendar_facts.
WORKDAY_TABLE = [
    # start, days, expected, official, why
    ("2023-09-27", 5, "2023-10-10", True, "中秋国庆 9/29–10/6 放假，10/7(六)、10/8(日) 调休上班"),
    ("2023-09-28", 1, "2023-10-07", True, "节后第一个工作日是调休的星期六"),
    ("2023-01-20", 1, "2023-01-28", True, "春节 1/21–1/27 放假，1/28(六) 调休上班"),
    ("2023-04-28", 1, "2023-05-04", True, "劳动节 4/29–5/3 放假"),
    ("2023-04-28", 3, "2023-05-06", True, "5/6(六) 调休上班"),
    ("2023-06-21", 2, "2023-06-26", True, "端午 6/22–6/24 放假；6/25(日) 调休上班 计第1日"),
    ("2024-02-08", 2, "2024-02-18", True, "2/9 上班；春节 2/10–2/17 放假；2/18(日) 调休上班"),
    ("2025-09-30", 1, "2025-10-09", True, "国庆中秋 10/1–10/8 放假"),
    ("2025-09-30", 3, "2025-10-11", True, "10/11(六) 调休上班"),
    ("2025-12-31", 1, "2026-01-04", True, "跨年进入已录入年份：元旦 1/1–1/3 放假，1/4(日) 上班"),
    ("2026-12-28", 3, "2026-12-31", True, "不跨入未录入年份：仍为正式安排"),
    ("2026-12-28", 5, "2027-01-05", False, "跨入未录入的2027年：周一至周五并剔除元旦，标记放假安排未发布"),
    ("2027-02-04", 1, "2027-02-09", False, "2027年春节按法定假日推算（除夕至初三 2/5–2/8）"),
    ("2027-05-06", 0, "2027-05-06", True, "不加工作日：没有计入任何一天"),
    ("2023-10-06", 5, "2023-10-11", True, "5 个工作日（会办单 120 小时）从节假日最后一天起算"),
]


@pytest.mark.parametrize(("start", "days", "expected", "official", "why"), WORKDAY_TABLE)
def test_add_workdays_follows_the_official_calendar(start, days, expected, official, why):
    result = dl.add_workdays(D(start), days, CAL)
    assert (result.due_on, result.official) == (D(expected), official), why
    assert result.steps[-1].startswith(f"第 {days} 个工作日") or days == 0
    assert (dl.UNOFFICIAL in "".join(result.steps)) is not official


@pytest.mark.parametrize(
    "day", ["2023-10-07", "2023-10-08", "2023-01-28", "2023-05-06", "2023-06-25", "2024-02-18", "2025-10-11", "2026-01-04"]
)
def test_calendar_facts_make_up_working_days(day):
    d = D(day)
    assert d.weekday() >= 5 and chinese_calendar.is_workday(d)
    assert CAL.day(d).working and CAL.day(d).official


@pytest.mark.parametrize(
    "day", ["2023-09-29", "2023-10-02", "2023-10-06", "2023-01-27", "2023-05-03", "2023-06-22", "2025-10-08", "2026-01-02"]
)
def test_calendar_facts_weekday_holidays(day):
    d = D(day)
    assert d.weekday() < 5 and chinese_calendar.is_holiday(d)
    assert not CAL.day(d).working


def test_chinesecalendar_does_not_know_2027_so_the_fallback_is_unofficial():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D("2027-01-04"))
    assert fallback_day(D("2027-10-01")) == dl.DayInfo(working=False, official=False, name="国庆节")
    assert fallback_day(D("2027-10-04")).working  # the make-up schedule is unknown: Monday counts
    assert not fallback_day(D("2027-10-09")).working  # Saturday


def test_the_2023_national_day_seed_rows():
    rows = {d: (kind, name) for d, kind, name in chinesecalendar_rows(2023)}
    assert rows[D("2023-09-29")] == ("holiday", "中秋节")
    assert all(rows[D(f"2023-10-0{i}")][0] == "holiday" for i in range(1, 7))
    assert rows[D("2023-10-07")][0] == rows[D("2023-10-08")][0] == "workday"


@settings(max_examples=200, deadline=None)
@given(start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 9, 1)), days=st.integers(min_value=0, max_value=15))
def test_add_workdays_agrees_with_chinesecalendar_day_by_day(start, days):
    """Brute force with the package: the N-th day after start for which chinese_calendar.is_workday holds."""
    d, counted = start, 0
    while counted < days:
        d += timedelta(days=1)
        counted += chinese_calendar.is_workday(d)
    assert dl.add_workdays(start, days, CAL).due_on == d


def test_an_edited_year_changes_the_result():
    # The office adds a holiday on Monday 2027-01-04: the fifth working day moves by one.
    edited = TableCalendar(
        {2027: {D("2027-01-01"): ("holiday", "元旦"), D("2027-01-04"): ("holiday", "元旦")}}, loader=CAL._loader
    )
    result = dl.add_workdays(D("2026-12-28"), 5, edited)
    assert (result.due_on, result.official) == (D("2027-01-06"), True)


# ---------------------------------------------------------------- the decision limit

E = dl.Extension
P = dl.Pause
R = dl.Restart

DECISION_TABLE = [
    # received, extensions, pauses, restarts, expected due, state, why
    ("2023-09-28", [], [], [], "2023-10-13", "running", "15 个自然日，节假日照算，收到当日不计"),
    ("2023-12-25", [], [], [], "2024-01-09", "running", "跨年"),
    ("2024-02-20", [], [], [], "2024-03-06", "running", "闰年二月有29日"),
    ("2023-09-28", [E(D("2023-10-10"), 30, "王经理", "需调取双录")], [], [], "2023-10-28", "running", "延期至30日"),
    (
        "2023-09-28",
        [E(D("2023-10-10"), 30, "王经理", "a"), E(D("2023-10-25"), 60, "总经理", "b")],
        [],
        [],
        "2023-11-27",
        "running",
        "再延期至60日",
    ),
    ("2023-09-28", [], [P(D("2023-10-05"), D("2023-10-10"), "外部鉴定")], [], "2023-10-18", "running", "中止5日顺延"),
    ("2023-09-28", [], [P(D("2023-10-05"), None, "调解")], [], None, "paused", "中止中：期限待定"),
    (
        "2023-09-28",
        [],
        [P(D("2023-10-20"), D("2023-10-25"), "外部鉴定")],
        [],
        "2023-10-13",
        "running",
        "期限届满后开始的中止不顺延",
    ),
    (
        "2023-09-28",
        [],
        [P(D("2023-10-01"), D("2023-10-04")), P(D("2023-10-03"), D("2023-10-06"))],
        [],
        "2023-10-18",
        "running",
        "重叠的中止只计一次",
    ),
    (
        "2023-09-28",
        [E(D("2023-10-01"), 30, "王经理", "a")],
        [P(D("2023-10-02"), D("2023-10-03"))],
        [R(D("2023-10-05"), "新证据")],
        "2023-10-20",
        "running",
        "重新计时：此前的延期和中止不再适用",
    ),
    (
        "2023-09-28",
        [E(D("2023-10-08"), 30, "王经理", "a")],
        [],
        [R(D("2023-10-05"), "新证据")],
        "2023-11-04",
        "running",
        "重新计时后的延期有效",
    ),
]


@pytest.mark.parametrize(("received", "exts", "pauses", "restarts", "expected", "state", "why"), DECISION_TABLE)
def test_decision_deadline(received, exts, pauses, restarts, expected, state, why):
    result = dl.decision_deadline(received_on=D(received), extensions=exts, pauses=pauses, restarts=restarts)
    assert result.due_on == (D(expected) if expected else None), why
    assert result.state == state
    assert result.steps[0] == f"收到投诉 {dl.cn(D(received))}（当日不计）"


def test_the_explanation_names_every_step():
    result = dl.decision_deadline(
        received_on=D("2023-09-28"),
        extensions=[E(D("2023-10-10"), 30, "王经理", "需调取双录")],
        pauses=[P(D("2023-10-15"), D("2023-10-20"), "外部鉴定/检测")],
    )
    assert result.steps == (
        "收到投诉 2023年9月28日（当日不计）",
        "2023年10月10日 经 王经理 批准延期至 30 日：需调取双录",
        "处理期限 30 日：2023年9月28日 + 30 日 = 2023年10月28日",
        "外部鉴定/检测 2023年10月15日 至 2023年10月20日，5 日不计入，顺延至 2023年11月2日",
        "期限届满日：2023年11月2日",
    )


def test_the_15_day_figure_ignores_extensions_but_not_pauses():
    kwargs = {
        "received_on": D("2023-03-01"),
        "extensions": [E(D("2023-03-10"), 30)],
        "pauses": [P(D("2023-03-05"), D("2023-03-08"))],
    }
    assert dl.decision_deadline(**kwargs).due_on == D("2023-04-03")
    plain = dl.decision_deadline(**kwargs, count_extensions=False)
    assert plain.due_on == D("2023-03-19")
    assert "15日办结口径：延期不计入" in plain.steps


def test_withdrawal_ends_the_clock_on_its_day():
    result = dl.decision_deadline(
        received_on=D("2023-09-28"), ended_on=D("2023-10-03"), end_note="2023年10月3日 客户撤回投诉，处理终止"
    )
    assert (result.state, result.due_on) == ("ended", D("2023-10-13"))
    assert result.steps[-1] == "2023年10月3日 客户撤回投诉，处理终止"
    assert dl.closed_within(result, D("2023-10-03"))


@pytest.mark.parametrize(("current", "expected"), [(15, 30), (30, 60), (60, None)])
def test_extensions_go_15_30_60(current, expected):
    assert dl.next_extension_limit(current) == expected


def test_the_limit_in_force_is_the_latest_extension_since_the_clock_started():
    exts = [E(D("2023-10-08"), 30), E(D("2023-10-05"), 60)]  # out of order on purpose: the later grant decides
    assert dl.clock_start(D("2023-09-28"), [D("2023-09-20"), D("2023-10-01")]) == D("2023-10-01")
    assert dl.limit_in_force(D("2023-09-28"), exts) == 30
    assert dl.limit_in_force(D("2023-10-06"), exts) == 30
    assert dl.limit_in_force(D("2023-10-09"), exts) == dl.DECISION_LIMIT_DAYS
    # The deadline uses the same rule.
    assert dl.decision_deadline(received_on=D("2023-09-28"), extensions=exts).due_on == D("2023-10-28")


def test_a_case_is_overdue_from_the_day_after_its_limit():
    assert dl.overdue_on(D("2023-10-13")) == D("2023-10-14")
    assert dl.overdue_on(None) is None  # paused: no limit, not overdue

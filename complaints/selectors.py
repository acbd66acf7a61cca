"""Reads for complaints: scoped case lists, the working-day calendar, derived figures, the monthly publication."""

import calendar as month_calendar
import datetime
import functools
import logging
import operator
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pandas as pd
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from branches.models import Branch, path_prefixes
from branches.permissions import can_see_personal_data, get_scoped_object_or_404, scope_queryset
from complaints.choices import OPEN_STATUSES, Source
from complaints.masking import masked_customer
from complaints.models import CalendarDay, CalendarYear, CaseEvent, Complaint, RepeatCall
from complaints.workdays import TableCalendar, YearTable
from core.bulk import raw_values

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------------- calendar


def calendar_year_table(year: int) -> YearTable | None:
    """One year's exception days, or None when the year's official schedule is not entered."""
    if not CalendarYear.objects.filter(year=year).exists():
        return None
    days = CalendarDay.objects.filter(date__year=year).values_list("date", "kind", "name")
    return {d: (kind, name) for d, kind, name in days}


def work_calendar() -> TableCalendar:
    """The working-day calendar as the office keeps it; years load from the database when first asked."""
    return TableCalendar(loader=calendar_year_table)


def calendar_years() -> QuerySet[CalendarYear]:
    return CalendarYear.objects.order_by("-year")


def calendar_days(*, year: int) -> QuerySet[CalendarDay]:
    return CalendarDay.objects.filter(date__year=year).order_by("date")


# ---------------------------------------------------------------- cases


NUMBER_PREFIX = "TS"  # case numbers are TS<year>-<branch code>-<five digits>


def complaint_by_number(*, user, number: str) -> Complaint | None:
    """The case with this number (typed as a clerk may type it) if the user may see it."""
    return complaint_queryset(user=user).filter(number=normalise_number(number or "")).first()


def normalise_number(text: str) -> str:
    """A case number as a clerk may type it (full-width characters, spaces, a lower-case prefix) → as stored."""
    text = unicodedata.normalize("NFKC", text).strip()
    return NUMBER_PREFIX + text[len(NUMBER_PREFIX) :] if text[: len(NUMBER_PREFIX)].upper() == NUMBER_PREFIX else text


def complaint_queryset(*, user) -> QuerySet[Complaint]:
    """The cases the user may see, ready for a list (no N+1 on branch and handler)."""
    return scope_queryset(user, Complaint.objects.select_related("branch", "handler"))


def complaint_get(*, user, pk: int) -> Complaint:
    """One case the user may see, with its rows; 404 for a case of another branch."""
    qs = Complaint.objects.select_related("branch", "handler", "merged_into").prefetch_related(
        "extensions",
        "pauses",
        "restarts",
        Prefetch("repeat_calls", queryset=RepeatCall.objects.select_related("logged_by")),
        Prefetch("merged_cases", queryset=Complaint.objects.only("pk", "number", "received_on", "merged_on", "merged_into")),
    )
    return get_scoped_object_or_404(user, qs, pk=pk)


def complaint_timeline(*, case: Complaint) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


def customer_fields(*, user, case: Complaint) -> dict[str, str]:
    """The customer's name, phone and ID number, masked unless the user needs them."""
    return customer_masker(user=user)(case)


def customer_masker(*, user):
    """customer_fields for many cases: the permission is asked once per branch, not once per row."""
    allowed: dict[int, bool] = {}

    def fields(case: Complaint) -> dict[str, str]:
        if case.branch_id not in allowed:
            allowed[case.branch_id] = can_see_personal_data(user, case.branch)
        return masked_customer(
            name=case.customer_name, phone=case.customer_phone, id_number=case.customer_id_number, visible=allowed[case.branch_id]
        )

    return fields


# The one definition of "overdue" and "due soon" for lists, filters, highlighting and the daily job.
DUE_SOON_DAYS = 3


def past_due_q(today: datetime.date) -> Q:
    """Still open on or after the first overdue day (deadlines.overdue_on): the limit is before today."""
    return Q(status__in=OPEN_STATUSES, decision_due_on__lt=today)


def overdue_q(today: datetime.date) -> Q:
    """Overdue: marked so (late notice or the daily job), or still open past the limit."""
    return Q(is_overdue=True) | past_due_q(today)


def due_within_q(today: datetime.date, days: int) -> Q:
    """Open cases whose decision limit falls within the next `days` days (today included)."""
    return Q(status__in=OPEN_STATUSES, decision_due_on__gte=today, decision_due_on__lte=today + datetime.timedelta(days=days))


def with_due_flags(queryset: QuerySet[Complaint], *, today: datetime.date, days: int = DUE_SOON_DAYS) -> QuerySet[Complaint]:
    """Cases annotated with overdue_now and due_soon by the rules above, for highlighting rows."""
    return queryset.annotate(
        overdue_now=ExpressionWrapper(overdue_q(today), output_field=BooleanField()),
        due_soon=ExpressionWrapper(due_within_q(today, days), output_field=BooleanField()),
    )


# ---------------------------------------------------------------- derived figures


@dataclass(frozen=True)
class ComponentRule:
    """How one scheme component is counted from cases: the date that puts a case in a month, and the filter."""

    date_field: str
    q: Q
    label: str


COUNTED = Q(counts_in_figures=True)
CLOSED_15D = Q(ended_on__isnull=False, limit15_due_on__isnull=False, ended_on__lte=F("limit15_due_on"))

# The one definition of each derived component; the figures and the case-list links both use it.
# "Closed within 15 days": the case ended (customer told of the decision, or withdrawn after acceptance)
# no later than 15 calendar days after receipt (or the last restart), paused days not counted and
# extensions not counted: an extended case decided on day 25 is not a 15-day closure.
COMPONENT_RULES: dict[str, ComponentRule] = {
    "reg_complaints": ComponentRule("received_on", COUNTED & Q(source=Source.REGULATOR), "监管转办投诉（按收到月份）"),
    "own_complaints": ComponentRule("received_on", COUNTED & Q(source=Source.SELF), "自收投诉（按收到月份）"),
    "reg_closed_15d": ComponentRule("received_on", COUNTED & Q(source=Source.REGULATOR) & CLOSED_15D, "监管转办投诉15日内办结"),
    "own_closed_15d": ComponentRule("received_on", COUNTED & Q(source=Source.SELF) & CLOSED_15D, "自收投诉15日内办结"),
    "disputes_to_mediate": ComponentRule("mediation_required_on", COUNTED, "应调解纠纷（按认定应调解月份）"),
    "disputes_mediated": ComponentRule("mediation_required_on", COUNTED & Q(mediated_on__isnull=False), "其中已调解"),
    "mediation_agreements": ComponentRule("agreement_on", COUNTED, "达成调解协议（按协议月份）"),
    "agreements_executed": ComponentRule("agreement_on", COUNTED & Q(agreement_executed_on__isnull=False), "其中协议已履行"),
}
DERIVED_COMPONENTS = tuple(COMPONENT_RULES)
# Every case field the rules above read (a change to any of them may move a derived figure), and the
# date fields that put a case in a month. tests/complaints/test_selectors.py checks the list is complete.
FIGURE_FIELDS = (
    "branch_id",
    "source",
    "counts_in_figures",
    "received_on",
    "ended_on",
    "limit15_due_on",
    "mediation_required_on",
    "mediated_on",
    "agreement_on",
    "agreement_executed_on",
)
FIGURE_MONTH_FIELDS = tuple(sorted({rule.date_field for rule in COMPONENT_RULES.values()}))


def in_figure_months_q(start: datetime.date, end: datetime.date) -> Q:
    """Cases that count in some derived figure of a month in start..end (first-of-month dates)."""
    q = Q()
    for name in FIGURE_MONTH_FIELDS:
        q |= Q(**{f"{name}__range": (start, month_end(end))})
    return q


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=month_calendar.monthrange(month.year, month.month)[1])


def component_cases(*, component: str, start: datetime.date, end: datetime.date, queryset=None) -> QuerySet[Complaint]:
    """The cases behind one derived component for months start..end (first-of-month dates)."""
    rule = COMPONENT_RULES[component]
    qs = Complaint.objects.all() if queryset is None else queryset
    return qs.filter(rule.q, **{f"{rule.date_field}__range": (start, month_end(end))})


def _owners(branch_ids) -> dict[int, str]:
    """Every branch in the requested subtrees → the code of its nearest requested ancestor (itself if requested).

    Cases registered by a county branch count toward the prefecture the scheme scores.
    """
    owner_ids = _owner_ids(branch_ids)
    codes = dict(Branch.objects.filter(pk__in=set(owner_ids.values())).values_list("pk", "code"))
    return {pk: codes[owner] for pk, owner in owner_ids.items()}


def _owner_ids(branch_ids) -> dict[int, int]:
    """`_owners` by id: every branch in the requested subtrees → the id of its nearest requested ancestor.

    The subtrees are read by their paths (one prefix each, or the whole tree when there are more than
    OWNER_SUBTREES of them): a preview of one prefecture reads its ~130 branches, not the company's 4,500."""
    requested = dict(Branch.objects.filter(pk__in=list(branch_ids)).values_list("path", "pk"))
    roots: list[str] = []
    for path in sorted(requested):  # a subtree's paths sort right after its root's
        if not roots or not path.startswith(roots[-1]):
            roots.append(path)
    branches = Branch.objects.all()
    if 0 < len(roots) <= OWNER_SUBTREES:
        branches = branches.filter(functools.reduce(operator.or_, (Q(path__startswith=root) for root in roots)))
    elif not roots:
        return {}
    owners = {}
    for pk, path in branches.values_list("pk", "path"):
        owner = next((requested[p] for p in path_prefixes(path) if p in requested), None)
        if owner is not None:
            owners[pk] = owner
    return owners


OWNER_SUBTREES = 64


def derived_component_figures(*, branch_ids, start: datetime.date, end: datetime.date, components: set[str]) -> pd.DataFrame:
    """Monthly counts of the derived components: columns branch (code), component, month (date), value (Decimal)."""
    counts = derived_component_counts(branch_ids=branch_ids, start=start, end=end, components=components)
    codes = dict(Branch.objects.filter(pk__in={b for b, _, _ in counts}).values_list("pk", "code"))
    rows = sorted((codes[b], component, month, Decimal(n)) for (b, component, month), n in counts.items())
    frame = pd.DataFrame(rows, columns=["branch", "component", "month", "value"])
    frame["value"] = frame["value"].astype(object)
    return frame


def derived_component_counts(
    *, branch_ids, start: datetime.date, end: datetime.date, components, merged=frozenset()
) -> dict[tuple[int, str, datetime.date], int]:
    """The counts of `derived_component_figures` by (requested branch id, component, month); none is 0.

    `merged`: month numbers whose counts are wanted only as one sum (a reader of year-to-date windows that all
    end after them), counted together as the first of them: fewer rows, in one grouping by the database."""
    owners = _owner_ids(branch_ids)
    totals: dict[tuple[int, str, datetime.date], int] = {}
    by_date: dict[str, list[str]] = {}
    for component in sorted(components):
        if component not in COMPONENT_RULES:
            logger.warning("Component %s is marked derived but complaints does not derive it", component)
            continue
        by_date.setdefault(COMPONENT_RULES[component].date_field, []).append(component)
    cases = Complaint.objects.filter(branch_id__in=list(owners))
    # one grouped count per date field: the components put in a month by the same date share the scan
    for date_field, codes in by_date.items():
        counts = (
            cases.filter(**{f"{date_field}__range": (start, month_end(end))})
            .filter(functools.reduce(operator.or_, (COMPONENT_RULES[c].q for c in codes)))
            .annotate(year=ExtractYear(date_field), month=_month_number(date_field, merged))
            .values("branch_id", "year", "month")
            .annotate(**{f"n_{c}": Count("pk", filter=COMPONENT_RULES[c].q) for c in codes})
            .order_by()
            .values_list("branch_id", "year", "month", *(f"n_{c}" for c in codes))
        )
        for branch_id, year, month, *ns in raw_values(counts):
            owner, month = owners[branch_id], datetime.date(int(year), int(month), 1)
            for component, n in zip(codes, ns, strict=True):
                if n:
                    key = (owner, component, month)
                    totals[key] = totals.get(key, 0) + n
    return totals


def _month_number(date_field: str, merged) -> Case | ExtractMonth:
    """The month number of a case's date, the first of `merged` for any of them (EXTRACT, not date_trunc: the
    latter makes a timestamp of every date)."""
    month = ExtractMonth(date_field)
    if not merged:
        return month
    return Case(When(**{f"{date_field}__month__in": sorted(merged)}, then=Value(min(merged))), default=month)


def derived_case_query(*, component: str, branch_code: str, start: datetime.date, end: datetime.date) -> str:
    """The case-list query string that lists the cases behind one derived figure."""
    return f"figure={component}&branch={branch_code}&month_from={start:%Y-%m}&month_to={end:%Y-%m}"


# The rates the league table scores from the derived counts: name → (numerator, denominator).
RATES = {
    "reg_rate": ("reg_closed_15d", "reg_complaints"),
    "own_rate": ("own_closed_15d", "own_complaints"),
    "mediation_rate": ("disputes_mediated", "disputes_to_mediate"),
    "execution_rate": ("agreements_executed", "mediation_agreements"),
}
PERCENT_PLACES = 2


def percent(numerator: int, denominator: int) -> Decimal | None:
    """100 × numerator / denominator in Decimal, rounded half-up to 2 places as the league table rounds; None over 0."""
    if not denominator:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return value.quantize(Decimal(10) ** -PERCENT_PLACES, rounding=ROUND_HALF_UP)


def derived_summaries(*, branches: list[Branch], start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Per branch (its subtree's cases): the derived counts over a window, the rates built from them, last year's
    self-received count and its change, and the overdue cases; the same few grouped queries however many branches.
    """
    ids = [b.pk for b in branches]
    prev_start, prev_end = start.replace(year=start.year - 1), end.replace(year=end.year - 1)
    totals: dict[str, dict[str, int]] = {b.code: dict.fromkeys(COMPONENT_RULES, 0) for b in branches}
    frame = derived_component_figures(branch_ids=ids, start=start, end=end, components=set(COMPONENT_RULES))
    for row in frame.itertuples(index=False):
        totals[row.branch][row.component] += int(row.value)
    previous = dict.fromkeys(totals, 0)
    frame = derived_component_figures(branch_ids=ids, start=prev_start, end=prev_end, components={"own_complaints"})
    for row in frame.itertuples(index=False):
        previous[row.branch] += int(row.value)
    owners = _owners(ids)
    overdue = dict.fromkeys(totals, 0)
    rows = (
        Complaint.objects.filter(
            branch_id__in=list(owners), counts_in_figures=True, is_overdue=True, received_on__range=(start, month_end(end))
        )
        .values("branch_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        overdue[owners[row["branch_id"]]] += row["n"]
    result = {}
    for b in branches:
        t, prev = totals[b.code], previous[b.code]
        result[b.pk] = {
            "totals": t,
            "rates": {name: percent(t[num], t[den]) for name, (num, den) in RATES.items()},
            "previous_own": prev,
            "own_change": percent(t["own_complaints"] - prev, prev),
            "overdue": overdue[b.code],
            "prev_start": prev_start,
            "prev_end": prev_end,
        }
    return result


# ---------------------------------------------------------------- monthly publication


def publication_rows(*, user, month: datetime.date, today: datetime.date | None = None) -> dict:
    """The monthly publication (月度公示): per branch, its overdue cases, repeat-call cases and late joint sheets."""
    first, last = month, month_end(month)
    # An unanswered sheet is late from the day after its due date, and only once that day has come.
    late_from = min(last, today or timezone.localdate(timezone=SHANGHAI))
    cases = complaint_queryset(user=user)
    overdue = list(
        cases.filter(is_overdue=True, overdue_on__lte=last)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .order_by("branch__sort_order", "overdue_on", "pk")
    )
    # Bounds on the column itself (not called_at__date) so the index on called_at is used.
    month_start_at = datetime.datetime.combine(first, datetime.time.min, tzinfo=SHANGHAI)
    month_end_at = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=SHANGHAI)
    calls = (
        RepeatCall.objects.filter(case__in=cases, called_at__gte=month_start_at, called_at__lt=month_end_at)
        .values("case_id")
        .annotate(n=Count("pk"))
    )
    calls_by_case = {c["case_id"]: c["n"] for c in calls}
    repeat = list(
        cases.filter(pk__in=calls_by_case)
        .annotate(total_calls=Count("repeat_calls"))
        .order_by("branch__sort_order", "received_on", "pk")
    )
    for case in repeat:
        case.month_calls = calls_by_case[case.pk]
    joint = list(
        cases.filter(joint_sheet_due_on__isnull=False, joint_sheet_due_on__lte=last)
        .filter(
            Q(joint_sheet_answered_on__gt=F("joint_sheet_due_on"))
            | Q(joint_sheet_answered_on__isnull=True, joint_sheet_due_on__lt=late_from)
        )
        .filter(Q(joint_sheet_answered_on__isnull=True) | Q(joint_sheet_answered_on__gte=first))
        .order_by("branch__sort_order", "joint_sheet_due_on", "pk")
    )
    received = dict(
        cases.filter(counts_in_figures=True, received_on__range=(first, last)).values_list("branch_id").annotate(n=Count("pk"))
    )
    branches = {c.branch_id: c.branch for c in overdue + repeat + joint}
    for b in Branch.objects.filter(pk__in=received):
        branches.setdefault(b.pk, b)
    summary = [
        {
            "branch": b,
            "received": received.get(b.pk, 0),
            "overdue": sum(1 for c in overdue if c.branch_id == b.pk),
            "repeat_cases": sum(1 for c in repeat if c.branch_id == b.pk),
            "repeat_calls": sum(c.month_calls for c in repeat if c.branch_id == b.pk),
            "joint_late": sum(1 for c in joint if c.branch_id == b.pk),
        }
        for b in sorted(branches.values(), key=lambda b: (b.sort_order, b.code))
    ]
    return {"month": first, "month_end": last, "summary": summary, "overdue": overdue, "repeat": repeat, "joint": joint}

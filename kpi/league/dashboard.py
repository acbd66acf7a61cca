"""The office's landing page next to the league table: what waits on the office, each item a link."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from branches.models import Branch
from branches.permissions import visible_branch_ids
from kpi import selectors
from kpi.entries.selectors import review_rows
from kpi.league.selectors import league_rows
from kpi.models import MonthlySubmission, Scheme, SubmissionStatus
from kpi.publishing import selectors as publishing
from kpi.templatetags.kpi_format import ytd_label


@dataclass
class Item:
    """One line of the dashboard: what, how many, and where to act on it."""

    label: str
    count: int
    url: str
    detail: str = ""


@dataclass
class Dashboard:
    scheme: Scheme
    awaiting_review: list[Item] = field(default_factory=list)
    open_month: datetime.date | None = None
    not_submitted: list[Item] = field(default_factory=list)
    overdue: list[Item] = field(default_factory=list)
    publication: list[Item] = field(default_factory=list)
    movers: list[Item] = field(default_factory=list)
    movers_window: str = ""


def _collecting_month(scheme: Scheme, branch_ids: list[int]) -> datetime.date:
    """The month being collected: the one after the last month every scored branch has approved."""
    approved: dict[datetime.date, int] = {}
    for month in MonthlySubmission.objects.filter(
        branch_id__in=branch_ids, month__year=scheme.year, status=SubmissionStatus.APPROVED
    ).values_list("month", flat=True):
        approved[month] = approved.get(month, 0) + 1
    month = 1
    while month < 12 and approved.get(datetime.date(scheme.year, month, 1), 0) >= len(branch_ids):
        month += 1
    return datetime.date(scheme.year, month, 1)


def office_dashboard(*, user, scheme: Scheme, today: datetime.date | None = None) -> Dashboard:
    """Months awaiting review, branches not yet submitted, overdue complaints per branch, windows awaiting
    (re)publication and the biggest movers of the latest table, within the user's branch scope."""
    from complaints.models import Complaint
    from complaints.selectors import overdue_q

    today = today or timezone.localdate()
    visible = visible_branch_ids(user)
    scored = selectors.scored_branches(scheme=scheme)
    if visible is not None:
        scored = scored.filter(pk__in=visible)
    ids = list(scored.values_list("pk", flat=True))
    board = Dashboard(scheme)

    waiting = (
        MonthlySubmission.objects.filter(branch_id__in=ids, month__year=scheme.year, status=SubmissionStatus.SUBMITTED)
        .values("month").annotate(n=Count("pk")).order_by("month")
    )
    board.awaiting_review = [
        Item(f"{r['month']:%Y年%-m月}", r["n"], reverse("kpi:review-month", args=[f"{r['month']:%Y-%m}"])) for r in waiting
    ]

    board.open_month = _collecting_month(scheme, ids)
    rows = review_rows(scheme=scheme, month=board.open_month, branch_ids=set(ids))
    board.not_submitted = [
        Item(r.branch.name, 1, reverse("kpi:entry-form", args=[r.branch.code, f"{board.open_month:%Y-%m}"]), r.status)
        for r in rows if not r.submitted
    ]

    branches = {b.pk: b for b in scored}
    owners = Branch.roots_of_subtrees(list(branches))  # a county's case counts for the prefecture above it
    counts: dict[int, int] = {}
    for branch_id, n in (
        Complaint.objects.filter(overdue_q(today), branch_id__in=list(owners)).values("branch_id")
        .annotate(n=Count("pk")).values_list("branch_id", "n")
    ):
        counts[owners[branch_id]] = counts.get(owners[branch_id], 0) + n
    case_list = reverse("complaints:case-list")
    board.overdue = [
        Item(branches[b].name, n, f"{case_list}?branch={branches[b].code}&overdue=true")
        for b, n in sorted(counts.items(), key=lambda kv: (-kv[1], branches[kv[0]].sort_order))
    ]

    published = set(publishing.published_months(scheme=scheme))
    for month in selectors.computed_months(scheme=scheme):
        live = reverse("kpi:league-window", args=[scheme.code, publishing.window_slug(scheme, month), publishing.LIVE])
        if month not in published:
            board.publication.append(Item(ytd_label(month), 0, live, "未发布"))
            continue
        notice = publishing.restatement(scheme=scheme, month=month)
        if notice is not None and notice.needed:
            board.publication.append(Item(ytd_label(month), len(notice.changes), live, "待重新发布"))

    window = publishing.landing_window(user=user, scheme=scheme)
    if window is not None:
        table = league_rows(window=window, user=user)
        board.movers_window = f"{window.label} 对比 {table.previous.label}" if table.previous else window.label
        moved = sorted((r for r in table.rows if r.rank_change), key=lambda r: (-abs(r.rank_change), r.rank))[:5]
        board.movers = [
            Item(r.name, r.rank_change, window.url(r.code) if r.visible else window.url(), f"{r.previous_rank} → {r.rank}")
            for r in moved
        ]
    return board

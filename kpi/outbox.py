"""The recompute outbox: a window that needs recomputing is a RecomputeRequest row written in the same
transaction as the change that needs it, so a broker that is down when the change commits loses nothing.

The request is dispatched to Celery once the change commits, one message per scheme (its run drains every
pending window of the scheme); broker errors are logged, never raised: the change is saved. A beat task
(`dispatch_pending_recomputes`, every minute) dispatches what is still pending; the recompute marks done the
requests it found pending when it started, in the runs' own transaction, so a request made while it ran stays
pending and is run again.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kpi.models import RecomputeRequest, Scheme

logger = logging.getLogger(__name__)

# What publishing to an unreachable broker raises (kombu wraps most; the Redis result backend does not).
BROKER_ERRORS = (kombu.exceptions.KombuError, redis.exceptions.RedisError, OSError)
# Done requests are kept this long (they say when each window was last recomputed), then swept away.
DONE_KEPT = datetime.timedelta(days=30)


def recompute_request(*, scheme: Scheme, months: Iterable[int], branch_ids=None, entered_only: bool = False) -> None:
    """Record, in the caller's transaction, that these windows need recomputing; dispatch them once it commits.

    One pending request per scheme × month: asking again moves its time on, so a run that started
    before this change does not mark it done. `branch_ids` are whose figures changed (None: anything may
    have): a pending request keeps the union, and None once any request of it is None. `entered_only`: only
    their entered figures changed, not their complaint-derived ones; a pending request keeps it while every
    request of it says so.
    """
    months = sorted(set(months))
    if not months:
        return
    changed = None if branch_ids is None else sorted(set(branch_ids))
    _merge_pending(scheme.pk, months, timezone.now(), changed, entered_only and changed is not None)
    # One message for the scheme: its run computes every pending window in one pass (a burst coalesces).
    transaction.on_commit(lambda: dispatch(scheme_id=scheme.pk, month=months[0]))


def _merge_pending(scheme_id: int, months: list[int], now, changed: list[int] | None, entered_only: bool) -> None:
    """Merge the change into the windows' pending requests (locked) and create the missing ones: a few statements
    whatever the number of windows. Another transaction may create one of them at the same time (the unique
    constraint lets one win) and a worker may mark that one done before we read it: then try again."""

    def attempt():
        with transaction.atomic():
            # locked in the order of their months, as a run marks them done (pending_claims): no two wait on each other
            pending = list(
                RecomputeRequest.objects.select_for_update().filter(scheme_id=scheme_id, month__in=months, done_at=None).order_by("month")
            )
            for request in pending:
                if request.branches is not None:
                    request.branches = None if changed is None else sorted({*request.branches, *changed})
                request.entered_only = request.entered_only and entered_only and request.branches is not None
                request.requested_at = now
            RecomputeRequest.objects.bulk_update(pending, ["requested_at", "branches", "entered_only"])
            found = {request.month for request in pending}
            RecomputeRequest.objects.bulk_create(
                RecomputeRequest(scheme_id=scheme_id, month=month, requested_at=now, branches=changed, entered_only=entered_only)
                for month in months
                if month not in found
            )

    for _ in range(4):
        try:
            return attempt()
        except IntegrityError:
            continue
    return attempt()  # a fifth time lets its error through


def dispatch(*, scheme_id: int, month: int) -> bool:
    """Queue the recompute of a scheme's pending windows (`month` among them); False (logged) if the broker
    cannot take it now. Every pending request of the scheme counts as dispatched: the run will find them."""
    from kpi.tasks import recompute_window

    try:
        recompute_window.apply_async((scheme_id, month), retry=False, ignore_result=True)
    except BROKER_ERRORS as exc:
        logger.warning("重算请求暂未派发（方案 %s，1–%s月），稍后由定时任务派发：%r", scheme_id, month, exc)
        return False
    RecomputeRequest.objects.filter(scheme_id=scheme_id, done_at=None).update(dispatched_at=timezone.now())
    return True


def dispatch_pending() -> int:
    """Dispatch every pending request not dispatched yet (or dispatched so long ago that its message may
    be lost with a killed worker); returns how many were queued. Stops at the first broker error."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.RECOMPUTE_REDISPATCH_SECONDS)
    RecomputeRequest.objects.filter(done_at__lt=now - DONE_KEPT).delete()
    pending = RecomputeRequest.objects.filter(done_at=None).filter(Q(dispatched_at=None) | Q(dispatched_at__lt=stale))
    queued, seen = 0, set()
    for scheme_id, month in pending.order_by("requested_at").values_list("scheme_id", "month"):
        if scheme_id in seen:
            continue
        if not dispatch(scheme_id=scheme_id, month=month):
            break
        seen.add(scheme_id)
        queued += 1
    return queued


@dataclass(frozen=True)
class Claim:
    """A pending request a run found when it started: marked done by it unless asked again since."""

    pk: int
    requested_at: datetime.datetime
    branches: list[int] | None
    entered_only: bool


def pending_claims(*, scheme_ids) -> dict[int, dict[int, Claim]]:
    """At the start of a run: each scheme's pending requests by window, that this run will satisfy,
    {scheme id: {month: claim}} in one query."""
    out: dict[int, dict[int, Claim]] = {pk: {} for pk in scheme_ids}
    rows = RecomputeRequest.objects.filter(scheme_id__in=list(out), done_at=None).order_by("scheme_id", "month").values_list(
        "scheme_id", "month", "pk", "requested_at", "branches", "entered_only"
    )
    for scheme_id, month, *claim in rows:
        out[scheme_id][month] = Claim(*claim)
    return out


@dataclass(frozen=True)
class Change:
    """What changed for a run's claims: the branches whose figures changed, and whether only their entered figures
    did (their complaint-derived components did not)."""

    branches: frozenset[int]
    entered_only: bool


def claimed_change(claims) -> Change | None:
    """The change a run's claims ask it to take in, or None if any of them may be anything."""
    claims = list(claims)
    if any(claim.branches is None for claim in claims):
        return None
    branches = frozenset(b for claim in claims for b in claim.branches)
    return Change(branches, all(claim.entered_only for claim in claims))


def request_done(claim: Claim | None) -> bool:
    """At the end of a run, in its transaction: mark the claimed request done unless it was asked again since."""
    if claim is None:
        return False
    return bool(RecomputeRequest.objects.filter(pk=claim.pk, requested_at=claim.requested_at, done_at=None).update(done_at=timezone.now()))


def pending_recompute_months(*, scheme: Scheme) -> set[int]:
    """The window ends of a scheme whose ranking is waiting for a recompute (the page says "排名待更新")."""
    return set(RecomputeRequest.objects.filter(scheme=scheme, done_at=None).values_list("month", flat=True))

"""The recompute outbox: a change that needs a recompute records it in its own transaction, a broker that
is down does not fail the change, the beat sweep queues what is pending, the run marks it done.

Given the shipped 2023 scheme on the small test tree, when figures are saved with the broker up or
down, then every requested window is eventually recomputed once and nothing is lost.
"""

import datetime

import kombu.exceptions
import pytest
from django.db import transaction
from django.utils import timezone

from kpi import outbox, services, tasks
from kpi.entries import selectors as entry_selectors
from kpi.entries import services as entry_services
from kpi.models import MonthlyFigure, MonthlySubmission, RecomputeRequest, ScoreRun, SubmissionStatus

JAN = datetime.date(2023, 1, 1)


@pytest.fixture
def broker_down(monkeypatch):
    """Publishing to the broker fails as kombu does when Redis refuses the connection."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.recompute_window, "apply_async", refuse)
    return calls


def save_january(scheme, user, tree, value="100"):
    layout = entry_selectors.entry_layout(version=scheme.version_in_force())
    return entry_services.figures_save(
        scheme=scheme,
        layout=layout,
        branch=tree["nanjing"],
        month=JAN,
        raw={"sl_nonbank_passed": value, "sl_nonbank_checked": "100"},
        revision=entry_selectors.submission_get(branch=tree["nanjing"], month=JAN).revision,
        user=user,
    )


def pending():
    return sorted(RecomputeRequest.objects.filter(done_at=None).values_list("month", flat=True))


def test_a_change_writes_its_requests_in_its_own_transaction(scheme, users, tree, django_capture_on_commit_callbacks):
    services.score_run_compute(scheme=scheme, month=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        save_january(scheme, users["nanjing_staff"], tree)
        assert pending() == [1, 2]  # written before the commit, not by the on-commit dispatch
    assert len(callbacks) == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        services.recompute_on_commit(scheme=scheme, month=5)
        raise RuntimeError("the change fails")
    assert pending() == [1, 2]  # a change rolled back leaves no request behind


def test_asking_again_while_pending_keeps_one_request_per_window(scheme):
    with transaction.atomic():
        services.recompute_on_commit(scheme=scheme, month=3)
        first = RecomputeRequest.objects.get(month=3).requested_at
        services.recompute_on_commit(scheme=scheme, month=3)
    request = RecomputeRequest.objects.get(month=3)  # one row, not two
    assert request.done_at is None and request.requested_at > first


def test_a_pending_request_keeps_the_union_of_the_changed_branches_and_none_means_anything(scheme):
    with transaction.atomic():
        outbox.recompute_request(scheme=scheme, months=[3], branch_ids=[5, 2])
        outbox.recompute_request(scheme=scheme, months=[3], branch_ids=[2, 9])
        assert RecomputeRequest.objects.get(month=3).branches == [2, 5, 9]
        outbox.recompute_request(scheme=scheme, months=[3])
        outbox.recompute_request(scheme=scheme, months=[3], branch_ids=[1])
    assert RecomputeRequest.objects.get(month=3).branches is None


def test_a_pending_request_says_entered_only_while_every_request_of_it_does(scheme):
    with transaction.atomic():
        outbox.recompute_request(scheme=scheme, months=[2, 3], branch_ids=[5], entered_only=True)
        outbox.recompute_request(scheme=scheme, months=[3], branch_ids=[6], entered_only=True)
        assert dict(RecomputeRequest.objects.values_list("month", "entered_only")) == {2: True, 3: True}
        outbox.recompute_request(scheme=scheme, months=[3, 4], branch_ids=[5])  # a complaint's change: derived ones too
        outbox.recompute_request(scheme=scheme, months=[4], branch_ids=[5], entered_only=True)
        outbox.recompute_request(scheme=scheme, months=[5], entered_only=True)  # no branches: anything may have changed
    assert dict(RecomputeRequest.objects.values_list("month", "entered_only")) == {2: True, 3: False, 4: False, 5: False}
    claims = outbox.pending_claims(scheme_ids=[scheme.pk])[scheme.pk]
    assert outbox.claimed_change([claims[2]]) == outbox.Change(frozenset({5}), True)
    assert outbox.claimed_change([claims[2], claims[3]]) == outbox.Change(frozenset({5, 6}), False)
    assert outbox.claimed_change(claims.values()) is None


def test_a_form_save_asks_for_entered_figures_only_and_an_approval_for_everything(
    scheme, users, tree, django_capture_on_commit_callbacks
):
    services.score_run_compute(scheme=scheme, month=1)
    with django_capture_on_commit_callbacks():
        save_january(scheme, users["nanjing_staff"], tree)
    request = RecomputeRequest.objects.get(done_at=None)
    assert (request.branches, request.entered_only) == ([tree["nanjing"].pk], True)
    sub = entry_selectors.submission_get(branch=tree["nanjing"], month=JAN)
    MonthlySubmission.objects.filter(pk=sub.pk).update(status=SubmissionStatus.SUBMITTED)  # as if submitted whole
    with django_capture_on_commit_callbacks():
        entry_services.submission_approve(branch=tree["nanjing"], month=JAN, user=users["officer"], revision=sub.revision)
    request = RecomputeRequest.objects.get(done_at=None)  # approving locks the month's complaint counts
    assert (request.branches, request.entered_only) == ([tree["nanjing"].pk], False)


def test_a_request_created_meanwhile_by_another_transaction_is_tried_again_not_a_500(scheme, monkeypatch):
    """Two saves create the window's request at once; the loser's read can miss the winner's row (a worker
    marked it done in between): it asks again instead of failing the save (seen by `make faults`, load)."""
    from django.db import IntegrityError
    from django.db.models import QuerySet

    real, raised = QuerySet.bulk_create, []

    def racing(self, *args, **kwargs):
        if self.model is RecomputeRequest and not raised:
            raised.append(True)
            raise IntegrityError('duplicate key value violates unique constraint "one_pending_recompute_per_window"')
        return real(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", racing)
    with transaction.atomic():
        outbox.recompute_request(scheme=scheme, months=[4], branch_ids=[1])
    assert raised and RecomputeRequest.objects.filter(month=4, done_at=None).count() == 1


def test_a_broker_error_on_dispatch_does_not_fail_the_save(scheme, users, tree, broker_down, django_capture_on_commit_callbacks):
    for month in (1, 2, 3):
        services.score_run_compute(scheme=scheme, month=month)
    with django_capture_on_commit_callbacks(execute=True):
        result = save_january(scheme, users["nanjing_staff"], tree, "97")
    assert result.changes and len(broker_down) == 1  # tried once (not once per window), failed, the save stands
    assert MonthlyFigure.objects.get(component__code="sl_nonbank_passed", month=JAN).value == 97
    assert pending() == [1, 2, 3]
    assert not RecomputeRequest.objects.exclude(dispatched_at=None).exists()
    assert outbox.pending_recompute_months(scheme=scheme) == {1, 2, 3}
    assert outbox.dispatch_pending() == 0  # still down: the sweep stops at the first refusal, nothing lost
    assert len(broker_down) == 2 and pending() == [1, 2, 3]


def test_the_sweep_dispatches_what_is_pending_and_the_run_marks_it_done(
    scheme, users, tree, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        save_january(scheme, users["nanjing_staff"], tree, "97")
    monkeypatch.undo()  # the broker is back (eager here: the sweep's dispatch runs the task in-process)
    assert tasks.dispatch_pending_recomputes() == 1
    assert pending() == []
    assert outbox.pending_recompute_months(scheme=scheme) == set()
    assert ScoreRun.objects.filter(scheme=scheme, month=1, is_current=True).count() == 1


def test_the_sweep_queues_again_only_a_request_dispatched_long_ago(scheme, settings, monkeypatch):
    now = timezone.now()
    recent = RecomputeRequest.objects.create(scheme=scheme, month=1, requested_at=now, dispatched_at=now)
    lost = RecomputeRequest.objects.create(
        scheme=scheme,
        month=2,
        requested_at=now,
        dispatched_at=now - datetime.timedelta(seconds=settings.RECOMPUTE_REDISPATCH_SECONDS + 1),
    )
    queued = []
    monkeypatch.setattr(tasks.recompute_window, "apply_async", lambda args, **kw: queued.append(args))
    assert outbox.dispatch_pending() == 1
    assert queued == [(scheme.pk, 2)]
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.dispatched_at > recent.dispatched_at - datetime.timedelta(seconds=1)


def test_a_request_made_while_the_run_ran_stays_pending(scheme, monkeypatch):
    RecomputeRequest.objects.create(scheme=scheme, month=1, requested_at=timezone.now())
    compute = services._compute_windows

    def compute_while_a_branch_saves(*args):
        run = compute(*args)
        # A change commits after the run read its figures: it moves the pending request's time on.
        RecomputeRequest.objects.filter(month=1, done_at=None).update(requested_at=timezone.now() + datetime.timedelta(seconds=1))
        return run

    monkeypatch.setattr(services, "_compute_windows", compute_while_a_branch_saves)
    tasks.recompute_window(scheme.pk, 1)
    assert pending() == [1]  # the sweep will run it again

    monkeypatch.undo()
    tasks.recompute_window(scheme.pk, 1)
    assert pending() == []
    assert ScoreRun.objects.filter(scheme=scheme, month=1, is_current=True).count() == 1


def test_a_failed_run_leaves_its_request_pending(scheme, monkeypatch):
    RecomputeRequest.objects.create(scheme=scheme, month=1, requested_at=timezone.now())

    def crash(*args):
        raise MemoryError

    monkeypatch.setattr(services, "_compute_windows", crash)
    with pytest.raises(MemoryError):
        tasks.recompute_window(scheme.pk, 1)
    assert pending() == [1]

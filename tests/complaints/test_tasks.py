"""The daily overdue job and the recomputation after a calendar change."""

from unittest import mock

from django.conf import settings

from complaints import services, tasks
from complaints.choices import EventKind, Status
from complaints.models import CalendarDay, CalendarYear, CaseEvent, Complaint
from complaints.workdays import chinesecalendar_rows

from .conftest import D


def test_the_job_marks_open_cases_past_their_limit_once(intake, take, officer):
    late = intake(received="2023-03-01")  # due 03-16, still open
    due_today = intake(received="2023-03-05")  # due 03-20: not yet overdue on the 20th
    told = take(intake(received="2023-03-01"), Status.NOTIFIED)  # told in time
    paused = take(intake(received="2023-03-01"), Status.ACCEPTED)
    services.complaint_pause(actor=officer, case=paused, kind="mediation", started_on=D("2023-03-10"))  # no limit while paused
    withdrawn = services.complaint_withdraw(actor=officer, case=intake(received="2023-03-01"), withdrawn_on=D("2023-03-02"))

    assert services.complaints_mark_overdue(today=D("2023-03-20")) == 1
    assert services.complaints_mark_overdue(today=D("2023-03-20")) == 0  # idempotent
    flags = dict(Complaint.objects.values_list("pk", "is_overdue"))
    assert flags == {late.pk: True, due_today.pk: False, told.pk: False, paused.pk: False, withdrawn.pk: False}
    late.refresh_from_db()
    assert late.overdue_on == D("2023-03-17")
    event = CaseEvent.objects.get(kind=EventKind.OVERDUE)
    assert event.case_id == late.pk and "2023年3月16日" in event.message

    assert services.complaints_mark_overdue(today=D("2023-03-21")) == 1  # the next day, the next case


def test_the_celery_task_runs_the_service_and_is_scheduled_daily(intake):
    intake(received="2023-03-01")
    assert tasks.mark_overdue_complaints.apply().get() == 1
    assert tasks.mark_overdue_complaints.apply().get() == 0
    entry = settings.CELERY_BEAT_SCHEDULE["mark-overdue-complaints"]
    assert entry["task"] == "complaints.tasks.mark_overdue_complaints"
    assert entry["schedule"].hour == {0}


def test_entering_a_years_schedule_recomputes_open_working_day_limits(intake, take, officer, django_capture_on_commit_callbacks):
    # 2023 as if the State Council had not published it yet: the fallback skips only the statutory days.
    CalendarDay.objects.filter(date__year=2023).delete()
    CalendarYear.objects.filter(year=2023).delete()
    open_case = intake(received="2023-09-27", material_complete=False)
    closed = take(intake(received="2023-09-27"), Status.NOTIFIED)
    assert (open_case.deadlines["material_request"]["due_on"], open_case.calendar_official) == ("2023-10-09", False)
    assert "2023年放假安排未发布" in "".join(open_case.deadlines["material_request"]["steps"])
    closed_deadlines = Complaint.objects.get(pk=closed.pk).deadlines

    with mock.patch.object(
        tasks.recompute_open_deadlines, "delay", side_effect=lambda: tasks.recompute_open_deadlines.apply()
    ) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            services.calendar_year_import(
                actor=officer, year=2023, rows=chinesecalendar_rows(2023), notice="国办发明电〔2022〕16号"
            )
    delay.assert_called_once()
    open_case.refresh_from_db()
    # With the make-up working weekend of 7–8 October the fifth working day is the 10th, and it is official.
    assert (open_case.deadlines["material_request"]["due_on"], open_case.calendar_official) == ("2023-10-10", True)
    event = open_case.events.get(kind=EventKind.DEADLINES)
    assert "2023年10月9日 → 2023年10月10日" in event.message
    assert Complaint.objects.get(pk=closed.pk).deadlines == closed_deadlines  # closed cases keep what they were judged by

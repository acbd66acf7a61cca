"""complaints.steps: one table drives the services, the case page and the API, so they allow and refuse alike."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse

from complaints import services, steps
from complaints.api.serializers import STEP_INPUTS
from complaints.choices import Status
from complaints.forms import StepForm
from complaints.models import Complaint
from core.errors import ApplicationError
from tests.complaints.conftest import D

# A valid input for each step on a case received 2023-10-09 (dates after every situation's own dates).
SAMPLE = {
    "material-request": {"requested_on": "2023-10-13"},
    "material-complete": {"completed_on": "2023-10-13"},
    "accept": {"accepted_on": "2023-10-13"},
    "investigate": {"note": "调阅录音"},
    "assign": {"handler": "nanjing"},
    "joint-sheet": {"sent_on": "2023-10-13"},
    "joint-sheet-answer": {"answered_on": "2023-10-13"},
    "extend": {"granted_on": "2023-10-13", "approver": "王经理", "reason": "需调取外部材料"},
    "pause": {"kind": "appraisal", "started_on": "2023-10-13"},
    "resume": {"ended_on": "2023-10-13"},
    "restart": {"restarted_on": "2023-10-13", "reason": "客户补充新的事实"},
    "decide": {"decided_on": "2023-10-13", "decision": "补充赔付", "reasons": "经核实属实"},
    "notify": {"notice_on": "2023-10-13", "notice_method": "phone"},
    "close": {"closed_on": "2023-10-13"},
    "callback": {"callback_on": "2023-10-13", "satisfaction": "satisfied"},
    "repeat-calls": {"called_at": "2023-10-13T10:00"},
    "mediation": {"mediation_required_on": "2023-10-13"},
    "major": {"is_major": True, "reason": "媒体曝光"},
    "overdue-reason": {"reason": "外部鉴定耗时"},
    "withdraw": {"withdrawn_on": "2023-10-13"},
    "merge": {"into": "", "merged_on": "2023-10-13"},
}


def _situations(intake, take, officer) -> dict[str, Complaint]:
    """One case in each situation a step's states or guards tell apart."""
    day = D("2023-10-10")
    make = lambda **kw: intake(received="2023-10-09", **kw)  # noqa: E731
    accepted = lambda: take(make(), Status.ACCEPTED, accepted="2023-10-09")  # noqa: E731
    cases = {"received": make(), "material missing": make(material_complete=False)}
    requested = make(material_complete=False)
    cases["material requested"] = services.complaint_material_request(actor=officer, case=requested, requested_on=day)
    cases["accepted"] = accepted()
    paused = services.complaint_investigate(actor=officer, case=accepted())
    cases["investigating, paused"] = services.complaint_pause(actor=officer, case=paused, kind="mediation", started_on=day)
    extended = accepted()
    for approver in ("甲", "乙"):
        extended = services.complaint_extend(actor=officer, case=extended, granted_on=day, approver=approver, reason="复杂")
    cases["extended to 60 days"] = extended
    cases["joint sheet out"] = services.complaint_joint_sheet_send(actor=officer, case=accepted(), sent_on=day)
    cases["decided"] = take(make(), Status.DECIDED, accepted="2023-10-09", decided="2023-10-10")
    cases["notified"] = take(make(), Status.NOTIFIED, accepted="2023-10-09", decided="2023-10-10")
    cases["closed"] = take(make(), Status.CLOSED, accepted="2023-10-09", decided="2023-10-10")
    cases["withdrawn"] = services.complaint_withdraw(actor=officer, case=make(), withdrawn_on=day)
    target = intake(received="2023-10-08")
    cases["merged"] = services.complaint_merge(actor=officer, case=make(), into=target, merged_on=day, new_facts=False)
    overdue = take(intake(received="2023-09-01"), Status.DECIDED, accepted="2023-09-01", decided="2023-09-04")
    cases["notified late"] = services.complaint_notify(
        actor=officer, case=overdue, notice_on=datetime.date(2023, 10, 9), method="phone"
    )
    SAMPLE["merge"]["into"] = target.number
    return cases


def _page_data(name: str, data: dict, users) -> dict:
    """The sample as the case page posts it: prefixed fields, a checkbox "on", a user by primary key."""
    value = lambda k, v: users[v + "_staff"].pk if k == "handler" else ("on" if v is True else v)  # noqa: E731
    return {f"{name}-{k}": value(k, v) for k, v in data.items()}


def _taken(name: str, case: Complaint, actor) -> str | None:
    """Take the step through the service with the sample input, then undo it: the refusal, or None if taken."""
    form = StepForm(_page_data(name, SAMPLE[name], {"nanjing_staff": actor}), prefix=name, step=steps.STEPS[name], user=actor)
    assert form.is_valid(), (name, form.errors)
    with transaction.atomic():
        try:
            steps.run(name, actor=actor, case=Complaint.objects.get(pk=case.pk), data=form.cleaned_data)
        except ApplicationError as exc:
            return exc.message
        finally:
            transaction.set_rollback(True)
    return None


def test_the_page_and_the_api_allow_and_refuse_each_step_alike(intake, take, officer, users, client_for, api_for):
    """For every step in every situation: the page offers it exactly when the table allows it, the service refuses
    it otherwise with the table's reason; the API takes each step where the page offers it, and a refused step is
    answered 400 with the same Chinese reason by the page and by the API, changing nothing."""
    page, api, staff = client_for(users["nanjing_staff"]), api_for(users["nanjing_staff"]), users["nanjing_staff"]
    situations = _situations(intake, take, officer)
    allowed, refused = {}, {}
    for situation, case in situations.items():
        case = Complaint.objects.get(pk=case.pk)
        offered = {s["name"] for s in page.get(reverse("complaints:case-detail", args=[case.pk])).context["steps"]}
        for name in steps.STEPS:
            refusal = steps.refusal(case, name)
            assert (name in offered) is (refusal is None), (name, situation, refusal)
            if refusal is not None:  # taken through the service, the step is refused with the table's reason
                assert _taken(name, case, staff) == refusal, (name, situation)
            (allowed if refusal is None else refused).setdefault(name, (case, refusal))
    assert set(allowed) == set(steps.STEPS), f"no situation allows {set(steps.STEPS) - set(allowed)}: add one"
    assert set(refused) == set(steps.STEPS) - {"major"}, "each step with a rule is refused somewhere"
    for name, (case, _refusal) in allowed.items():
        with transaction.atomic():
            response = api.post(f"/api/v1/complaints/{case.pk}/{name}/", SAMPLE[name], format="json")
            assert response.status_code == 200, (name, response.json())
            transaction.set_rollback(True)
    for name, (case, refusal) in refused.items():
        before = Complaint.objects.get(pk=case.pk).updated_at
        on_page = page.post(reverse("complaints:case-step", args=[case.pk, name]), _page_data(name, SAMPLE[name], users))
        on_api = api.post(f"/api/v1/complaints/{case.pk}/{name}/", SAMPLE[name], format="json")
        assert on_page.status_code == on_api.status_code == 400, name
        assert refusal in on_page.content.decode(), name
        assert on_api.json()["message"] == refusal, name
        assert Complaint.objects.get(pk=case.pk).updated_at == before, "a refused step changes nothing"


def test_extending_while_the_clock_is_paused_is_refused_by_the_page_and_the_api_alike(intake, take, officer):
    """The page hid it while the API allowed it; now the table refuses it in the service both call."""
    case = services.complaint_pause(
        actor=officer, case=take(intake(received="2023-10-09"), Status.ACCEPTED), kind="appraisal", started_on=D("2023-10-10")
    )
    with pytest.raises(ApplicationError, match="中止计时期间不能延期"):
        services.complaint_extend(actor=officer, case=case, granted_on=D("2023-10-11"), approver="王", reason="x")


def test_material_is_requested_once(intake, officer):
    case = services.complaint_material_request(
        actor=officer, case=intake(received="2023-10-09", material_complete=False), requested_on=D("2023-10-10")
    )
    with pytest.raises(ApplicationError, match="一次性告知"):
        services.complaint_material_request(actor=officer, case=case, requested_on=D("2023-10-11"))


def test_the_old_page_names_still_reach_their_step(intake, users, client_for):
    case = intake(received="2023-10-09")
    for old, new in steps.ALIASES.items():
        assert steps.get(old) is steps.STEPS[new]
    response = client_for(users["nanjing_staff"]).post(
        reverse("complaints:case-step", args=[case.pk, "joint-sheet-send"]), {"joint-sheet-send-sent_on": "2023-10-10"}
    )
    assert response.status_code == 302
    assert Complaint.objects.get(pk=case.pk).joint_sheet_sent_on == D("2023-10-10")


def test_every_text_input_is_bounded_by_its_column_on_the_page_and_in_the_api(users):
    for name, step in steps.STEPS.items():
        form = StepForm(step=step, user=users["officer"])
        serializer = STEP_INPUTS[name]()
        for spec in step.inputs:
            if spec.kind not in ("text", "case_number"):
                continue
            if spec.column:
                column = spec.column[0]._meta.get_field(spec.column[1])
                assert spec.length == (column.max_length or steps.LONG_TEXT), (name, spec.name)
            assert form.fields[spec.name].max_length == serializer.fields[spec.name].max_length == spec.length, (name, spec.name)

"""Fixtures for complaints tests: intake of a case on the small tree, and a case taken to any step."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from complaints import services
from complaints.choices import Status

SH = ZoneInfo("Asia/Shanghai")
D = datetime.date.fromisoformat


def at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(D(day), datetime.time(hour), tzinfo=SH)


@pytest.fixture(autouse=True)
def holiday_calendar(request):
    """The calendar the migration seeds; a transactional test elsewhere in the run may have flushed it."""
    names = set(request.fixturenames)
    if not names & {"db", "transactional_db"}:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    from complaints.models import CalendarYear

    if not CalendarYear.objects.exists():
        services.calendar_seed(recompute=False)


@pytest.fixture
def intake(tree, users):
    """Register a case: intake(branch="nanjing", received="2023-09-28", source="self", **overrides)."""

    def make(branch="nanjing", received="2023-09-28", source="self", actor=None, **overrides):
        fields = {
            "category": "claims",
            "summary": "理赔申请提交后长时间未处理",
            "customer_name": "张三",
            "customer_phone": "13812345678",
            "customer_id_number": "320102199001011232",
            "policy_number": "P2023000001",
        }
        if source == "regulator":  # a forwarded case carries its 转办编号 (services refuse one without)
            fields["regulator_ref"] = "苏金监消转〔2023〕1号"
        fields.update(overrides)
        return services.complaint_create(
            actor=actor or users["officer"], branch=tree[branch], source=source, received_at=at(received), **fields
        )

    return make


@pytest.fixture
def officer(users):
    return users["officer"]


@pytest.fixture
def take(users):
    """Take a case through the usual steps up to `until` (accepted, decided, notified or closed)."""

    def run(case, until, *, accepted=None, decided=None, notified=None, closed=None, actor=None):
        actor = actor or users["officer"]
        accepted = D(accepted) if accepted else case.received_on
        case = services.complaint_accept(actor=actor, case=case, accepted_on=accepted)
        if until == Status.ACCEPTED:
            return case
        decided = D(decided) if decided else accepted + datetime.timedelta(days=3)
        case = services.complaint_decide(actor=actor, case=case, decided_on=decided, decision="补充赔付", reasons="经核实属实")
        if until == Status.DECIDED:
            return case
        notified = D(notified) if notified else decided
        case = services.complaint_notify(actor=actor, case=case, notice_on=notified, method="phone")
        if until == Status.NOTIFIED:
            return case
        return services.complaint_close(actor=actor, case=case, closed_on=D(closed) if closed else notified)

    return run


@pytest.fixture
def api_for():
    """An API client authenticated with the user's token (as `python manage.py api_token` prints it)."""
    from rest_framework.authtoken.models import Token

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return client

    return make

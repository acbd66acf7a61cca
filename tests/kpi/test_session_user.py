"""A session's user comes in one query with their branch and their branch's unread notice count
(kpi.authentication.SessionUserBackend): the navigation's badge counts what is unread as of the request, and
reading a notice (a POST that redirects) shows on the next page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi.models import Notice, NoticeKind


def _badge(page: str) -> str:
    import re

    return re.search(r'href="/notices/">([^<]+)</a>', page)[1]


def test_the_badge_counts_the_branchs_unread_notices_and_follows_reading(tree, users, client_for):
    for n in range(3):
        Notice.objects.create(branch=tree["nanjing"], kind=NoticeKind.PUBLICATION, message=f"第{n}条", link="")
    Notice.objects.create(branch=tree["wuxi"], kind=NoticeKind.PUBLICATION, message="无锡的", link="")
    staff = client_for(users["nanjing_staff"])
    assert _badge(staff.get("/entries/").content.decode()) == "通知（3）"
    first = Notice.objects.filter(branch=tree["nanjing"]).first()
    assert staff.post(f"/notices/{first.pk}/read/").status_code == 302
    assert _badge(staff.get("/entries/").content.decode()) == "通知（2）"
    Notice.objects.filter(branch=tree["nanjing"]).update(read_at=first.read_at or first.created_at)
    assert _badge(staff.get("/entries/").content.decode()) == "通知"
    assert _badge(client_for(users["wuxi_staff"]).get("/entries/").content.decode()) == "通知（1）"


def test_the_user_their_branch_and_the_count_are_one_query(tree, users, client_for):
    staff = client_for(users["nanjing_staff"])
    staff.get("/notices/")
    with CaptureQueriesContext(connection) as captured:
        staff.get("/notices/")
    sql = [q["sql"] for q in captured.captured_queries]
    # One statement reads the user (on PostgreSQL a prepared one: core.prepared.CompiledGet); what it brings along
    # is tested there (tests/core/test_prepared.py).
    users_read = [q for q in sql if 'FROM "branches_user"' in q or q.startswith("EXECUTE session_user_")]
    assert len(users_read) == 1
    assert connection.vendor == "postgresql" or ('"branches_branch"' in users_read[0] and '"kpi_notice"' in users_read[0])
    assert not any(q.lstrip().startswith("SELECT COUNT(*)") and '"kpi_notice"' in q for q in sql)

"""The admin cannot be used to recover personal data or secrets (issue 8, item 4)."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from core.admin import check_protected_fields
from tests.complaints.conftest import intake  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    "query",
    [
        "customer_phone__startswith=1381",
        "customer_name__contains=张",
        "customer_id_number__startswith=3201",
        "customer_phone=13812345678",
        "id=1&customer_phone__startswith=1",
    ],
)
def test_a_lookup_on_a_complainants_personal_data_is_refused_in_chinese(users, client_for, intake, query):  # noqa: F811
    case = intake()
    response = client_for(users["admin"]).get(f"/admin/complaints/complaint/?{query.replace('id=1', f'id={case.pk}')}")
    page = response.content.decode()
    assert response.status_code == 400
    assert "不能按以下字段筛选" in page and "结果" not in page and case.number not in page


def test_lookups_through_a_relation_and_on_secrets_are_refused_too(users, client_for, intake):  # noqa: F811
    intake()
    client = client_for(users["admin"])
    assert client.get("/admin/complaints/caseevent/?complaint__customer_phone__startswith=1").status_code in (400, 404)
    assert client.get("/admin/branches/user/?password__startswith=md5").status_code == 400
    assert client.get("/admin/authtoken/tokenproxy/?key__startswith=a").status_code == 400
    assert client.get("/admin/complaints/complaint/?status=registered").status_code == 200


def test_the_token_list_shows_who_holds_a_token_and_never_a_key(users, client_for):
    out = io.StringIO()
    call_command("api_token", "nanjing", stdout=out)
    key = out.getvalue().strip()
    client = client_for(users["admin"])
    page = client.get("/admin/authtoken/tokenproxy/").content.decode()
    assert "nanjing" in page and key not in page and key[:8] not in page
    assert client.get(f"/admin/authtoken/tokenproxy/{users['nanjing_staff'].pk}/change/").status_code == 403
    assert client.get("/admin/authtoken/tokenproxy/add/").status_code == 403


def test_making_a_token_again_replaces_it_and_revoking_removes_it(users):
    first, second = io.StringIO(), io.StringIO()
    call_command("api_token", "nanjing", stdout=first)
    call_command("api_token", "nanjing", stdout=second)
    assert first.getvalue() != second.getvalue()
    assert list(Token.objects.filter(user=users["nanjing_staff"]).values_list("key", flat=True)) == [second.getvalue().strip()]
    call_command("api_token", "nanjing", "--revoke", stderr=io.StringIO())
    assert not Token.objects.filter(user=users["nanjing_staff"]).exists()


def test_every_admin_is_guarded_and_none_lists_filters_searches_or_sorts_by_a_protected_field(monkeypatch):
    from core.admin import ProtectedFieldsGuard

    assert all(isinstance(model_admin, ProtectedFieldsGuard) for model_admin in admin.site._registry.values())
    assert check_protected_fields() == []
    complaint_admin = next(a for m, a in admin.site._registry.items() if m._meta.label_lower == "complaints.complaint")
    monkeypatch.setattr(complaint_admin, "search_fields", ["number", "customer_phone"])
    assert [e.id for e in check_protected_fields()] == ["core.E001"]

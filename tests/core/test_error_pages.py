"""Error pages in Chinese with a way back; the API answers the same errors in JSON; a database outage is a 503."""

import importlib
import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from core import views
from core.middleware import DatabaseUnavailableMiddleware

HOME_LINK = '<a class="btn btn-primary" href="/">返回首页</a>'


def _page(response, status: int, heading: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert 'lang="zh-hans"' in html and f'<h1 class="h3 mb-3">{heading}</h1>' in html
    assert HOME_LINK in html
    assert "Traceback" not in html and "Django" not in html
    return html


def test_unknown_page_is_a_chinese_404_with_links_back(db):
    html = _page(Client().get("/no-such-page/", HTTP_REFERER="http://testserver/league/"), 404, "找不到页面")
    assert 'href="http://testserver/league/">返回上一页</a>' in html


def test_a_referer_from_another_site_is_not_offered_as_the_way_back(db):
    html = _page(Client().get("/no-such-page/", HTTP_REFERER="https://evil.example/"), 404, "找不到页面")
    assert "evil.example" not in html and "返回上一页" not in html


def test_a_page_the_user_may_not_open_is_a_chinese_403(users, client_for):
    html = _page(client_for(users["nanjing_staff"]).get("/review/"), 403, "无权访问")
    assert "退出" in html  # the navigation bar still shows who is signed in


def test_a_bad_host_is_a_chinese_400(db):
    _page(Client(HTTP_HOST="evil.example").get("/league/"), 400, "请求有误")


def test_an_expired_form_is_a_chinese_403_not_djangos_csrf_page(db):
    html = _page(Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x"}), 403, "页面已过期")
    assert "CSRF verification failed" not in html


def test_the_500_page_needs_neither_database_nor_request_context():
    """No `db` fixture: any query while rendering would fail this test."""
    request = RequestFactory().get("/league/", HTTP_REFERER="http://testserver/complaints/")
    html = _page(views.server_error(request), 500, "服务器出错了")
    assert "返回上一页" in html
    assert 'name="language"' not in html  # the language form needs a CSRF token this page cannot have


def test_server_errors_under_api_answer_the_json_error_body():
    response = views.server_error(RequestFactory().get("/api/v1/league/"))
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "code": "server_error",
        "message": "服务器内部错误，已记录，请稍后再试。",
        "fields": {},
    }


def test_too_many_failed_logins_is_a_chinese_429_saying_when_to_try_again(db, users, settings):
    client = Client()
    responses = [client.post("/accounts/login/", {"username": "nanjing", "password": "wrong"}) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429] * (
        7 - settings.AXES_FAILURE_LIMIT
    )
    html = _page(responses[-1], 429, "登录已暂时锁定")
    assert f"连续 {settings.AXES_FAILURE_LIMIT} 次登录失败" in html and "请 15 分钟后再试" in html


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("connection already closed")])
def test_database_outage_in_a_view_is_a_chinese_503_page(users, client_for, monkeypatch, error):
    def down(**kwargs):
        raise error

    monkeypatch.setattr("complaints.selectors.complaint_queryset", down)
    response = client_for(users["officer"]).get("/complaints/")
    html = _page(response, 503, "系统暂时无法使用")
    assert response["Retry-After"] == "30" and "数据库" in html


def test_database_outage_on_the_api_is_a_503_error_body(users, monkeypatch):
    def down(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("complaints.selectors.complaint_queryset", down)
    client = APIClient()
    client.force_authenticate(users["officer"])
    response = client.get("/api/v1/complaints/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"code": "service_unavailable", "message": "系统暂时无法连接数据库，请稍后再试。", "fields": {}}


def test_database_outage_outside_a_view_is_answered_503_by_the_500_handler():
    request = RequestFactory().get("/league/")
    try:
        raise OperationalError("the session could not be saved")
    except OperationalError:
        response = views.server_error(request)
    _page(response, 503, "系统暂时无法使用")


def test_the_middleware_leaves_other_errors_to_djangos_500():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("a bug")) is None


def test_the_demo_runs_without_debug_unless_asked(monkeypatch):
    """Anonymous visitors of `make demo` never see Django's debug page (DEBUG=true turns it on)."""
    import config.settings.local as local

    monkeypatch.delenv("DEBUG", raising=False)
    assert importlib.reload(local).DEBUG is False
    monkeypatch.setenv("DEBUG", "true")
    assert importlib.reload(local).DEBUG is True


def test_error_pages_follow_the_language_switcher(db, settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html and "Back to the home page" in html and "找不到页面" not in html

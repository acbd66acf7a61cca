"""While the database is unreachable, pages answer a Chinese 503 (JSON under /api/), not a traceback."""

import pytest
from django.db import OperationalError

from kpi import selectors
from kpi.api import views as api_views


@pytest.fixture
def database_down(monkeypatch):
    """The first read of the league page and of the API league fails as psycopg2 does during a restart."""

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5433 failed: Connection refused')

    monkeypatch.setattr(selectors, "scheme_default", refuse)
    monkeypatch.setattr(api_views, "get_object_or_404", refuse)


def test_a_page_answers_a_chinese_503_that_says_to_try_again(client_for, users, database_down):
    response = client_for(users["officer"]).get("/league/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "暂时无法连接数据库" in page and "刷新页面" in page and "Traceback" not in page


def test_the_api_answers_a_json_503(client_for, users, database_down):
    response = client_for(users["officer"]).get("/api/v1/league/?scheme=jiangsu-2023")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert "暂时无法连接数据库" in response.json()["message"]

"""League reads from the snapshot (issue 12, item 5): rows a page at a time, explanations on request or one cell at
a time, a fixed number of queries whatever the number of branches, an ETag per run × scope × parameters (304 on
revalidation) and the rendered answer kept in the cache."""

import gzip
import json
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from core import cache as cache_module
from kpi import selectors, services
from kpi.benchmarks.reads import synthetic_run
from kpi.models import BranchScore, MonthlyFigure
from kpi.publishing.services import window_publish
from tests.kpi.demo_clients import token_client as api

LEAGUE = "/api/v1/league/?scheme=jiangsu-2023&month=1"
BROWSER = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}  # what browsers and `requests` send
CELL = "/api/v1/league/cells/?scheme=jiangsu-2023&month=1&indicator=sl_nonbank&branch="


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def explanation(run, branch, indicator="sl_nonbank"):
    """The cell's explanation as the cell page renders it from the run's kept inputs."""
    score = BranchScore.objects.get(run=run, branch__code=branch)
    return selectors.cell_explanation(run=run, score=score, indicator_code=indicator)


def cells(body, branch):
    return {c["code"]: c for c in next(r for r in body["rows"] if r["branch"] == branch)["indicators"]}


# ── explanations on request ───────────────────────────────────────────────────────────────────────


def test_cells_come_without_explanations_unless_asked(users, published):
    plain = api(users["officer"]).get(LEAGUE).json()
    expanded = api(users["officer"]).get(LEAGUE + "&expand=explanations").json()
    nanjing, full = cells(plain, "nanjing")["sl_nonbank"], cells(expanded, "nanjing")["sl_nonbank"]
    assert "explanation" not in nanjing
    stored = explanation(published.run, "nanjing")
    assert full["explanation"] == stored and stored["steps"]
    assert {k: v for k, v in full.items() if k != "explanation"} == nanjing  # the same cell, less its explanation
    assert api(users["officer"]).get(LEAGUE + "&expand=everything").status_code == 400


def test_one_cells_url_answers_its_explanation_within_scope_only(users, published):
    stored = BranchScore.objects.get(run=published.run, branch__code="wuxi").cell("sl_nonbank")
    for role in ("officer", "admin", "wuxi_staff"):
        response = api(users[role]).get(CELL + "wuxi")
        assert response.status_code == 200, role
        body = response.json()
        assert body["explanation"] == explanation(published.run, "wuxi") and body["explanation"]["steps"]
        assert Decimal(body["points"]) == stored.points
        assert (body["branch"], body["code"], body["revision"]) == ("wuxi", "sl_nonbank", 1)
        assert body["url"] == "/league/jiangsu-2023/2023-01/r1/wuxi/sl_nonbank/"
    for role in ("nanjing_staff", "county_staff"):
        assert api(users[role]).get(CELL + "wuxi").status_code == 404, role  # another branch: as if it did not exist
    assert api(users["nanjing_staff"]).get(CELL + "nanjing").status_code == 200
    assert api(users["officer"]).get(CELL + "nosuchbranch").status_code == 404
    assert api(users["officer"]).get(CELL.replace("sl_nonbank", "nosuchindicator") + "wuxi").status_code == 404
    assert api(users["wuxi_staff"]).get(CELL + "wuxi&live=true").status_code == 403


# ── pagination ───────────────────────────────────────────────────────────────────────────────────


def test_rows_come_a_page_at_a_time_with_count_next_and_previous(users, published, scheme):
    synthetic_run(scheme=scheme, model_run=published.run, count=13, prefix="p")
    window_publish(scheme=scheme, month=1, user=users["officer"], note="13 家")
    client = api(users["officer"])
    whole = client.get(LEAGUE).json()
    assert whole["count"] == 13 and len(whole["rows"]) == 13 and whole["next"] is None and whole["previous"] is None
    first = client.get(LEAGUE + "&page_size=5").json()
    assert first["count"] == 13 and len(first["rows"]) == 5 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=5" in first["next"]
    second = client.get(first["next"]).json()
    assert second["previous"] is not None and "page=" not in second["previous"]  # page 1 is the address without page
    third = client.get(second["next"]).json()
    assert len(third["rows"]) == 3 and third["next"] is None
    paged = [r["branch"] for body in (first, second, third) for r in body["rows"]]
    assert paged == [r["branch"] for r in whole["rows"]]  # the same order, every row once
    assert [r["rank"] for r in third["rows"]] == [r["rank"] for r in whole["rows"][10:]]
    assert client.get(LEAGUE + "&page_size=5&page=4").status_code == 404


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=1.5", "page=²", "page_size=0", "page_size=501", "page_size=x"])
def test_bad_page_parameters_are_a_400_in_chinese(users, published, query):
    response = api(users["officer"]).get(f"{LEAGUE}&{query}")
    assert response.status_code == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(response.json()))


def test_files_stay_whole(users, published, scheme):
    synthetic_run(scheme=scheme, model_run=published.run, count=7, prefix="f")
    window_publish(scheme=scheme, month=1, user=users["officer"], note="7 家")
    response = api(users["officer"]).get(LEAGUE + "&page_size=2&format=csv")
    assert response.status_code == 200 and len(response.content.decode("utf-8-sig").strip().splitlines()) == 1 + 7


# ── queries: fixed whatever the number of branches ─────────────────────────────────────────────────


def _queries(client, url) -> list[str]:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_queries_do_not_grow_with_the_number_of_branches(users, published, scheme, client_for):
    counts = {}
    for n in (13, 200):
        synthetic_run(scheme=scheme, model_run=published.run, count=n, prefix=f"q{n}x")
        window_publish(scheme=scheme, month=1, user=users["officer"], note=f"{n} 家")
        api_queries = _queries(api(users["officer"]), LEAGUE)
        staff_queries = _queries(api(users["wuxi_staff"]), LEAGUE)
        page_queries = _queries(client_for(users["officer"]), "/league/jiangsu-2023/2023-01/")
        counts[n] = (len(api_queries), len(staff_queries), len(page_queries))
        # The rows are read once, as values; the cells of just the page, in one query; no explanation read.
        cell_reads = [q for q in api_queries if '"kpi_branchscore"."cells"' in q]
        assert len(cell_reads) == 1 and '"detail"' not in cell_reads[0]
    assert counts[13] == counts[200], counts
    assert counts[13][0] <= 20


def test_a_cached_answer_reads_no_rows(users, published):
    client = api(users["officer"])
    first = client.get(LEAGUE)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(LEAGUE)
    assert again.content == first.content
    # The token, the scheme's stamp (which runs and revisions exist) and the caller's branch: nothing else.
    assert len(captured) <= 4, [q["sql"][:80] for q in captured.captured_queries]
    assert not any("kpi_branchscore" in q["sql"] for q in captured.captured_queries)


# ── ETag and 304 ─────────────────────────────────────────────────────────────────────────────────


def test_an_unchanged_table_answers_304_with_no_body(users, published):
    client = api(users["officer"])
    first = client.get(LEAGUE)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = client.get(LEAGUE, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get(LEAGUE, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    # Other parameters are another answer with another ETag.
    assert client.get(LEAGUE + "&expand=explanations")["ETag"] != etag
    assert client.get(LEAGUE + "&page_size=1")["ETag"] != etag


def test_a_client_taking_gzip_gets_the_same_json_gzipped_under_a_weak_etag(users, published):
    client = api(users["officer"])
    plain = client.get(LEAGUE)
    for _ in range(2):  # made, then from the cache
        zipped = client.get(LEAGUE, **BROWSER)
        assert zipped.status_code == 200 and zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
        assert json.loads(gzip.decompress(zipped.content)) == plain.json()
        assert zipped["ETag"] == "W/" + plain["ETag"]
    assert "Content-Encoding" not in client.get(LEAGUE)  # a client that does not take gzip still gets plain JSON
    # Either tag revalidates either representation: they are the same JSON (weak comparison).
    for tag in (plain["ETag"], zipped["ETag"]):
        for headers in (BROWSER, {}):
            assert client.get(LEAGUE, HTTP_IF_NONE_MATCH=tag, **headers).status_code == 304


def test_a_recompute_changes_the_live_tables_etag_and_its_answer(users, run):
    client = api(users["officer"])
    live = LEAGUE + "&live=true"
    first = client.get(live)
    MonthlyFigure.objects.filter(branch__code="wuxi", component__code="sl_nonbank_passed").update(value=Decimal("9900"))
    services.score_run_compute(scheme=run.scheme, month=1)
    after = client.get(live, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert cells(after.json(), "wuxi")["sl_nonbank"]["value"] != cells(first.json(), "wuxi")["sl_nonbank"]["value"]


def test_a_new_revision_changes_the_etag_of_the_window(users, published):
    client = api(users["wuxi_staff"])
    first = client.get(LEAGUE)
    MonthlyFigure.objects.filter(branch__code="wuxi", component__code="sl_nonbank_passed").update(value=Decimal("9900"))
    services.score_run_compute(scheme=published.scheme, month=1)
    window_publish(scheme=published.scheme, month=1, user=users["officer"], note="第2版")
    after = client.get(LEAGUE, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after.json()["revision"] == 2
    old = client.get(LEAGUE + "&revision=1", HTTP_IF_NONE_MATCH=first["ETag"])
    assert old.status_code == 200  # revision 1 now says a later one exists (latest_revision 2)
    assert old.json()["latest_revision"] == 2


def test_staff_of_two_branches_get_different_etags_and_bodies(users, published):
    nanjing, wuxi = api(users["nanjing_staff"]).get(LEAGUE), api(users["wuxi_staff"]).get(LEAGUE)
    assert nanjing["ETag"] != wuxi["ETag"]
    assert cells(nanjing.json(), "nanjing") and not cells(nanjing.json(), "wuxi")
    assert cells(wuxi.json(), "wuxi") and not cells(wuxi.json(), "nanjing")
    # Wuxi's ETag does not open nanjing's cached answer, and a second call of each is still its own.
    assert api(users["nanjing_staff"]).get(LEAGUE, HTTP_IF_NONE_MATCH=wuxi["ETag"]).status_code == 200
    assert api(users["nanjing_staff"]).get(LEAGUE).content == nanjing.content
    assert api(users["wuxi_staff"]).get(LEAGUE).content == wuxi.content


def test_the_cell_url_has_an_etag_too(users, published):
    client = api(users["wuxi_staff"])
    first = client.get(CELL + "wuxi")
    assert client.get(CELL + "wuxi", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_reads_survive_the_cache_being_down(users, published, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert api(users["officer"]).get(LEAGUE).status_code == 200


# ── the league page ──────────────────────────────────────────────────────────────────────────────


def test_the_page_shows_100_rows_a_page_with_the_whole_tables_average(users, published, scheme, client_for):
    import re

    synthetic_run(scheme=scheme, model_run=published.run, count=150, prefix="g")
    window_publish(scheme=scheme, month=1, user=users["officer"], note="150 家")
    client = client_for(users["officer"])
    first = client.get("/league/jiangsu-2023/2023-01/r2/").content.decode()
    second = client.get("/league/jiangsu-2023/2023-01/r2/?page=2").content.decode()
    ranks = [re.findall(r'<tr class="[^"]*" data-branch="([a-z0-9]+)"', html) for html in (first, second)]
    assert (len(ranks[0]), len(ranks[1])) == (100, 50) and not set(ranks[0]) & set(ranks[1])
    assert 'id="league-pager"' in first and "共 150 家机构" in first
    average = [re.search(r'<tr class="summary" id="average-row">.*?</tr>', html, re.S)[0] for html in (first, second)]
    assert average[0] == average[1]  # the province's average is the whole table's on every page
    assert client.get("/league/jiangsu-2023/2023-01/r2/?page=3").status_code == 404
    assert client.get("/league/jiangsu-2023/2023-01/r2/?page=x").status_code == 400
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/league/jiangsu-2023/2023-01/r2/?page=2").content.decode()
    assert re.findall(r'<tr class="[^"]*" data-branch="([a-z0-9]+)"', again) == ranks[1]
    assert not any('"kpi_branchscore"."cells"' in q["sql"] for q in captured.captured_queries)  # the table from the cache


def test_a_long_tables_pager_links_the_ends_and_the_neighbours_of_the_page(users, published, scheme, client_for, monkeypatch):
    """15 pages (a national table has 45): the first and last, the page and its neighbours, a gap between, and the
    previous and next pages; not a link a page."""
    from kpi import views

    monkeypatch.setattr(views, "PAGE_ROWS", 10)
    synthetic_run(scheme=scheme, model_run=published.run, count=150, prefix="g")
    window_publish(scheme=scheme, month=1, user=users["officer"], note="150 家")
    client = client_for(users["officer"])

    def pager(page):
        html = client.get(f"/league/jiangsu-2023/2023-01/r2/?page={page}").content.decode()
        nav = re.search(r'<nav [^>]*id="league-pager".*?</nav>', html, re.S)[0]
        return re.findall(r'href="\?page=(\d+)"(?: rel="(prev|next)")?|(…)', nav)

    def shown(links):
        return [gap or (f"{rel}:{n}" if rel else n) for n, rel, gap in links]

    assert shown(pager(8)) == ["prev:7", "1", "…", "7", "8", "9", "…", "15", "next:9"]
    assert shown(pager(1)) == ["1", "2", "…", "15", "next:2"]
    assert shown(pager(15)) == ["prev:14", "1", "…", "14", "15"]
    assert 'aria-current="page" title="第 71–80 名">71–80<' in client.get("/league/jiangsu-2023/2023-01/r2/?page=8").content.decode()


def test_a_small_table_is_one_page_without_a_pager(users, published, client_for):
    page = client_for(users["nanjing_staff"]).get("/league/jiangsu-2023/2023-01/r1/").content.decode()
    assert 'id="league-pager"' not in page and 'data-branch="wuxi"' in page and 'data-branch="nanjing"' in page


def test_publishing_another_window_reaches_the_cached_pages_charts(users, published, client_for):
    import json
    import re

    def windows(client):
        html = client.get("/league/jiangsu-2023/2023-01/r1/").content.decode()
        return json.loads(re.search(r'<script id="league-charts-data" type="application/json">(.*?)</script>', html, re.S)[1])["windows"]

    client = client_for(users["nanjing_staff"])
    assert windows(client) == ["1月"]
    services.score_run_compute(scheme=published.scheme, month=2)
    window_publish(scheme=published.scheme, month=2, user=users["officer"], note="1–2月排名")
    assert windows(client) == ["1月", "1–2月"]


def test_the_offices_notice_follows_a_recompute_behind_a_published_window(users, published, client_for):
    client = client_for(users["officer"])
    assert 'id="restatement"' not in client.get("/league/jiangsu-2023/2023-01/r1/").content.decode()
    MonthlyFigure.objects.filter(branch__code="wuxi", component__code="sl_nonbank_passed").update(value=Decimal("9900"))
    services.score_run_compute(scheme=published.scheme, month=1)
    page = client.get("/league/jiangsu-2023/2023-01/r1/").content.decode()
    assert 'id="restatement"' in page and "无锡中支" in page


# ── the page from the cache ──────────────────────────────────────────────────────────────────────────


PAGE = "/league/jiangsu-2023/2023-01/r1/"


@pytest.mark.parametrize("role", ["officer", "wuxi_staff", "admin"])
def test_a_cached_page_reads_no_rows_in_a_few_queries(users, published, client_for, role):
    client = client_for(users[role])
    first = client.get(PAGE).content.decode()
    with CaptureQueriesContext(connection) as captured:
        again = client.get(PAGE).content.decode()
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub("", again) == strip.sub("", first) and 'id="league"' in again
    sql = [q["sql"] for q in captured.captured_queries]
    # The user with their branch and its unread notices (the session comes from the cache), the scheme's stamp and,
    # for branch staff, their subtree (the office sees all); the content and the navigation around it are kept.
    assert len(sql) == (3 if role == "wuxi_staff" else 2), [q[:80] for q in sql]
    assert not any(t in q for q in sql for t in ('"kpi_branchscore"', '"kpi_publication"', '"kpi_scorerun"'))


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')


@pytest.mark.parametrize("role", ["officer", "wuxi_staff"])
def test_a_browser_gets_the_same_page_gzipped(users, published, client_for, role):
    """Browsers take gzip: the kept page is sent compressed (the national table's 548 KB page is ~27 KB) and reads
    exactly as the plain one, with the viewer's own token and the address put in."""
    client = client_for(users[role])
    plain = client.get(PAGE + "?page=1").content.decode()
    for _ in range(2):  # rendered, then from the cache
        zipped = client.get(PAGE + "?page=1", **BROWSER)
        assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
        assert len(zipped.content) < len(plain.encode()) / 3
        page = gzip.decompress(zipped.content).decode()
        assert CSRF.sub("", page) == CSRF.sub("", plain) and 'id="league"' in page
        assert 'name="next" type="hidden" value="/league/jiangsu-2023/2023-01/r1/?page=1"' in page
        assert cache_module.CSRF_PLACEHOLDER not in page


def test_a_cached_page_carries_each_viewers_own_csrf_token(users, published, client_for):
    """The office's cached page holds forms (the notice's republish form): a second session served the same
    content gets a token of its own, which its POST passes the CSRF check with."""
    MonthlyFigure.objects.filter(branch__code="wuxi", component__code="sl_nonbank_passed").update(value=Decimal("9900"))
    services.score_run_compute(scheme=published.scheme, month=1)
    from django.test import Client

    forms = []
    for headers in ({}, BROWSER):  # the second session is served the content the first one's request rendered
        client = Client(enforce_csrf_checks=True)
        client.force_login(users["officer"])
        answer = client.get(PAGE, **headers)
        page = (gzip.decompress(answer.content) if headers else answer.content).decode()
        assert cache_module.CSRF_PLACEHOLDER not in page
        form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="publish-form">.*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S)
        assert form, "the notice offers to republish"
        forms.append((client, form[1], form[2]))
    for client, action, token in forms:
        response = client.post(action, {"csrfmiddlewaretoken": token, "note": "更正后重新发布"})
        assert response.status_code == 302, response.status_code  # not 403: the token is this session's
    tokens = [token for _, _, token in forms]
    assert tokens[0] != tokens[1]


def test_a_queued_recompute_shows_on_the_offices_cached_page_at_once(users, published, client_for):
    from kpi.models import RecomputeRequest

    client = client_for(users["officer"])
    assert 'id="pending-recompute"' not in client.get(PAGE).content.decode()
    from django.utils import timezone

    RecomputeRequest.objects.create(scheme=published.scheme, month=1, requested_at=timezone.now())
    assert 'id="pending-recompute"' in client.get(PAGE).content.decode()


def _frame(page: str) -> dict:
    """What the navigation around a league page shows: the viewer, the notices link and where a language switch
    returns to."""
    return {
        "viewer": re.search(r'<span class="navbar-text me-3">([^<]+)</span>', page)[1].strip(),
        "notices": re.search(r'href="/notices/">([^<]+)</a>', page)[1],
        "next": re.search(r'name="next" type="hidden" value="([^"]+)"', page)[1],
    }


def test_the_kept_frame_follows_the_viewer_their_notices_and_the_address(users, published, client_for, tree):
    from kpi.models import Notice, NoticeKind

    staff, officer = client_for(users["nanjing_staff"]), client_for(users["officer"])
    before = _frame(staff.get(PAGE).content.decode())
    assert before["next"] == PAGE and "南京" in before["viewer"]
    assert _frame(staff.get(PAGE).content.decode()) == before  # the kept frame
    assert users["officer"].username in _frame(officer.get(PAGE).content.decode())["viewer"]  # each their own
    Notice.objects.filter(branch=tree["nanjing"]).update(read_at=published.published_at)
    assert _frame(staff.get(PAGE).content.decode())["notices"] == "通知"
    Notice.objects.create(branch=tree["nanjing"], kind=NoticeKind.PUBLICATION, message="新的", link="")
    assert _frame(staff.get(PAGE).content.decode())["notices"] == "通知（1）"
    users["nanjing_staff"].first_name = "改名"
    users["nanjing_staff"].save()
    assert _frame(staff.get(PAGE).content.decode())["viewer"].startswith("改名")
    assert _frame(staff.get(PAGE + "?page=1").content.decode())["next"] == PAGE + "?page=1"
    # A query string is put in, not kept: another one renders no new frame (no entry per made-up address).
    rendered = []
    template_rendered.connect(lambda sender, template, **kw: rendered.append(template.name), weak=False,
                              dispatch_uid="frame-test")
    try:
        page = staff.get(PAGE + "?page=1&x=2").content.decode()
    finally:
        template_rendered.disconnect(dispatch_uid="frame-test")
    assert "kpi/league.html" not in rendered and 'id="league"' in page
    assert _frame(page)["next"] == PAGE + "?page=1&amp;x=2"  # escaped like any text of a page


def test_a_message_shows_once_on_a_kept_page(users, published, client_for):
    MonthlyFigure.objects.filter(branch__code="wuxi", component__code="sl_nonbank_passed").update(value=Decimal("9900"))
    services.score_run_compute(scheme=published.scheme, month=1)
    client = client_for(users["officer"])
    shown = client.post("/league/jiangsu-2023/2023-01/publish/", {"note": "更正后重新发布"}, follow=True)
    assert shown.redirect_chain[-1][0].endswith("/2023-01/r2/")
    alerts = re.compile(r'<div class="alert alert-success" role="status">([^<]+)</div>')
    assert "排名第2版" in "".join(alerts.findall(shown.content.decode()))
    again = client.get("/league/jiangsu-2023/2023-01/r2/").content.decode()
    assert 'id="league"' in again and not alerts.findall(again)  # shown once, and the frame kept without it

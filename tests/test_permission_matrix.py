"""The permission matrix: every URL of the project × every role → the expected answer, and what lists show.

"Branch data is private to its branch": staff see their branch and the branches below it, officers their
own branch's subtree (the provincial officer, at the root here, every branch; an officer of nanjing, nanjing
and its county), administrators every branch and the configuration. Another branch's object
answers 404 (never a hint that it exists); a role that may not use a page at all answers 403; anonymous
users are sent to the login page (401 from the API). Lists and exports carry only the rows the viewer
may see, and customers' personal data only for the branch staff who handle the cases.

`test_every_url_has_a_matrix_row` fails when an endpoint is added without a row here: decide who may
reach it, add the row, and the matrix checks it for every role.

The data is built once for the module inside a transaction that is rolled back at the end; every test
runs in a savepoint of it (pytest-django's `db`), so the POST rows change nothing for the next test.
"""

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from branches.models import Role, User
from complaints import services as complaint_services
from complaints.models import CalendarYear
from kpi import demo
from kpi import services as kpi_services
from kpi.entries import services as entry_services
from kpi.imports import services as import_services
from kpi.models import Component, MonthlyFigure, MonthlySubmission, Notice, NoticeKind, SubmissionStatus
from kpi.publishing.services import window_publish
from tests.complaints.conftest import at
from tests.conftest import build_tree, build_users

ROLES = ("anonymous", "nanjing_staff", "wuxi_staff", "county_staff", "officer", "nanjing_officer", "admin")

# The oracle, written out rather than asked of branches.permissions: the branches each role may see,
# and those whose customers' personal data it sees unmasked (the branch staff who handle the cases).
VISIBLE = {
    "anonymous": set(),
    "nanjing_staff": {"nanjing", "jiangning"},
    "wuxi_staff": {"wuxi"},
    "county_staff": {"jiangning"},
    "officer": {"jiangsu", "nanjing", "wuxi", "jiangning"},
    # An officer below the root sees their own branch's subtree only (head-office officers see everything).
    "nanjing_officer": {"nanjing", "jiangning"},
    "admin": {"jiangsu", "nanjing", "wuxi", "jiangning"},
}
PERSONAL = {**VISIBLE, "officer": set(), "nanjing_officer": set(), "admin": set()}
CASE_BRANCHES = ("nanjing", "wuxi", "jiangning")
CUSTOMERS = {
    "nanjing": ("南京客户甲", "13800000001", "320102199001010010"),
    "wuxi": ("无锡客户乙", "13900000002", "320202199001010024"),
    "jiangning": ("江宁客户丙", "13700000003", "320115199001010039"),
}
NOTICES = {"nanjing": "南京催报通知XK1", "wuxi": "无锡催报通知XK2"}
BRANCH_NAMES = {"nanjing": "南京中支", "wuxi": "无锡中支", "jiangning": "江宁支公司"}


# ── the data, built once ──────────────────────────────────────────────────────────────────────────


def _build() -> dict:
    tree = build_tree()
    users = build_users(tree)
    users["nanjing_officer"] = User.objects.create_user(
        username="nanjing-officer", password="pw-12345678", branch=tree["nanjing"], role=Role.OFFICER
    )
    officer = users["officer"]
    if not CalendarYear.objects.exists():  # a transactional test elsewhere may have flushed the seeded calendar
        complaint_services.calendar_seed(recompute=False)

    # Complaint cases of two prefectures and a county, each with a repeat call in September (the publication).
    cases = {}
    for code in CASE_BRANCHES:
        name, phone, id_number = CUSTOMERS[code]
        case = complaint_services.complaint_create(
            actor=officer,
            branch=tree[code],
            source="self",
            received_at=at("2023-09-20"),
            category="claims",
            summary="理赔申请提交后长时间未处理",
            customer_name=name,
            customer_phone=phone,
            customer_id_number=id_number,
            policy_number=f"P-{code}",
        )
        complaint_services.complaint_repeat_call_log(actor=officer, case=case, called_at=at("2023-09-25"), note="再次来电")
        cases[code] = case

    # The 2023 scheme scoring the two prefectures, January's figures and a score run.
    scheme = kpi_services.scheme_load(data=demo.scheme_data())
    for code, passed in (("nanjing", "9448"), ("wuxi", "9306")):
        for component, value in (("sl_nonbank_passed", passed), ("sl_nonbank_checked", "10000")):
            for month in (1, 8):
                MonthlyFigure.objects.create(
                    branch=tree[code],
                    component=Component.objects.get(code=component),
                    month=f"2023-{month:02d}-01",
                    value=Decimal(value),
                )
    run = kpi_services.score_run_compute(scheme=scheme, month=1)
    kpi_services.score_run_compute(scheme=scheme, month=8)
    for month in (1, 8):
        window_publish(scheme=scheme, month=month, user=officer, note=f"1–{month}月排名")
    MonthlySubmission.objects.create(branch=tree["nanjing"], month="2023-08-01", status=SubmissionStatus.SUBMITTED, revision=1)
    notices = {
        code: Notice.objects.create(branch=tree[code], month="2023-08-01", kind=NoticeKind.REMINDER, message=text)
        for code, text in NOTICES.items()
    }

    def pdf(name):
        return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")

    deductions = {
        code: entry_services.deduction_add(
            scheme=scheme,
            branch=tree[code],
            month=8,
            points="1",
            reason=f"{BRANCH_NAMES[code]}通报扣分",
            user=officer,
            attachment=pdf(f"{code}.pdf"),
        )
        for code in ("nanjing", "wuxi")
    }
    veto = entry_services.veto_set(
        scheme=scheme, branch=tree["nanjing"], month=8, reason="南京重大事件", user=officer, attachment=pdf("veto.pdf")
    )
    batch = import_services.batch_create(
        user=users["nanjing_staff"], channel="import", file_name="nanjing.csv",
        content="机构,月份,填报项,数值\nnanjing,2023-09,premium_wan,5\n".encode(), scheme_code=scheme.code,
    )
    import_services.batch_prepare(batch=batch)
    return {
        "tree": tree,
        "users": users,
        "cases": cases,
        "run": run,
        "scheme": scheme,
        "notices": notices,
        "deductions": deductions,
        "veto": veto,
        "ids": {
            "case": cases["nanjing"].pk,
            "run": run.pk,
            "notice": notices["nanjing"].pk,
            "deduction": deductions["nanjing"].pk,
            "wuxi_deduction": deductions["wuxi"].pk,
            "veto": veto.pk,
            "scheme": scheme.code,
            "wuxi_case_number": cases["wuxi"].number,
            "batch": batch.pk,
        },
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The module's data, in a transaction rolled back after the last test (attachments in a temporary MEDIA_ROOT)."""
    tmp = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# ── the matrix ────────────────────────────────────────────────────────────────────────────────────

Expect = dict[str, int]


def expect(anonymous=302, nanjing=200, wuxi=200, county=200, officer=200, admin=200, nanjing_officer=None) -> Expect:
    """The answer per role; the officer of nanjing gets the officer's unless the row is about wuxi."""
    return {
        "anonymous": anonymous,
        "nanjing_staff": nanjing,
        "wuxi_staff": wuxi,
        "county_staff": county,
        "officer": officer,
        "nanjing_officer": officer if nanjing_officer is None else nanjing_officer,
        "admin": admin,
    }


WINDOW = ("jiangsu-2023", "2023-01")
SIGNED_IN = expect()  # every signed-in user; anonymous → login page
NANJING_OBJECT = expect(wuxi=404, county=404)  # an object of nanjing: its staff and the province
OFFICE = expect(nanjing=403, wuxi=403, county=403)  # the office's pages: officers and administrators only
PUBLIC = expect(anonymous=200)
SIMULATOR = expect(nanjing=403, wuxi=403, county=403, nanjing_officer=403)  # the provincial office only
API_SIGNED_IN = expect(anonymous=401)
API_NANJING_OBJECT = expect(anonymous=401, wuxi=404, county=404)


@dataclass(frozen=True)
class Row:
    """One endpoint (URL name) called one way, and the answer each role gets."""

    name: str
    expected: Expect
    args: tuple = ()
    method: str = "get"
    query: str = ""
    data: dict | None = None
    json: bool = False
    headers: dict = field(default_factory=dict)
    check: Callable | None = None  # check(role, response, world): what a 2xx body may show
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.name} {self.method.upper()}{' ' + self.label if self.label else ''}"

    def url(self, world) -> str:
        ids = world["ids"]
        return reverse(self.name, args=[str(a).format(**ids) for a in self.args]) + self.query.format(**ids)


# ── what a body may show ──────────────────────────────────────────────────────────────────────────


def _shows(body: str, token: str, shown: bool, what: str):
    assert (token in body) == shown, f"{what} {token!r} {'missing' if shown else 'leaked'}"


def _case_rows(role, body: str, world, *, personal: bool = True, branches=CASE_BRANCHES, id_numbers: bool = True):
    """Each case appears iff its branch is visible; raw personal data iff the role handles the branch's cases."""
    for code in branches:
        visible = code in VISIBLE[role]
        _shows(body, world["cases"][code].number, visible, f"case of {code}")
        if personal:
            name, phone, id_number = CUSTOMERS[code]
            raw = code in PERSONAL[role]
            for token in (name, phone, id_number) if id_numbers else (name, phone):
                _shows(body, token, raw, f"personal data of {code}")
            if not id_numbers:
                _shows(body, id_number, False, f"ID number of {code} (not a column of the page)")
            if visible and not raw:
                _shows(body, phone[:3] + "****" + phone[-4:], True, f"masked phone of {code}")


def _xlsx_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        "\t".join("" if v is None else str(v) for v in row) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
    )


def check_case_list(role, response, world):
    _case_rows(role, response.content.decode(), world, id_numbers=False)


def check_case_xlsx(role, response, world):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    _case_rows(role, _xlsx_text(response), world)


def check_case_api(role, response, world):
    rows = response.json()["results"]
    assert {r["number"] for r in rows} == {world["cases"][c].number for c in CASE_BRANCHES if c in VISIBLE[role]}
    _case_rows(role, response.content.decode(), world)


def _of_wuxi(role, body, world, token=lambda case: case.number):
    """Asking for another branch's cases by filter gets nothing (the filter only offers visible branches)."""
    cases = world["cases"]
    _shows(body, token(cases["wuxi"]), "wuxi" in VISIBLE[role], "case of wuxi")
    for code in ("nanjing", "jiangning"):
        _shows(body, token(cases[code]), False, f"case of {code}")


def check_case_list_of_wuxi(role, response, world):
    # The page echoes what was typed in the search box: look for the rows' links, not the numbers.
    _of_wuxi(role, response.content.decode(), world, lambda case: f'href="{reverse("complaints:case-detail", args=[case.pk])}"')


def check_case_xlsx_of_wuxi(role, response, world):
    _of_wuxi(role, _xlsx_text(response), world)


def check_case_api_of_wuxi(role, response, world):
    assert [r["number"] for r in response.json()["results"]] == [world["cases"]["wuxi"].number]
    _case_rows(role, response.content.decode(), world, branches=("wuxi",))


def check_nanjing_case(role, response, world):
    _case_rows(role, response.content.decode(), world, branches=("nanjing",))
    for code in ("wuxi", "jiangning"):
        _shows(response.content.decode(), world["cases"][code].number, False, f"case of {code}")


def check_nanjing_case_edit(role, response, world):
    """The edit form carries the personal fields only for those who may see them unmasked."""
    body = response.content.decode()
    raw = "nanjing" in PERSONAL[role]
    for token in CUSTOMERS["nanjing"]:
        _shows(body, token, raw, "personal data of nanjing")


def check_publication(role, response, world):
    _case_rows(role, response.content.decode(), world, personal=False)


def check_publication_xlsx(role, response, world):
    _case_rows(role, _xlsx_text(response), world, personal=False)


def _branch_names(role, body, branches, *, present=True):
    for code in branches:
        visible = code in VISIBLE[role]
        if visible and not present:
            continue
        _shows(body, BRANCH_NAMES[code], visible, f"branch {code}")


def check_indicators(role, response, world):
    _branch_names(role, response.content.decode(), ("nanjing", "wuxi", "jiangning"))


def check_entries_index(role, response, world):
    # The grid lists the scored prefectures the user may see.
    _branch_names(role, response.content.decode(), ("nanjing", "wuxi"))


def check_history(role, response, world):
    # Subjects name the branch; the branch filter offers the visible branches.
    _branch_names(role, response.content.decode(), ("nanjing", "wuxi", "jiangning"))


def check_history_not_by_branch(role, response, world):
    # Scheme configuration and target overrides are the province's, not any branch's: no branch is named.
    _branch_names(role, response.content.decode(), ("nanjing", "wuxi", "jiangning"), present=False)


def check_history_deductions(role, response, world):
    body = response.content.decode()
    check_history(role, response, world)
    for code in ("nanjing", "wuxi"):
        _shows(body, f"{BRANCH_NAMES[code]}通报扣分", code in VISIBLE[role], f"deduction of {code}")


def check_notices(role, response, world):
    body = response.content.decode()
    user = world["users"][role]
    for code, text in NOTICES.items():
        _shows(body, text, user.branch.code == code, f"notice to {code}")


def check_league(role, response, world, revision="r1"):
    """Ranks and totals are published to all; the cells (links to explanations) only within scope."""
    body = response.content.decode()
    window = ("jiangsu-2023", "2023-01", revision)
    for code in ("nanjing", "wuxi"):
        _shows(body, BRANCH_NAMES[code], True, f"ranked branch {code}")
        link = reverse("kpi:league-cell", args=[*window, code, "sl_nonbank"])
        _shows(body, link, code in VISIBLE[role], f"indicator cells of {code}")
        _shows(body, reverse("kpi:league-branch", args=[*window, code]), code in VISIBLE[role], f"score sheet of {code}")
    _shows(body, 'id="publish-form"', False, "a publish form on a published, unchanged window")


def check_live_league(role, response, world):
    check_league(role, response, world, revision="live")


def check_league_api(role, response, world):
    rows = {r["branch"]: r for r in response.json()["rows"]}
    assert set(rows) == {"nanjing", "wuxi"}
    for code, row in rows.items():
        assert bool(row["indicators"]) == (code in VISIBLE[role]), f"indicator cells of {code}"
        assert row["total"] is not None and row["rank"] >= 1


def check_league_api_page(role, response, world):
    """Page 2 of one row a page: the second branch only, its cells only within scope; the count is the table's."""
    body = response.json()
    assert body["count"] == 2 and len(body["rows"]) == 1 and body["next"] is None and body["previous"]
    row = body["rows"][0]
    assert bool(row["indicators"]) == (row["branch"] in VISIBLE[role]), f"indicator cells of {row['branch']}"


def check_league_api_explained(role, response, world):
    rows = {r["branch"]: r for r in response.json()["rows"]}
    for code, row in rows.items():
        assert bool(row["indicators"]) == (code in VISIBLE[role]), f"indicator cells of {code}"
        assert all(c["explanation"]["steps"] for c in row["indicators"])


def check_league_cell_api(role, response, world):
    body = response.json()
    assert body["branch"] in VISIBLE[role] and body["explanation"]["steps"]


def check_import_template(role, response, world):
    if response.status_code != 200:  # no scheme scores the county: back to the import page
        assert response["Location"] == reverse("kpi:imports")
        return
    text = _xlsx_text(response)
    for code in ("nanjing", "wuxi"):
        _shows(text, code, code in VISIBLE[role], f"template row of {code}")


def check_figures_api(role, response, world):
    branches = {r["branch"] for r in response.json()["results"]}
    assert branches <= VISIBLE[role], f"figures of {branches - VISIBLE[role]} leaked"


def check_figures_import(role, response, world):
    conflicts = [c["code"] for c in response.json()["conflicts"]]
    assert conflicts == ([] if "nanjing" in VISIBLE[role] else ["NOT_IN_SCOPE"]), conflicts
def check_league_xlsx(role, response, world):
    """The workbook shows every rank and total, and indicator values only within scope (as the page does)."""
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = {r[1]: r for r in ws.iter_rows(min_row=5, values_only=True) if r and r[1] in BRANCH_NAMES.values()}
    for code in ("nanjing", "wuxi"):
        assert rows[BRANCH_NAMES[code]][2] is not None, f"total of {code}"
        cells = [v for v in rows[BRANCH_NAMES[code]][6:-1] if v is not None]
        assert bool(cells) == (code in VISIBLE[role]), f"indicator cells of {code}"


def check_league_csv(role, response, world):
    rows = {r["branch"]: r for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    for code in ("nanjing", "wuxi"):
        assert bool(rows[code]["sl_nonbank_points"]) == (code in VISIBLE[role]), f"indicator cells of {code}"


def check_dashboard(role, response, world):
    body = response.content.decode()
    for code in ("nanjing", "wuxi"):
        _shows(body, f"/entries/{code}/", code in VISIBLE[role], f"not-submitted link of {code}")


def check_reconciliation(role, response, world):
    body = response.content.decode()
    for code in ("nanjing", "wuxi"):
        _shows(body, BRANCH_NAMES[code], code in VISIBLE[role], f"differences of {code}")
    # The summary counts only what the viewer may see, as the rows do.
    rows = body.split('id="differences"')[1].count("<tr") - 1
    assert f"差异 {rows} 处" in body, f"summary counts other branches' differences ({rows} rows shown)"


def check_office_list(role, response, world):
    """The office's lists of every branch: only the branches the officer may see."""
    _branch_names(role, response.content.decode(), ("nanjing", "wuxi"))


def check_reminded(role, response, world):
    """Reminders go only to branches within the officer's scope (wuxi has not submitted August)."""
    reminded = set(
        Notice.objects.filter(sender=world["users"][role], kind=NoticeKind.REMINDER).values_list("branch__code", flat=True)
    )
    assert reminded == {"wuxi"} & VISIBLE[role], reminded


def check_nanjing_scores(role, response, world):
    _shows(response.content.decode(), BRANCH_NAMES["wuxi"], False, "branch wuxi")


def check_attachment(role, response, world):
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"


def check_nanjing_timeline(role, response, world):
    body = response.content.decode()
    for token in CUSTOMERS["nanjing"]:
        _shows(body, token, False, "personal data in the timeline")


# ── the rows ──────────────────────────────────────────────────────────────────────────────────────

CASE = ("{case}",)
NANJING_AUG = ("nanjing", "2023-08")
AUG_NANJING = ("2023-08", "nanjing")
API_STEPS = (
    "accept",
    "assign",
    "material-request",
    "material-complete",
    "investigate",
    "joint-sheet",
    "joint-sheet-answer",
    "extend",
    "pause",
    "resume",
    "restart",
    "decide",
    "notify",
    "close",
    "withdraw",
    "merge",
    "repeat-calls",
    "mediation",
    "callback",
    "major",
    "overdue-reason",
)
# What an empty request body gets from the rules once the caller has reached the case (200: the step ran).
API_STEP_REACHED = {step: 400 for step in API_STEPS} | {"mediation": 200}

ROWS: list[Row] = [
    # accounts and language: Django's own views, no branch data
    Row("login", PUBLIC),
    Row("logout", expect(anonymous=302, nanjing=302, wuxi=302, county=302, officer=302, admin=302), method="post"),
    Row("password_change", SIGNED_IN),
    Row("password_change_done", SIGNED_IN),
    Row("password_reset", PUBLIC),
    Row("password_reset_done", PUBLIC),
    Row("password_reset_confirm", PUBLIC, args=("MQ", "bad-token")),
    Row("password_reset_complete", PUBLIC),
    Row(
        "set_language",
        expect(anonymous=302, nanjing=302, wuxi=302, county=302, officer=302, admin=302),
        method="post",
        data={"language": "zh-hans", "next": "/"},
    ),
    # API schema and its browser
    Row("schema", API_SIGNED_IN),
    Row("swagger-ui", API_SIGNED_IN),
    # kpi API
    Row("api-schemes", API_SIGNED_IN),
    Row("api-league", API_SIGNED_IN, query="?scheme={scheme}", check=check_league_api),
    Row("api-figures", API_SIGNED_IN, check=check_figures_api),
    Row("api-figures", API_SIGNED_IN, method="post", query="?dry_run=true", json=True, check=check_figures_import,
        data={"figures": [{"branch": "nanjing", "month": "2023-09", "component": "premium_wan", "value": 5}]}),
    Row("api-league", API_SIGNED_IN, query="?scheme={scheme}&page_size=1&page=2", check=check_league_api_page,
        label="page 2"),
    Row("api-league", API_SIGNED_IN, query="?scheme={scheme}&expand=explanations", check=check_league_api_explained,
        label="with explanations"),
    # One cell's explanation: another branch's cell answers 404, as if it did not exist.
    Row("api-league-cell", API_NANJING_OBJECT, query="?scheme={scheme}&month=1&branch=nanjing&indicator=sl_nonbank",
        check=check_league_cell_api),
    Row("api-league-cell", expect(anonymous=401, nanjing=404, county=404, nanjing_officer=404),
        query="?scheme={scheme}&month=1&branch=wuxi&indicator=sl_nonbank", check=check_league_cell_api, label="of wuxi"),
    Row("api-league", API_SIGNED_IN, query="?scheme={scheme}&format=xlsx", check=check_league_xlsx, label="xlsx"),
    Row("api-league", API_SIGNED_IN, query="?scheme={scheme}&format=csv", check=check_league_csv, label="csv"),
    Row("api-simulations", expect(anonymous=401, nanjing=403, wuxi=403, county=403, nanjing_officer=403), method="post",
        json=True, data={"scheme": "jiangsu-2023", "month": 8, "indicators": {"sl_nonbank": {"target": "96"}}}),
    # complaints API
    Row("api-complaints", API_SIGNED_IN, check=check_case_api),
    # Another branch's code in the filter is refused like an unknown code: nothing tells it exists.
    Row(
        "api-complaints",
        expect(anonymous=401, nanjing=400, county=400, nanjing_officer=400),
        query="?branch=wuxi",
        check=check_case_api_of_wuxi,
        label="filtered to wuxi",
    ),
    Row(
        "api-complaints",
        expect(anonymous=401, nanjing=400, wuxi=400, county=400, officer=400, admin=400),
        query="?branch=nosuchbranch",
        label="filtered to an unknown branch",
    ),
    Row(
        "api-complaints",
        expect(anonymous=401, nanjing=201, wuxi=403, county=403, officer=201, admin=201),
        method="post",
        json=True,
        data={
            "branch": "nanjing",
            "source": "self",
            "received_at": "2023-09-21",
            "category": "claims",
            "summary": "新投诉",
            "customer_name": "新客户",
        },
        label="for nanjing",
    ),
    Row("api-complaint-detail", API_NANJING_OBJECT, args=CASE, check=check_nanjing_case),
    Row("api-complaint-timeline", API_NANJING_OBJECT, args=CASE, check=check_nanjing_timeline),
    *[
        Row(
            f"api-complaint-{step}",
            expect(
                anonymous=401,
                nanjing=API_STEP_REACHED[step],
                wuxi=404,
                county=404,
                officer=API_STEP_REACHED[step],
                admin=API_STEP_REACHED[step],
            ),
            args=CASE,
            method="post",
            json=True,
            data={},
        )
        for step in API_STEPS
    ],
    Row("api-add-workdays", API_SIGNED_IN, query="?start=2023-09-28&days=15"),
    # complaints pages
    Row("complaints:case-list", SIGNED_IN, check=check_case_list),
    Row("complaints:case-list", SIGNED_IN, query="?format=xlsx", check=check_case_xlsx, label="xlsx"),
    # A branch the user cannot see is a bad filter: 400 with the reason, as the API answers (never all cases).
    Row(
        "complaints:case-list",
        expect(nanjing=400, county=400, nanjing_officer=400),
        query="?branch=wuxi",
        check=check_case_list_of_wuxi,
        label="filtered to wuxi",
    ),
    Row(
        "complaints:case-list",
        SIGNED_IN,
        query="?q={wuxi_case_number}",
        check=check_case_list_of_wuxi,
        label="searched for wuxi's case",
    ),
    Row(
        "complaints:case-list",
        expect(nanjing=400, county=400, nanjing_officer=400),
        query="?format=xlsx&branch=wuxi",
        check=check_case_xlsx_of_wuxi,
        label="xlsx filtered to wuxi",
    ),
    Row("complaints:case-create", SIGNED_IN),
    Row(
        "complaints:case-create",
        expect(nanjing=302, wuxi=400, county=400, officer=302, admin=302),
        method="post",
        data={
            "branch": "nanjing",
            "source": "self",
            "channel": "hotline",
            "received_at": "2023-09-21T10:00",
            "customer_name": "新客户",
            "category": "claims",
            "summary": "新投诉",
        },
        label="for nanjing",
    ),
    Row("complaints:case-detail", NANJING_OBJECT, args=CASE, check=check_nanjing_case),
    Row("complaints:case-edit", NANJING_OBJECT, args=CASE, check=check_nanjing_case_edit),
    Row(
        "complaints:case-step",
        expect(nanjing=302, wuxi=404, county=404, officer=302, admin=302),
        args=(*CASE, "major"),
        method="post",
        data={"major-is_major": "on", "major-reason": "媒体曝光"},
    ),
    Row("complaints:calendar", SIGNED_IN),
    Row("complaints:calendar-import", OFFICE),
    Row("complaints:calendar-year", SIGNED_IN, args=(2023,)),
    Row(
        "complaints:calendar-year",
        expect(nanjing=403, wuxi=403, county=403, officer=400, admin=400),
        args=(2023,),
        method="post",
        data={"day-day": "not-a-date"},
        label="change",
    ),
    Row("complaints:publication", SIGNED_IN, query="?month=2023-09", check=check_publication),
    Row("complaints:publication", SIGNED_IN, query="?month=2023-09&format=xlsx", check=check_publication_xlsx, label="xlsx"),
    Row("complaints:indicators", SIGNED_IN, query="?month_from=2023-09&month_to=2023-09", check=check_indicators),
    Row("complaints:indicators", expect(nanjing=404, county=404, nanjing_officer=404), query="?branch=wuxi", label="of wuxi"),
    # kpi pages
    Row("kpi:home", expect(anonymous=302, nanjing=302, wuxi=302, county=302, officer=302, admin=302)),
    Row("kpi:league", expect(nanjing=302, wuxi=302, county=302, officer=302, admin=302)),
    Row("kpi:league-scheme", expect(nanjing=302, wuxi=302, county=302, officer=302, admin=302), args=("{scheme}",)),
    Row("kpi:league-latest", SIGNED_IN, args=WINDOW, check=check_league),
    Row("kpi:league-window", SIGNED_IN, args=(*WINDOW, "r1"), check=check_league),
    Row("kpi:league-window", SIGNED_IN, args=(*WINDOW, "r1"), query="?format=xlsx", check=check_league_xlsx, label="xlsx"),
    # The live (provisional) table is the office's; branches are ranked on published revisions only.
    Row("kpi:league-window", expect(nanjing=404, wuxi=404, county=404), args=(*WINDOW, "live"), check=check_live_league,
        label="live"),
    Row("kpi:league-branch", NANJING_OBJECT, args=(*WINDOW, "r1", "nanjing"), check=check_nanjing_scores),
    Row("kpi:league-branch", expect(nanjing=404, county=404, nanjing_officer=404), args=(*WINDOW, "r1", "wuxi"),
        label="of wuxi"),
    Row("kpi:league-branch", expect(nanjing=404, wuxi=404, county=404), args=(*WINDOW, "live", "nanjing"), label="live"),
    Row("kpi:league-cell", NANJING_OBJECT, args=(*WINDOW, "r1", "nanjing", "sl_nonbank"), check=check_nanjing_scores),
    Row(
        "kpi:league-cell",
        NANJING_OBJECT,
        args=(*WINDOW, "r1", "nanjing", "sl_nonbank"),
        headers={"HX-Request": "true"},
        label="htmx fragment",
    ),
    Row("kpi:league-cell", expect(nanjing=404, county=404, nanjing_officer=404), args=(*WINDOW, "r1", "wuxi", "sl_nonbank"),
        label="of wuxi"),
    # Publishing is the provincial office's (an officer below the province may not publish the province's table).
    Row(
        "kpi:league-publish",
        expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302, nanjing_officer=403),
        args=WINDOW,
        method="post",
        data={"note": "重新发布"},
    ),
    # Corrections to an approved month: the office that reviews the branch.
    Row(
        "kpi:league-correction",
        expect(nanjing=403, wuxi=404, county=404, officer=302, admin=302),
        args=("nanjing", "2023-01", "reg_complaints"),
        method="post",
        data={"action": "accept", "expected": "1"},
    ),
    Row("kpi:reconciliation", SIGNED_IN, query="?month=8", check=check_reconciliation),
    # Figures in bulk: everyone signed in may import (their own scope); a batch is its uploader's alone.
    Row("kpi:imports", SIGNED_IN),
    Row("kpi:imports", expect(nanjing=400, wuxi=400, county=400, officer=400, admin=400), method="post", data={}, label="no file"),
    Row("kpi:import-template", expect(county=302), query="?scheme={scheme}&month=2023-08", check=check_import_template),
    Row("kpi:import-batch", expect(wuxi=404, county=404, officer=404, admin=404), args=("{batch}",)),
    Row("kpi:import-progress", expect(wuxi=404, county=404, officer=404, admin=404), args=("{batch}",)),
    Row("kpi:import-apply", expect(nanjing=302, wuxi=404, county=404, officer=404, admin=404), args=("{batch}",), method="post"),
    Row("kpi:import-errors", expect(nanjing=302, wuxi=404, county=404, officer=404, admin=404), args=("{batch}",)),
    Row("kpi:import-alias", expect(nanjing=302, wuxi=404, county=404, officer=404, admin=404), args=("{batch}",), method="post",
        data={"name": "宁分", "branch": "nanjing"}),
    Row("kpi:dashboard", OFFICE, check=check_dashboard),
    # The what-if simulator: the provincial office's (a simulation shows every branch's cells; it writes nothing
    # but a draft version when saved).
    Row("kpi:simulate", SIMULATOR),
    Row("kpi:simulate-results", SIMULATOR, method="post", data={"month": "8", "t__sl_nonbank": "96"}, headers={"HX-Request": "true"}),
    Row("kpi:simulate-sensitivity", SIMULATOR, method="post",
        data={"month": "8", "sens-code": "sl_nonbank", "sens-start": "94", "sens-stop": "96", "sens-step": "1"}),
    Row("kpi:simulate-backtest", SIMULATOR, method="post", data={"month": "1"}),
    Row("kpi:simulate-save", expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302, nanjing_officer=403),
        method="post", data={"month": "8", "t__sl_nonbank": "96"}),
    # data entry and review
    Row("kpi:entries", SIGNED_IN, check=check_entries_index),
    Row("kpi:entry-form", NANJING_OBJECT, args=NANJING_AUG, check=check_nanjing_scores),
    # Reaching the form's rules: the month is submitted (staff wait for review; the office must give a reason).
    Row(
        "kpi:entry-form",
        expect(nanjing=400, wuxi=404, county=404, officer=400, admin=400),
        args=NANJING_AUG,
        method="post",
        data={"revision": "1"},
        label="save",
    ),
    Row("kpi:entry-preview", NANJING_OBJECT, args=NANJING_AUG, method="post", data={}, headers={"HX-Request": "true"}),
    Row("kpi:entry-history", NANJING_OBJECT, args=NANJING_AUG, check=check_nanjing_scores),
    Row(
        "kpi:entry-approve",
        expect(nanjing=403, wuxi=404, county=404, officer=302, admin=302),
        args=NANJING_AUG,
        method="post",
        data={"revision": "1"},
    ),
    Row(
        "kpi:entry-return",
        expect(nanjing=403, wuxi=404, county=404, officer=302, admin=302),
        args=NANJING_AUG,
        method="post",
        data={"revision": "1", "comment": "请更正"},
    ),
    Row(
        "kpi:entry-reopen",
        expect(nanjing=403, wuxi=404, county=404, officer=302, admin=302),
        args=NANJING_AUG,
        method="post",
        data={"revision": "1", "reason": "更正"},
    ),
    Row("kpi:review", expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302)),
    Row("kpi:review-month", OFFICE, args=("2023-08",), check=check_office_list),
    Row(
        "kpi:review-remind",
        expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302),
        args=("2023-08",),
        method="post",
        check=check_reminded,
    ),
    Row("kpi:notices", SIGNED_IN, check=check_notices),
    # A notice is addressed to its branch's inbox: only the users of that branch read (and mark) it.
    Row(
        "kpi:notice-read",
        expect(nanjing=302, wuxi=404, county=404, officer=404, admin=404, nanjing_officer=302),
        args=("{notice}",),
        method="post",
    ),
    # the office: qualitative scores, deductions, the veto
    Row("kpi:office", expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302)),
    Row("kpi:office-month", OFFICE, args=("2023-08",), check=check_office_list),
    Row("kpi:office-branch", OFFICE, args=AUG_NANJING),
    Row(
        "kpi:office-qualitative",
        expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302),
        args=AUG_NANJING,
        method="post",
        data={"q-1-1": "1", "l-1-1": "", "n-1-1": ""},
    ),
    Row(
        "kpi:office-deduction-add",
        expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302),
        args=AUG_NANJING,
        method="post",
        data={"points": "1", "reason": "通报"},
    ),
    Row(
        "kpi:office-deduction-delete",
        expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302),
        args=(*AUG_NANJING, "{deduction}"),
        method="post",
        data={"reason": "撤销"},
    ),
    Row(
        "kpi:office-deduction-delete",
        expect(nanjing=403, wuxi=403, county=403, officer=404, admin=404),
        args=(*AUG_NANJING, "{wuxi_deduction}"),
        method="post",
        data={"reason": "撤销"},
        label="of wuxi under nanjing's path",
    ),
    Row(
        "kpi:office-veto-set",
        expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302, nanjing_officer=404),
        args=("2023-08", "wuxi"),
        method="post",
        data={"reason": "重大事件"},
    ),
    Row(
        "kpi:office-veto-revoke",
        expect(nanjing=403, wuxi=403, county=403, officer=302, admin=302),
        args=(*AUG_NANJING, "{veto}"),
        method="post",
        data={"reason": "撤销"},
    ),
    Row("kpi:attachment", NANJING_OBJECT, args=("deduction", "{deduction}"), check=check_attachment, label="deduction"),
    Row("kpi:attachment", NANJING_OBJECT, args=("veto", "{veto}"), check=check_attachment, label="veto"),
    Row("kpi:history", SIGNED_IN, query="?kind=deductions", check=check_history_deductions, label="deductions"),
    *[
        Row("kpi:history", SIGNED_IN, query=f"?kind={kind}", check=check_history, label=kind)
        for kind in ("figures", "qualitative", "vetoes")
    ],
    *[
        Row("kpi:history", SIGNED_IN, query=f"?kind={kind}", check=check_history_not_by_branch, label=kind)
        for kind in ("overrides", "scheme")
    ],
    Row("kpi:history", expect(nanjing=404, county=404, nanjing_officer=404), query="?branch=wuxi", label="of wuxi"),
]


# ── the tests ─────────────────────────────────────────────────────────────────────────────────────


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            if ns == "admin:":
                continue
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}{p.name}"


def test_every_url_has_a_matrix_row():
    """A new endpoint without a row here fails: decide who may reach it and add the row."""
    project = sorted(_walk(get_resolver().url_patterns))
    assert len(project) == len(set(project)), "URL names must be unique"
    covered = sorted({row.name for row in ROWS})
    assert not set(project) - set(covered), f"endpoints without a matrix row: {sorted(set(project) - set(covered))}"
    assert not set(covered) - set(project), (
        f"matrix rows for endpoints that no longer exist: {sorted(set(covered) - set(project))}"
    )
    assert project == covered


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_matrix(row: Row, role: str, world, db):
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = row.url(world)
    kwargs = {"headers": row.headers} if row.headers else {}
    if row.method == "get":
        response = client.get(url, **kwargs)
    elif row.json:
        response = client.post(url, row.data or {}, content_type="application/json", **kwargs)
    else:
        response = client.post(url, row.data or {}, **kwargs)
    expected = row.expected[role]
    assert response.status_code == expected, f"{row.id} as {role}: {response.status_code}, expected {expected}"
    if expected == 302 and row.name not in ("logout", "set_language"):
        to_login = response["Location"].startswith("/accounts/login/")
        assert to_login == (role == "anonymous"), response["Location"]
    if row.check is not None and (200 <= expected < 300 or (expected == 302 and role != "anonymous")):
        row.check(role, response, world)


def test_the_review_services_refuse_an_officer_outside_their_subtree(world, db):
    """Behind the pages: an officer of nanjing may not review wuxi's month, whoever calls the service."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        entry_services.submission_approve(
            branch=world["tree"]["wuxi"], month=datetime.date(2023, 8, 1), user=world["users"]["nanjing_officer"], revision=0
        )

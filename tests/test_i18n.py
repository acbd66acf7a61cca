"""The interface is Simplified Chinese by default and English through Django's i18n (locale/en)."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.test import Client
from django.utils import translation
from django.utils.module_loading import import_string

from kpi.models import Scheme

LOCALE_EN = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


def _english_client():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_settings_offer_chinese_first_and_english():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert any(issubclass(import_string(path), LocaleMiddleware) for path in settings.MIDDLEWARE)


def test_catalogue_translates_glossary_terms():
    with translation.override("en"):
        assert translation.gettext("登录") == "Log in"
        assert translation.gettext("考核方案") == "Assessment scheme"
        assert translation.gettext("一票否决") == "Veto"
        assert translation.gettext("放假安排未发布") == "Holiday schedule not yet published"
        assert translation.ngettext("共 %(n)s 件", "共 %(n)s 件", 1) % {"n": 1} == "1 case"
        assert translation.ngettext("共 %(n)s 件", "共 %(n)s 件", 3) % {"n": 3} == "3 cases"
    with translation.override("zh-hans"):
        assert translation.gettext("登录") == "登录"


def _po_entries(path):
    """(msgid, [msgstr, ...]) for every entry of a .po file, continuation lines joined.

    An entry with a msgctxt is keyed as gettext keys it in a .mo file: context, EOT, msgid."""
    entries, field, current = [], None, {}
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if "msgid" in current:
                entries.append(current)
            current, field = {}, None
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
        if match:
            field = match.group(1)
            current[field] = match.group(2)
        else:
            current[field] += line[1:-1]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}

    def decode(text):
        return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], text)

    def key(entry):
        msgid = decode(entry["msgid"])
        return f"{decode(entry['msgctxt'])}\x04{msgid}" if "msgctxt" in entry else msgid

    return [(key(e), [decode(v) for k, v in e.items() if k.startswith("msgstr")]) for e in entries if e["msgid"]]


def test_every_message_is_translated_and_compiled():
    entries = _po_entries(LOCALE_EN / "django.po")
    assert len(entries) > 400
    untranslated = [msgid for msgid, strs in entries if not all(strs)]
    assert untranslated == []
    with (LOCALE_EN / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in compiled}
    stale = [msgid for msgid, _ in entries if msgid not in compiled_ids]
    assert stale == [], "django.mo is older than django.po: run manage.py compilemessages -l en"


@pytest.mark.django_db
def test_login_page_is_chinese_by_default():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录消保考核系统" in html
    assert "用户名" in html
    assert "Log in" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", [None, "zh-CN,zh;q=0.9", "en"])
def test_login_page_in_english_from_language_cookie(accept_language):
    """The switcher's cookie decides; the browser's Accept-Language does not (core.middleware)."""
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = _english_client().get("/accounts/login/", **headers)
    html = response.content.decode()
    assert response["Content-Language"] == "en"
    assert 'lang="en"' in html
    assert "Log in to Consumer Protection Assessment" in html
    assert ">Username<" in html and ">Password<" in html
    assert ">Log in</button>" in html
    assert "登录" not in html


@pytest.fixture
def scheme(tree):
    return Scheme.objects.create(
        code="pref-2026", name="2026年中支消保考核", year=2026, level="prefecture", province=tree["jiangsu"]
    )


def test_officer_league_page_in_english(users, client_for, scheme):
    client = client_for(users["officer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/league/", {"scheme": scheme.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    for text in (">Ranking</a>", ">Complaints</a>", ">Reconciliation</a>", ">Log out</button>", "Interface language"):
        assert text in html, text
    # Nothing is published in this database, so the page says so, in English.
    assert "No league table of this scheme has been published yet." in html
    for chinese in ("排名", "退出", "核对", "该方案尚无已发布的排名"):
        assert chinese not in html


def test_officer_league_page_in_chinese_without_cookie(users, client_for, scheme):
    html = client_for(users["officer"]).get("/league/", {"scheme": scheme.code}).content.decode()
    assert 'lang="zh-hans"' in html
    assert "排名" in html and "退出" in html
    assert "Log out" not in html


@pytest.fixture
def loaded_scheme(tree):
    """The shipped 2023 scheme, as tests/kpi use it: nanjing staff enter its monthly figures."""
    from kpi import demo, services

    return services.scheme_load(data=demo.scheme_data())


def test_entry_form_in_english_from_language_cookie(users, client_for, loaded_scheme):
    client = client_for(users["nanjing_staff"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/entries/nanjing/2023-03/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    for text in (
        ">Data entry</a>",
        "Monthly figures for March 2023",
        "<summary>How to enter data</summary>",
        ">Save draft</button>",
        # The year-to-date window, as ytd_label gives it in English ("1–3月" in Chinese).
        "Estimate from current input · Jan–Mar year-to-date quantitative score",
        "No data yet: the estimated score appears once you enter a value",
        "Base points ",
        "(numerator)",
        "Not entered",
        ">Change history</a>",
    ):
        assert text in html, text
    # Indicator and branch names are data and stay as entered.
    assert "南京中支" in html
    for chinese in ("数据填报", "填报说明", "保存草稿", "尚无数据", "按当前输入预估", "1–3月", "分值", "（分子）", "未填报"):
        assert chinese not in html, chinese


def test_entry_form_in_chinese_without_cookie(users, client_for, loaded_scheme):
    html = client_for(users["nanjing_staff"]).get("/entries/nanjing/2023-03/").content.decode()
    assert 'lang="zh-hans"' in html
    for text in (
        "南京中支 · 2023年3月月度数据",
        "<summary>填报说明</summary>",
        ">保存草稿</button>",
        "按当前输入预估 · 1–3月累计定量得分",
        "（分子）",
    ):
        assert text in html, text
    for english in ("Save draft", "How to enter data", "Jan–Mar", "No data yet"):
        assert english not in html, english

"""Chinese first: the interface is Chinese whatever the browser says, English only when chosen."""


def test_chinese_even_for_an_english_browser(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page.content.decode()


def test_the_switcher_choice_is_kept_in_the_language_cookie(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "en"
    assert '<option value="en" selected>English</option>' in page.content.decode()


def test_an_unknown_language_cookie_falls_back_to_chinese(client, db):
    client.cookies["django_language"] = "xx"
    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"


def test_years_in_pages_are_never_grouped_like_amounts(users, client_for, db):
    from django.template import Context, Template

    from kpi.templatetags.kpi_format import num

    assert Template("{{ y }}").render(Context({"y": 2023})) == "2023"
    assert num(133000) == "133,000"

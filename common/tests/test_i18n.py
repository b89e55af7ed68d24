"""Languages (SPEC §9): English, French and Arabic, chosen by the switcher or Accept-Language,
with complete catalogs whose placeholders match, and the 404 page for browsers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.test import Client

from config.translations import LOCALE_DIR, compile_messages

pytestmark = pytest.mark.django_db
CATALOGS = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def test_french_and_arabic_each_have_a_catalog_for_templates_and_scripts() -> None:
    assert {(p.parent.parent.name, p.stem) for p in CATALOGS} == {
        ("fr", "django"),
        ("fr", "djangojs"),
        ("ar", "django"),
        ("ar", "djangojs"),
    }


@pytest.mark.parametrize("po", CATALOGS, ids=[f"{p.parent.parent.name}-{p.stem}" for p in CATALOGS])
def test_every_string_is_translated_with_the_same_placeholders(po: Path) -> None:
    with po.open("rb") as source:
        catalog = read_po(source)
    untranslated, fuzzy, broken = [], [], []
    for message in catalog:
        if not message.id:
            continue
        ids: tuple[str, ...] = tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)
        strings: tuple[str, ...] = (
            tuple(message.string) if isinstance(message.string, tuple | list) else (message.string or "",)
        )
        if not all(strings):
            untranslated.append(ids[0])
        if message.fuzzy:
            fuzzy.append(ids[0])
        expected = sorted(set(PLACEHOLDER.findall(ids[-1])))
        for text in strings:
            # A plural form may drop the count ("one ticket"), never add or rename a placeholder.
            if text and not set(PLACEHOLDER.findall(text)) <= set(expected):
                broken.append((ids[0], text))
            if text and len(strings) == 1 and sorted(set(PLACEHOLDER.findall(text))) != expected:
                broken.append((ids[0], text))
    assert untranslated == [] and fuzzy == [] and broken == []


def test_the_catalogs_compile(tmp_path: Path) -> None:
    for po in CATALOGS:
        target = tmp_path / po.relative_to(LOCALE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(po.read_bytes())
    written = compile_messages(tmp_path)
    assert len(written) == len(CATALOGS) and all(p.stat().st_size > 0 for p in written)


@pytest.mark.parametrize(
    ("accept", "lang", "direction"),
    [("", "en", "ltr"), ("ar-TN,ar;q=0.9", "ar", "rtl"), ("fr-FR,fr;q=0.9,en;q=0.5", "fr", "ltr"), ("de", "en", "ltr")],
)
def test_a_page_speaks_the_browser_language(accept: str, lang: str, direction: str) -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/").content.decode()
    assert f'<html lang="{lang}" dir="{direction}" data-tz="Africa/Tunis">' in html


def test_the_switcher_keeps_the_choice_and_returns_to_the_page() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get("/sessions")  # sets the CSRF cookie the switcher's form posts back
    token = client.cookies["csrftoken"].value
    response = client.post("/i18n/setlang", {"language": "ar", "next": "/sessions"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and response["Location"] == "/sessions"
    assert client.cookies["django_language"].value == "ar"
    assert '<html lang="ar" dir="rtl"' in client.get("/sessions").content.decode()


def test_the_switcher_never_sends_you_off_site() -> None:
    client = Client()
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post("/i18n/setlang", {"language": "fr", "next": "https://evil.example/"}, HTTP_X_CSRFTOKEN=token)
    assert response["Location"] == "/"


def test_the_script_catalog_follows_the_language() -> None:
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar").get("/jsi18n?l=ar")
    assert arabic.status_code == 200 and arabic["Content-Type"].startswith("text/javascript")
    assert '"Loading\\u2026"' in arabic.content.decode()  # the catalog carries the script strings
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/jsi18n?l=en").content.decode()
    assert '"Loading\\u2026"' not in english  # English is the source: no catalog entries
    assert "max-age=86400" in arabic["Cache-Control"]


def test_an_unknown_page_is_an_html_page_for_browsers_and_json_for_clients() -> None:
    page = Client(HTTP_ACCEPT="text/html,application/xhtml+xml").get("/no/such/page")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in page.content.decode()
    api = Client(HTTP_ACCEPT="text/html").get("/api/v1/no/such/thing")
    assert api.status_code == 404 and api.json()["code"] == "not_found"
    bare = Client().post("/no/such/page")
    assert bare.status_code == 404 and bare.json()["code"] == "not_found"


def test_the_favicon_is_served() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_api_explains_errors_in_the_readers_language(lang: str) -> None:
    from django.utils import translation

    with translation.override(lang):
        expected = translation.gettext("No session with that id.")
    assert expected != "No session with that id."
    response = Client(HTTP_ACCEPT_LANGUAGE=lang).get("/api/v1/sessions/987654321")
    assert response.status_code == 404
    assert response.json() == {"detail": expected, "code": "not_found"}  # the code stays the machine's
    english = Client().get("/api/v1/sessions/987654321").json()
    assert english["detail"] == "No session with that id."

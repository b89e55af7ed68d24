"""The back office in a real browser: moderators see only their part; admins change roles."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MAKE_REPORT = """
from gamers.models import Gamer
from trivia.models import Entry, EntryReport, EntryReporter
entry = Entry.objects.filter(banned=False).order_by("id").first()
report, _ = EntryReport.objects.get_or_create(entry=entry)
EntryReporter.objects.get_or_create(report=report, gamer=Gamer.objects.get(username="player one"))
print(entry.pk, report.pk)
"""


def sign_in_to_admin(page, base: str, login: str) -> None:
    page.goto(base + "/admin/login/")
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill("GameConnect2026!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Moderation and administration")).to_be_visible()


def test_moderator_bans_a_reported_entry_and_cannot_open_the_gamers_admin(live_app, page_factory):
    entry_id, report_id = live_app.manage("shell", "-c", MAKE_REPORT).strip().splitlines()[-1].split()
    page = page_factory()
    sign_in_to_admin(page, live_app.url, "moderator")
    expect(page.locator("#dashboard")).to_contain_text("Open reports")
    expect(page.get_by_role("link", name="Gamers", exact=True)).to_have_count(0)

    page.goto(live_app.url + "/admin/trivia/entryreport/")
    checkbox = page.locator(f"input[name='_selected_action'][value='{report_id}']")
    checkbox.check()
    page.locator("select[name='action']").select_option("ban")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_be_visible()

    page.goto(f"{live_app.url}/admin/trivia/entry/{entry_id}/change/")
    expect(page.locator("input[name='banned']")).to_be_checked()

    response = page.goto(live_app.url + "/admin/gamers/gamer/")
    assert response.status == 403


def test_admin_changes_a_role_in_the_back_office(live_app, page_factory):
    page = page_factory()
    sign_in_to_admin(page, live_app.url, "admin")
    page.goto(live_app.url + "/admin/gamers/gamer/?q=player+one")
    row = page.locator("#result_list tbody tr", has_text="player one")
    row.locator("input[name='_selected_action']").check()
    page.locator("select[name='action']").select_option("make_moderator")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#result_list tbody tr", has_text="player one")).to_contain_text("Moderator")
    page.goto(live_app.url + "/admin/audit/auditlog/")
    expect(page.locator("#result_list")).to_contain_text("Change role")

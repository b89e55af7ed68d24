"""Live trivia and live leaderboards in real browsers against a live server (short timings)."""

import re
import sqlite3
import time
from contextlib import closing
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import LiveApp, api_call, register_in_browser

pytestmark = pytest.mark.browser


def moderator_token(base: str) -> str:
    return api_call(base, "auth/token", body={"login": "moderator", "password": "GameConnect2026!"})["access"]


def current_answer(app: LiveApp, token: str) -> tuple[int, str]:
    """The answer of the round being played. Nobody can read it over the API while it is played,
    staff included (SPEC §2), so the test reads the live server's database file directly, as an
    operator at the machine could.

    Between two rounds (the last split shown, the round ending: a second in the live app) it
    waits for the next round to be in play, at most 20 s.
    """
    base = app.url
    deadline = time.monotonic() + 20
    state = api_call(base, "trivia/rounds/current", token)
    while state["game_state"] != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
        state = api_call(base, "trivia/rounds/current", token)
    assert state["game_state"] == 1, state
    assert api_call(base, f"trivia/entries/{state['entry_id']}", token)["answer"] is None  # hidden in play
    with closing(sqlite3.connect(f"file:{app.env['SQLITE_PATH']}?mode=ro", uri=True)) as db:
        (answer,) = db.execute("SELECT answer FROM trivia_entry WHERE id = ?", [state["entry_id"]]).fetchone()
    return state["entry_id"], answer


def win_a_round(app: LiveApp, token: str, page: Any, tries: int = 5) -> str:
    """Answer the round in play on `page` with its answer until the page shows it won; returns the
    answer. A short answer is revealed within seconds in the live app (2 s splits), so on a busy
    machine the round may end before the attempt arrives: then the next round is tried."""
    for _ in range(tries):
        _, answer = current_answer(app, token)
        page.get_by_label("Your answer").fill(answer)
        page.get_by_role("button", name="Answer").click()
        try:
            expect(page.locator("#feed .correct")).to_be_visible(timeout=6000)
            return answer
        except AssertionError:
            continue  # revealed (or a new round) before the attempt arrived
    raise AssertionError(f"no round won in {tries} tries")


def test_play_a_round_in_two_browsers(live_app, page_factory):
    token = moderator_token(live_app.url)
    alice = page_factory()
    register_in_browser(alice, live_app.url, "alice plays")
    bob = page_factory()
    register_in_browser(bob, live_app.url, "bob watches")
    for page in (alice, bob):
        page.goto(live_app.url + "/play")
        expect(page.locator("#connection")).to_have_text("Connected")

    # Wait for a round in play on Alice's page: the masked answer shows underscores.
    expect(alice.locator("#answer")).to_have_text(re.compile("_"), timeout=20000)
    expect(alice.get_by_label("Your answer")).to_be_enabled(timeout=20000)
    masked_before = alice.locator("#answer").inner_text()
    # A split arrives: one more character shows (TRIVIA_SPLIT_SECONDS is 2 in the live app).
    expect(alice.locator("#answer")).not_to_have_text(masked_before, timeout=10000)
    # The clue and category stay on screen through splits (SPLIT frames carry neither).
    expect(alice.locator("#clue")).not_to_have_text("Waiting for the next round…")
    expect(alice.locator("#category")).not_to_have_text("—")

    coins_before = int(alice.locator("#my-coins").inner_text().replace(",", ""))

    alice.get_by_label("Your answer").fill("definitely not it 123")
    alice.get_by_role("button", name="Answer").click()
    expect(bob.locator("#feed")).to_contain_text("alice plays: definitely not it 123", timeout=10000)

    win_a_round(live_app, token, alice)
    expect(bob.locator("#feed .correct")).to_contain_text("alice plays", timeout=10000)
    expect(alice.locator("#coin-diff")).to_have_text(re.compile(r"^\+\d+$"), timeout=10000)
    coins_after = int(alice.locator("#my-coins").inner_text().replace(",", ""))
    assert coins_after > coins_before
    expect(alice.locator("#account-coins")).to_have_text(str(coins_after))


def test_leaderboard_updates_live_after_a_score_is_posted(live_app, page_factory):
    page = page_factory()
    register_in_browser(page, live_app.url, "board climber")
    page.goto(live_app.url + "/leaderboards")
    expect(page.locator("#connection")).to_have_text("Live")
    page.get_by_label("Game", exact=True).select_option("rocket")
    expect(page.locator("#board-caption")).to_contain_text("Rocket League")

    # Another player posts through the API; the board on the page updates by itself.
    other = api_call(
        live_app.url,
        "auth/register",
        body={"username": "api scorer", "email": "api@example.com", "password": "S3cure-pass!9"},
    )
    api_call(live_app.url, "leaderboard/scores", other["access"], {"game": "rocket", "score": 2500})
    expect(page.locator("#board")).to_contain_text("api scorer", timeout=10000)

    # My own score through the page's form: my row is highlighted.
    page.get_by_label("Your score").fill("3000")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#score-status")).to_contain_text("Saved")
    expect(page.locator("#board tr.me")).to_contain_text("board climber", timeout=10000)

"""The play pages in a real browser, at phone and desktop sizes: home, a trivia round to its
result and podium, the leaderboards (signed out, signed in, a pending chess score confirmed by a
moderator on /leaderboards/pending), and the seasons."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import api_call, audit_page, register_in_browser
from e2e.test_play_and_boards_pages import moderator_token, win_a_round

pytestmark = pytest.mark.browser


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def sign_in(page: Any, base: str, login: str, password: str = "GameConnect2026!", next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + next_path)


def test_home_lists_joinable_sessions_and_events_signed_out(live_app: Any, page_factory: Any, size: Any) -> None:
    page = page_factory(**size[1])
    page.goto(live_app.url + "/")
    expect(page.get_by_role("heading", name="Next sessions you can join")).to_be_visible()
    expect(page.get_by_text("Sign in to see and join sessions")).to_have_count(0)
    joinable = api_call(live_app.url, "sessions/?joinable=true&ordering=starts_at&page_size=6")["results"]
    assert joinable, "seed_demo makes joinable sessions"
    sessions = page.locator("#sessions")
    expect(sessions.get_by_role("link", name=joinable[0]["title"])).to_be_visible()
    expect(sessions.locator("li")).to_have_count(len(joinable))
    events = api_call(live_app.url, "events/?ordering=starts_at&page_size=6")["results"]
    assert events
    expect(page.locator("#events li").first).to_be_visible()
    expect(page.locator("#events .state")).to_have_count(0)
    expect(page.get_by_role("link", name="See all sessions")).to_have_attribute("href", "/sessions")
    expect(page.get_by_role("link", name="See all events")).to_have_attribute("href", "/events")
    expect(page.get_by_role("main").get_by_role("link", name="Play live trivia")).to_have_attribute("href", "/play")
    audit_page(page, f"home-{size[0]}")


def test_play_signed_out_shows_a_sign_in_prompt(live_app: Any, page_factory: Any, size: Any) -> None:
    page = page_factory(**size[1])
    page.goto(live_app.url + "/play")
    expect(page.get_by_role("heading", name="Sign in to play")).to_be_visible()
    expect(page.get_by_label("Your answer")).to_be_hidden()
    expect(page.get_by_role("button", name="Answer")).to_be_hidden()
    assert page.url == live_app.url + "/play"  # no redirect: the prompt explains the game


def test_a_round_ends_with_its_result_and_a_podium(live_app: Any, page_factory: Any, size: Any) -> None:
    token = moderator_token(live_app.url)
    winner_name, watcher_name = unique("ana wins"), unique("ben sees")
    winner = page_factory(**size[1])
    register_in_browser(winner, live_app.url, winner_name)
    watcher = page_factory(**size[1])
    register_in_browser(watcher, live_app.url, watcher_name)
    for page in (winner, watcher):
        page.goto(live_app.url + "/play")
        expect(page.locator("#connection")).to_have_text("Connected")
    expect(winner.get_by_label("Your answer")).to_be_enabled(timeout=20000)
    expect(watcher.locator("#podium li").first).to_be_visible()
    expect(watcher.locator("#players")).to_contain_text(winner_name, timeout=10000)

    answer = win_a_round(live_app, token, winner)

    # Both see who won, how many coins, and the answer; the winner in their own words.
    expect(watcher.locator("#result")).to_contain_text(
        re.compile(rf"{re.escape(winner_name)} won \d+ coins?"), timeout=10000
    )
    expect(watcher.locator("#result")).to_contain_text(answer)
    expect(winner.locator("#result")).to_contain_text(re.compile(r"You won \d+ coins?"))
    # The podium: the winner is first (both started with the same coins), with their coins.
    for page in (winner, watcher):
        first = page.locator("#podium li").first
        expect(first).to_contain_text(winner_name, timeout=10000)
        expect(first.get_by_role("link", name=winner_name)).to_have_attribute("href", re.compile(r"^/gamers/\d+$"))
        expect(page.locator("#podium")).to_contain_text(watcher_name)
    coins = api_call(live_app.url, "auth/me", _token(live_app.url, winner_name))["coins"]
    expect(watcher.locator("#podium li").first).to_contain_text(f"{coins:,} coins")
    audit_page(watcher, f"play-{size[0]}")


def _token(base: str, username: str, password: str = "S3cure-pass!9") -> str:
    return api_call(base, "auth/token", body={"login": username, "password": password})["access"]


def test_leaderboards_signed_out_show_the_board_but_no_score_form(live_app: Any, page_factory: Any, size: Any) -> None:
    page = page_factory(**size[1])
    page.goto(live_app.url + "/leaderboards")
    top = api_call(live_app.url, "leaderboard/all?period=all&page_size=10")["results"]
    assert top
    expect(page.locator("#board tr").first).to_contain_text(top[0]["player"])
    expect(page.get_by_role("link", name=top[0]["player"]).first).to_have_attribute(
        "href", f"/gamers/{top[0]['user_id']}"
    )
    expect(page.get_by_role("heading", name="Post a score")).to_be_hidden()
    expect(page.get_by_label("Your score")).to_be_hidden()
    expect(page.get_by_role("heading", name="My rank")).to_be_hidden()
    expect(page.get_by_role("link", name="Sign in").last).to_be_visible()
    audit_page(page, f"leaderboards-signed-out-{size[0]}")


def test_post_scores_see_my_rank_and_a_confirmed_chess_score(live_app: Any, page_factory: Any, size: Any) -> None:
    name = unique("lea posts")
    page = page_factory(**size[1])
    register_in_browser(page, live_app.url, name)
    page.goto(live_app.url + "/leaderboards")
    expect(page.locator("#connection")).to_have_text("Live")
    # On "All games" there is nothing to post to: the form asks for a game.
    expect(page.get_by_label("Your score")).to_be_hidden()
    expect(page.get_by_text("Pick a game above to post a score.")).to_be_visible()

    page.get_by_label("Game", exact=True).select_option("apex")
    page.get_by_label("Your score").fill("19999")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#score-status")).to_contain_text(
        re.compile(r"Saved\. Your best on Apex Legends is 19,999, rank #\d+")
    )
    expect(page.locator("#my-rank")).to_contain_text(re.compile(r"You are #\d+ with 19,999\."), timeout=10000)
    expect(page.locator("#around tr.me")).to_contain_text(name)
    expect(page.locator("#board tr.me")).to_contain_text(name, timeout=10000)
    expect(page.locator("#squad-wrap")).to_contain_text(name)
    audit_page(page, f"leaderboards-{size[0]}")

    # A verified game: the score waits for a confirmation and is not ranked.
    page.get_by_label("Game", exact=True).select_option("chess")
    expect(page.locator("#game-trust")).to_contain_text("Verified scores only")
    page.get_by_label("Your score").fill("2345")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#score-status")).to_contain_text("pending", timeout=15000)  # a deadline, not a wait
    expect(page.locator("#score-status")).not_to_contain_text("rank #")
    expect(page.locator("#my-rank")).to_have_text("You have no score on this board yet.")
    expect(page.locator("#board")).not_to_contain_text(name)

    # The moderator confirms it on /leaderboards/pending; the player's live board shows it.
    moderator = page_factory(**size[1])
    sign_in(moderator, live_app.url, "moderator", next_path="/leaderboards/pending")
    row = moderator.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("Chess")
    expect(row).to_contain_text("2,345")
    expect(row.get_by_role("button", name="Void")).to_be_visible()
    audit_page(moderator, f"pending-{size[0]}")
    row.get_by_role("button", name="Confirm").click()
    expect(moderator.locator("#pending-status")).to_contain_text(f"Confirmed: {name}'s 2,345 on Chess now ranks.")
    expect(moderator.get_by_role("row").filter(has_text=name)).to_have_count(0)
    expect(page.locator("#board tr.me")).to_contain_text("2,345", timeout=10000)
    expect(page.locator("#my-rank")).to_contain_text("with 2,345", timeout=10000)


def test_pending_page_for_a_player_and_a_moderators_void(live_app: Any, page_factory: Any, size: Any) -> None:
    # A gamer who organizes nothing sees a sentence, no buttons.
    gamer = page_factory(**size[1])
    register_in_browser(gamer, live_app.url, unique("no org"))
    gamer.goto(live_app.url + "/leaderboards/pending")
    expect(gamer.get_by_text("No score is waiting for you.")).to_be_visible()
    expect(gamer.get_by_role("button", name="Confirm")).to_have_count(0)
    gamer.goto(live_app.url + "/leaderboards")
    expect(gamer.locator("#connection")).to_have_text("Live")
    expect(gamer.get_by_role("link", name="Scores waiting for confirmation")).to_be_hidden()

    # A moderator voids a pending score after confirming the dialog.
    name = unique("vic")
    account = api_call(
        live_app.url,
        "auth/register",
        body={"username": name, "email": f"{name.replace(' ', '.')}@example.com", "password": "S3cure-pass!9"},
    )
    posted = api_call(live_app.url, "leaderboard/scores", account["access"], {"game": "chess", "score": 1111})
    assert posted["status"] == "pending"
    other = api_call(live_app.url, "leaderboard/scores", account["access"], {"game": "chess", "score": 1222})
    moderator = page_factory(**size[1])
    sign_in(moderator, live_app.url, "moderator", next_path="/leaderboards")
    moderator.get_by_role("link", name="Scores waiting for confirmation").click()
    moderator.once("dialog", lambda dialog: dialog.accept())
    moderator.get_by_role("button", name=f"Void {name}'s 1,111", exact=True).click()
    expect(moderator.locator("#pending-status")).to_contain_text(f"Voided: {name}'s 1,111 on Chess.")
    expect(moderator.get_by_role("row").filter(has_text=name)).to_have_count(1)

    # Someone else confirms the other one meanwhile: Confirm here is refused in words (409).
    api_call(live_app.url, f"leaderboard/scores/{other['id']}/confirm", moderator_token(live_app.url), method="POST")
    moderator.get_by_role("button", name=f"Confirm {name}'s 1,222", exact=True).click()
    expect(moderator.locator("#pending-status")).to_have_text(
        "This score is no longer pending: someone else confirmed or voided it."
    )
    expect(moderator.get_by_role("row").filter(has_text=name)).to_have_count(0)


def test_seasons_list_and_a_final_board(live_app: Any, page_factory: Any, size: Any) -> None:
    page = page_factory(**size[1])
    page.goto(live_app.url + "/leaderboards")
    # The live app's clock archived the day, week and month that ended before it started.
    seasons = api_call(live_app.url, "leaderboard/all/seasons?period=month&page_size=6")["results"]
    assert seasons, "the in-process clock archives the last month's boards at start"
    page.get_by_label("Seasons by").select_option("month")
    cards = page.locator("#seasons > li")
    expect(cards).to_have_count(len(seasons))
    season = seasons[0]
    if season["winners"]:
        expect(cards.first.locator(".winners")).to_contain_text(season["winners"][0]["player"])
        cards.first.get_by_role("button", name="See the final board").click()
        expect(page.locator("#season-board-title")).to_contain_text("Final board: All games")
        expect(page.locator("#season-board-wrap tbody tr").first).to_contain_text(season["winners"][0]["player"])
    else:
        expect(cards.first).to_contain_text("No scores in this season.")
    # A kind with nothing archived on a board says so.
    page.get_by_label("Game", exact=True).select_option("chess")
    page.get_by_label("Seasons by").select_option("day")
    days = api_call(live_app.url, "leaderboard/chess/seasons?period=day")["results"]
    if not days:
        expect(page.locator("#seasons")).to_contain_text("No season of this kind has ended on this board yet.")
    else:
        expect(cards).to_have_count(min(len(days), 6))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_play_pages_fit_a_phone_in_english_and_arabic(live_app: Any, page_factory: Any, language: str) -> None:
    page = page_factory(width=390, height=844)
    sign_in(page, live_app.url, "moderator")  # in English: the labels it finds are English
    page.set_extra_http_headers({"Accept-Language": language})
    for path, ready in [
        ("/", "#sessions li a"),
        ("/play", "#podium li"),
        ("/leaderboards", "#board tr td a"),
        ("/leaderboards/pending", "#pending-wrap table, #pending-wrap .state-empty"),
    ]:
        page.goto(live_app.url + path)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        page.locator(ready).first.wait_for()
        # Nothing scrolls sideways but inside a table's own wrapper.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        audit_page(page, f"{path.strip('/').replace('/', '-') or 'home'}-phone-{language}")

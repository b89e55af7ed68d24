"""The trivia REST endpoints of SPEC §5: happy paths, errors, roles, query counts."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from audit.models import AuditLog
from conftest import make_gamer
from trivia import presence, services
from trivia.models import Entry, EntryReport, Round
from trivia.tests.factories import make_entries, make_entry, start_round

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/trivia/entries"
REPORTS = "/api/v1/trivia/reports"


def connect(user_id: int) -> None:
    async_to_sync(presence.claim)(user_id, f"channel-{user_id}")


# --- leaderboard ---------------------------------------------------------------------------


def test_leaderboard_orders_by_coins_and_says_who_is_playing(gamer_client, gamer, other_gamer):
    rich = make_gamer("rich one")
    services.entry_create(category="C", clue="Q", answer="Paris", value=70)
    services.round_start()
    services.attempt_submit(user=rich, message="paris")
    connect(rich.pk)
    body = gamer_client.get("/api/v1/trivia/leaderboard").json()
    rows = body["results"]
    assert [r["id"] for r in rows] == [rich.pk, gamer.pk, other_gamer.pk]
    assert set(rows[0]) == {"id", "username", "role", "coins", "last_seen", "joined", "playing"}
    assert (rows[0]["coins"], rows[0]["playing"], rows[1]["playing"]) == (170, True, False)
    assert body["count"] == 3


def test_leaderboard_needs_a_token(api):
    assert api.get("/api/v1/trivia/leaderboard").status_code == 401


@pytest.mark.parametrize("page_size", [1, 100])
def test_leaderboard_query_count(gamer_client, django_assert_max_num_queries, page_size):
    for i in range(5):
        make_gamer(f"board player {i}")
    # auth user + last_seen touch, count, page (the `playing` flags come from Redis in one call)
    with django_assert_max_num_queries(4):
        response = gamer_client.get(f"/api/v1/trivia/leaderboard?page_size={page_size}")
    assert response.status_code == 200


# --- the current round ---------------------------------------------------------------------


def test_current_round_in_each_state(gamer_client, gamer):
    body = gamer_client.get("/api/v1/trivia/rounds/current").json()
    assert body["game_state"] == 0 and body["answer"] is None and body["attempts"] == []
    round_ = start_round("Buenos Aires", value=30)
    services.attempt_submit(user=gamer, message="lima")
    body = gamer_client.get("/api/v1/trivia/rounds/current/").json()
    assert set(body) == {
        "game_state",
        "entry_id",
        "category",
        "clue",
        "answer",
        "current_value",
        "elapsed_split_seconds",
        "total_split_seconds",
        "split_ends_at",
        "players",
        "attempts",
    }
    assert (body["game_state"], body["answer"], body["current_value"]) == (1, "______ _____", 30)
    assert body["entry_id"] == round_.entry_id
    assert body["attempts"] == [{"user_id": gamer.pk, "username": "gamer one", "message": "lima", "correct": False}]
    assert "user_coins" not in body and "free_attempts_left" not in body
    services.attempt_submit(user=gamer, message="buenos aires")
    body = gamer_client.get("/api/v1/trivia/rounds/current").json()
    assert (body["game_state"], body["answer"]) == (2, "Buenos Aires")
    round_.refresh_from_db()
    assert body["split_ends_at"] == round_.next_round_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- entries -------------------------------------------------------------------------------


def test_entries_crud_for_moderators(moderator_client):
    response = moderator_client.post(
        ENTRIES, {"category": "Geo", "clue": "Capital of Tunisia", "answer": "Tunis", "value": 20}, format="json"
    )
    assert response.status_code == 201, response.json()
    entry = response.json()
    assert set(entry) == {"id", "category", "clue", "answer", "value", "banned"} and entry["banned"] is False
    url = f"{ENTRIES}/{entry['id']}"
    assert moderator_client.get(url).json()["answer"] == "Tunis"
    patched = moderator_client.patch(url, {"value": 40, "answer": "Tunis city"}, format="json").json()
    assert (patched["value"], patched["answer"]) == (40, "Tunis city")
    assert moderator_client.put(url, {}, format="json").status_code == 405
    assert moderator_client.delete(url).status_code == 204
    assert moderator_client.get(url).status_code == 404
    assert moderator_client.delete(url).status_code == 404


def test_entries_validation(moderator_client):
    bad = {"category": "Geo", "clue": "Q", "answer": "?!", "value": 25}
    response = moderator_client.post(ENTRIES, bad, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"answer", "value"}
    response = moderator_client.post(ENTRIES, {"category": "", "clue": "Q", "answer": "A", "value": 200}, format="json")
    assert response.status_code == 400 and {"category", "value"} <= set(response.json())
    entry = make_entry("Paris")
    assert moderator_client.patch(f"{ENTRIES}/{entry.pk}", {"value": 15}, format="json").status_code == 400


def test_entries_search_and_banned_filters(moderator_client):
    make_entry("Paris", category="Capitals", clue="Capital of France")
    make_entry("Tunis", category="Capitals", clue="Capital of Tunisia", banned=True)
    make_entry("Mario", category="Games", clue="A plumber")

    def answers(query):
        return [e["answer"] for e in moderator_client.get(f"{ENTRIES}?{query}").json()["results"]]

    assert answers("search=capital") == ["Paris", "Tunis"]
    assert answers("search=plumb") == ["Mario"]
    assert answers("banned=true") == ["Tunis"]
    assert answers("banned=false") == ["Paris", "Mario"]
    assert answers("search=capital&banned=false") == ["Paris"]
    assert moderator_client.get(f"{ENTRIES}?banned=maybe").status_code == 400


def test_banning_through_the_entries_api_is_audited(moderator_client, moderator):
    entry = make_entry("Paris")
    assert moderator_client.patch(f"{ENTRIES}/{entry.pk}", {"banned": True}, format="json").json()["banned"]
    assert AuditLog.objects.get().action == "ban"


def test_entries_are_for_moderators_and_admins(gamer_client, api, admin_client_api):
    assert gamer_client.get(ENTRIES).status_code == 403
    assert gamer_client.post(ENTRIES, {}, format="json").status_code == 403
    assert api.get(ENTRIES).status_code == 401
    assert admin_client_api.get(ENTRIES).status_code == 200


@pytest.mark.parametrize("page_size", [1, 100])
def test_entries_query_count(moderator_client, django_assert_max_num_queries, page_size):
    make_entries(5)
    with django_assert_max_num_queries(4):
        assert moderator_client.get(f"{ENTRIES}?page_size={page_size}").status_code == 200


# --- reports -------------------------------------------------------------------------------


def _reported(n_entries: int = 2) -> list[EntryReport]:
    """Entries reported in turn (each round played and ended), the last one still being played."""
    reporters = [make_gamer(f"reporter {i}") for i in range(2)]
    reports = []
    for i in range(n_entries):
        round_ = start_round(f"answer {i}")
        for reporter in reporters[: i + 1]:
            reports.append(services.entry_report(user=reporter))
        if i < n_entries - 1:
            Round.objects.filter(pk=round_.pk).update(state=Round.State.CLOSED)
    return list(EntryReport.objects.order_by("id"))


def test_reports_list_newest_first_without_the_entry_being_played(moderator_client):
    first, playing = _reported(2)
    body = moderator_client.get(REPORTS).json()
    assert [r["id"] for r in body["results"]] == [first.pk]
    row = body["results"][0]
    assert set(row) == {"id", "entry", "reporters", "report_count", "banned", "last_reported"}
    assert set(row["entry"]) == {"id", "category", "clue", "answer"}
    assert row["report_count"] == 1 and row["reporters"][0]["username"] == "reporter 0" and row["banned"] is False
    # Once that round is over the second report shows too, newest first.
    Round.objects.update(state=Round.State.CLOSED)
    body = moderator_client.get(REPORTS).json()
    assert [r["id"] for r in body["results"]] == [playing.pk, first.pk]
    assert body["results"][0]["report_count"] == 2


def test_report_actions_and_the_banned_filter(moderator_client, moderator):
    first, _ = _reported(2)
    response = moderator_client.post(f"{REPORTS}/{first.pk}/ban", {"reason": "ambiguous"}, format="json")
    assert response.status_code == 200 and set(response.json()) == {"detail"}
    assert Entry.objects.get(pk=first.entry_id).banned
    assert [r["id"] for r in moderator_client.get(f"{REPORTS}?banned=true").json()["results"]] == [first.pk]
    assert moderator_client.get(f"{REPORTS}?banned=false").json()["results"] == []
    assert moderator_client.post(f"{REPORTS}/{first.pk}/unban").status_code == 200
    assert not Entry.objects.get(pk=first.entry_id).banned
    assert moderator_client.post(f"{REPORTS}/{first.pk}/dismiss/").status_code == 200
    assert not EntryReport.objects.filter(pk=first.pk).exists()
    assert moderator_client.post(f"{REPORTS}/{first.pk}/ban").status_code == 404
    log = list(AuditLog.objects.order_by("id").values_list("action", "reason"))
    assert log == [("ban", "ambiguous"), ("unban", ""), ("dismiss", "")]


def test_reports_are_for_moderators_and_admins(gamer_client, api):
    (report,) = _reported(1)
    assert gamer_client.get(REPORTS).status_code == 403
    assert gamer_client.post(f"{REPORTS}/{report.pk}/ban").status_code == 403
    assert api.post(f"{REPORTS}/{report.pk}/dismiss").status_code == 401
    assert not Entry.objects.get(pk=report.entry_id).banned


@pytest.mark.parametrize("page_size", [1, 100])
def test_reports_query_count(moderator_client, django_assert_max_num_queries, page_size):
    _reported(3)
    Round.objects.update(state=Round.State.CLOSED)
    # auth user + last_seen touch, the entry being played, count, page, reporters
    with django_assert_max_num_queries(6):
        response = moderator_client.get(f"{REPORTS}?page_size={page_size}")
    assert len(response.json()["results"]) == min(page_size, 3)


# --- system --------------------------------------------------------------------------------


def test_system_info_is_public_and_tells_whether_trivia_runs(api):
    body = api.get("/api/v1/system/info").json()
    assert set(body) == {"server_version", "min_app_version_code", "latest_app_version_code", "trivia_running"}
    assert body["trivia_running"] is False
    round_ = start_round()
    assert api.get("/api/v1/system/info").json()["trivia_running"] is True
    Round.objects.filter(pk=round_.pk).update(split_ends_at=timezone.now() - timedelta(minutes=5))
    assert api.get("/api/v1/system/info").json()["trivia_running"] is False  # the clock stopped


def test_disconnect_everyone_is_for_admins_and_counts_every_process(admin_client_api, moderator_client, api):
    for user_id in (101, 102, 103):
        connect(user_id)
    assert moderator_client.post("/api/v1/system/disconnect-everyone").status_code == 403
    assert api.post("/api/v1/system/disconnect-everyone").status_code == 401
    response = admin_client_api.post("/api/v1/system/disconnect-everyone", {}, format="json")
    assert response.status_code == 200
    assert response.json() == {"detail": "Sent the disconnect signal to 3 clients"}
    assert AuditLog.objects.get().action == "disconnect_everyone"


def test_trivia_admin_pages_for_moderators(moderator):
    from django.test import Client

    (report,) = _reported(1)
    browser = Client()
    browser.force_login(moderator)
    round_id = Round.objects.get().pk
    for url in [
        "/admin/trivia/entry/",
        "/admin/trivia/entryreport/",
        "/admin/trivia/round/",
        f"/admin/trivia/round/{round_id}/change/",
        f"/admin/trivia/entryreport/{report.pk}/change/",
    ]:
        assert browser.get(url).status_code == 200, url
    assert browser.get("/admin/trivia/attempt/").status_code == 403
    response = browser.post(
        "/admin/trivia/entryreport/", {"action": "ban", "_selected_action": [report.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Entry.objects.get(pk=report.entry_id).banned
    assert AuditLog.objects.get().action == "ban"

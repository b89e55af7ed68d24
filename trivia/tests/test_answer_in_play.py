"""The answer of the entry being played is shown to nobody, staff included, until its round
ends (SPEC §2): REST (detail, list, search, PATCH answers), the report queue, and the admin's
lists, change forms and searches. One rule decides: trivia.selectors.entry_ids_in_play."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from trivia import selectors, services
from trivia.admin import HIDDEN_IN_PLAY
from trivia.models import Entry, EntryReport, Round
from trivia.tests.factories import end_round, make_entry, start_round

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/trivia/entries"
REPORTS = "/api/v1/trivia/reports"
SECRET = "Ouagadougou"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend="gamers.backends.LoginBackend")
    return client


@pytest.fixture
def playing() -> Round:
    """The round being played; its clue doesn't contain its answer (the factory's does)."""
    round_ = start_round(SECRET)
    Entry.objects.filter(rounds=round_).update(clue="The capital of Burkina Faso")
    Round.objects.filter(pk=round_.pk).update(clue="The capital of Burkina Faso")
    round_.refresh_from_db()
    return round_


@pytest.fixture(params=["moderator", "admin"])
def staff(request: Any) -> Any:
    return request.getfixturevalue(request.param)


@pytest.fixture
def staff_api(staff: Any) -> Any:
    from conftest import client_for

    return client_for(staff)


def test_the_rule_names_only_the_entry_of_the_round_being_played(playing):
    other = make_entry("Lima")
    assert selectors.entry_ids_in_play() == {playing.entry_id}
    end_round(playing)  # revealed: the transition shows the answer to everyone
    assert selectors.entry_ids_in_play() == frozenset()
    assert other.pk not in selectors.entry_ids_in_play()


def test_entry_detail_hides_the_answer_in_play_then_shows_it_once_the_round_ends(staff_api, playing):
    body = staff_api.get(f"{ENTRIES}/{playing.entry_id}").json()
    assert body["answer"] is None
    assert (body["id"], body["category"]) == (playing.entry_id, playing.category)  # the rest is there
    end_round(playing)
    assert staff_api.get(f"{ENTRIES}/{playing.entry_id}").json()["answer"] == SECRET


def test_entry_list_hides_only_the_answer_in_play(staff_api, playing):
    other = make_entry("Lima")
    rows = {row["id"]: row["answer"] for row in staff_api.get(f"{ENTRIES}?page_size=100").json()["results"]}
    assert rows[playing.entry_id] is None
    assert rows[other.pk] == "Lima"
    assert SECRET not in str(rows)


def test_searching_by_answer_does_not_find_the_entry_in_play(staff_api, playing):
    """Otherwise `?search=ouag` answering one row or none would spell the answer out."""
    make_entry("Ouagadougou", clue="The same answer, not in play")
    for term in ("Ouag", "dougou", SECRET):
        ids = [row["id"] for row in staff_api.get(f"{ENTRIES}?search={term}").json()["results"]]
        assert playing.entry_id not in ids and len(ids) == 1
    # Its category and clue still find it.
    ids = [row["id"] for row in staff_api.get(f"{ENTRIES}?search={playing.clue[:20]}").json()["results"]]
    assert ids == [playing.entry_id]
    end_round(playing)
    ids = [row["id"] for row in staff_api.get(f"{ENTRIES}?search=Ouag").json()["results"]]
    assert playing.entry_id in ids


def test_editing_the_entry_in_play_does_not_answer_with_its_answer(staff_api, playing):
    response = staff_api.patch(f"{ENTRIES}/{playing.entry_id}", {"clue": "A new clue"}, format="json")
    assert response.status_code == 200
    assert response.json()["clue"] == "A new clue" and response.json()["answer"] is None


def test_the_report_queue_never_carries_the_answer_in_play(staff_api, gamer, playing):
    services.entry_report(user=gamer)
    assert staff_api.get(REPORTS).json()["results"] == []
    end_round(playing)
    (row,) = staff_api.get(REPORTS).json()["results"]
    assert row["entry"]["answer"] == SECRET


def test_schema_says_the_answer_may_be_null():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["Entry"]["properties"]["answer"]["nullable"] is True


# --- the back office ------------------------------------------------------------------------


def test_admin_entry_list_and_change_form_hide_the_answer_in_play(staff, playing):
    other = make_entry("Lima")
    client = signed_in(staff)
    listing = client.get("/admin/trivia/entry/").content.decode()
    assert SECRET not in listing and HIDDEN_IN_PLAY in listing and "Lima" in listing
    form = client.get(f"/admin/trivia/entry/{playing.entry_id}/change/").content.decode()
    assert SECRET not in form and HIDDEN_IN_PLAY in form and 'name="answer"' not in form
    # Any other entry's form still edits its answer.
    assert 'name="answer"' in client.get(f"/admin/trivia/entry/{other.pk}/change/").content.decode()
    end_round(playing)
    assert SECRET in client.get(f"/admin/trivia/entry/{playing.entry_id}/change/").content.decode()


def test_admin_saving_the_entry_in_play_keeps_its_answer(admin, playing):
    client = signed_in(admin)
    response = client.post(
        f"/admin/trivia/entry/{playing.entry_id}/change/",
        {"category": "Capitals", "clue": "edited", "value": 50, "created_at_0": "2026-01-01", "created_at_1": "00:00"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    playing.entry.refresh_from_db()
    assert (playing.entry.clue, playing.entry.answer) == ("edited", SECRET)


def test_admin_round_list_and_page_hide_the_answer_in_play(staff, playing):
    client = signed_in(staff)
    listing = client.get("/admin/trivia/round/").content.decode()
    assert SECRET not in listing and HIDDEN_IN_PLAY in listing
    page = client.get(f"/admin/trivia/round/{playing.pk}/change/").content.decode()
    assert page.count(SECRET) == 0 and HIDDEN_IN_PLAY in page
    end_round(playing)
    assert SECRET in client.get("/admin/trivia/round/").content.decode()


def test_admin_report_list_hides_the_answer_in_play(staff, gamer, playing):
    services.entry_report(user=gamer)
    client = signed_in(staff)
    listing = client.get("/admin/trivia/entryreport/").content.decode()
    assert EntryReport.objects.count() == 1
    assert SECRET not in listing and HIDDEN_IN_PLAY in listing


@pytest.mark.parametrize("path", ["/admin/trivia/entry/", "/admin/trivia/round/", "/admin/trivia/entryreport/"])
def test_admin_searches_by_answer_skip_the_entry_in_play(staff, gamer, playing, path):
    services.entry_report(user=gamer)
    client = signed_in(staff)

    def found(term: str) -> int:
        response = client.get(path, {"q": term})
        assert response.status_code == 200
        return response.context["cl"].result_count

    assert (found("dougou"), found("Burkina")) == (0, 1)  # the clue still finds it
    end_round(playing)
    assert found("dougou") == 1


@pytest.mark.parametrize("page_size", [1, 100])
def test_hiding_costs_no_query_per_row(moderator_client, django_assert_max_num_queries, playing, page_size):
    for i in range(5):
        make_entry(f"answer {i}")
    # auth user + last_seen touch, count, page (the in-play flag is a subquery of the page)
    with django_assert_max_num_queries(4):
        assert moderator_client.get(f"{ENTRIES}?page_size={page_size}").status_code == 200

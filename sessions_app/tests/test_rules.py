from datetime import UTC, datetime, timedelta

import pytest

from sessions_app import rules

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def refusal(**overrides):
    args = {
        "already_joined": False,
        "is_available": True,
        "starts_at": LATER,
        "now": NOW,
        "attendee_count": 3,
        "max_attendees": 10,
    }
    args.update(overrides)
    return rules.join_refusal(**args)


def test_join_is_allowed_when_available_upcoming_and_not_full():
    assert refusal() is None
    assert refusal(attendee_count=9) is None


def test_join_refuses_when_session_is_full():
    assert refusal(attendee_count=10) == "session_full"
    assert refusal(attendee_count=11) == "session_full"


def test_join_refuses_a_switched_off_or_started_session():
    assert refusal(is_available=False) == "session_unavailable"
    assert refusal(starts_at=NOW) == "session_unavailable"
    assert refusal(starts_at=NOW - timedelta(seconds=1)) == "session_unavailable"


def test_a_gamer_already_in_is_told_so_even_when_full_or_started():
    assert refusal(already_joined=True, attendee_count=10) == "already_joined"
    assert refusal(already_joined=True, is_available=False) == "already_joined"


def test_unavailable_wins_over_full():
    assert refusal(is_available=False, attendee_count=10) == "session_unavailable"


def test_is_joinable_matches_the_join_rule():
    assert rules.is_joinable(is_available=True, starts_at=LATER, now=NOW, attendee_count=9, max_attendees=10)
    assert not rules.is_joinable(is_available=True, starts_at=LATER, now=NOW, attendee_count=10, max_attendees=10)
    assert not rules.is_joinable(is_available=False, starts_at=LATER, now=NOW, attendee_count=0, max_attendees=10)
    assert not rules.is_joinable(is_available=True, starts_at=NOW, now=NOW, attendee_count=0, max_attendees=10)


def test_search_terms_are_split_and_bounded():
    assert rules.search_terms("  ranked   valorant ") == ["ranked", "valorant"]
    assert rules.search_terms("") == []
    assert len(rules.search_terms("w " * 100)) == rules.MAX_SEARCH_TERMS


def test_start_time_must_be_in_the_future():
    assert rules.start_time_problem(starts_at=LATER, now=NOW) is None
    assert rules.start_time_problem(starts_at=NOW, now=NOW)


def test_capacity_cannot_drop_below_attendees():
    assert rules.capacity_problem(max_attendees=3, attendee_count=3) is None
    assert "4 gamers have already joined" in rules.capacity_problem(max_attendees=3, attendee_count=4)
    assert "1 gamer has" in rules.capacity_problem(max_attendees=0, attendee_count=1)


@pytest.mark.parametrize(
    "fields, bad",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"game": "x" * 81}, "game"),
        ({"description": "x" * 2001}, "description"),
        ({"platform": "amiga"}, "platform"),
        ({"max_attendees": 0}, "max_attendees"),
        ({"max_attendees": 1001}, "max_attendees"),
        ({"max_attendees": 10**9}, "max_attendees"),
        ({"max_attendees": "5"}, "max_attendees"),
        ({"max_attendees": True}, "max_attendees"),
    ],
)
def test_session_field_problems_name_the_bad_field(fields, bad):
    assert set(rules.session_field_problems(fields)) == {bad}


def test_session_fields_at_the_limits_are_fine():
    fields = {
        "title": "x" * 120,
        "game": "y" * 80,
        "description": "z" * 2000,
        "platform": "switch",
        "max_attendees": 1000,
    }
    assert rules.session_field_problems(fields) == {}
    assert rules.session_field_problems({"max_attendees": 1}) == {}


def test_review_field_problems():
    assert rules.review_field_problems(rating=1, content="") == {}
    assert rules.review_field_problems(rating=5, content="x" * 2000) == {}
    assert set(rules.review_field_problems(rating=0)) == {"rating"}
    assert set(rules.review_field_problems(rating=6)) == {"rating"}
    assert set(rules.review_field_problems(rating=4, content="x" * 2001)) == {"content"}

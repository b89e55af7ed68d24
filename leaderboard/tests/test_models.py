"""Game validation (the `all` board's 20-bit budget, reserved slugs) and the clock hook."""

import pytest
from django.core.exceptions import ValidationError

from leaderboard import boards, services
from leaderboard.models import Game
from leaderboard.rules import VALUE_MAX

pytestmark = pytest.mark.usefixtures("games")


def test_a_game_whose_max_score_would_overflow_the_all_board_is_refused():
    total = sum(Game.objects.values_list("max_score", flat=True))
    too_big = Game(slug="tetris", label="Tetris", max_score=min(1_000_000, VALUE_MAX - total + 1))
    with pytest.raises(ValidationError) as caught:
        too_big.full_clean()
    assert "max_score" in caught.value.message_dict
    fits = Game(slug="tetris", label="Tetris", max_score=VALUE_MAX - total)
    fits.full_clean()


@pytest.mark.parametrize("slug", ["all", "games", "scores", "reports"])
def test_slugs_that_would_shadow_leaderboard_urls_are_refused(slug):
    with pytest.raises(ValidationError):
        Game(slug=slug, label="Shadow", max_score=10).full_clean()


def test_editing_a_game_is_seen_by_the_next_submission(db, gamer):
    from leaderboard.tests.factories import submit

    Game.objects.filter(slug="rocket").update(max_score=5000)
    rocket = Game.objects.get(slug="rocket")
    rocket.max_score = 6000
    rocket.save()  # the catalogue cache is dropped on save
    assert submit(gamer, "rocket", 5900).best == 5900


def test_period_rollover_tick_notifies_every_board_of_the_new_periods(monkeypatch):
    from common.clock import _ticks

    assert _ticks["leaderboard.rollover"] is services.periods_rollover
    sent = []
    monkeypatch.setattr(boards, "rollover_check", lambda: ["week", "day"])
    monkeypatch.setattr(boards, "boards_notify", sent.extend)
    services.periods_rollover()
    assert len(sent) == 11 * 2
    assert ("all", "day") in sent and ("cod", "week") in sent
    assert {period for _, period in sent} == {"week", "day"}


def test_admins_see_games_and_scores_in_the_back_office(db, admin, gamer):
    from django.test import Client

    from leaderboard.tests.factories import submit

    score = submit(gamer, "cod", 12)
    site = Client()
    site.force_login(admin)
    assert site.get("/admin/leaderboard/game/").status_code == 200
    listing = site.get("/admin/leaderboard/score/?q=gamer")
    assert listing.status_code == 200
    assert b"gamer one" in listing.content
    assert site.get(f"/admin/leaderboard/score/{score.score_id}/change/").status_code == 200  # read-only view
    assert site.get("/admin/leaderboard/score/add/").status_code == 403


def test_moderators_do_not_see_the_leaderboard_models(db, moderator):
    from django.test import Client

    site = Client()
    site.force_login(moderator)
    assert site.get("/admin/leaderboard/score/").status_code == 403

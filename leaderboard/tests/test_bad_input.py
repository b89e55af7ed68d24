"""Inputs found by the API fuzzing (fuzz/): each once answered 5xx."""

import pytest

from leaderboard.tests.factories import submit

pytestmark = pytest.mark.usefixtures("games")

URL = "/api/v1/leaderboard"


@pytest.mark.parametrize("board", ["all", "cod"])
def test_a_page_number_past_any_redis_index_is_a_404_and_leaves_the_boards_up(api, gamer, board):
    submit(gamer, "cod", 500)
    response = api.get(f"{URL}/{board}", {"page": "5507891504781156837044933", "page_size": 100})
    assert response.status_code == 404, response.json()
    assert response.json()["code"] == "not_found"
    # The refused page must not have tripped the Redis circuit breaker for everyone else.
    after = api.get(f"{URL}/{board}")
    assert after.status_code == 200
    assert [row["user_id"] for row in after.json()["results"]] == [gamer.pk]

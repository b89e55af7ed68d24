"""SPEC §6 on the embedded default: the boards live in the web process's memory, and the database
is the truth. A server started after `seed_demo` shows the seeded boards, and a player's best
survives a restart (before: every board empty after `make run`, and after a restart a best of 4200
fell to a later 100)."""

from __future__ import annotations

from pathlib import Path

from e2e.conftest import api_call, new_live_app, serving


def board(base: str, game: str) -> dict:
    return api_call(base, f"leaderboard/{game}?period=all&page_size=100")


def test_seeded_boards_show_at_once_and_a_best_survives_a_restart(tmp_path: Path) -> None:
    app = new_live_app(tmp_path)
    app.manage("seed_demo", "--players", "3", "--scores", "200")
    with serving(app):
        seeded = board(app.url, "all")
        assert seeded["count"] > 0, seeded  # the seeding process's memory is gone; the server rebuilt
        account = api_call(
            app.url,
            "auth/register",
            body={"username": "comeback kid", "email": "kid@example.com", "password": "S3cure-pass!9"},
        )
        token = account["access"]
        first = api_call(app.url, "leaderboard/scores", token, {"game": "fortnite", "score": 4200})
        assert first["best"] == 4200
    with serving(app):  # a restart: a new process, empty memory, rebuilt from the database
        assert board(app.url, "all")["count"] == seeded["count"] + 1
        mine = api_call(app.url, "leaderboard/fortnite/me?period=all", token)
        assert mine["score"] == 4200
        later = api_call(app.url, "leaderboard/scores", token, {"game": "fortnite", "score": 100})
        assert later["best"] == 4200
        assert api_call(app.url, "leaderboard/fortnite/me?period=all", token)["score"] == 4200
    assert "leaderboards rebuilt from the database" in app.log_path.read_text()

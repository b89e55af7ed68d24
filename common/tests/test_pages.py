"""The web pages are served (their behaviour is covered by the browser tests)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path,script",
    [
        ("/", "js/home.js"),
        ("/play", "js/play.js"),
        ("/play/", "js/play.js"),
        ("/leaderboards", "js/leaderboards.js"),
        ("/login", "js/auth.js"),
        ("/register", "js/auth.js"),
        ("/sessions/1", "js/session.js"),
        ("/events/1", "js/event.js"),
        ("/sessions", "js/sessions.js"),
        ("/sessions/new", "js/session_form.js"),
        ("/sessions/1/edit", "js/session_form.js"),
        ("/events", "js/events.js"),
        ("/events/new", "js/events_new.js"),
        ("/events/1/checkin", "js/checkin.js"),
        ("/me/tickets", "js/tickets.js"),
        ("/me", "js/me.js"),
        ("/me/notifications", "js/notifications.js"),
        ("/me/coins", "js/coins.js"),
        ("/gamers/1", "js/gamer.js"),
        ("/leaderboards/pending", "js/pending.js"),
        ("/password/reset", "js/account.js"),
        ("/auth/callback/discord", "js/social.js"),
    ],
)
def test_page_is_served_with_its_script(client, path, script):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/static/{script}" in html
    assert '<main id="main"' in html


def test_static_scripts_are_served(client):
    from django.contrib.staticfiles import finders

    for name in ["js/api.js", "js/play.js", "js/leaderboards.js", "css/app.css"]:
        assert finders.find(name), name

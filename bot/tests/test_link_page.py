"""Linking for everyone: `link` with no code answers with a one-use web link; the page binds the
Discord account after sign-in (POST /auth/discord/link); `unlink` from Discord and the web."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bot.models import DiscordLinkRequest
from bot.tests.harness import PLAYER_ID, make_message, say
from bot.tests.interactions import dispatch, record_replies, slash_command
from bot.weblink import link_request_create
from conftest import client_for
from gamers.models import Gamer

pytestmark = pytest.mark.django_db(transaction=True)
LINK = "/api/v1/auth/discord/link"


def token_in(text: str) -> str:
    url = re.search(r"\((https?://[^)]+)\)", text)
    assert url, f"no link in {text!r}"
    parsed = urlparse(url.group(1))
    assert parsed.path == "/discord/link"
    return parse_qs(parsed.query)["token"][0]


async def post_token(user, token: str):
    return await sync_to_async(lambda: client_for(user).post(LINK, {"token": token}, format="json"))()


async def discord_id_of(gamer) -> str | None:
    return (await Gamer.objects.aget(pk=gamer.pk)).discord_id


# --- the bot's answer ----------------------------------------------------------------------


async def test_link_alone_answers_with_a_one_use_link_that_binds_after_sign_in(bot, transcript, gamer):
    await say(bot, "!link")  # in a DM (the harness's messages): the reply is private

    box = transcript.last.embed
    assert box.title == "Link your GameConnect account"
    assert "with Discord" in box.description, "mentions that signing in with Discord links too"
    token = token_in(box.description)
    assert box.url.endswith(token)
    assert await discord_id_of(gamer) is None, "nothing is bound before the page is confirmed"

    response = await post_token(gamer, token)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "detail": "Your Discord account is now linked to gamer one.",
        "discord_id": str(PLAYER_ID),
    }
    assert await discord_id_of(gamer) == str(PLAYER_ID)
    await say(bot, "!me")
    assert transcript.last.embed.title == "gamer one", "the bot now knows the account"


async def test_slash_link_alone_answers_ephemerally(bot, monkeypatch, gamer):
    replies = record_replies(monkeypatch)
    dispatch(bot, slash_command("link"))
    [reply] = await replies.wait_for(1)
    assert reply.ephemeral, "the link is a credential: only its owner sees it"
    token = token_in(reply.embed.description)
    assert (await post_token(gamer, token)).status_code == 200
    assert await discord_id_of(gamer) == str(PLAYER_ID)


async def test_link_in_a_server_goes_by_dm_and_the_channel_gets_no_link(bot, transcript, monkeypatch):
    sent_dms = []

    async def author_send(**kwargs):
        sent_dms.append(kwargs["embed"])

    ctx_message = make_message("!link")
    ctx_message.guild = object()  # a server channel, not a DM
    ctx_message.author = type("Author", (), {})()
    ctx_message.author.id, ctx_message.author.name, ctx_message.author.bot = PLAYER_ID, "Player", False
    ctx_message.author.mention, ctx_message.author.display_name = f"<@{PLAYER_ID}>", "Player"
    ctx_message.author.send = author_send
    ctx = await bot.get_context(ctx_message)
    await bot.invoke(ctx)

    assert len(sent_dms) == 1 and token_in(sent_dms[0].description)
    assert transcript.last.content == "I sent you a DM with your link. 📬"
    assert "token=" not in transcript.last.text


# --- the token: single use, short-lived, bound to one Discord user ---------------------------


async def test_a_token_works_once(gamer, other_gamer):
    request = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)
    assert (await post_token(gamer, request.token)).status_code == 200

    again = await post_token(other_gamer, request.token)

    assert again.status_code == 409 and again.json()["code"] == "link_token_used"
    assert await discord_id_of(other_gamer) is None
    assert await discord_id_of(gamer) == str(PLAYER_ID)


async def test_a_token_expires_after_ten_minutes(gamer, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    request = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)

    time_machine.move_to(start + timedelta(minutes=10, seconds=1), tick=False)
    late = await post_token(gamer, request.token)

    assert late.status_code == 400 and late.json()["code"] == "link_token_expired"
    assert await discord_id_of(gamer) is None


async def test_a_token_just_before_expiry_still_works(gamer, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    request = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)
    time_machine.move_to(start + timedelta(minutes=9, seconds=59), tick=False)
    assert (await post_token(gamer, request.token)).status_code == 200


async def test_a_forged_token_is_404_and_only_a_hash_is_stored(gamer):
    request = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)
    forged = await post_token(gamer, request.token[:-2] + "xx")
    assert forged.status_code == 404 and forged.json()["code"] == "link_token_invalid"
    assert not await DiscordLinkRequest.objects.filter(token_hash=request.token).aexists()


async def test_a_new_link_replaces_the_older_one(gamer):
    first = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)
    second = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)
    assert (await post_token(gamer, first.token)).status_code == 404
    assert (await post_token(gamer, second.token)).status_code == 200


async def test_a_discord_user_linked_elsewhere_is_refused_and_the_token_stays_usable(gamer, other_gamer):
    await Gamer.objects.filter(pk=other_gamer.pk).aupdate(discord_id=str(PLAYER_ID))
    request = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)

    refused = await post_token(gamer, request.token)

    assert refused.status_code == 409 and refused.json()["code"] == "discord_already_linked"
    assert await discord_id_of(gamer) is None
    await Gamer.objects.filter(pk=other_gamer.pk).aupdate(discord_id=None)  # unlinked there
    assert (await post_token(gamer, request.token)).status_code == 200


async def test_binding_needs_a_signed_in_user_and_a_token(api, gamer):
    request = await sync_to_async(link_request_create)(discord_id=PLAYER_ID)
    anonymous = await sync_to_async(lambda: api.post(LINK, {"token": request.token}, format="json"))()
    assert anonymous.status_code == 401
    empty = await sync_to_async(lambda: client_for(gamer).post(LINK, {}, format="json"))()
    assert empty.status_code == 400 and "token" in empty.json()


# --- the page --------------------------------------------------------------------------------


def test_the_link_page_is_a_script_driven_template_without_inline_code(client):
    response = client.get("/discord/link?token=abc")
    assert response.status_code == 200
    html = response.content.decode()
    assert "js/bot_link.js" in html and 'id="link-form"' in html
    assert 'name="referrer" content="no-referrer"' in html, "the token must not leak to other sites"
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "abc" not in html, "the server renders no data into the page"


# --- unlinking -------------------------------------------------------------------------------


async def test_unlink_from_discord(bot, transcript, gamer):
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=str(PLAYER_ID))
    await say(bot, "!unlink")
    assert transcript.last.embed.title == "Unlinked"
    assert "gamer one" in transcript.last.embed.description
    assert await discord_id_of(gamer) is None

    await say(bot, "!unlink")
    assert transcript.last.content == "This Discord account isn't linked to a GameConnect account."


async def test_unlink_from_the_web(gamer):
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=str(PLAYER_ID))
    response = await sync_to_async(lambda: client_for(gamer).delete(LINK))()
    assert response.status_code == 204
    assert await discord_id_of(gamer) is None
    again = await sync_to_async(lambda: client_for(gamer).delete(LINK))()
    assert again.status_code == 204, "idempotent"


async def test_link_with_a_code_keeps_working(bot, transcript, gamer):
    from gamers.services import discord_link_code_create

    code = (await sync_to_async(discord_link_code_create)(user=gamer)).code
    await say(bot, f"!link {code}")
    assert transcript.last.embed.title == "Linked! ✅"
    assert await discord_id_of(gamer) == str(PLAYER_ID)

"""`link` and `me` through discord.py's own parsing, against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from bot.tests.harness import PLAYER_ID, say
from gamers.models import DiscordLinkCode, Gamer
from gamers.services import discord_link_code_create

pytestmark = pytest.mark.django_db(transaction=True)


async def new_code(gamer) -> DiscordLinkCode:
    return await sync_to_async(discord_link_code_create)(user=gamer)


async def test_link_binds_the_author_and_confirms_with_an_embed(bot, transcript, gamer):
    code = (await new_code(gamer)).code
    await say(bot, f"!link {code}")
    assert len(transcript.sent) == 1
    reply = transcript.last
    assert reply.embed is not None and reply.embed.title == "Linked! ✅"
    assert "gamer one" in reply.embed.description
    assert (await Gamer.objects.aget(pk=gamer.pk)).discord_id == str(PLAYER_ID)


async def test_link_accepts_the_code_typed_loosely(bot, transcript, gamer):
    code = (await new_code(gamer)).code
    await say(bot, f"!link {code[:4].lower()} {code[4:].lower()}")
    assert transcript.last.embed.title == "Linked! ✅"


async def test_link_with_an_unknown_code_says_so(bot, transcript, gamer):
    await say(bot, "!link ZZZZ2222")
    assert transcript.last.embed.title == "Can't do that"
    assert "doesn't exist" in transcript.last.embed.description


async def test_link_with_a_used_code_says_so(bot, transcript, gamer):
    code = (await new_code(gamer)).code
    await say(bot, f"!link {code}")
    await say(bot, f"!link {code}", author_id=PLAYER_ID + 1)
    assert "already used" in transcript.last.embed.description
    assert not await Gamer.objects.filter(discord_id=str(PLAYER_ID + 1)).aexists()


async def test_link_with_an_expired_code_says_so(bot, transcript, gamer):
    link = await new_code(gamer)
    await DiscordLinkCode.objects.filter(pk=link.pk).aupdate(expires_at=timezone.now() - timedelta(seconds=1))
    await say(bot, f"!link {link.code}")
    assert "expired" in transcript.last.embed.description


async def test_link_refuses_a_discord_user_linked_to_another_account(bot, transcript, gamer, other_gamer):
    await Gamer.objects.filter(pk=other_gamer.pk).aupdate(discord_id=str(PLAYER_ID))
    await say(bot, f"!link {(await new_code(gamer)).code}")
    assert "already linked to the GameConnect account gamer two" in transcript.last.embed.description
    assert (await Gamer.objects.aget(pk=gamer.pk)).discord_id is None


async def test_link_is_rate_limited_per_user(bot, transcript, gamer):
    for _ in range(5):
        await say(bot, "!link ZZZZ2222")
    await say(bot, "!link ZZZZ2222")
    assert transcript.last.content.startswith("Slow down: try `link` again in")


async def test_me_for_an_unlinked_user_explains_how_to_link(bot, transcript, gamer):
    await say(bot, "!me")
    reply = transcript.last
    assert reply.embed.title == "Link your GameConnect account first"
    assert "/auth/discord/link-code" in reply.embed.description
    assert "`!link CODE`" in reply.embed.description


async def test_me_shows_the_linked_accounts_username_role_and_coins(bot, transcript, moderator, settings):
    await Gamer.objects.filter(pk=moderator.pk).aupdate(discord_id=str(PLAYER_ID), coins=1234)
    await say(bot, "!me")
    box = transcript.last.embed
    assert box.title == "mod one"
    fields = {f.name: f.value for f in box.fields}
    assert fields["Username"] == "mod one"
    assert fields["Role"] == "Moderator"
    assert fields["Coins"] == "1,234"


async def test_link_then_me_round_trip(bot, transcript, gamer, settings):
    await say(bot, f"!link {(await new_code(gamer)).code}")
    await say(bot, "!me")
    fields = {f.name: f.value for f in transcript.last.embed.fields}
    assert fields["Username"] == "gamer one"
    assert fields["Coins"] == str(settings.STARTING_COINS)


async def test_a_disabled_account_counts_as_unlinked(bot, transcript, gamer):
    await Gamer.objects.filter(pk=gamer.pk).aupdate(discord_id=str(PLAYER_ID), is_active=False)
    await say(bot, "!me")
    assert transcript.last.embed.title == "Link your GameConnect account first"

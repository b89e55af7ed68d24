"""The buttons under announcements (SPEC §8 "Organise"): Join / Leave / Wait on a session,
Bookmark on an event. They act as the clicking user, through the same services and refusals as
`POST /sessions/{id}/join|leave`, `DELETE /sessions/{id}/wait` and `POST /events/{id}/bookmark`.

Each button is a discord.py `DynamicItem`: its `custom_id` carries the action and the object id
(`gc:session:join:123`, `gc:event:bookmark:7`), and the bot registers the classes at start
(`bot.add_dynamic_items`, in AnnounceCog.cog_load), so a button posted before a restart still
works: nothing is kept in memory between a post and a press. Answers are ephemeral sentences;
an unlinked user gets a one-use link to the web page that links their account (bot.linking).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from channels.db import database_sync_to_async
from django.db import InterfaceError, OperationalError

from bot.linking import gamer_for_discord_user, link_page_embed
from common.errors import Conflict, NotFound, ServiceError
from events.services import bookmark_add
from sessions_app.services import (
    AttendanceResult,
    session_join,
    session_join_or_wait,
    session_leave,
    session_wait_cancel,
)

logger = logging.getLogger("gameconnect.bot")

UNEXPECTED = "Something went wrong on our side; it has been logged. Try again in a moment."
DATABASE_DOWN = "GameConnect's database is unavailable right now; try again shortly."


def session_custom_id(action: str, session_id: int) -> str:
    return f"gc:session:{action}:{session_id}"


def event_custom_id(action: str, event_id: int) -> str:
    return f"gc:event:{action}:{event_id}"


# --- what each press does (sync: run through database_sync_to_async) ------------------------


def _seats(result: AttendanceResult) -> str:
    return f"{result.attendee_count}/{result.session.max_attendees} attending."


def session_press(*, action: str, session_id: int, user: Any) -> str:
    """The sentence to answer a session button with; ServiceErrors propagate (their sentence)."""
    if action == "join":
        try:
            result = session_join(session_id=session_id, user=user)
        except Conflict as exc:
            if exc.code == "session_full":
                return f"{exc.detail} Press **Wait** to take a place on its waiting list."
            raise
        return f"{result.detail} {_seats(result)}"
    if action == "wait":
        outcome = session_join_or_wait(session_id=session_id, user=user)
        if isinstance(outcome, AttendanceResult):  # a seat was free: joined, no waiting
            return f"A seat was free: {outcome.detail} {_seats(outcome)}"
        return outcome.detail
    if action == "leave":
        try:
            result = session_leave(session_id=session_id, user=user)
        except Conflict as exc:
            if exc.code != "not_joined":
                raise
            try:  # not attending: maybe waiting; Leave takes them off the waiting list then
                session_wait_cancel(session_id=session_id, user=user)
            except NotFound:
                raise exc from None
            return "You left the waiting list."
        return f"{result.detail} {_seats(result)}"
    raise ValueError(f"unknown session action {action!r}")


def event_press(*, action: str, event_id: int, user: Any) -> str:
    if action == "bookmark":
        bookmark, created = bookmark_add(event_id=event_id, user=user)
        title = bookmark.event.title
        if created:
            return f"Bookmarked {title}. Find it in your bookmarks on GameConnect."
        return f"{title} is already in your bookmarks."
    raise ValueError(f"unknown event action {action!r}")


# --- the buttons ------------------------------------------------------------------------------


async def answer(interaction: discord.Interaction[Any], content: str | None = None, **kwargs: Any) -> None:
    """Reply to the press, only to the presser."""
    await interaction.response.send_message(content, ephemeral=True, **kwargs)


async def act_as_presser(interaction: discord.Interaction[Any], what: str, press: Any, **arguments: Any) -> None:
    """Look the presser's account up, run `press` as them, answer in words."""
    try:
        gamer = await gamer_for_discord_user(interaction.user)
        if gamer is None:
            await answer(interaction, embed=await link_page_embed(interaction.user))
            return
        text = await database_sync_to_async(press)(user=gamer, **arguments)
    except ServiceError as exc:
        logger.info("button %s refused for %s: %s", what, interaction.user.id, exc.code)
        text = exc.detail
    except (OperationalError, InterfaceError) as exc:
        logger.warning("database unavailable during button %s: %s", what, exc)
        text = DATABASE_DOWN
    except Exception:
        logger.exception("button %s failed for %s", what, interaction.user.id)
        text = UNEXPECTED
    await answer(interaction, text)


class SessionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"gc:session:(?P<action>join|leave|wait):(?P<id>[0-9]{1,19})",
):
    LABELS = {"join": ("Join", discord.ButtonStyle.success), "leave": ("Leave", discord.ButtonStyle.secondary),
              "wait": ("Wait", discord.ButtonStyle.primary)}  # fmt: skip

    def __init__(self, action: str, session_id: int) -> None:
        label, style = self.LABELS[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=session_custom_id(action, session_id)))
        self.action = action
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SessionButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        what = session_custom_id(self.action, self.session_id)
        await act_as_presser(interaction, what, session_press, action=self.action, session_id=self.session_id)


class EventButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"gc:event:(?P<action>bookmark):(?P<id>[0-9]{1,19})",
):
    def __init__(self, action: str, event_id: int) -> None:
        button = discord.ui.Button[Any](
            label="Bookmark", emoji="🔖", style=discord.ButtonStyle.primary, custom_id=event_custom_id(action, event_id)
        )
        super().__init__(button)
        self.action = action
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> EventButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        what = event_custom_id(self.action, self.event_id)
        await act_as_presser(interaction, what, event_press, action=self.action, event_id=self.event_id)


def session_view(session_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ("join", "leave", "wait"):
        view.add_item(SessionButton(action, session_id))
    return view


def event_view(event_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EventButton("bookmark", event_id))
    return view

"""Who may do what, in one place (SPEC §2, §7).

Every API view, consumer, admin page and bot command asks `can(user, Cap.X)`; nothing else
compares roles. To change a rule, change this table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import models


class Role(models.TextChoices):
    GAMER = "gamer", "Gamer"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


# Numeric rights, as the trivia socket reports them (gamer 0, moderator 1, admin 2).
RIGHTS: dict[str, int] = {Role.GAMER: 0, Role.MODERATOR: 1, Role.ADMIN: 2}


class Cap(StrEnum):
    """Capabilities beyond what any signed-in gamer may do."""

    GAMERS_LIST = "gamers.list"  # list gamers with their emails
    GAMERS_DELETE = "gamers.delete"  # delete another (non-admin) gamer
    ROLES_CHANGE = "roles.change"
    SESSIONS_MODERATE = "sessions.moderate"  # delete any session
    SESSIONS_EDIT_ANY = "sessions.edit_any"  # edit any session
    REVIEWS_MODERATE = "reviews.moderate"  # list and delete any review
    EVENTS_EDIT_ANY = "events.edit_any"  # edit or delete any event
    TRIVIA_ENTRIES = "trivia.entries"  # question bank
    TRIVIA_REPORTS = "trivia.reports"  # ban / unban / dismiss reports
    SCORES_MODERATE = "leaderboard.moderate"  # void scores, suspend players from a game's boards
    USER_REPORTS = "moderation.reports"  # ban / unban / dismiss reports of sessions, reviews, gamers
    MODERATION_LOG = "moderation.log"
    SYSTEM_ADMIN = "system.admin"  # disconnect everyone
    ACCOUNTS_MANAGE = "accounts.manage"  # set passwords, (de)activate accounts (never another admin's)
    ADMIN_SITE = "admin.site"  # sign in to /admin/
    SCORES_VERIFY = "scores.verify"  # confirm any pending leaderboard score, see all pending ones
    LEADERBOARD_KEYS = "leaderboard.keys"  # create, list and revoke game-server keys


MIN_ROLE: dict[Cap, str] = {
    Cap.GAMERS_LIST: Role.MODERATOR,
    Cap.GAMERS_DELETE: Role.ADMIN,
    Cap.ROLES_CHANGE: Role.ADMIN,
    Cap.SESSIONS_MODERATE: Role.MODERATOR,
    Cap.SESSIONS_EDIT_ANY: Role.ADMIN,
    Cap.REVIEWS_MODERATE: Role.MODERATOR,
    Cap.EVENTS_EDIT_ANY: Role.ADMIN,
    Cap.TRIVIA_ENTRIES: Role.MODERATOR,
    Cap.TRIVIA_REPORTS: Role.MODERATOR,
    Cap.SCORES_MODERATE: Role.MODERATOR,
    Cap.USER_REPORTS: Role.MODERATOR,
    Cap.MODERATION_LOG: Role.MODERATOR,
    Cap.SYSTEM_ADMIN: Role.ADMIN,
    Cap.ACCOUNTS_MANAGE: Role.ADMIN,
    Cap.ADMIN_SITE: Role.MODERATOR,
    Cap.SCORES_VERIFY: Role.MODERATOR,
    Cap.LEADERBOARD_KEYS: Role.ADMIN,
}

# Django admin models a moderator may open, with the actions allowed on each
# ("app_label.modelname" -> {"view", "add", "change", "delete"}). Admins may open everything.
# The same rights as the REST API: a moderator deletes any session (SESSIONS_MODERATE) but neither
# edits one nor removes its attendees (SESSIONS_EDIT_ANY is the admins').
MODERATOR_ADMIN_MODELS: dict[str, set[str]] = {
    "trivia.entry": {"view", "add", "change", "delete"},
    "trivia.entryreport": {"view", "change", "delete"},
    "trivia.round": {"view"},
    "sessions_app.gamesession": {"view", "delete"},
    "sessions_app.review": {"view", "delete"},
    "audit.auditlog": {"view"},
    "moderation.report": {"view", "change", "delete"},  # change: ban / unban; delete: dismiss
    "moderation.reportvote": {"view"},
}


def rights(user: Any) -> int:
    """0/1/2 for a signed-in user; -1 for anonymous or inactive users."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return -1
    return RIGHTS.get(getattr(user, "role", Role.GAMER), 0)


def can(user: Any, cap: Cap) -> bool:
    return rights(user) >= RIGHTS[MIN_ROLE[cap]]


def is_owner_or_can(user: Any, owner_id: int | None, cap: Cap) -> bool:
    return (rights(user) >= 0 and owner_id is not None and user.pk == owner_id) or can(user, cap)


def admin_perm_allowed(user: Any, perm: str) -> bool:
    """Django admin permission check (`app_label.action_model`) by role."""
    if rights(user) >= RIGHTS[Role.ADMIN]:
        return True
    if not can(user, Cap.ADMIN_SITE) or "." not in perm:
        return False
    app_label, codename = perm.split(".", 1)
    action, _, model = codename.partition("_")
    return action in MODERATOR_ADMIN_MODELS.get(f"{app_label}.{model}", set())


def admin_module_allowed(user: Any, app_label: str) -> bool:
    if rights(user) >= RIGHTS[Role.ADMIN]:
        return True
    return can(user, Cap.ADMIN_SITE) and any(key.startswith(f"{app_label}.") for key in MODERATOR_ADMIN_MODELS)


def account_target_allowed(actor: Any, target: Any, *, on_self: bool) -> bool:
    """May `actor` act on the account `target` (change, delete, deactivate, set its password)?

    Nobody acts on another admin's account; acting on one's own account is allowed only where
    `on_self` says so (editing one's profile, yes; one's role, activation or deletion, no).
    The caller checks the capability itself (ACCOUNTS_MANAGE, GAMERS_DELETE, ROLES_CHANGE).
    """
    if rights(actor) < 0 or target is None:
        return False
    if target.pk == actor.pk:
        return on_self
    return getattr(target, "role", Role.GAMER) != Role.ADMIN


def moderation_target_allowed(actor: Any, target: Any) -> bool:
    """May `actor` sanction the account `target` (a reported gamer)? Only accounts of a lower role:
    moderators act on gamers, admins on gamers and moderators, nobody on an admin or on themselves."""
    return target is not None and target.pk != getattr(actor, "pk", None) and RIGHTS.get(target.role, 0) < rights(actor)

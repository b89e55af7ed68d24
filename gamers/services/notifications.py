"""Notifications (SPEC §2 "Notifications"): the one way every feature tells a gamer something.

Session reminders, waiting-list promotions, ticket confirmations, leaderboard prizes and report
outcomes all call `notification_create` (or `notifications_create_many` for a payout to many
gamers). Each new notification is, after the caller's transaction commits:
- listed in the app (`GET /me/notifications`);
- mailed when the account is active, its email is verified and `Gamer.notify` doesn't turn
  the kind off (`{kind: false}`);
- announced through the `gamers.signals.notification_created` signal when the account is
  linked to Discord: the bot (issue 18) connects to it and sends the DM.

`key` makes a notification exactly-once per account: the database's unique (user, key)
constraint decides, so a reminder or a payout retried by a second worker creates nothing and
delivers nothing. Rows stay until the account is deleted (ON DELETE CASCADE).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import InvalidInput, NotFound
from common.mail import mail_send_on_commit
from gamers.models import Gamer, Notification, NotificationKind
from gamers.signals import notification_created

logger = logging.getLogger("gameconnect.notifications")

TITLE_MAX = Notification._meta.get_field("title").max_length or 200
KEY_MAX = Notification._meta.get_field("key").max_length or 128
URL_MAX = Notification._meta.get_field("url").max_length or 500
# Rows per INSERT of notifications_create_many: 7 parameters each stays far below SQLite's
# 32,766 and PostgreSQL's 65,535 bound parameters.
INSERT_BATCH = 500
MARK_READ_IDS_MAX = 500

# What delivery reads of an account.
_DELIVERY_FIELDS = ("id", "email", "email_verified", "notify", "discord_id", "is_active")


@dataclass(frozen=True)
class NotificationRow:
    """One notification to create with `notifications_create_many`."""

    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    key: str = ""


def _checked(row: NotificationRow) -> NotificationRow:
    """A programming error in a caller is refused before the database sees it (the kind's CHECK
    constraint would otherwise surface as an IntegrityError, mistaken for a duplicate key)."""
    if row.kind not in NotificationKind.values:
        raise InvalidInput(
            gettext("Unknown notification kind %(kind)s.") % {"kind": repr(row.kind)}, code="invalid_kind"
        )
    if not row.title.strip():
        raise InvalidInput(gettext("A notification needs a title."), code="invalid_title")
    if len(row.key) > KEY_MAX or len(row.url) > URL_MAX:
        raise InvalidInput(gettext("Notification key or url too long."), code="invalid_notification")
    if len(row.title) > TITLE_MAX:  # titles quote user content (a session's title): shortened, not refused
        return NotificationRow(row.user_id, row.kind, row.title[: TITLE_MAX - 1] + "…", row.body, row.url, row.key)
    return row


def _recipients(user_ids: Iterable[int]) -> dict[int, Gamer]:
    wanted = set(user_ids)
    found = {gamer.pk: gamer for gamer in Gamer.objects.filter(pk__in=wanted).only(*_DELIVERY_FIELDS)}
    missing = wanted - found.keys()
    if missing:
        raise NotFound(gettext("No account with id %(value)s.") % {"value": min(missing)}, code="not_found")
    return found


def absolute_url(url: str) -> str:
    """A notification's link as mailed: relative paths are made absolute with `SITE_URL`."""
    if not url or url.startswith(("http://", "https://")):
        return url
    site = getattr(settings, "SITE_URL", "http://localhost:8000")
    return site.rstrip("/") + "/" + url.lstrip("/")


def mail_wanted(gamer: Gamer, kind: str) -> bool:
    """SPEC §2: mailed to an active account's verified email unless `notify` turns the kind off."""
    notify = gamer.notify if isinstance(gamer.notify, dict) else {}
    return bool(gamer.is_active and gamer.email and gamer.email_verified and notify.get(kind, True))


def _mail_body(notification: Notification) -> str:
    link = absolute_url(notification.url)
    return "\n\n".join(part for part in (notification.body, link) if part)


def _deliver_on_commit(notifications: Sequence[Notification], recipients: dict[int, Gamer]) -> None:
    """Mail and the Discord DM hook, both after the current transaction commits (at once outside
    one): a rolled-back reminder or payout reaches nobody."""
    linked: list[int] = []
    for notification in notifications:
        gamer = recipients[notification.user_id]
        if mail_wanted(gamer, notification.kind):
            mail_send_on_commit(to=gamer.email, subject=notification.title, body=_mail_body(notification))
        if gamer.is_active and gamer.discord_id:
            linked.append(notification.pk)
    if linked:
        transaction.on_commit(lambda: _signal_send(linked))


def _signal_send(notification_ids: list[int]) -> None:
    for receiver, result in notification_created.send_robust(sender=Notification, notification_ids=notification_ids):
        if isinstance(result, Exception):
            logger.error("notification_created receiver %r failed for %s", receiver, notification_ids, exc_info=result)


def notification_create(
    *, user_id: int, kind: str, title: str, body: str = "", url: str = "", key: str = ""
) -> Notification | None:
    """Create one notification and deliver it after commit. Joins the caller's transaction.

    With a `key`, exactly once per account: when `(user, key)` exists (or a racing transaction
    creates it first), nothing is created or delivered and the answer is None. The INSERT runs in
    a savepoint, so the caller's transaction carries on after a duplicate. 404 `not_found` for an
    unknown account; 400 for an unknown kind or an empty title.
    """
    row = _checked(NotificationRow(user_id, kind, title, body, url, key))
    recipients = _recipients([user_id])
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user_id=row.user_id, kind=row.kind, title=row.title, body=row.body, url=row.url, key=row.key
            )
    except IntegrityError:
        # The unique (user, key) index is the only constraint a checked row can break on INSERT
        # (the user's foreign key is checked at commit on PostgreSQL, and the user exists).
        if row.key and Notification.objects.filter(user_id=row.user_id, key=row.key).exists():
            return None
        raise
    _deliver_on_commit([notification], recipients)
    return notification


def notifications_create_many(rows: Iterable[NotificationRow]) -> list[Notification]:
    """Create many notifications (a prize payout to every winner) and deliver the new ones after
    commit. Joins the caller's transaction. Returns the notifications created, by id.

    One `INSERT ... ON CONFLICT DO NOTHING RETURNING id` per 500 rows (PostgreSQL, SQLite 3.35+):
    rows whose `(user, key)` exists are skipped, racing workers included, and RETURNING names
    exactly the rows this call inserted, so only those are delivered. (`bulk_create(
    ignore_conflicts=True)` runs the same INSERT without RETURNING: no backend would tell which
    rows were new.) A key repeated within `rows` counts once (the first row). 404 `not_found`
    when an account doesn't exist.
    """
    checked: list[NotificationRow] = []
    seen: set[tuple[int, str]] = set()
    for row in map(_checked, rows):
        if row.key:
            if (row.user_id, row.key) in seen:
                continue
            seen.add((row.user_id, row.key))
        checked.append(row)
    if not checked:
        return []
    recipients = _recipients(row.user_id for row in checked)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    meta = Notification._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column)  # type: ignore[union-attr, arg-type]  # concrete fields: a Field with a column
        for name in ("user", "kind", "title", "body", "url", "key", "created_at")
    )
    ids: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(checked), INSERT_BATCH):
            batch = checked[start : start + INSERT_BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            params = [v for r in batch for v in (r.user_id, r.kind, r.title, r.body, r.url, r.key, now)]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values} "
                f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}",
                params,
            )
            ids.extend(pk for (pk,) in cursor.fetchall())
        created = list(Notification.objects.filter(pk__in=ids).order_by("id"))
        _deliver_on_commit(created, recipients)
    return created


def notifications_mark_read(*, user: Gamer, ids: Sequence[int] | None = None, all: bool = False) -> int:
    """Mark the caller's unread notifications read: those in `ids` (at most 500), or all of them.
    Returns how many changed. Other accounts' ids, unknown ids and rows already read are left
    alone (they count nothing, they are not errors). One conditional UPDATE, so two devices
    marking at once never count a row twice."""
    if all == (ids is not None):
        raise InvalidInput(gettext("Give either `ids` or `all`: true."), code="invalid")
    unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if not all:
        assert ids is not None
        if len(ids) > MARK_READ_IDS_MAX:
            raise InvalidInput(
                gettext("At most %(MARK_READ_IDS_MAX)s ids at a time.") % {"MARK_READ_IDS_MAX": MARK_READ_IDS_MAX},
                code="too_many_ids",
            )
        if not ids:
            return 0
        unread = unread.filter(pk__in=set(ids))
    return unread.update(read_at=timezone.now())

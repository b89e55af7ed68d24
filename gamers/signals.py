"""Signals other apps connect to (gamers is a low layer: higher apps listen, gamers never imports them).

`notification_created` is the Discord DM hook of SPEC §2 "Notifications" (see docs/notifications.md).
"""

from __future__ import annotations

from django.dispatch import Signal

notification_created = Signal()
"""Sent once per committed batch of new notifications, after the transaction that created them
commits (never for a rolled-back one), by `gamers.services.notifications`.

sender: `gamers.models.Notification`; keyword argument `notification_ids: list[int]`, only the
notifications of active accounts that have a `discord_id` (nothing is sent when there are none).

It is sent with `send_robust` in the process that committed (a web or worker process): a receiver
that raises is logged and never fails the caller. A receiver must not block: the bot app (issue 18)
hands the ids over to the bot process, which loads each notification, sends the DM and logs and
skips a user whose DMs are closed.
"""

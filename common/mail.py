"""Mail on the embedded default: each message printed to the console and saved as a file.

`EMAIL_URL` unset (SPEC §0): `make run` shows every mail in its terminal and keeps a copy in
`var/mail/` (one `.log` file per connection, Django's file backend format), so links in mails can
be followed without a mail server. With `EMAIL_URL` set, Django's own backend for its scheme is
used instead (config/settings.py, parsed by dj-email-url).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.db import transaction


class ConsoleAndFileBackend(FileBackend):
    """Django's file backend (EMAIL_FILE_PATH), and the same messages on stdout."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.console = ConsoleBackend(fail_silently=self.fail_silently)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        self.console.send_messages(email_messages)
        return sent


def mail_send_on_commit(*, to: str, subject: str, body: str) -> None:
    """Send one plain-text mail from `DEFAULT_FROM_EMAIL` by a Celery task once the current
    transaction commits (at once outside one): a rolled-back sign-up mails nothing, and a slow
    mail server never holds a request or a lock. Inline on the embedded default (eager tasks)."""
    from common.tasks import mail_send

    # robust: a broker that is down when the transaction commits is logged by Django, never turned
    # into a 500 for a change that is already saved (the account exists; the mail can be resent).
    transaction.on_commit(lambda: mail_send.delay(to=to, subject=subject, body=body), robust=True)

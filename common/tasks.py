import logging
import smtplib

from celery import shared_task
from django.core.mail import send_mail

from common.clock import run_ticks_once


@shared_task(name="common.tasks.clock_tick", ignore_result=True)
def clock_tick() -> None:
    """Beat's one-second heartbeat: runs every registered idempotent tick."""
    run_ticks_once()


logger = logging.getLogger("gameconnect.mail")


@shared_task(
    name="common.tasks.mail_send",
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=6,
)
def mail_send(*, to: str, subject: str, body: str) -> None:
    """One mail through Django's mail API (EMAIL_URL's backend); a mail server that is down is
    retried with backoff for about half an hour, then the mail is dropped and logged."""
    send_mail(subject, body, None, [to])

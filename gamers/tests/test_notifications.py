"""Notifications (SPEC §2): the service, its delivery (mail, Discord DM hook) and the API."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from common.errors import InvalidInput, NotFound
from conftest import client_for, make_gamer
from gamers.models import Gamer, Notification, NotificationKind
from gamers.services import (
    NotificationRow,
    notification_create,
    notifications_create_many,
    notifications_mark_read,
)
from gamers.signals import notification_created
from testsupport.testing import run_in_threads

LIST = "/api/v1/me/notifications"
READ = "/api/v1/me/notifications/read"
REMINDER = NotificationKind.SESSION_REMINDER
PRIZE = NotificationKind.LEADERBOARD_PRIZE


@pytest.fixture(autouse=True)
def eager_tasks():
    """Mail goes through a Celery task: run it inline on every CI pass (with REDIS_URL set the
    project queues tasks on the broker), so the outbox shows what a worker would send."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def signalled():
    """The ids each `notification_created` signal carried, in order."""
    received: list[list[int]] = []

    def receiver(sender, notification_ids, **kwargs):
        received.append(list(notification_ids))

    notification_created.connect(receiver, dispatch_uid="test-notifications")
    yield received
    notification_created.disconnect(dispatch_uid="test-notifications")


def verified(gamer: Gamer, **fields) -> Gamer:
    Gamer.objects.filter(pk=gamer.pk).update(email_verified=True, **fields)
    gamer.refresh_from_db()
    return gamer


def remind(user: Gamer, title: str = "Your session starts in an hour", **extra) -> Notification | None:
    return notification_create(user_id=user.pk, kind=REMINDER, title=title, **extra)


# --- the service ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_key_twice_creates_one_row_and_the_second_call_returns_none(gamer):
    first = remind(gamer, key="session:5:reminder")
    second = remind(gamer, title="A retried reminder", key="session:5:reminder")
    assert first is not None and second is None
    assert list(Notification.objects.filter(user=gamer).values_list("title", flat=True)) == [
        "Your session starts in an hour"
    ]


@pytest.mark.django_db
def test_a_duplicate_key_leaves_the_callers_transaction_usable(gamer):
    remind(gamer, key="k")
    with transaction.atomic():
        assert remind(gamer, key="k") is None
        # The duplicate INSERT failed inside its own savepoint: the caller can keep writing.
        assert remind(gamer, key="other") is not None
    assert Notification.objects.filter(user=gamer).count() == 2


@pytest.mark.django_db
def test_keys_are_per_account_and_empty_keys_never_collide(gamer, other_gamer):
    assert remind(gamer, key="season:2026-W01") is not None
    assert remind(other_gamer, key="season:2026-W01") is not None
    assert remind(gamer) is not None and remind(gamer) is not None
    assert Notification.objects.filter(user=gamer).count() == 3
    assert Notification.objects.filter(user=other_gamer).count() == 1


@pytest.mark.django_db
def test_create_refuses_an_unknown_kind_and_an_unknown_account(gamer):
    with pytest.raises(InvalidInput) as bad_kind:
        notification_create(user_id=gamer.pk, kind="spam", title="Buy coins")
    assert bad_kind.value.code == "invalid_kind"
    with pytest.raises(NotFound):
        notification_create(user_id=gamer.pk + 10_000, kind=REMINDER, title="Hello")
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_long_title_is_shortened_not_refused(gamer):
    notification = remind(gamer, title="x" * 300)
    assert notification is not None
    notification.refresh_from_db()
    assert len(notification.title) == 200 and notification.title.endswith("…")


@pytest.mark.django_db
def test_create_many_skips_existing_and_repeated_keys_and_returns_only_the_new_rows(gamer, other_gamer):
    existing = notification_create(user_id=gamer.pk, kind=PRIZE, title="Old prize", key="prize:w1")
    rows = [
        NotificationRow(gamer.pk, PRIZE, "You won 100 coins", key="prize:w1"),  # exists
        NotificationRow(other_gamer.pk, PRIZE, "You won 50 coins", key="prize:w1"),
        NotificationRow(other_gamer.pk, PRIZE, "Repeated", key="prize:w1"),  # repeated in the batch
        NotificationRow(gamer.pk, REMINDER, "No key"),
    ]
    created = notifications_create_many(rows)
    assert [(n.user_id, n.title) for n in created] == [(other_gamer.pk, "You won 50 coins"), (gamer.pk, "No key")]
    assert all(n.pk for n in created)
    assert Notification.objects.get(user=gamer, key="prize:w1").pk == existing.pk
    assert Notification.objects.count() == 3
    assert notifications_create_many(rows[:3]) == []  # a retried payout creates nothing


@pytest.mark.django_db
def test_create_many_batches_beyond_one_insert(gamer, monkeypatch):
    from gamers.services import notifications

    monkeypatch.setattr(notifications, "INSERT_BATCH", 3)
    rows = [NotificationRow(gamer.pk, PRIZE, f"Prize {i}", key=f"p{i}") for i in range(8)]
    created = notifications_create_many(rows)
    assert [n.title for n in created] == [f"Prize {i}" for i in range(8)]
    assert len(notifications_create_many(rows)) == 0


@pytest.mark.django_db
def test_create_many_refuses_an_unknown_account_and_writes_nothing(gamer):
    with pytest.raises(NotFound):
        notifications_create_many(
            [NotificationRow(gamer.pk, PRIZE, "Prize"), NotificationRow(gamer.pk + 10_000, PRIZE, "Prize")]
        )
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_mark_read_by_ids_touches_only_the_callers_unread_rows(gamer, other_gamer):
    mine = [remind(gamer, title=f"Mine {i}") for i in range(3)]
    theirs = remind(other_gamer, title="Theirs")
    assert all(mine) and theirs is not None
    assert notifications_mark_read(user=gamer, ids=[mine[0].pk, mine[1].pk, theirs.pk, 999_999]) == 2
    assert notifications_mark_read(user=gamer, ids=[mine[0].pk]) == 0  # already read: counts nothing
    read = set(Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True))
    assert read == {mine[0].pk, mine[1].pk}


@pytest.mark.django_db
def test_mark_read_all_marks_every_unread_row_of_the_caller_only(gamer, other_gamer):
    for i in range(4):
        remind(gamer, title=f"Mine {i}")
    remind(other_gamer, title="Theirs")
    assert notifications_mark_read(user=gamer, all=True) == 4
    assert notifications_mark_read(user=gamer, all=True) == 0
    assert Notification.objects.get(user=other_gamer).read_at is None


@pytest.mark.django_db
def test_mark_read_needs_exactly_one_of_ids_and_all(gamer):
    with pytest.raises(InvalidInput):
        notifications_mark_read(user=gamer)
    with pytest.raises(InvalidInput):
        notifications_mark_read(user=gamer, ids=[1], all=True)


# --- delivery: mail ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_mail_goes_to_a_verified_address_with_the_title_and_an_absolute_link(
    gamer, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://gameconnect.example/"
    verified(gamer)
    with django_capture_on_commit_callbacks(execute=True):
        remind(gamer, body="Friday ranked starts at 20:00.", url="/sessions/5")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [gamer.email]
    assert message.subject == "Your session starts in an hour"
    assert message.body == "Friday ranked starts at 20:00.\n\nhttps://gameconnect.example/sessions/5"


@pytest.mark.django_db
def test_no_mail_to_an_unverified_address(gamer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert remind(gamer) is not None
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_opted_out_kind_is_not_mailed_but_other_kinds_are(gamer, django_capture_on_commit_callbacks):
    verified(gamer, notify={REMINDER: False, PRIZE: True})
    with django_capture_on_commit_callbacks(execute=True):
        remind(gamer)
        notification_create(user_id=gamer.pk, kind=PRIZE, title="You won 100 coins")
        notification_create(user_id=gamer.pk, kind=NotificationKind.REPORT_OUTCOME, title="Report closed")
    assert sorted(m.subject for m in mail.outbox) == ["Report closed", "You won 100 coins"]
    assert Notification.objects.filter(user=gamer).count() == 3  # opting out of mail keeps the in-app row


@pytest.mark.django_db
def test_no_mail_to_a_deactivated_account(gamer, django_capture_on_commit_callbacks):
    verified(gamer, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        remind(gamer)
    assert mail.outbox == []


@pytest.mark.django_db
def test_create_many_mails_only_the_rows_it_created(gamer, other_gamer, django_capture_on_commit_callbacks):
    verified(gamer)
    verified(other_gamer)
    notification_create(user_id=gamer.pk, kind=PRIZE, title="Already paid", key="prize:w1")
    mail.outbox.clear()
    rows = [
        NotificationRow(user.pk, PRIZE, f"Prize for {user.username}", key="prize:w1") for user in (gamer, other_gamer)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create_many(rows)
    assert [(m.to, m.subject) for m in mail.outbox] == [([other_gamer.email], "Prize for gamer two")]


@pytest.mark.django_db
def test_a_duplicate_key_mails_nothing(gamer, django_capture_on_commit_callbacks):
    verified(gamer)
    with django_capture_on_commit_callbacks(execute=True):
        remind(gamer, key="once")
        remind(gamer, key="once")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_nothing_is_mailed_or_signalled_when_the_transaction_rolls_back(
    gamer, signalled, django_capture_on_commit_callbacks
):
    verified(gamer, discord_id="4242")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            remind(gamer)
            notifications_create_many([NotificationRow(gamer.pk, PRIZE, "Prize")])
            raise RuntimeError("the payout failed")
    assert callbacks == []
    assert mail.outbox == [] and signalled == []
    assert not Notification.objects.exists()


# --- delivery: the Discord DM hook ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_signal_fires_after_commit_with_only_the_linked_accounts_notifications(signalled):
    linked = make_gamer("linked one", discord_id="111")
    unlinked = make_gamer("unlinked one")
    with transaction.atomic():
        mine = remind(linked)
        remind(unlinked)
        assert signalled == []  # not before the commit
    assert mine is not None
    assert signalled == [[mine.pk]]

    created = notifications_create_many(
        [NotificationRow(user.pk, PRIZE, "Prize", key="w1") for user in (unlinked, linked)]
    )
    linked_prize = next(n.pk for n in created if n.user_id == linked.pk)
    assert signalled[1:] == [[linked_prize]]


@pytest.mark.django_db(transaction=True)
def test_no_signal_for_unlinked_accounts_or_duplicates(signalled):
    unlinked = make_gamer("unlinked one")
    linked = make_gamer("linked one", discord_id="111")
    remind(unlinked)
    remind(linked, key="once")
    remind(linked, key="once")
    notifications_create_many([NotificationRow(linked.pk, PRIZE, "Prize", key="once")])  # the reminder's key: exists
    assert len(signalled) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_is_logged_and_never_fails_the_caller(caplog):
    linked = make_gamer("linked one", discord_id="111")

    def broken(sender, notification_ids, **kwargs):
        raise ConnectionError("bot unreachable")

    notification_created.connect(broken, dispatch_uid="test-broken")
    try:
        with caplog.at_level(logging.ERROR, logger="gameconnect.notifications"):
            created = remind(linked)
    finally:
        notification_created.disconnect(dispatch_uid="test-broken")
    assert created is not None and Notification.objects.filter(pk=created.pk).exists()
    assert "receiver" in caplog.text and "bot unreachable" in caplog.text


# --- races (PostgreSQL) -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_creates_with_one_key_make_one_row_and_one_mail(signalled):
    gamer = make_gamer("racer one", discord_id="999")
    verified(gamer)

    def create(i: int) -> Notification | None:
        return remind(gamer, title=f"Attempt {i}", key="session:1:reminder")

    results = run_in_threads(12, create)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([r for r in results if isinstance(r, Notification)]) == 1
    assert Notification.objects.filter(user=gamer).count() == 1
    assert len(mail.outbox) == 1 and len(signalled) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_payouts_create_each_key_once():
    winners = [verified(make_gamer(f"winner {i}")) for i in range(5)]
    rows = [NotificationRow(user.pk, PRIZE, "Weekly prize", key="prize:2026-W01") for user in winners]

    def pay(i: int) -> list[Notification]:
        return notifications_create_many(rows)

    results = run_in_threads(8, pay)
    assert not [r for r in results if isinstance(r, Exception)], results
    created = [n.user_id for batch in results for n in batch]
    assert sorted(created) == sorted(user.pk for user in winners)  # every row created by exactly one caller
    assert Notification.objects.count() == 5
    assert len(mail.outbox) == 5


# --- the API ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_my_notifications_newest_first_and_unread(gamer_client, gamer, other_gamer):
    old = remind(gamer, title="Older", url="/sessions/1")
    new = remind(gamer, title="Newer", body="Body")
    remind(other_gamer, title="Not mine")
    assert old is not None and new is not None
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    response = gamer_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["page"] == 1
    assert [row["title"] for row in body["results"]] == ["Newer", "Older"]
    assert body["results"][0] == {
        "id": new.pk,
        "kind": "session_reminder",
        "title": "Newer",
        "body": "Body",
        "url": "",
        "created_at": body["results"][0]["created_at"],
        "read": False,
    }
    assert body["results"][0]["created_at"].endswith("Z")


@pytest.mark.django_db
def test_list_orders_equal_times_by_id(gamer_client, gamer):
    first, second = remind(gamer, title="First"), remind(gamer, title="Second")
    assert first is not None and second is not None
    Notification.objects.update(created_at=timezone.now())
    assert [row["id"] for row in gamer_client.get(LIST).json()["results"]] == [second.pk, first.pk]


@pytest.mark.django_db
def test_list_filters_unread_and_read(gamer_client, gamer):
    read, unread = remind(gamer, title="Read"), remind(gamer, title="Unread")
    assert read is not None and unread is not None
    notifications_mark_read(user=gamer, ids=[read.pk])
    assert [r["title"] for r in gamer_client.get(LIST, {"unread": "true"}).json()["results"]] == ["Unread"]
    rows = gamer_client.get(LIST, {"unread": "false"}).json()["results"]
    assert [(r["title"], r["read"]) for r in rows] == [("Read", True)]
    assert gamer_client.get(LIST, {"unread": "maybe"}).status_code == 400


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(gamer_client, gamer, django_assert_max_num_queries):
    remind(gamer)
    with django_assert_max_num_queries(4):  # account, its last_seen (once a minute), count, page
        assert gamer_client.get(LIST).status_code == 200
    notifications_create_many([NotificationRow(gamer.pk, REMINDER, f"N{i}") for i in range(60)])
    with django_assert_max_num_queries(4):
        response = gamer_client.get(LIST, {"page_size": 50})
    assert response.status_code == 200 and len(response.json()["results"]) == 50


@pytest.mark.django_db
def test_mark_read_api_by_ids_and_all(gamer_client, gamer, other_gamer):
    mine = [remind(gamer, title=f"Mine {i}") for i in range(3)]
    theirs = remind(other_gamer, title="Theirs")
    assert all(mine) and theirs is not None
    response = gamer_client.post(READ, {"ids": [mine[0].pk, theirs.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"updated": 1}
    assert [r["read"] for r in gamer_client.get(LIST).json()["results"]] == [False, False, True]
    assert gamer_client.post(READ, {"all": True}, format="json").json() == {"updated": 2}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.django_db
def test_both_paths_answer_with_a_trailing_slash(gamer_client, gamer):
    remind(gamer)
    assert gamer_client.get(LIST + "/").status_code == 200
    assert gamer_client.post(READ + "/", {"all": True}, format="json").json() == {"updated": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"all": False},
        {"ids": [1], "all": True},
        {"ids": ["one"]},
        {"ids": [0]},
        {"ids": [2**63]},
        {"ids": list(range(1, 502))},
        {"ids": 5},
        {"all": "yes please"},
    ],
    ids=["neither", "all-false", "both", "not-int", "zero", "overflow", "over-500", "not-a-list", "all-not-bool"],
)
def test_mark_read_api_refuses_bad_bodies(gamer_client, gamer, body):
    remind(gamer)
    response = gamer_client.post(READ, body, format="json")
    assert response.status_code == 400, response.json()
    assert Notification.objects.get(user=gamer).read_at is None


@pytest.mark.django_db
def test_mark_read_api_accepts_500_ids(gamer_client, gamer):
    note = remind(gamer)
    assert note is not None
    ids = [note.pk, *range(10**6, 10**6 + 499)]
    assert gamer_client.post(READ, {"ids": ids}, format="json").json() == {"updated": 1}


@pytest.mark.django_db
def test_anonymous_gets_401_on_both_endpoints(api):
    assert api.get(LIST).status_code == 401
    response = api.post(READ, {"all": True}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_every_role_reads_only_its_own_list(gamer, moderator, admin):
    for user in (gamer, moderator, admin):
        remind(user, title=f"For {user.username}")
    for user in (gamer, moderator, admin):
        rows = client_for(user).get(LIST).json()["results"]
        assert [r["title"] for r in rows] == [f"For {user.username}"]

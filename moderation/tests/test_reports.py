"""User reports of sessions, reviews and gamers (SPEC §3 "More for sessions", §7): one queue
with a count per target, ban / unban / dismiss through the owning apps' services, audited, with
one outcome notification per reporter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from common.errors import Conflict, PermissionDenied
from common.roles import Role
from conftest import client_for, make_gamer
from gamers.models import Gamer, Notification, NotificationKind
from moderation import services
from moderation.models import Report, ReportVote
from sessions_app.models import GameSession, Review
from sessions_app.tests.factories import GameSessionFactory, ReviewFactory

pytestmark = pytest.mark.django_db
REPORTS = "/api/v1/reports"
QUEUE = "/api/v1/moderation/reports"


def report(user: Any, target_type: str, target_id: int, reason: str = "") -> Report:
    return services.report_create(user=user, target_type=target_type, target_id=target_id, reason=reason).report


def audit_rows() -> list[tuple[str, str, str]]:
    return sorted(AuditLog.objects.values_list("action", "target_type", "target_id"))


def outcomes(user: Any) -> list[str]:
    return list(
        Notification.objects.filter(user=user, kind=NotificationKind.REPORT_OUTCOME).values_list("body", flat=True)
    )


@pytest.fixture
def session(other_gamer: Any) -> GameSession:
    return GameSessionFactory.create(organizer=other_gamer, title="Toxic lobby", game="CS2")


# --- reporting ----------------------------------------------------------------------------------


def test_reporting_a_session_answers_201_and_opens_a_report(gamer, session):
    response = client_for(gamer).post(REPORTS, {"target_type": "session", "target_id": session.pk, "reason": "spam"})
    assert response.status_code == 201, response.data
    row = Report.objects.get()
    assert response.data == {"id": row.pk, "target_type": "session", "target_id": session.pk, "counted": True}
    assert (row.status, row.report_count, row.target_label) == ("open", 1, "Toxic lobby (CS2)")
    assert list(row.votes.values_list("reporter_id", "reason")) == [(gamer.pk, "spam")]


def test_a_duplicate_report_by_the_same_gamer_is_counted_once_and_answers_200(gamer, session):
    client = client_for(gamer)
    first = client.post(REPORTS, {"target_type": "session", "target_id": session.pk})
    again = client.post(REPORTS, {"target_type": "session", "target_id": session.pk, "reason": "still bad"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.data["counted"] is False and again.data["id"] == first.data["id"]
    row = Report.objects.get()
    assert row.report_count == 1 and row.votes.count() == 1


def test_reports_of_one_target_by_several_gamers_share_one_row_with_a_count(gamer, session, admin):
    third = make_gamer("third one")
    for user in (gamer, third, admin):
        report(user, "session", session.pk)
    row = Report.objects.get()
    assert row.report_count == 3 == row.votes.count()


@pytest.mark.parametrize("target_type", ["session", "review", "gamer"])
def test_a_missing_target_is_404(gamer, target_type):
    response = client_for(gamer).post(REPORTS, {"target_type": target_type, "target_id": 999_999})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Report.objects.exists()


@pytest.mark.parametrize("target_type", ["event", "trivia_entry", "", "SESSION"])
def test_another_target_type_is_400(gamer, session, target_type):
    response = client_for(gamer).post(REPORTS, {"target_type": target_type, "target_id": session.pk})
    assert response.status_code == 400 and "target_type" in response.json()


def test_service_refuses_another_target_type_too(gamer, session):
    with pytest.raises(Exception) as raised:
        report(gamer, "event", session.pk)
    assert getattr(raised.value, "code", "") == "invalid_target_type"


def test_reporting_yourself_your_session_or_your_review_is_400(gamer, other_gamer, session):
    review = ReviewFactory(session=session, author=gamer)
    client = client_for(gamer)
    for target_type, target_id in [
        ("gamer", gamer.pk),
        ("session", GameSessionFactory(organizer=gamer).pk),
        ("review", review.pk),
    ]:
        response = client.post(REPORTS, {"target_type": target_type, "target_id": target_id})
        assert response.status_code == 400 and response.json()["code"] == "cannot_report_self", target_type
    assert not Report.objects.exists()


def test_reporting_needs_a_token(api, session):
    assert api.post(REPORTS, {"target_type": "session", "target_id": session.pk}).status_code == 401


def test_a_reason_longer_than_500_is_400(gamer, session):
    response = client_for(gamer).post(REPORTS, {"target_type": "session", "target_id": session.pk, "reason": "x" * 501})
    assert response.status_code == 400 and "reason" in response.json()


# --- the moderators' queue ------------------------------------------------------------------------


def test_queue_is_newest_first_filtered_and_shows_recent_reporters(gamer, other_gamer, moderator, session):
    now = timezone.now()
    review = ReviewFactory(session=session, author=other_gamer)
    services.report_create(
        user=gamer, target_type="session", target_id=session.pk, reason="a", now=now - timedelta(hours=2)
    )
    services.report_create(
        user=gamer, target_type="review", target_id=review.pk, reason="b", now=now - timedelta(hours=1)
    )
    services.report_create(user=other_gamer, target_type="gamer", target_id=gamer.pk, reason="c", now=now)
    client = client_for(moderator)

    everything = client.get(QUEUE)
    assert everything.status_code == 200
    assert [r["target_type"] for r in everything.data["results"]] == ["gamer", "review", "session"]
    first = everything.data["results"][0]
    assert first["recent_reporters"] == [
        {
            "reporter": {"id": other_gamer.pk, "username": other_gamer.username},
            "reason": "c",
            "reported_at": first["last_reported"],
        }
    ]
    assert first["status"] == "open" and first["report_count"] == 1 and first["closed_by"] is None

    reviews = client.get(QUEUE, {"target_type": "review"})
    assert [r["target_id"] for r in reviews.data["results"]] == [review.pk]
    services.report_dismiss(actor=moderator, report_id=first["id"])
    open_ = client.get(QUEUE, {"status": "open"})
    assert {r["target_type"] for r in open_.data["results"]} == {"review", "session"}
    dismissed = client.get(QUEUE, {"status": "dismissed"}).data["results"]
    assert [r["closed_by"]["id"] for r in dismissed] == [moderator.pk]
    assert client.get(QUEUE, {"status": "nonsense"}).status_code == 400


def test_queue_is_for_moderators_and_admins(gamer, moderator, admin, api):
    assert api.get(QUEUE).status_code == 401
    assert client_for(gamer).get(QUEUE).status_code == 403
    assert client_for(moderator).get(QUEUE).status_code == 200
    assert client_for(admin).get(QUEUE).status_code == 200


def test_queue_costs_the_same_queries_for_3_or_60_reports_with_many_reporters(moderator, other_gamer):
    reporters = [make_gamer(f"reporter {i}") for i in range(8)]
    sessions = GameSessionFactory.create_batch(60, organizer=other_gamer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client_for(moderator).get(QUEUE, {"page_size": 100})
            assert response.status_code == 200
        return len(captured)

    for s in sessions[:3]:
        report(reporters[0], "session", s.pk)
    queries()  # the first request of the minute also stamps the moderator's last_seen
    few = queries()
    for s in sessions:
        for user in reporters:
            report(user, "session", s.pk)
    many = queries()
    assert many == few <= 5  # session + user, count, reports, reporters (and the JWT check)
    listed = client_for(moderator).get(QUEUE, {"page_size": 100}).data
    assert listed["count"] == 60
    assert all(r["report_count"] == 8 and len(r["recent_reporters"]) == 5 for r in listed["results"])


# --- ban ----------------------------------------------------------------------------------------


def test_banning_a_session_deletes_it_audits_it_and_notifies_each_reporter_once(gamer, moderator, session):
    third = make_gamer("third one")
    row = report(gamer, "session", session.pk)
    report(third, "session", session.pk)

    response = client_for(moderator).post(f"{QUEUE}/{row.pk}/ban", {"reason": "spam links"})

    assert response.status_code == 200, response.data
    assert not GameSession.objects.filter(pk=session.pk).exists()
    assert audit_rows() == [("delete_session", "session", str(session.pk))]
    assert AuditLog.objects.get().reason == f"report #{row.pk}: spam links"
    row.refresh_from_db()
    assert (row.status, row.closed_by_id, row.outcome) == ("banned", moderator.pk, "spam links")
    assert outcomes(gamer) == outcomes(third) == ["The session you reported was removed."]
    again = client_for(moderator).post(f"{QUEUE}/{row.pk}/ban")
    assert again.status_code == 409 and again.json()["code"] == "report_closed"
    assert Notification.objects.filter(kind=NotificationKind.REPORT_OUTCOME).count() == 2


def test_a_moderator_banning_their_own_session_is_still_audited(gamer, moderator):
    own = GameSessionFactory(organizer=moderator)
    row = report(gamer, "session", own.pk)
    services.report_ban(actor=moderator, report_id=row.pk)
    assert audit_rows() == [("delete_session", "session", str(own.pk))]


def test_banning_a_review_deletes_it_and_its_counters_follow(gamer, other_gamer, moderator, session):
    review = ReviewFactory(session=session, author=other_gamer, rating=1)
    row = report(gamer, "review", review.pk, "insults")
    services.report_ban(actor=moderator, report_id=row.pk)
    assert not Review.objects.filter(pk=review.pk).exists()
    session.refresh_from_db()
    assert session.review_count == 0 and session.rating_sum == 0
    assert audit_rows() == [("delete_review", "review", str(review.pk))]
    assert outcomes(gamer) == ["The review you reported was removed."]


def test_banning_a_gamer_deactivates_them(gamer, other_gamer, moderator):
    row = report(gamer, "gamer", other_gamer.pk)
    services.report_ban(actor=moderator, report_id=row.pk, reason="cheating")
    other_gamer.refresh_from_db()
    assert other_gamer.is_active is False
    assert audit_rows() == [("deactivate_gamer", "gamer", str(other_gamer.pk))]
    assert outcomes(gamer) == ["The account you reported was suspended."]


@pytest.mark.parametrize(
    ("actor_role", "target_role", "allowed"),
    [
        (Role.MODERATOR, Role.MODERATOR, False),
        (Role.MODERATOR, Role.ADMIN, False),
        (Role.ADMIN, Role.ADMIN, False),
        (Role.ADMIN, Role.MODERATOR, True),
    ],
)
def test_staff_accounts_are_banned_only_by_a_higher_role(gamer, actor_role, target_role, allowed):
    actor = make_gamer("the actor", role=actor_role)
    target = make_gamer("the target", role=target_role)
    row = report(gamer, "gamer", target.pk)
    response = client_for(actor).post(f"{QUEUE}/{row.pk}/ban")
    target.refresh_from_db()
    row.refresh_from_db()
    if allowed:
        assert response.status_code == 200 and target.is_active is False and row.status == "banned"
    else:
        assert response.status_code == 403 and response.json()["code"] == "cannot_target_staff"
        assert target.is_active is True and row.status == "open" and not AuditLog.objects.exists()
        assert outcomes(gamer) == []


def test_a_moderator_reported_by_someone_cant_ban_themselves(gamer, moderator):
    row = report(gamer, "gamer", moderator.pk)
    with pytest.raises(PermissionDenied):
        services.report_ban(actor=moderator, report_id=row.pk)
    assert Gamer.objects.get(pk=moderator.pk).is_active


def test_banning_a_target_deleted_meanwhile_is_409_target_gone_and_dismiss_still_works(gamer, moderator, session):
    row = report(gamer, "session", session.pk)
    session.delete()
    response = client_for(moderator).post(f"{QUEUE}/{row.pk}/ban")
    assert response.status_code == 409 and response.json()["code"] == "target_gone"
    row.refresh_from_db()
    assert row.status == "open"
    assert client_for(moderator).post(f"{QUEUE}/{row.pk}/dismiss").status_code == 200


def test_gamers_cant_ban_or_dismiss(gamer, other_gamer, session):
    row = report(gamer, "session", session.pk)
    for action in ("ban", "unban", "dismiss"):
        assert client_for(other_gamer).post(f"{QUEUE}/{row.pk}/{action}").status_code == 403
    with pytest.raises(PermissionDenied):
        services.report_ban(actor=other_gamer, report_id=row.pk)
    assert GameSession.objects.filter(pk=session.pk).exists()


def test_an_unknown_report_is_404(moderator):
    for action in ("ban", "unban", "dismiss"):
        response = client_for(moderator).post(f"{QUEUE}/424242/{action}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- unban and dismiss ----------------------------------------------------------------------------


def test_unban_reactivates_a_banned_gamer_once(gamer, other_gamer, admin):
    row = report(gamer, "gamer", other_gamer.pk)
    services.report_ban(actor=admin, report_id=row.pk)
    response = client_for(admin).post(f"{QUEUE}/{row.pk}/unban", {"reason": "appeal accepted"})
    assert response.status_code == 200
    other_gamer.refresh_from_db()
    assert other_gamer.is_active is True
    assert [a for a, _, _ in audit_rows()] == ["deactivate_gamer", "reactivate_gamer"]
    row.refresh_from_db()
    assert row.status == "unbanned"
    assert client_for(admin).post(f"{QUEUE}/{row.pk}/unban").json()["code"] == "report_closed"


def test_a_deleted_session_cant_be_unbanned(gamer, moderator, session):
    row = report(gamer, "session", session.pk)
    services.report_ban(actor=moderator, report_id=row.pk)
    with pytest.raises(Conflict) as raised:
        services.report_unban(actor=moderator, report_id=row.pk)
    assert raised.value.code == "cannot_unban"


def test_dismiss_keeps_the_target_audits_and_tells_the_reporters(gamer, moderator, session):
    row = report(gamer, "session", session.pk)
    response = client_for(moderator).post(f"{QUEUE}/{row.pk}/dismiss", {"reason": "not spam"})
    assert response.status_code == 200
    assert GameSession.objects.filter(pk=session.pk).exists()
    assert audit_rows() == [("dismiss", "session", str(session.pk))]
    row.refresh_from_db()
    assert row.status == "dismissed"
    assert outcomes(gamer) == ["A moderator looked at the session you reported and took no action."]
    again = client_for(moderator).post(f"{QUEUE}/{row.pk}/dismiss")
    assert again.status_code == 409 and again.json()["code"] == "report_closed"


def test_after_a_dismissal_a_new_report_opens_a_new_row(gamer, moderator, session):
    first = report(gamer, "session", session.pk)
    services.report_dismiss(actor=moderator, report_id=first.pk)
    second = report(gamer, "session", session.pk)
    assert second.pk != first.pk and second.status == "open" and second.report_count == 1
    assert Report.objects.filter(status="open").count() == 1


# --- the back office ------------------------------------------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend="gamers.backends.LoginBackend")
    return client


def test_moderators_list_filter_and_search_reports_in_the_back_office(gamer, moderator, session):
    report(gamer, "session", session.pk, "spam links everywhere")
    client = signed_in(moderator)
    assert "/admin/moderation/report/" in client.get("/admin/").content.decode()
    listing = client.get("/admin/moderation/report/", {"status__exact": "open", "target_type__exact": "session"})
    assert listing.status_code == 200 and "Toxic lobby" in listing.content.decode()
    found = client.get("/admin/moderation/report/", {"q": "spam links"})
    assert "Toxic lobby" in found.content.decode()
    missed = client.get("/admin/moderation/report/", {"q": "nothing like it"})
    assert "Toxic lobby" not in missed.content.decode()
    assert signed_in(gamer).get("/admin/moderation/report/").status_code == 302


def test_back_office_bulk_ban_and_dismiss_go_through_the_services(gamer, other_gamer, moderator, session):
    review = ReviewFactory(session=GameSessionFactory(organizer=moderator), author=other_gamer)
    by_session = report(gamer, "session", session.pk)
    by_review = report(gamer, "review", review.pk)
    staff = report(gamer, "gamer", make_gamer("another mod", role=Role.MODERATOR).pk)
    client = signed_in(moderator)

    banned = client.post(
        "/admin/moderation/report/",
        {"action": "ban", "_selected_action": [by_session.pk, staff.pk]},
        follow=True,
    )
    assert banned.status_code == 200
    assert "1 report(s) handled." in banned.content.decode()
    assert not GameSession.objects.filter(pk=session.pk).exists()
    assert Report.objects.get(pk=staff.pk).status == "open"  # refused: a moderator's account
    client.post("/admin/moderation/report/", {"action": "dismiss", "_selected_action": [by_review.pk]})
    assert Report.objects.get(pk=by_review.pk).status == "dismissed"
    assert Review.objects.filter(pk=review.pk).exists()
    assert audit_rows() == sorted(
        [("delete_session", "session", str(session.pk)), ("dismiss", "review", str(review.pk))]
    )
    assert ReportVote.objects.count() == 3


def test_a_moderator_reads_a_report_with_its_reporters_and_deleting_it_dismisses_it(gamer, moderator, session):
    row = report(gamer, "session", session.pk, "spam links everywhere")
    client = signed_in(moderator)
    page = client.get(f"/admin/moderation/report/{row.pk}/change/")
    assert page.status_code == 200
    assert "spam links everywhere" in page.content.decode() and gamer.username in page.content.decode()
    assert client.post(f"/admin/moderation/report/{row.pk}/delete/", {"post": "yes"}).status_code == 302
    row.refresh_from_db()
    assert row.status == "dismissed" and GameSession.objects.filter(pk=session.pk).exists()
    assert audit_rows() == [("dismiss", "session", str(session.pk))]
    assert client.get(f"/admin/moderation/report/{row.pk}/delete/").status_code == 403  # closed: nothing to dismiss

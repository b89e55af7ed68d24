"""Race tests for user reports: real threads against PostgreSQL."""

from __future__ import annotations

import pytest

from gamers.models import Notification, NotificationKind
from moderation import services
from moderation.models import Report, ReportVote
from sessions_app.tests.factories import GameSessionFactory, gamer_factory
from testsupport.testing import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_gamers_reporting_one_session_at_once_make_one_report_counting_twenty():
    session = GameSessionFactory()
    gamers = [gamer_factory("reporter") for _ in range(20)]

    results = run_in_threads(
        20, lambda i: services.report_create(user=gamers[i], target_type="session", target_id=session.pk)
    )

    assert all(isinstance(r, services.ReportResult) and r.counted for r in results), results
    report = Report.objects.get()
    assert report.report_count == 20 == ReportVote.objects.filter(report=report).count()


def test_one_gamer_reporting_from_ten_threads_is_counted_once():
    session = GameSessionFactory()
    gamer = gamer_factory("eager")

    results = run_in_threads(
        10, lambda i: services.report_create(user=gamer, target_type="session", target_id=session.pk)
    )

    assert sum(r.counted for r in results) == 1, results
    assert Report.objects.get().report_count == 1 == ReportVote.objects.count()


def test_reports_racing_a_dismissal_never_land_on_the_closed_report_and_counts_stay_exact():
    session = GameSessionFactory()
    moderator = gamer_factory("mod", role="moderator")
    first = gamer_factory("first")
    opened = services.report_create(user=first, target_type="session", target_id=session.pk).report
    gamers = [gamer_factory("late") for _ in range(15)]

    def act(i: int):
        if i == 0:
            return services.report_dismiss(actor=moderator, report_id=opened.pk)
        return services.report_create(user=gamers[i - 1], target_type="session", target_id=session.pk)

    results = run_in_threads(16, act)

    assert not [r for r in results if isinstance(r, Exception)], results
    closed = Report.objects.get(pk=opened.pk)
    assert closed.status == "dismissed"
    # Whoever reported before the dismissal was told its outcome, exactly once; nobody after it.
    told = set(Notification.objects.filter(kind=NotificationKind.REPORT_OUTCOME).values_list("user_id", flat=True))
    assert told == set(ReportVote.objects.filter(report=closed).values_list("reporter_id", flat=True))
    assert Notification.objects.filter(kind=NotificationKind.REPORT_OUTCOME).count() == len(told)
    for report in Report.objects.all():
        assert report.report_count == report.votes.count()
    assert Report.objects.filter(status="open").count() <= 1
    assert ReportVote.objects.count() == 16

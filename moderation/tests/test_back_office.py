"""The Django admin as the back office: staff access follows the role."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from conftest import make_gamer
from events.services import event_create, ticket_purchase
from sessions_app.services import session_create

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="gamers.backends.LoginBackend")
    return client


def test_gamer_cannot_enter_the_back_office(gamer):
    response = signed_in(gamer).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_moderator_sees_only_what_the_role_allows(moderator):
    client = signed_in(moderator)
    index = client.get("/admin/")
    assert index.status_code == 200
    html = index.content.decode()
    assert "/admin/sessions_app/gamesession/" in html
    assert "/admin/gamers/gamer/" not in html
    assert client.get("/admin/sessions_app/gamesession/").status_code == 200
    assert client.get("/admin/sessions_app/review/").status_code == 200
    assert client.get("/admin/gamers/gamer/").status_code == 403
    assert client.get("/admin/events/event/").status_code == 403
    assert client.get("/admin/gamers/cointransaction/").status_code == 403


def test_admin_sees_everything(admin):
    client = signed_in(admin)
    for url in [
        "/admin/gamers/gamer/",
        "/admin/events/event/",
        "/admin/audit/auditlog/",
        "/admin/gamers/cointransaction/",
    ]:
        assert client.get(url).status_code == 200, url


def test_dashboard_counts_sessions_this_week_and_tickets_sold(moderator, gamer):
    session_create(
        organizer=gamer,
        title="Soon",
        game="Chess",
        platform="pc",
        starts_at=timezone.now() + timedelta(minutes=30),
        max_attendees=4,
    )
    event = event_create(
        organizer=gamer,
        title="Night",
        starts_at=timezone.now() + timedelta(days=2),
        location="Hall",
        city="Sousse",
        tickets_total=20,
        ticket_price=Decimal("3.00"),
    )
    ticket_purchase(event_id=event.pk, user=gamer, quantity=3)
    ticket_purchase(event_id=event.pk, user=moderator, quantity=2)
    html = signed_in(moderator).get("/admin/").content.decode()
    assert '<td class="dashboard-tickets_sold"><strong>5</strong>' in html
    assert '<td class="dashboard-sessions_this_week"' in html


def test_audit_log_is_read_only_in_the_admin(admin, moderator):
    client = signed_in(admin)
    assert client.get("/admin/audit/auditlog/add/").status_code == 403
    assert signed_in(moderator).get("/admin/audit/auditlog/").status_code == 200


def test_admin_changes_a_role_from_the_admin_and_it_is_audited(admin):
    from audit.models import AuditLog

    target = make_gamer("promote me")
    response = signed_in(admin).post(
        "/admin/gamers/gamer/", {"action": "make_moderator", "_selected_action": [target.pk]}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == "moderator"
    assert AuditLog.objects.filter(action="role_change", target_id=str(target.pk)).exists()

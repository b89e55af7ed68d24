import pytest
from django.db import connection, transaction

from audit.models import AuditLog
from audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction(moderator):
    with pytest.raises(RuntimeError, match="audit_record must run inside"):
        audit_record(actor=moderator, action="ban", target_type="entry", target_id=1)
    assert AuditLog.objects.count() == 0


def test_audit_row_is_rolled_back_with_its_action(moderator):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(actor=moderator, action="ban", target_type="entry", target_id=1)
        1 / 0
    assert AuditLog.objects.count() == 0


def test_audit_record_stores_the_actor_its_name_and_a_clipped_reason(moderator):
    with transaction.atomic():
        row = audit_record(actor=moderator, action="ban", target_type="entry", target_id=42, reason="x" * 600)
    row.refresh_from_db()
    assert (row.actor_id, row.actor_name, row.target_id, len(row.reason)) == (
        moderator.pk,
        moderator.username,
        "42",
        500,
    )


def test_audit_record_without_an_actor_is_the_system():
    with transaction.atomic():
        row = audit_record(actor=None, action="disconnect_everyone", target_type="trivia", target_id="all")
    assert (row.actor_id, row.actor_name) == (None, "system")


def test_the_model_keeps_the_table_moderation_created():
    # Moving the model between apps moved no rows: same table (migrations audit 0001, moderation 0002).
    assert AuditLog._meta.db_table == "moderation_auditlog"
    assert "moderation_auditlog" in connection.introspection.table_names()

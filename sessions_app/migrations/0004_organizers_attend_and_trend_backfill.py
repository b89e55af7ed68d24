"""Data for 0003: organizers attend their sessions, the trend window and `trend_score`.

Its own migration (its own transaction on PostgreSQL) so its UPDATEs don't run in the
transaction that built 0003's indexes (see 0002 on `indcheckxmin`).

* Every session whose organizer doesn't attend gets their attendance (joined at the session's
  creation, not counted as a trending join). A session already full gets one more seat for
  them (`max_attendees + 1`); one full at the maximum of 1000 seats can't, and is left as it is.
* Likes and attendances older than the trend window stop counting (`trend_counted = false`);
  0003 added the flag as true on every row.
* `attendee_count` and `trend_score` are recounted from the rows, one UPDATE of correlated
  subqueries (the other counters didn't change).
"""

from datetime import timedelta

from django.db import migrations
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

TREND_WINDOW_DAYS = 7  # rules.TREND_WINDOW_DAYS when this was written
MAX_ATTENDEES_MAX = 1000


def _per_session(model, **where):
    rows = model.objects.filter(session_id=OuterRef("pk"), **where).order_by().values("session_id")
    return Coalesce(Subquery(rows.annotate(v=Count("*")).values("v"), output_field=IntegerField()), 0)


def forward(apps, schema_editor):
    db = schema_editor.connection.alias
    GameSession = apps.get_model("sessions_app", "GameSession")
    Attendance = apps.get_model("sessions_app", "Attendance")
    Like = apps.get_model("sessions_app", "Like")
    cutoff = timezone.now() - timedelta(days=TREND_WINDOW_DAYS)
    Like.objects.using(db).filter(created_at__lt=cutoff).update(trend_counted=False)
    Attendance.objects.using(db).filter(joined_at__lt=cutoff).update(trend_counted=False)

    organizer_attends = Attendance.objects.filter(session_id=OuterRef("pk"), gamer_id=OuterRef("organizer_id"))
    without = GameSession.objects.using(db).filter(~Exists(organizer_attends))
    without.filter(attendee_count__gte=F("max_attendees"), max_attendees__lt=MAX_ATTENDEES_MAX).update(
        max_attendees=F("max_attendees") + 1
    )
    rows = list(without.filter(attendee_count__lt=F("max_attendees")).values_list("pk", "organizer_id", "created_at"))
    Attendance.objects.using(db).bulk_create(
        [Attendance(session_id=pk, gamer_id=organizer, joined_at=created, trend_counted=False) for pk, organizer, created in rows],
        batch_size=2000,
    )

    GameSession.objects.using(db).update(
        attendee_count=_per_session(Attendance),
        trend_score=_per_session(Like, trend_counted=True) + _per_session(Attendance, trend_counted=True),
    )


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0003_organizer_waiting_trend_reminders")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]

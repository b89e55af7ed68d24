"""Event.bookmark_count (a counter kept by events.services, backfilled here from the bookmarks
that exist) and one index per list ordering and filter, replacing the single-column ones."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def backfill_bookmark_counts(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Bookmark = apps.get_model("events", "Bookmark")
    counts = (
        Bookmark.objects.using(schema_editor.connection.alias)
        .filter(event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(n=Count("*"))
        .values("n")
    )
    # One UPDATE over the table, with the correlated count per row: a one-off, so it may scan.
    Event.objects.using(schema_editor.connection.alias).update(
        bookmark_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='event',
            name='event_price_idx',
        ),
        migrations.AddField(
            model_name='event',
            name='bookmark_count',
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(backfill_bookmark_counts, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='event',
            name='category',
            field=models.CharField(choices=[('music', 'Music'), ('theatre', 'Theatre'), ('festival', 'Festival'), ('art', 'Art'), ('cinema', 'Cinema'), ('sport', 'Sport'), ('esports', 'Esports'), ('heritage', 'Heritage'), ('other', 'Other')], default='other', max_length=20),
        ),
        migrations.AlterField(
            model_name='event',
            name='city_key',
            field=models.CharField(default='', editable=False, max_length=100),
        ),
        migrations.AlterField(
            model_name='event',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name='event',
            name='starts_at',
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['starts_at', 'id'], name='event_starts_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['ticket_price', 'starts_at', 'id'], name='event_price_starts_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['-ticket_price', 'starts_at', 'id'], name='event_price_desc_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['created_at', 'id'], name='event_created_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['-bookmark_count', 'starts_at', 'id'], name='event_popular_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['bookmark_count', 'starts_at', 'id'], name='event_unpopular_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['category', 'starts_at', 'id'], name='event_category_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['city_key', 'starts_at', 'id'], name='event_city_idx'),
        ),
    ]

# The AuditLog model moves here from `moderation`, keeping its table (moderation_auditlog) and its
# rows: state-only operations, no SQL. It depends on moderation's first migration so the table
# exists before this app claims it (from zero, moderation 0001 creates it); moderation 0002 then
# drops the model from moderation's state, again without touching the database.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def content_type_follow(apps, schema_editor):
    """Point the existing content type (and with it the model's permissions) at the new app label."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="audit", model="auditlog").exists():
        ContentType.objects.using(db).filter(app_label="moderation", model="auditlog").update(app_label="audit")


def content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="moderation", model="auditlog").exists():
        ContentType.objects.using(db).filter(app_label="audit", model="auditlog").update(app_label="moderation")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("moderation", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('actor_name', models.CharField(blank=True, default='', max_length=50)),
                        ('action', models.CharField(choices=[('ban', 'Ban entry'), ('unban', 'Unban entry'), ('dismiss', 'Dismiss report'), ('delete_review', 'Delete review'), ('delete_session', 'Delete session'), ('delete_event', 'Delete event'), ('delete_gamer', 'Delete gamer'), ('role_change', 'Change role'), ('disconnect_everyone', 'Disconnect everyone')], db_index=True, max_length=32)),
                        ('target_type', models.CharField(max_length=40)),
                        ('target_id', models.CharField(max_length=40)),
                        ('reason', models.CharField(blank=True, default='', max_length=500)),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_actions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'moderation_auditlog',
                        'ordering': ['-at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follow, content_type_back),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="GuildSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("guild_id", models.BigIntegerField(unique=True)),
                ("trivia_channel_id", models.BigIntegerField(blank=True, null=True)),
                ("announce_channel_id", models.BigIntegerField(blank=True, null=True)),
                (
                    "language",
                    models.CharField(
                        choices=[("en", "English"), ("fr", "Français"), ("ar", "العربية")], default="en", max_length=2
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={"verbose_name": "server settings", "verbose_name_plural": "server settings", "ordering": ["guild_id"]},
        ),
    ]

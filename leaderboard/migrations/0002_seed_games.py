from django.db import migrations

# Frozen copy of leaderboard.catalog.DEFAULT_GAMES at the time of this migration.
GAMES = [
    ("cod", "Call of Duty", 100_000),
    ("fortnite", "Fortnite", 50_000),
    ("valorant", "Valorant", 10_000),
    ("lol", "League of Legends", 20_000),
    ("csgo", "CS:GO", 10_000),
    ("fifa", "FIFA", 10_000),
    ("rocket", "Rocket League", 5_000),
    ("apex", "Apex Legends", 20_000),
    ("minecraft", "Minecraft", 100_000),
    ("chess", "Chess", 3_500),
]


def add_games(apps, schema_editor):
    Game = apps.get_model("leaderboard", "Game")
    for slug, label, max_score in GAMES:
        Game.objects.update_or_create(slug=slug, defaults={"label": label, "max_score": max_score})


def remove_games(apps, schema_editor):
    Game = apps.get_model("leaderboard", "Game")
    Game.objects.filter(slug__in=[slug for slug, _, _ in GAMES], scores__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("leaderboard", "0001_initial")]

    operations = [migrations.RunPython(add_games, remove_games)]

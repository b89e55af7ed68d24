# Placeholder for bota's migration (GuildSettings); the integrator replaces this file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []
    operations: list[migrations.operations.base.Operation] = []

"""Start-up guard shared by manage.py, asgi.py and the Celery app."""

import sys


def load_settings_or_exit() -> None:
    """Import the settings, and on a configuration error print one line and exit 1.

    A missing SECRET_KEY with DEBUG off must stop the process with a clear reason, not a
    traceback that buries it.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces the settings module to load
    except ImproperlyConfigured as exc:
        print(f"GameConnect cannot start: {exc}", file=sys.stderr)
        raise SystemExit(1) from None

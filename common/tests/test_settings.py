"""Settings read from the environment (SPEC §0), checked in a fresh interpreter each: settings
are read once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
print(json.dumps({"name": str(settings.DATABASES["default"]["NAME"]), "journal": journal, "busy_ms": busy,
                  "mode": settings.DATABASES["default"]["OPTIONS"].get("transaction_mode")}))
"""


def _probe(tmp_path: Path, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH", "PYTEST_XDIST_WORKER"}}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("how", ["SQLITE_PATH", "DATABASE_URL"])
def test_every_sqlite_database_gets_the_same_tuning(tmp_path, how):
    """Busy timeout, WAL and the write lock taken at the start of a transaction, whether the file
    is named by SQLITE_PATH or by a sqlite:/// DATABASE_URL (40 concurrent joins got 503s
    without them)."""
    path = tmp_path / "named.sqlite3"
    env = {"SQLITE_PATH": str(path)} if how == "SQLITE_PATH" else {"DATABASE_URL": f"sqlite:///{path}"}
    found = _probe(tmp_path, **env)
    assert found == {"name": str(path), "journal": "wal", "busy_ms": 20000, "mode": "IMMEDIATE"}
    assert path.exists()


_REDIRECT_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
answer = Client().get("/api/v1/leaderboard/games", HTTP_HOST="gc.example")
print(json.dumps({"setting": settings.SECURE_SSL_REDIRECT, "status": answer.status_code,
                  "location": answer.headers.get("Location")}))
"""


@pytest.mark.parametrize(("value", "redirects"), [(None, True), ("true", True), ("false", False)])
def test_secure_ssl_redirect_is_on_with_debug_off_unless_switched_off(value, redirects):
    """SPEC §0: with DEBUG off every plain-HTTP request is redirected to HTTPS, unless
    SECURE_SSL_REDIRECT=false (a balancer in front terminates TLS, or nothing speaks HTTPS)."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECURE_SSL_REDIRECT", "DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="false", SECRET_KEY="s" * 60, ALLOWED_HOSTS="gc.example")
    if value is not None:
        env["SECURE_SSL_REDIRECT"] = value
    done = subprocess.run(
        [sys.executable, "-c", _REDIRECT_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["setting"] is redirects
    if redirects:
        assert found["status"] == 301
        assert found["location"] == "https://gc.example/api/v1/leaderboard/games"
    else:
        assert found["status"] != 301


_MAIL_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core import mail
sent = mail.send_mail("Hello", "Follow https://gc.example/verify/abc", None, ["player@example.com"])
print(json.dumps({"backend": settings.EMAIL_BACKEND, "host": getattr(settings, "EMAIL_HOST", None),
                  "port": settings.EMAIL_PORT, "user": settings.EMAIL_HOST_USER,
                  "password": settings.EMAIL_HOST_PASSWORD, "tls": settings.EMAIL_USE_TLS,
                  "path": str(getattr(settings, "EMAIL_FILE_PATH", "")), "sent": sent}))
"""


def _mail_probe(extra: dict[str, str], send: bool = True) -> tuple[dict[str, object], str]:
    env = {k: v for k, v in os.environ.items() if k not in {"EMAIL_URL", "DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **extra)
    probe = (
        _MAIL_PROBE
        if send
        else _MAIL_PROBE.replace(
            'mail.send_mail("Hello", "Follow https://gc.example/verify/abc", None, ["player@example.com"])', "0"
        )
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout


def test_without_email_url_mails_go_to_the_console_and_to_a_file(tmp_path):
    """SPEC §0: unset, `make run` shows mails in its terminal and keeps them in var/mail/."""
    found, printed = _mail_probe({})
    assert found["backend"] == "common.mail.ConsoleAndFileBackend"
    assert found["path"] == str(ROOT / "var" / "mail")
    assert found["sent"] == 1
    assert "Subject: Hello" in printed and "https://gc.example/verify/abc" in printed
    saved = sorted((ROOT / "var" / "mail").glob("*.log"), key=lambda p: p.stat().st_mtime)
    assert "https://gc.example/verify/abc" in saved[-1].read_text()


def test_an_smtp_email_url_configures_django_smtp_backend():
    found, _ = _mail_probe({"EMAIL_URL": "smtp://mailer:p%40ss@mail.gc.example:587?tls=1"}, send=False)
    assert found == {
        "backend": "django.core.mail.backends.smtp.EmailBackend",
        "host": "mail.gc.example",
        "port": 587,
        "user": "mailer",
        "password": "p@ss",
        "tls": True,
        "path": "",
        "sent": 0,
    }

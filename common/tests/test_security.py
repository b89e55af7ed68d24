"""Security review (docs/hardening.md): secrets, production hosts/CORS, JWT pinning.

The other points of the review live next to what they test; docs/hardening.md lists them all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from django.test import override_settings

from conftest import make_gamer

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

# What a leaked credential looks like. Each pattern is matched against every tracked file.
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Discord bot token": re.compile(r"\b[MNO][A-Za-z\d_-]{23,27}\.[\w-]{6}\.[\w-]{27,40}\b"),
    "JSON Web Token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "hard-coded secret": re.compile(
        r"""(?ix)\b(?:secret_key|client_secret|bot_token|api_key|password)\b\s*[:=]\s*["'][^"'\s$]{16,}["']"""
    ),
}
# Files that are never to be committed: the development key, local env, databases, uploads.
NEVER_TRACKED = (".secret_key", ".env", "db.sqlite3", "media/")


def tracked_files() -> list[Path]:
    """Files in git, and new ones that are not ignored (what the next commit could add)."""
    result = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, "the security scan needs a git checkout: " + result.stderr.decode()
    return [ROOT / name for name in result.stdout.decode().split("\0") if name]


def test_no_secret_is_committed_to_the_repository():
    found = []
    files = tracked_files()
    assert len(files) > 100  # the scan really ran over the project
    for path in files:
        if not path.is_file() or path.suffix in {".png", ".jpg", ".ico", ".woff2"}:
            continue
        text = path.read_text(errors="replace")
        for what, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)[:40]}")
    assert not found, "secrets in the repository:\n" + "\n".join(found)


def test_the_secret_scan_catches_what_it_looks_for():
    # Assembled at run time, so this file does not trip the scan above.
    samples = {
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "JSON Web Token": jwt.encode({"user_id": 1, "token_type": "access"}, "k" * 40, "HS256"),
        "hard-coded secret": "SECRET_KEY = " + '"django-insecure-0123456789abcdef"',
        "Discord bot token": "MTA5ODc2NTQzMjEwOTg3NjU0Mw" + ".GabcDE." + "abcdefghijklmnopqrstuvwxyz0123456789",
    }
    for what, sample in samples.items():
        assert SECRET_PATTERNS[what].search(sample), what
    # Reading a secret from the environment is how it should be done; that is not a finding.
    assert not SECRET_PATTERNS["hard-coded secret"].search('SECRET_KEY = env_str("SECRET_KEY")')


def test_local_secret_and_data_files_are_git_ignored_and_untracked():
    names = {path.relative_to(ROOT).as_posix() for path in tracked_files()}
    assert not [n for n in names if any(n == t or n.startswith(t) for t in NEVER_TRACKED)]
    probe = subprocess.run(
        ["git", "check-ignore", "--no-index", *NEVER_TRACKED], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert set(probe.stdout.split()) == set(NEVER_TRACKED)


def production_settings(**overrides: str) -> subprocess.CompletedProcess[str]:
    """Load config.settings in a fresh process with production-shaped environment variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_CURRENT_TEST", "ALLOWED_HOSTS", "CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS"}
    }
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "p" * 50 + "-production-like-secret",
            "ALLOWED_HOSTS": "gameconnect.tn",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    env.update(overrides)
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k, None) for k in ("
        "'ALLOWED_HOSTS', 'CORS_ALLOWED_ORIGINS', 'CORS_ALLOW_ALL_ORIGINS', 'CORS_ALLOWED_ORIGIN_REGEXES', "
        "'CSRF_TRUSTED_ORIGINS', 'DEBUG')}))"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_production_hosts_and_cors_are_exactly_what_is_configured():
    result = production_settings()
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["gameconnect.tn"]
    assert loaded["CORS_ALLOWED_ORIGINS"] == [] and loaded["CSRF_TRUSTED_ORIGINS"] == []
    assert not loaded["CORS_ALLOW_ALL_ORIGINS"] and not loaded["CORS_ALLOWED_ORIGIN_REGEXES"]

    configured = production_settings(CORS_ALLOWED_ORIGINS="https://gameconnect.tn")
    assert json.loads(configured.stdout)["CORS_ALLOWED_ORIGINS"] == ["https://gameconnect.tn"]


@pytest.mark.parametrize(
    "overrides",
    [{"ALLOWED_HOSTS": "*"}, {"ALLOWED_HOSTS": "gameconnect.tn,*"}, {"CORS_ALLOWED_ORIGINS": "*"}],
    ids=["any-host", "any-host-among-others", "any-origin"],
)
def test_production_refuses_wildcard_hosts_and_origins(overrides):
    result = production_settings(**overrides)
    assert result.returncode != 0
    assert "wildcard" in result.stderr


@override_settings(DEBUG=False, ALLOWED_HOSTS=["gameconnect.tn"], CORS_ALLOWED_ORIGINS=["https://gameconnect.tn"])
def test_unknown_host_is_refused_and_cors_answers_only_the_configured_origin(client):
    assert client.get("/healthz", HTTP_HOST="evil.example").status_code == 400
    assert client.get("/healthz", HTTP_HOST="gameconnect.tn").status_code == 200

    def preflight(origin: str):
        return client.options(
            "/api/v1/auth/me",
            HTTP_HOST="gameconnect.tn",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
        )

    allowed = preflight("https://gameconnect.tn")
    assert allowed["Access-Control-Allow-Origin"] == "https://gameconnect.tn"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    refused = preflight("https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused
    plain = client.get("/api/v1/events", HTTP_HOST="gameconnect.tn", HTTP_ORIGIN="https://evil.example")
    assert plain.status_code == 200 and "Access-Control-Allow-Origin" not in plain


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_jwt_with_the_right_key_but_another_algorithm_is_refused(api, settings, algorithm):
    """`alg` is pinned to HS256: even our own key under another algorithm is not accepted."""
    gamer = make_gamer("pinned alg")
    claims = {"user_id": gamer.pk, "token_type": "access", "exp": 9999999999, "jti": "alg-" + algorithm}
    token = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm)
    assert api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    good = jwt.encode({**claims, "jti": "alg-good"}, settings.SIMPLE_JWT["SIGNING_KEY"], "HS256")
    assert api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 200

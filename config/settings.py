"""GameConnect settings, read from the environment only (SPEC §0).

Two modes, chosen by the presence of ``DATABASE_URL`` / ``REDIS_URL``:

* embedded (unset): SQLite file, in-memory channel layer, in-process Redis emulation
  (fakeredis), Celery tasks run inline and the game clock runs inside the web process;
* production (set): PostgreSQL, channels-redis, real Redis, Celery worker + beat.
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _read_dotenv(path: Path) -> None:
    """Load KEY=VALUE lines of a development ``.env`` file; the real environment wins."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_read_dotenv(BASE_DIR / ".env")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
TESTING = "pytest" in sys.modules or env_bool("GAMECONNECT_TESTING", False)

# --- secret key -------------------------------------------------------------------------
_SECRET_FILE = BASE_DIR / ".secret_key"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # One line, no traceback noise: manage.py / asgi.py print this and exit.
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off; refusing to start.")
    if _SECRET_FILE.is_file():
        SECRET_KEY = _SECRET_FILE.read_text().strip()
    else:
        SECRET_KEY = secrets.token_urlsafe(50)
        try:
            _SECRET_FILE.write_text(SECRET_KEY)
            _SECRET_FILE.chmod(0o600)
        except OSError:
            pass  # read-only checkout: a per-process key still works for development

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CORS_ALLOWED_ORIGINS = env_list(
    "CORS_ALLOWED_ORIGINS", ["http://localhost:8000", "http://127.0.0.1:8000"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", CORS_ALLOWED_ORIGINS)
if not DEBUG and any("*" in item for item in ALLOWED_HOSTS + CORS_ALLOWED_ORIGINS + CSRF_TRUSTED_ORIGINS):
    # Production answers only the hosts and origins it is given by name (docs/hardening.md).
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS, CORS_ALLOWED_ORIGINS and CSRF_TRUSTED_ORIGINS take no wildcard when DEBUG is off."
    )

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and "pytest" in sys.modules and os.environ.get("PYTEST_XDIST_WORKER"):
    # Tests under pytest-xdist (`make test`): every test flushes the Redis database it is given,
    # so worker gwN takes the given database's number plus N (redis://host/14: gw0 14, gw1 15).
    _parts = urlsplit(REDIS_URL)
    _db = int(_parts.path.strip("/") or 0) + int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    if _db > 15:
        raise ImproperlyConfigured(
            f"REDIS_URL: test worker {os.environ['PYTEST_XDIST_WORKER']} needs database {_db}"
            " (Redis has 0-15): give a lower database number or fewer workers."
        )
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{_db}"))
EMBEDDED = not REDIS_URL  # no Redis: one process, in-memory layer, in-process clock

# --- applications -----------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "config.admin_site.GameConnectAdminConfig",  # django.contrib.admin with our dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files: /api/docs works offline
    "corsheaders",
    "csp",
    "channels",
    "common",
    "audit",
    "gamers",
    "sessions_app",
    "events",
    "trivia",
    "leaderboard",
    "moderation",
    "calendars",
    "squads",  # session results and score confirmations (issue 17, helper "results")
    "bot",
]

# Exactly what runs, in this order, under WSGI and ASGI alike.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, adding the page's own ws:/wss: origin to connect-src (see the class).
    "common.middleware.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language (SPEC §9): the switcher's cookie, else Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A password hash that found no free slot (common/hashers.py) in a view outside DRF: 503.
    "common.middleware.HashingBusyMiddleware",
    # Last and sync-only: the whole chain above runs in one thread under ASGI (see the class).
    "common.middleware.OptionalTrailingSlashMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself; in development the
    # ASGIStaticFilesHandler serves them from the apps (see config/asgi.py).
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

# Every API path answers with and without a trailing slash, without redirecting (SPEC §1):
# OptionalTrailingSlashMiddleware strips it, so Django must not add one.
APPEND_SLASH = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "config.context.pages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------
if DATABASE_URL:
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
    DATABASES["default"].setdefault("OPTIONS", {})
    # Check a reused (persistent or pooled) connection before a request relies on it: a
    # database restart kills them.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast when PostgreSQL is down, so requests get a clear 503 instead of hanging.
        DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
        # Under ASGI every request runs its sync code in a thread of its own and closes its
        # connection at the end: without a pool, each request opens a new PostgreSQL connection
        # (the set-up costs more than a cheap query) and a burst of N requests opens N of them,
        # past max_connections. Django's own psycopg pool (DB_POOL_MAX_SIZE per process) makes
        # requests reuse connections and wait for one when all are busy (DB_POOL_TIMEOUT, 2 s,
        # then 503: short, because it is also how long a request waits while PostgreSQL is
        # down). With CONN_HEALTH_CHECKS (above) Django has the pool check each connection as
        # it leaves the pool, so one a server restart killed is replaced instead of failing
        # the request that got it.
        if env_int("DB_POOL_MAX_SIZE", 0) > 0:
            DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses pooling with persistent connections
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": min(2, env_int("DB_POOL_MAX_SIZE", 0)),
                "max_size": env_int("DB_POOL_MAX_SIZE", 0),
                "timeout": env_float("DB_POOL_TIMEOUT", 2.0),
            }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # However the file is named (SQLITE_PATH or DATABASE_URL=sqlite:///...): the web process, the
    # in-process clock and the bot share it, so wait for locks instead of failing, take the write
    # lock when a transaction starts (no deadlock upgrading a read lock), and let readers run
    # beside the one writer.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "gamers.Gamer"
# Django's Argon2 and PBKDF2, run in a bounded pool per process (common/hashers.py): at most
# PASSWORD_HASH_CONCURRENCY hashes at once (an Argon2 hash holds 100 MiB); a sign-in that waits
# PASSWORD_HASH_WAIT_SECONDS for a slot gets 503 `busy` with Retry-After.
PASSWORD_HASHERS = [
    "common.hashers.BoundedArgon2PasswordHasher",
    "common.hashers.BoundedPBKDF2PasswordHasher",
]
PASSWORD_HASH_CONCURRENCY = env_int("PASSWORD_HASH_CONCURRENCY", 2)
PASSWORD_HASH_WAIT_SECONDS = env_float("PASSWORD_HASH_WAIT_SECONDS", 2.0)
if PASSWORD_HASH_CONCURRENCY < 1:
    raise ImproperlyConfigured("PASSWORD_HASH_CONCURRENCY must be at least 1")
if TESTING:
    # Hashing dominates test time; the production hashers are exercised by test_hashing and
    # the bounded pool by common/tests/test_hashers.py.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["gamers.backends.LoginBackend"]
# Gamer.username is unique case-insensitively through the `username_key` column instead.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "/login"

# --- i18n / time ------------------------------------------------------------------------
# Storage and the wire are UTC; the pages show times in DISPLAY_TIME_ZONE (SPEC §9: Africa/Tunis by
# default) in the reader's language. Translations live in locale/ (.po in git, compiled by
# `make run`, `make test` and CI: Makefile, `messages`).
LANGUAGES = [("en", "English"), ("fr", "Français"), ("ar", "العربية")]
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
if LANGUAGE_CODE not in {code for code, _ in LANGUAGES}:
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of en, fr, ar (got {LANGUAGE_CODE!r})")
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
DISPLAY_TIME_ZONE = env_str("DISPLAY_TIME_ZONE", "Africa/Tunis")
USE_I18N = True
USE_TZ = True

# --- static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Avatars are the largest legitimate upload: up to 5 MiB (SPEC §2; beyond: 400 on `avatar`).
# Whole bodies above MAX_BODY_BYTES get 413; the default leaves room for a full-size avatar plus
# its multipart envelope and the other fields, so an oversized avatar gets the field error.
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 6 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
AVATAR_MAX_SIDE = 320

# --- Redis, cache, channel layer, Celery -------------------------------------------------
CHANNEL_LAYERS: dict[str, Any]
if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Fail fast when Redis is down, as common/redis.py's clients do.
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 5,
                "retry": Retry(NoBackoff(), 1),
                # One pool per process, not one per request context (see the class).
                "pool_class": "common.redis.SharedConnectionPool",
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "common.channel_layer.RedisChannelLayer",
            "CONFIG": {
                # max_connections: redis-py's async pool default is too small under load.
                "hosts": [{"address": REDIS_URL, "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000)}],
                "capacity": env_int("CHANNEL_CAPACITY", 1500),
                "expiry": 30,
                "prefix": env_str("CHANNEL_PREFIX", "gc-asgi"),
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}}
    CELERY_BROKER_URL = "memory://"
    # Without a broker, tasks run inline in the calling process.
    CELERY_TASK_ALWAYS_EAGER = True
# How long a paginated list's count stays cached (common/counts.py; any write to the tables it
# reads ends it at once). The embedded cache lives in the web process, where another process
# (`make seed`, a management command) can't end it: keep it short there.
LIST_COUNT_CACHE_SECONDS = env_int("LIST_COUNT_CACHE_SECONDS", 3600 if REDIS_URL else 30)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"

# In-process game clock: on the embedded defaults the web process drives periodic ticks
# itself (see common.clock). Tests drive ticks explicitly.
INPROCESS_CLOCK = env_bool("INPROCESS_CLOCK", EMBEDDED and not TESTING)
# Embedded default: the boards live in the web process's memory (fakeredis), so the process rebuilds
# them from the database when it starts (config/startup.py; SPEC §6). A real Redis keeps them.
BOARDS_REBUILD_AT_START = env_bool("BOARDS_REBUILD_AT_START", EMBEDDED and not TESTING)
CLOCK_INTERVAL_SECONDS = env_float("CLOCK_INTERVAL_SECONDS", 1.0)
# Session start reminders go out this many minutes before the start (SPEC §3, docs/sessions.md).
SESSION_REMINDER_MINUTES = env_int("SESSION_REMINDER_MINUTES", 60)
# Production: exactly one beat sends the heartbeat that runs every registered tick.
CELERY_BEAT_SCHEDULE = {
    "clock-tick": {"task": "common.tasks.clock_tick", "schedule": CLOCK_INTERVAL_SECONDS, "options": {"expires": 5}}
}

# --- REST framework ---------------------------------------------------------------------
ACCESS_TOKEN_MINUTES = env_int("ACCESS_TOKEN_MINUTES", 30)
REFRESH_TOKEN_DAYS = env_int("REFRESH_TOKEN_DAYS", 7)
THROTTLE_AUTH_RATE = env_str("THROTTLE_AUTH_RATE", "10/min")
THROTTLE_USER_RATE = env_str("THROTTLE_USER_RATE", "600/min")
THROTTLE_ANON_RATE = env_str("THROTTLE_ANON_RATE", "120/min")
# Sign-ins per account, from any address (SPEC §2): guessing one password from many addresses
# stops, while a LAN party behind one address keeps THROTTLE_AUTH_RATE per IP.
THROTTLE_LOGIN_ACCOUNT_RATE = env_str("THROTTLE_LOGIN_ACCOUNT_RATE", "10/15min")
from common.rates import parse_rate  # noqa: E402 - pure; validates the rates before anything serves

for _name in ("THROTTLE_AUTH_RATE", "THROTTLE_USER_RATE", "THROTTLE_ANON_RATE", "THROTTLE_LOGIN_ACCOUNT_RATE"):
    try:
        parse_rate(globals()[_name])
    except ValueError as exc:
        raise ImproperlyConfigured(f"{_name}: {exc}") from None

# Request bodies nested deeper than this are 400 `json_too_deep` (common/parsers.py).
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 64)

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["gamers.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",  # DRF's, refusing nesting deeper than JSON_MAX_DEPTH
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.UserRateThrottle", "common.throttling.AnonRateThrottle"],
    "EXCEPTION_HANDLER": "common.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SIMPLE_JWT: dict[str, Any] = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Pinned: tokens signed with any other algorithm (or "none") are refused.
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GameConnect API",
    "DESCRIPTION": "Gaming sessions, events and tickets, live trivia and leaderboards. See SPEC.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "common.roles.Role",
        "OrderStatusEnum": "events.models.OrderStatus",
        "TicketStatusEnum": "events.models.TicketStatus",
        "SubmissionStatusEnum": ["ranked", "pending"],
        "RowStatusEnum": ["created", "rejected"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.schema.add_error_responses",
    ],
}

# --- game and economy -------------------------------------------------------------------
STARTING_COINS = env_int("STARTING_COINS", 100)
TRIVIA_SPLIT_SECONDS = env_float("TRIVIA_SPLIT_SECONDS", 15)
TRIVIA_ROUND_END_SECONDS = env_float("TRIVIA_ROUND_END_SECONDS", 8)
TRIVIA_FREE_ATTEMPTS = env_int("TRIVIA_FREE_ATTEMPTS", 3)
TRIVIA_ATTEMPT_COST = env_int("TRIVIA_ATTEMPT_COST", 1)
# Events (SPEC §4): orders can be cancelled until this many hours before the start; seats freed
# for a waiting list are held for the first waiter this many minutes (docs/events.md).
TICKET_CANCEL_HOURS = env_float("TICKET_CANCEL_HOURS", 48)
TICKET_HOLD_MINUTES = env_float("TICKET_HOLD_MINUTES", 30)
WS_AUTH_TIMEOUT_SECONDS = env_float("WS_AUTH_TIMEOUT_SECONDS", 10)
# Open sockets per account and kind (/ws/leaderboard/ ...; trivia keeps one per account), across
# processes; beyond, close code 4005 (common/socket_cap.py). 0: no cap.
WS_MAX_SOCKETS_PER_USER = env_int("WS_MAX_SOCKETS_PER_USER", 5)
# Presence timings and the hub's load shedding (defaults in trivia/conf.py): the fault drills
# shorten the first, bench/trivia_load.py measures with shedding off (docs/trivia.md).
for _name in (
    "TRIVIA_PRESENCE_TTL_SECONDS",
    "TRIVIA_PRESENCE_REFRESH_SECONDS",
    "TRIVIA_HUB_SHED_LAG_SECONDS",
    "TRIVIA_HUB_MAX_BUSY",
):
    if env_str(_name):
        globals()[_name] = env_float(_name, 0.0)
# Leaderboards: live pushes are coalesced to one per window per interval; socket frame rate limit.
LEADERBOARD_PUSH_INTERVAL_SECONDS = env_float("LEADERBOARD_PUSH_INTERVAL_SECONDS", 0.25)
LEADERBOARD_WS_FRAMES_PER_SECOND = env_float("LEADERBOARD_WS_FRAMES_PER_SECOND", 20)
# Who is in a player's squad, for the socket's `subscribe` with `"squad": true` (a function of a
# user id returning user ids; `leaderboard` may not import the sessions app that knows).
LEADERBOARD_SQUAD_MEMBERS = "squads.members.squad_of"
# Game servers (keys part): score batches per key (POST /leaderboard/scores/batch, up to
# LEADERBOARD_BATCH_MAX_ROWS rows each), and how far ahead of our clock achieved_at may be.
THROTTLE_GAME_KEY_RATE = env_str("THROTTLE_GAME_KEY_RATE", "600/min")
LEADERBOARD_BATCH_MAX_ROWS = 500
LEADERBOARD_BATCH_CLOCK_SKEW_SECONDS = 60
parse_rate(THROTTLE_GAME_KEY_RATE)
# Seasons (leaderboard/seasons.py, docs/leaderboard.md): the coins of a weekly board's 1st, 2nd,
# 3rd... ("100,50,25"; "" pays nothing), the rows kept per archived board, and how long after a
# day, week or month ends its boards are archived (submissions still in flight land first).
try:
    LEADERBOARD_WEEKLY_PRIZES = tuple(
        int(part) for part in env_str("LEADERBOARD_WEEKLY_PRIZES", "100,50,25").split(",") if part.strip()
    )
except ValueError:
    raise ImproperlyConfigured("LEADERBOARD_WEEKLY_PRIZES: comma-separated whole numbers of coins") from None
if any(coins < 0 for coins in LEADERBOARD_WEEKLY_PRIZES):
    raise ImproperlyConfigured("LEADERBOARD_WEEKLY_PRIZES: no negative prize")
LEADERBOARD_SEASON_ROWS = env_int("LEADERBOARD_SEASON_ROWS", 1000)
LEADERBOARD_SEASON_DELAY_SECONDS = env_float("LEADERBOARD_SEASON_DELAY_SECONDS", 60.0)

# Web processes freeze their start-up heap out of the garbage collector's reach (config/startup.py).
GC_FREEZE_AT_START = env_bool("GC_FREEZE_AT_START", True)

SERVER_VERSION = "1.0.0"
MIN_APP_VERSION_CODE = env_int("MIN_APP_VERSION_CODE", 1)
LATEST_APP_VERSION_CODE = env_int("LATEST_APP_VERSION_CODE", 1)

# --- social login and bot ---------------------------------------------------------------
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
DISCORD_CLIENT_ID = env_str("DISCORD_CLIENT_ID")
DISCORD_CLIENT_SECRET = env_str("DISCORD_CLIENT_SECRET")
DISCORD_BOT_TOKEN = env_str("DISCORD_BOT_TOKEN")
# Optional: a Discord server id whose slash commands are published at once on bot start
# (global publication can take up to an hour). 0 = publish globally.
DISCORD_GUILD_ID = env_int("DISCORD_GUILD_ID", 0)
# Seconds between the bot's countdown steps (tests shorten it).
BOT_COUNTDOWN_STEP_SECONDS = env_float("BOT_COUNTDOWN_STEP_SECONDS", 1.0)
# A Discord channel id where the bot announces trivia wins (0 = no announcements), and how
# often it looks for newly ended rounds in the database.
DISCORD_TRIVIA_CHANNEL_ID = env_int("DISCORD_TRIVIA_CHANNEL_ID", 0)
BOT_TRIVIA_POLL_SECONDS = env_float("BOT_TRIVIA_POLL_SECONDS", 3.0)
# The default channel for session/event announcements with buttons (0 = none); a server's own
# choice (`/settings channel announce #x`, bot.models.GuildSettings) wins over it. How often the
# bot looks for new sessions and events, and how often it sends the notification DMs waiting
# in its outbox.
DISCORD_ANNOUNCE_CHANNEL_ID = env_int("DISCORD_ANNOUNCE_CHANNEL_ID", 0)
BOT_ANNOUNCE_POLL_SECONDS = env_float("BOT_ANNOUNCE_POLL_SECONDS", 10.0)
BOT_DM_POLL_SECONDS = env_float("BOT_DM_POLL_SECONDS", 5.0)

# --- mail -------------------------------------------------------------------------------
# EMAIL_URL (SPEC §0): unset, mails go to the console and to var/mail/ (common/mail.py) so `make
# run` shows them; `smtp://user:pass@host:587?tls=1` (or smtps://, console://) picks Django's
# backend for that scheme, parsed by dj-email-url.
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    import dj_email_url

    try:
        _email = dj_email_url.parse(EMAIL_URL)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a configuration error
        raise ImproperlyConfigured(f"EMAIL_URL is not a mail URL dj-email-url understands: {exc}") from None
    # Only what the URL says; Django's defaults stay for the rest (port, timeout ...).
    globals().update({key: value for key, value in _email.items() if value not in (None, "")})
else:
    EMAIL_BACKEND = "common.mail.ConsoleAndFileBackend"
    EMAIL_FILE_PATH = str(BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "GameConnect <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in mails (verification, password reset) are pages of SITE_URL.
SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# A mailed password-reset link works once (its hash covers the password) and for an hour.
PASSWORD_RESET_TIMEOUT = 3600
# Mails an account can ask for (verification resend), per account.
THROTTLE_MAIL_RATE = env_str("THROTTLE_MAIL_RATE", "5/hour")

# --- proxies in front -------------------------------------------------------------------
# TRUSTED_PROXIES (SPEC §0, docs/deployment.md): unset, the client is the socket peer and the
# X-Forwarded-* headers are ignored (anyone can write them); the number of proxies in front (`1`
# behind the HAProxy of `make cluster` and compose), or their addresses/networks, to read them.
TRUSTED_PROXIES = env_str("TRUSTED_PROXIES")
try:
    from common.client_ip import parse_trusted_proxies

    parse_trusted_proxies(TRUSTED_PROXIES)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# --- Content-Security-Policy (django-csp) ----------------------------------------------
# Every page, the admin and the API docs included: scripts and styles only from our own files
# (a nonce for any inline one: `request.csp_nonce`), nothing may frame us, no plugins, forms and
# <base> only to ourselves; sockets to our own origin (the middleware adds ws:/wss: of the
# request's host). The API docs relax style-src only (config/urls.py: ReDoc's CSS-in-JS).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# --- production hardening ---------------------------------------------------------------
if not DEBUG:
    if TRUSTED_PROXIES:
        # Only a proxy of ours may say the client came over https (it overwrites the header).
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}

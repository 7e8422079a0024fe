"""Settings for the Jingkou Doorstep portal, read from environment variables.

With DEBUG=true and nothing else set the portal runs alone: SQLite, tasks run in-process, the
cache in a database table; `make run` adds a Celery worker and beat on a broker folder
(CELERY_BROKER_DIR). DEBUG is off by default, and then SECRET_KEY must be set. Typed values are read
with core.env, which refuses a bad value naming the variable. Every variable is listed with its
default in README.md ("Configuration").
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.env import env_bool, env_float, env_floats, env_int, env_json_object, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless the environment turns it on: an environment file that forgets DEBUG runs as
# production. `make run` and the tests (pyproject.toml, [tool.pytest_env]) set DEBUG=true.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off (the default) the portal refuses to start "
            'without one: set SECRET_KEY to a long random string, e.g. python -c "import '
            'secrets; print(secrets.token_urlsafe(50))", or set DEBUG=true for local development.'
        )
    # Local development only: DEBUG is on, so this key never protects real data.
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "import_export",
    "core",
    "organization",
    "grids",
    "resident_requests",
    "notifications",
    "dashboards",
    "party_work",
    "open311",
    # Spreadsheet import and export (above organization, grids and requests; re-registers
    # their admins with import/export buttons, so it comes after them)
    "imports",
    # Production hardening, audit log, health and metrics (ops/)
    "ops",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_prometheus",
    "csp",
]

MIDDLEWARE = [
    # Load balancer probes first: no HTTPS redirect, host check, session or metrics for them.
    "ops.middleware.HealthCheckMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ops.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Two-factor sign-in on every page (core.two_factor): after OTPMiddleware and messages.
    "core.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ops.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "jingkou.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "jingkou.wsgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
# PostgreSQL plans the hottest statements (the form's, the tracking page's, the outbox's) once
# per connection (core.rows.execute). Off behind a pooler that shares sessions between clients
# (PgBouncer in transaction mode): a prepared statement belongs to one session.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Each is planned once for any values (a generic plan): they are all written to have one
    # good plan (by a key; the "me too" look-up from the buildings nearby). By default PostgreSQL
    # plans again for each call's values while the one plan looks costlier, which for the
    # "me too" look-up it always did. Only prepared statements are concerned; Django's other
    # queries are planned as they come.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite, written by the web server and the embedded Celery worker at once (`make run`):
    # WAL lets readers go on beside the one writer; a transaction takes the write lock when it
    # begins (IMMEDIATE), so two processes queue for it (up to `timeout` seconds) instead of one
    # failing with "database is locked" when it turns from reading to writing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
    # The requests' covering indexes (INCLUDE columns, for the dashboards' index-only scans)
    # are plain indexes on SQLite, which is all a portal running alone needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits and the Celery broker -----------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# The cache may live in another Redis database than the broker (the tests empty the cache).
REDIS_CACHE_URL = os.environ.get("REDIS_CACHE_URL", REDIS_URL)
# Without Redis: a folder that the web server, a Celery worker and beat share as their broker
# (kombu's filesystem transport; `make run` sets var/celery and starts Procfile.embedded).
# Unset too: tasks run in-process, at once, and nothing runs the periodic tasks.
CELERY_BROKER_DIR = os.environ.get("CELERY_BROKER_DIR", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache that works on without the cache while Redis is down (ops/).
            "BACKEND": "ops.cache.FailSoftRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "jingkou"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
elif env_bool("LOCAL_MEMORY_CACHE", False):
    # One process only (the tests set it): each process would count rate limits on its own.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # A table in the database (`migrate` creates it, core/apps.py): one count
    # of each rate limit however many processes serve (gunicorn workers, the Celery worker).
    CACHES = {
        "default": {
            "BACKEND": "core.cache.CountingDatabaseCache",
            "LOCATION": "jingkou_cache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

CELERY_BROKER_URL = REDIS_URL or ("filesystem://" if CELERY_BROKER_DIR else "memory://")
# On Redis, kombu's transport with one client per channel for publishing (jingkou/broker.py).
CELERY_BROKER_TRANSPORT = "jingkou.broker:Transport" if REDIS_URL.startswith("redis://") else None
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without Redis or a broker folder the portal works alone: tasks run in-process, at once.
CELERY_TASK_ALWAYS_EAGER = not (REDIS_URL or CELERY_BROKER_DIR)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Nobody reads task results: the outbox row is the record of what happened.
CELERY_TASK_IGNORE_RESULT = True
# A worker keeps its database connection from task to task, as a web thread keeps its own from
# request to request: jingkou.celery closes it before and after a task only when it failed or
# outlived CONN_MAX_AGE. Celery's own Django fixup would close it after every task (a new
# PostgreSQL backend per batch of messages) unless this is set; it then closes it once per
# this many tasks, which costs nothing.
CELERY_DB_REUSE_MAX = 1000
# Notifications have a queue of their own (the worker in the Procfile consumes it), so a backlog
# of other tasks never holds back the message that tells a grid leader about a new request.
NOTIFICATIONS_QUEUE = os.environ.get("NOTIFICATIONS_QUEUE", "notifications")
CELERY_TASK_ROUTES = {"notifications.*": {"queue": NOTIFICATIONS_QUEUE}}
# A web request publishes after its commit: a dead or hanging broker may delay it by about a
# second at most (connect and socket timeouts, one quick retry), never indefinitely. The outbox
# row stays pending and the sweeper (below) sends it once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 0.4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task (CELERY_TASK_TIME_LIMIT) and than any retry countdown
    # (NOTIFICATIONS_RETRY_BACKOFF_MAX), so a slow or delayed task is not delivered twice.
    "visibility_timeout": 3600,
    "socket_connect_timeout": 0.4,
    "socket_timeout": 0.4,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
if CELERY_BROKER_DIR and not REDIS_URL:
    _broker_dir = Path(CELERY_BROKER_DIR).resolve()
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder in and out: every process reads and writes the same queue files.
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    CELERY_BEAT_SCHEDULE_FILENAME = str(_broker_dir / "beat-schedule")
    for _folder in ("queue", "control", "processed"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
# Every periodic task, in one place (celery beat; CELERY_TIMEZONE, Asia/Shanghai, for crontab).
CELERY_BEAT_SCHEDULE = {
    # Every 30 s: re-enqueue outbox rows whose message was lost (broker down at commit time, a
    # Redis restart that dropped the queue, a worker killed while sending).
    "notifications-sweep": {
        "task": "notifications.tasks.sweep_outbox",
        "schedule": 30.0,
    },
    # Every 5 minutes: 24-hour reminders, overdue requests (督办), automatic escalation of a
    # missed acceptance deadline (分级响应) and closing unrated requests. Each deadline is
    # handled once, so the period only decides how late after a deadline the message goes out.
    "requests-deadlines": {
        "task": "resident_requests.tasks.check_deadlines",
        "schedule": 300.0,
    },
    # Every morning at 8:00: each community secretary's digest of open and overdue requests,
    # before the working day starts.
    "requests-daily-digest": {
        "task": "resident_requests.tasks.send_daily_digests",
        "schedule": crontab(hour=8, minute=0),
    },
    # Hourly from 9:20 to 20:20 (no SMS at night): one reminder to rate to residents whose
    # request was resolved 48 hours ago and who have not rated it, well before it closes
    # unrated after 7 days (requests-deadlines). Each resolution is reminded once (outbox key).
    "requests-rating-reminders": {
        "task": "resident_requests.tasks.send_rating_reminders",
        "schedule": crontab(hour="9-20", minute=20),
    },
    # Hourly from 8:10 to 20:10: reminders for tomorrow's 温暖20 reception sessions. A booking
    # made late the day before is still reminded; each booking is reminded once (outbox key).
    "party-work-reception-reminders": {
        "task": "party_work.tasks.send_reception_reminders",
        "schedule": crontab(hour="8-20", minute=10),
    },
    # Every 5 minutes: recompute the dashboards' daily summaries whose requests changed since
    # the last run (DASHBOARD_SUMMARIES below).
    "dashboards-refresh-summaries": {
        "task": "dashboards.tasks.refresh_summaries",
        "schedule": 300.0,
    },
    # Every night at 2:30: rebuild every summary, a safety net for changes made outside the
    # services (bulk updates that do not touch updated_at).
    "dashboards-rebuild-summaries": {
        "task": "dashboards.tasks.rebuild_summaries",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every night at 3:10 (quiet hours): anonymize requests past the retention period
    # (PERSONAL_DATA_RETENTION_DAYS below).
    "ops-retention-anonymize": {
        "task": "ops.anonymize_expired_requests",
        "schedule": crontab(hour=3, minute=10),
    },
}

# --- Notifications (the outbox in notifications/) -----------------------------------------------
# Links in messages (track, rate, the member's order) start with this.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# A row is dead after this many failed attempts; retries wait RETRY_BACKOFF s, doubling (with
# jitter) up to RETRY_BACKOFF_MAX s, always far below the broker's visibility timeout.
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 5, minimum=1)
NOTIFICATIONS_RETRY_BACKOFF = env_int("NOTIFICATIONS_RETRY_BACKOFF", 10, minimum=0)
NOTIFICATIONS_RETRY_BACKOFF_MAX = 600
# A row left "sending" this long had its worker die under it. A worker starts no send after half
# of it (a batch gives its unsent rows back), so keep it far above NOTIFICATIONS_HTTP_TIMEOUT.
NOTIFICATIONS_SENDING_LEASE = env_int("NOTIFICATIONS_SENDING_LEASE", 120, minimum=1)
# Pending rows older than this are re-enqueued by the sweeper.
NOTIFICATIONS_PENDING_GRACE = env_int("NOTIFICATIONS_PENDING_GRACE", 60, minimum=0)
NOTIFICATIONS_HTTP_TIMEOUT = env_float("NOTIFICATIONS_HTTP_TIMEOUT", 5.0, minimum=0.1)
# Row ids per send task: the rows of one commit go in one message, a sweep in chunks of this.
NOTIFICATIONS_BATCH_SIZE = env_int("NOTIFICATIONS_BATCH_SIZE", 25, minimum=1)
# SMS: an HTTP provider when SMS_HTTP_URL is set, otherwise the log (nothing leaves the machine).
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_KEY = os.environ.get("SMS_HTTP_KEY", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "京口党建")
# Group robots (企业微信 / 钉钉 群机器人): staff messages are also posted to the group, with the
# recipient @-mentioned. Unset: that channel is not used.
WECOM_WEBHOOK_URL = os.environ.get("WECOM_WEBHOOK_URL", "")
DINGTALK_WEBHOOK_URL = os.environ.get("DINGTALK_WEBHOOK_URL", "")
DINGTALK_SECRET = os.environ.get("DINGTALK_SECRET", "")
_robots = [
    name for name, url in [("wecom", WECOM_WEBHOOK_URL), ("dingtalk", DINGTALK_WEBHOOK_URL)] if url
]
# Channels per audience, or per "<message>:<audience>" (more specific first); a JSON object in
# NOTIFICATIONS_ROUTES replaces these entries, e.g. {"request.overdue:staff": ["sms", "email"]}.
NOTIFICATIONS_ROUTES = {
    "resident": ["sms"],
    "staff": ["sms", *_robots],
    "department": ["sms", "email", *_robots],
    "digest.daily:staff": ["email", "sms"],
    **env_json_object("NOTIFICATIONS_ROUTES"),
}
# E-mail: SMTP when EMAIL_HOST is set; otherwise messages are written to the log.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@jingkou.invalid")

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# JS and CSS libraries come from npm's lock file (package-lock.json) into node_modules; they are
# served from there as static files, never from a CDN.
NODE_MODULES = BASE_DIR / "node_modules"
for _prefix, _path in [
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]:
    if _path.is_dir():
        STATICFILES_DIRS.append((_prefix, _path))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# --- Django REST framework --------------------------------------------------------------------
# /api/v1/: staff sign in with their session (the browsable API, the admin) or a token
# (Authorization: Token <key>, obtained at /api/v1/auth/token/). Anonymous callers are
# throttled; lists are paged (requests by a cursor, the rest by page number).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous caller then gets 401 with WWW-Authenticate, not 403.
        # DRF's token; refused to a privileged user who still owes a two-factor device.
        "core.api_auth.TwoFactorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/minute"),
        "token_obtain": "10/minute",
    },
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jingkou Doorstep API",
    "DESCRIPTION": (
        "The portal's REST API (/api/v1/). Staff authenticate with their session or with a "
        "token from /api/v1/auth/token/ (header `Authorization: Token <key>`); what each caller "
        "sees is limited to their scope, and residents' personal data is masked by role. "
        "Open311 GeoReport v2 is served separately at /open311/v2/."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from local static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("level", "status", "channel") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "HandlingLevelEnum": "resident_requests.models.HandlingLevel",
        "RequestStatusEnum": "resident_requests.models.Status",
        "RequestChannelEnum": "resident_requests.models.Channel",
        "DepartmentLevelEnum": "organization.models.DepartmentLevel",
        "StationLevelEnum": "grids.models.StationLevel",
        "NotificationStatusEnum": "notifications.models.NotificationStatus",
        "NotificationChannelEnum": "notifications.models.Channel",
    },
}
# Open311 GeoReport v2 (/open311/v2/): the jurisdiction this server answers for.
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "jingkou.zhenjiang")

# --- The portal's own settings ----------------------------------------------------------------
# Map tiles: a URL template for Leaflet. Empty: no tiles, the markers and the list still work.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
# The letters or digits that replace {s} in MAP_TILE_URL (天地图: 01234567).
MAP_TILE_SUBDOMAINS = os.environ.get("MAP_TILE_SUBDOMAINS", "abc")
# A second tile layer drawn over the first, same datum and subdomains: 天地图's road and place
# names (cva_w) come apart from its map (vec_w). Empty: none.
MAP_TILE_OVERLAY_URL = os.environ.get("MAP_TILE_OVERLAY_URL", "")
# The datum the tiles are drawn in: wgs84 (天地图, which is CGCS2000, and most intranet servers)
# or gcj02 (高德, 腾讯). Stored points are WGS-84; the maps convert for display. 百度 tiles (BD-09)
# use their own projection and tile numbering, which Leaflet does not draw: not supported.
MAP_TILE_DATUM = os.environ.get("MAP_TILE_DATUM", "wgs84").strip().lower()
if MAP_TILE_DATUM not in ("wgs84", "gcj02"):
    raise ImproperlyConfigured("MAP_TILE_DATUM must be wgs84 (天地图) or gcj02 (高德, 腾讯).")
# Without tiles the maps draw the district from its own data (grids/basemap.py), cached this long.
MAP_BASEMAP_CACHE_SECONDS = env_int("MAP_BASEMAP_CACHE_SECONDS", 600, minimum=0)
# The district's extent as "south,west,north,east" in degrees, with a margin: a map point a
# resident puts outside it is refused (a slip of the finger, or a place another district serves).
DISTRICT_BOUNDS = env_floats("DISTRICT_BOUNDS", "32.08,119.36,32.30,119.72", count=4)

# 双挂钩 assessment (dashboards): a grid's governance score, which counts in its branch's
# assessment, is the weighted mean of the rates (0–100) it has data for, less a penalty in points
# per request that went past its resolve deadline, never below 0. Change the weights here only.
DASHBOARD_SCORE_WEIGHTS = {
    "resolution_rate": 0.30,  # 办结率: resolved / received (less rejected and merged)
    "on_time_rate": 0.35,  # 按时办结率: resolved by the deadline / resolved
    "satisfaction_rate": 0.35,  # 满意率: (basically) satisfied / rated
    "overdue_penalty": 2.0,  # points off per overdue request
    # Each rate enters the score as the lower bound of its Wilson interval at this z (1.96: 95 %),
    # so that 1 of 1 resolved (bound 20.7 %) does not outrank 45 of 50 (bound 78.6 %).
    "confidence_z": 1.96,
    # 双挂钩 both ways: the share of the grid's party work in its score (request handling has the
    # rest). The party-work index is the mean of each indicator against its target (capped at
    # 100 %): posts claimed in the grid now, household visits and volunteer hours per 30 days.
    "party_work": 0.25,
    "party_work_targets": {"claimed_posts": 3, "visits_per_30_days": 10, "hours_per_30_days": 20},
}
# Request deadlines (resident_requests): the limits of 延期. An extension is asked by whoever
# handles the request and approved by the level above; a request has at most `extensions_max`
# approved extensions, each of at most `extension_working_days_max` working days. Beyond them
# the application is refused with a message and nothing changes. (挂起, a suspension, has no
# limit: it pauses the clock until handling resumes.)
REQUEST_DEADLINES = {
    "extensions_max": 2,
    "extension_working_days_max": 5,
}
# A process reads the versions of its in-memory reference lists (core.cache.LocalMemo: the form's
# categories and communities, the staff a new request tells) at most this often: a change made
# on another server shows within this many seconds.
LOCAL_MEMO_RECHECK_SECONDS = env_float("LOCAL_MEMO_RECHECK_SECONDS", 2.0, minimum=0)
# The dashboards read pre-aggregated daily rows (dashboards.models), kept current by Celery beat
# and refreshed by the page itself when older than DASHBOARD_SUMMARY_MAX_AGE seconds (so the
# portal stays current without a worker too). False: every figure is computed live.
DASHBOARD_SUMMARIES = env_bool("DASHBOARD_SUMMARIES", True)
DASHBOARD_SUMMARY_MAX_AGE = env_int("DASHBOARD_SUMMARY_MAX_AGE", 600, minimum=0)

# One JSON object per line with the request id in production (LOG_FORMAT=json); plain text in
# local development (LOG_FORMAT=text).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "ops.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Security, privacy and operations (ops/) ----------------------------------------------------
# HTTPS: on by default in production (DEBUG off), off for local development over plain HTTP.
HTTPS = env_bool("HTTPS", not DEBUG)
# Behind nginx (deploy/nginx/jingkou.conf), which terminates TLS, says so in X-Forwarded-Proto
# and gives the client's address in X-Real-IP (core.net.client_ip).
BEHIND_PROXY = env_bool("BEHIND_PROXY", not DEBUG)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The API's throttles (DRF) key anonymous callers by address: behind nginx the last entry of
# X-Forwarded-For, which nginx sets to the connecting address (deploy/nginx/jingkou_proxy.conf);
# otherwise REMOTE_ADDR. Left unset, DRF would take the whole header as the client sends it.
REST_FRAMEWORK["NUM_PROXIES"] = 1 if BEHIND_PROXY else 0
SECURE_SSL_REDIRECT = HTTPS
# The metrics scraper talks plain HTTP on the internal network (ops.views.metrics).
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Tracking links carry a secret token: never send a URL to another site.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Staff sessions end STAFF_SESSION_HOURS after login (ops.receivers) or when the browser closes.
STAFF_SESSION_SECONDS = int(env_float("STAFF_SESSION_HOURS", 8.0, minimum=0.01) * 3600)
SESSION_COOKIE_AGE = STAFF_SESSION_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one login from one
# address, that pair is locked for AXES_COOLOFF_MINUTES (HTTP 429, logged and in the audit log).
AUTHENTICATION_BACKENDS = [
    "ops.auth.WebLoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_TEMPLATE = "ops/locked_out.html"
AXES_VERBOSE = True
# Two-factor sign-in (django-otp, TOTP; core.two_factor): everyone with a confirmed device gives
# the code at every sign-in (admin, member and to-do sign-in, API token). With
# OTP_REQUIRED_FOR_PRIVILEGED on (the default when DEBUG is off) superusers and the organization
# department must set up a device (/account/two-factor/) before any page opens for them.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Jingkou Doorstep")
OTP_REQUIRED_FOR_PRIVILEGED = env_bool("OTP_REQUIRED_FOR_PRIVILEGED", not DEBUG)


def _origin(url: str) -> str | None:
    """The scheme and host of a URL template, for the CSP ("https://{s}.tiles.x" → *.tiles.x)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "subdomain"))
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc.replace("subdomain.", "*.")
    return f"{parts.scheme}://{host}"


# Uploaded photos: on disk under MEDIA_ROOT, or on S3-compatible storage (MEDIA_STORAGE=s3), and
# from their own host name when MEDIA_HOST is set (nginx serves them as images only).
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "filesystem")
MEDIA_HOST = os.environ.get("MEDIA_HOST", "")
if MEDIA_HOST:
    MEDIA_URL = f"{'https' if HTTPS else 'http'}://{MEDIA_HOST}/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files served by WhiteNoise in production (after collectstatic); the
    # plain storage while DEBUG is on and in the tests, which have no manifest.
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# WhiteNoise serves STATIC_ROOT in production; in development and the tests it looks the files up
# in place (no collectstatic needed).
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY"),
            "region_name": os.environ.get("S3_REGION") or None,
            "custom_domain": MEDIA_HOST or None,
            "location": "media",
            "default_acl": "private",
            "querystring_auth": not MEDIA_HOST,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "max-age=86400"},
        },
    }
# Uploads: a form carries at most 3 photos of at most 10 MB each as sent
# (resident_requests.photos.MAX_PHOTO_BYTES; browsers scale them down first, photo_resize.js).
# nginx caps the whole body (client_max_body_size 32m: three such photos and the form). Django
# writes each file over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file instead of holding it in
# memory; DATA_UPLOAD_MAX_MEMORY_SIZE caps the other fields (the text), files not counted.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Content Security Policy (django-csp): scripts only from our own static files, no inline script.
# Inline style attributes are allowed (the admin and Leaflet set some); <style> elements are not.
_csp_images = ["'self'", "data:", "blob:"]
_csp_images += [
    o for o in (_origin(MAP_TILE_URL), _origin(MAP_TILE_OVERLAY_URL), _origin(MEDIA_URL)) if o
]
if MEDIA_STORAGE == "s3" and not MEDIA_HOST:
    _csp_images.append(_origin(os.environ.get("S3_ENDPOINT_URL", "")) or "https:")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": _csp_images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Third-party pages that inject <style> elements get inline styles (not scripts) as well.
CSP_INLINE_STYLE_PATHS = ["/api/docs/", "/api/redoc/"]

# Personal data (PIPL): requests closed longer ago than this lose the resident's name, phone and
# address (ops.services.requests_anonymize_expired); the statistics stay.
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 730, minimum=1)
# Who is responsible for the data (privacy notice); empty: the district's organization department.
PRIVACY_CONTROLLER_NAME = os.environ.get("PRIVACY_CONTROLLER_NAME", "")
PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "")

# Prometheus scrapes /metrics from these networks only.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")

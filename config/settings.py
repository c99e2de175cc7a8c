"""Settings for Terrain Commun, read from the environment (see deploy/env.example).

Defaults are safe for production: DEBUG is off, a SECRET_KEY is required, cookies are
secure. `make run` and `make test` set DEBUG=1 for local work.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "leaflet",
    "procrastinate.contrib.django",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "territory",
    "actors",
    "sites",
    "interventions",
    "maps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before every middleware that reads or changes the body (Django's ordering
    # notes): tiles, GeoJSON and pages leave compressed when the client accepts it.
    "django.middleware.gzip.GZipMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "actors.middleware.SessionLifetimeMiddleware",
    "actors.middleware.CharterMiddleware",
    "actors.middleware.NamesConfirmationMiddleware",
    "actors.language.RememberLanguageMiddleware",
    # Routes a request's reads (replica or primary); unused without a replica.
    "config.middleware.ReadReplicaMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "maps.context_processors.map_base_config",
                "maps.context_processors.state_identity",
            ],
        },
    },
]

# The database is always PostGIS. Without DATABASE_URL: Debian's local cluster.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get(
            "DATABASE_URL", "postgis://%2Fvar%2Frun%2Fpostgresql/terrain_commun"
        ),
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A kept connection is checked before each request: after a database restart
        # the app reconnects by itself instead of failing until the connection ages.
        conn_health_checks=True,
    )
}

# Web requests are many and short on few cores: a parallel worker's start-up (1 to
# 40 ms here) cost more than the scans it split (a 1,000-site bbox page: 45 ms with
# one worker, 1.7 ms without), and JIT compiling doubled mid-sized tile queries.
# Set per connection, so the cluster's own defaults stay for other clients.
SESSION_SQL_OPTIONS = "-c max_parallel_workers_per_gather=0 -c jit=off"
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "options", SESSION_SQL_OPTIONS
)

# A streaming replica of that database (deploy/setup-replica.sh prints its URL): the
# reads of tiles, lists, exports and indicators go there (config/db_router.py).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
READ_REPLICA_ENABLED = bool(DATABASE_REPLICA_URL)
if READ_REPLICA_ENABLED:
    DATABASES["replica"] = {
        **dj_database_url.parse(
            DATABASE_REPLICA_URL,
            engine="django.contrib.gis.db.backends.postgis",
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        ),
        # Tests read the one test database: no second one is created for the replica.
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "options", SESSION_SQL_OPTIONS
    )
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
# Views whose GET reads may go to the replica (fnmatch patterns of URL names).
READ_REPLICA_VIEWS = [
    "maps:tile",
    "maps:tilejson",
    "ogc:*",
    "*-list",
    "sites:list",
    "interventions:list",
    "*-export",
    "interventions:export",
    "indicators:*",
    "public:*",
]
# After a write, that client's reads stay on the primary this long (read-your-writes).
READ_YOUR_WRITES_SECONDS = int(os.environ.get("READ_YOUR_WRITES_SECONDS", "10"))
# Past this replay lag the replica is skipped; its health is checked this often.
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
REPLICA_CHECK_SECONDS = float(os.environ.get("REPLICA_CHECK_SECONDS", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One storage SRID for every geometry field.
GEO_SRID = 4326

# Disclosure control of the public indicators (lib/disclosure.py, /public/method/):
# a cell is published only when it covers at least DISCLOSURE_MIN_SITES sites and
# DISCLOSURE_MIN_PEOPLE people and no site holds more than DISCLOSURE_DOMINANCE of
# its people; people counts are rounded to DISCLOSURE_ROUNDING.
DISCLOSURE_MIN_SITES = int(os.environ.get("DISCLOSURE_MIN_SITES", "3"))
DISCLOSURE_MIN_PEOPLE = int(os.environ.get("DISCLOSURE_MIN_PEOPLE", "11"))
DISCLOSURE_DOMINANCE = float(os.environ.get("DISCLOSURE_DOMINANCE", "0.85"))
DISCLOSURE_ROUNDING = int(os.environ.get("DISCLOSURE_ROUNDING", "10"))

AUTH_USER_MODEL = "actors.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses logins during a lockout.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Django's ModelBackend, loading the user and their grants in one query.
    "actors.backends.ScopedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "actors:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Brute force: 5 failures on one account lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Locks the account, not the address: a prefecture's shared NAT or our reverse proxy
# must not lock everyone out after five typos (hence axes.W006 silenced below).
AXES_LOCKOUT_PARAMETERS = ["username"]
# Django's login form (and our token view) pass the e-mail as "username".
AXES_USERNAME_FORM_FIELD = "username"
# One counter per account whatever the letter case of the e-mail typed.
AXES_USERNAME_CALLABLE = "actors.identity.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Sessions end after 30 minutes idle and 12 hours in all. The idle expiry is renewed
# by a request at most once a minute (actors.middleware.SessionLifetimeMiddleware), so
# reads are not writes: a session ends between 29 and 30 idle minutes.
# Django's database sessions, read by one plain statement (actors/sessions.py).
SESSION_ENGINE = "actors.sessions"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = int(os.environ.get("SESSION_RENEW_SECONDS", "60"))
SESSION_ABSOLUTE_SECONDS = int(
    os.environ.get("SESSION_ABSOLUTE_SECONDS", str(12 * 3600))
)
SESSION_COOKIE_HTTPONLY = True

# Usage charter: raising the version asks every user to accept it again.
CHARTER_VERSION = 1

# Account lifecycle (GDPR), in days; see actors/lifecycle.py.
ACCOUNT_INACTIVE_DAYS = 182
ACCOUNT_DEACTIVATE_AFTER_WARNING_DAYS = 30
ACCOUNT_ANONYMISE_AFTER_DEACTIVATION_DAYS = 182
ACCESS_REQUEST_REMINDER_DAYS = (3, 10)
ACCESS_REQUEST_RETENTION_DAYS = 365
# Public access-request form: submissions per client address and hour (mail abuse).
ACCESS_REQUESTS_PER_HOUR = int(os.environ.get("ACCESS_REQUESTS_PER_HOUR", "5"))

# Absolute links in e-mails.
SITE_URL = os.environ.get(
    "SITE_URL", "http://127.0.0.1:8000" if DEBUG else "https://terrain.example.org"
)

# The State's identity (Marianne, "République française" block) in the header and
# footer; off for deployments that are not State services (same layout).
STATE_IDENTITY = env_bool("STATE_IDENTITY", True)

# Demo accounts and data: only where explicitly asked for (`make run` does).
DEMO_DATA_ENABLED = env_bool("DEMO_DATA_ENABLED")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the static files that nginx serves (deploy/nginx/).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Terrain Commun <noreply@localhost>"
)

# Background jobs (mail first) run on PostgreSQL through procrastinate: see
# actors/mail.py and `manage.py procrastinate worker`. Modules holding tasks:
PROCRASTINATE_IMPORT_PATHS = ["actors.mail", "sites.jobs", "sites.import_jobs"]
# Tests only (tests/conftest.py): run the worker in-process when a queued mail commits.
MAIL_WORKER_ON_COMMIT = False

# Production hardening; off only when DEBUG serves plain http locally.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes bad credentials a 401.
        "actors.api.authentication.CharterTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly"
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    # The API reads JSON; only the token endpoint also reads forms (its own parsers).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Terrain Commun API",
    "DESCRIPTION": "Sites, interventions, accessibility points and territories, scoped by territory.",
    "VERSION": "1",
    # Request bodies get their own components (minLength 1 where blank is refused).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.postprocess",
    ],
}

# Maps. Base maps, in the order offered; the first is shown by default. Each is a
# Leaflet URL template (an XYZ server, or a WMTS server in KVP with the Web Mercator
# "PM" matrix set, as IGN's Géoplateforme serves it). Where no tile server answers
# (state networks often block them) every map falls back to our own outlines.
OSM_TILES_URL = os.environ.get(
    "OSM_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
IGN_PLAN_URL = os.environ.get(
    "IGN_PLAN_URL",
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM"
    "&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
)
MAP_BASE_LAYERS = [
    {
        "name": _("OpenStreetMap"),
        "url": OSM_TILES_URL,
        "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">'
        "OpenStreetMap</a>",
        "max_zoom": 19,
    },
    {
        "name": _("Plan IGN"),
        "url": IGN_PLAN_URL,
        "attribution": '&copy; <a href="https://www.ign.fr/">IGN</a>',
        "max_zoom": 19,
    },
]
# Our own outlines (fallback base map) and their source.
MAP_OUTLINES_ATTRIBUTION = "IGN ADMIN EXPRESS-COG, INSEE COG"
# National address search (Base Adresse Nationale); empty: commune search only.
ADDRESS_SEARCH_URL = os.environ.get(
    "ADDRESS_SEARCH_URL", "https://api-adresse.data.gouv.fr/search/"
)
# Where a national or anonymous map opens: metropolitan France (west, south, east, north).
MAP_DEFAULT_BBOX = (-5.2, 41.3, 9.6, 51.1)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (46.6, 2.4),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "RESET_VIEW": False,
    # No tiles here: maps/static/maps/basemap.js adds MAP_BASE_LAYERS to every map.
    "TILES": [],
}
# Browser libraries fetched by deploy/fetch_vendor.py (`make setup`), not committed.
STATICFILES_DIRS = [BASE_DIR / "var" / "vendor"]


def tile_origin(url: str) -> str:
    """`https://{s}.tile.example.org/{z}/...` -> `https://*.tile.example.org`."""
    scheme, _sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}" if host else ""


# Strict CSP: scripts only from our own static files; the few inline scripts that
# django-leaflet writes (map and form-widget set-up) carry the per-response nonce.
# Styles: our own stylesheets only; Leaflet positions tiles through the CSSOM
# (element.style), which style-src does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [
            SELF,
            "data:",
            *sorted(
                {tile_origin(str(layer["url"])) for layer in MAP_BASE_LAYERS} - {""}
            ),
        ],
        "connect-src": [SELF, *filter(None, [tile_origin(ADDRESS_SEARCH_URL)])],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Debian bookworm ships GDAL 3.6, which cannot block file/network access from a
# spatial reference. We only build SRS from integer EPSG codes and read local files
# chosen by an operator, so the check's concern does not apply; revisit on GDAL 3.9+.
SILENCED_SYSTEM_CHECKS = ["gis.W001", "axes.W006"]

# Exports up to this many rows are answered at once; beyond, CSV and GeoJSON stream
# and XLSX and GeoPackage are built by a background job (a page follows it).
EXPORT_SYNC_LIMIT = int(os.environ.get("EXPORT_SYNC_LIMIT", "5000"))
# Files built by background jobs (large exports): never served as static or media,
# only through a view that checks who asked.
PRIVATE_FILES_ROOT = Path(
    os.environ.get("PRIVATE_FILES_ROOT", BASE_DIR / "var" / "private")
)
# Days a finished export file is kept; then the worker's daily task (or the
# `purge_exports` command) deletes it and marks the job expired.
EXPORT_RETENTION_DAYS = int(os.environ.get("EXPORT_RETENTION_DAYS", "7"))

# Point imports: a compressed file may expand to this many bytes, no more (refused while
# it expands); an uploaded file not confirmed within these hours is deleted; an import
# moving an existing point farther than this (metres) or to another commune asks first.
IMPORT_MAX_EXPANDED_BYTES = int(
    os.environ.get("IMPORT_MAX_EXPANDED_BYTES", 200_000_000)
)
IMPORT_UPLOAD_MAX_AGE_HOURS = int(os.environ.get("IMPORT_UPLOAD_MAX_AGE_HOURS", "24"))
IMPORT_MOVE_METRES = 50

# Declaring a site this close (metres) to an open one asks to confirm it is not a duplicate.
SITE_DUPLICATE_METRES = 200

# Anonymous public reports accepted per client address and hour (actors/ratelimit.py).
PUBLIC_REPORTS_PER_HOUR = int(os.environ.get("PUBLIC_REPORTS_PER_HOUR", "5"))
# Password-reset requests (each sends a mail) and password changes per client and hour.
PASSWORD_RESETS_PER_HOUR = int(os.environ.get("PASSWORD_RESETS_PER_HOUR", "5"))
PASSWORD_CHANGES_PER_HOUR = int(os.environ.get("PASSWORD_CHANGES_PER_HOUR", "10"))

# Reverse proxies in front of the application whose X-Forwarded-For we believe: the
# client address (rate limits, audit, lockout) is read behind them. 0: none, the
# development server; production sits behind one (SECURE_PROXY_SSL_HEADER above).
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0" if DEBUG else "1"))
# The addresses (or networks, CIDR) those proxies reach us from; X-Forwarded-For coming
# from any other address is ignored. Default: an nginx on the same machine.
TRUSTED_PROXY_ADDRESSES = env_list("TRUSTED_PROXY_ADDRESSES", "127.0.0.1,::1")
for _proxy in TRUSTED_PROXY_ADDRESSES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXY_ADDRESSES: {error}") from error
AXES_CLIENT_IP_CALLABLE = "actors.ratelimit.client_ip"


# Rate-limit counters and other shared state: one store for every worker process.
# The database table by default (created by `make run`), Redis when REDIS_URL is set.
def _cache(table: str, max_entries: int) -> dict:
    """Redis when REDIS_URL is set (shared by every app server, evicting by its own
    policy), else a table of at most `max_entries` rows."""
    if os.environ.get("REDIS_URL"):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": table,
        }
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": table,
        "OPTIONS": {"MAX_ENTRIES": max_entries},
    }


# A full cache table is culled (a third of its rows, whatever they hold): the
# rate-limit counters must never go that way, so the map's tiles have a table apart.
CACHES = {
    # Rate-limit counters and the public aggregates.
    "default": _cache("terrain_cache", max_entries=100_000),
    # Aggregate map tiles (maps.tiles.render): their number grows with the map's use.
    "tiles": _cache("terrain_tile_cache", max_entries=20_000),
}

# Yearly intervention reports: each running intervention reports by this date
# (MM-DD) of each year; operators are reminded this many days before, then once
# more when it is overdue (`manage.py intervention_reminders`, daily).
INTERVENTION_REPORT_DUE = os.environ.get("INTERVENTION_REPORT_DUE", "11-30")
INTERVENTION_REPORT_NOTICE_DAYS = int(
    os.environ.get("INTERVENTION_REPORT_NOTICE_DAYS", "30")
)

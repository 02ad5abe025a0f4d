"""CareConductor settings: one file, read from environment variables, loud on bad values.

CARECONDUCTOR_HOME   data folder (SQLite database, secret key); default ~/.local/share/careconductor
DATABASE_URL         e.g. postgres://postgres@127.0.0.1:5432/careconductor; unset = SQLite in the data folder
CARECONDUCTOR_DEBUG  1 to turn on Django's debug pages (never in production)
CARECONDUCTOR_ALLOWED_HOSTS  comma-separated host names; default localhost names
CARECONDUCTOR_SECURE 1 when served behind TLS: secure cookies and HSTS
CARECONDUCTOR_AUDIT_ANCHOR_FILE  where the audit chain's head is anchored outside the database (default
                     DATA_HOME/audit-anchors.log)
CARECONDUCTOR_SQLITE_BUSY_SECONDS  how long a SQLite writer waits for the write lock before the request is
                     answered 503 with Retry-After (default 20)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def _env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def data_home() -> Path:
    raw = os.environ.get("CARECONDUCTOR_HOME")
    home = Path(raw).expanduser() if raw else Path.home() / ".local" / "share" / "careconductor"
    home.mkdir(parents=True, exist_ok=True)
    return home


def _secret_key(home: Path) -> str:
    """Generated on first run and kept in the data folder, readable by its owner only."""
    if os.environ.get("CARECONDUCTOR_SECRET_KEY"):
        return os.environ["CARECONDUCTOR_SECRET_KEY"]
    path = home / "secret_key"
    if not path.exists():
        # Written whole under another name, then linked into place: processes starting together on a new data
        # folder (a server and its worker, parallel test workers) never read a half-written key, and the first
        # link wins, so they all read the same one.
        fd, written = tempfile.mkstemp(dir=home, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
            with contextlib.suppress(FileExistsError):
                os.link(written, path)
        finally:
            os.unlink(written)
    return path.read_text().strip()


DATA_HOME = data_home()
SECRET_KEY = _secret_key(DATA_HOME)
DEBUG = _env_flag("CARECONDUCTOR_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CARECONDUCTOR_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "oauth2_provider",
    "careconductor.core",
    "careconductor.accounts",
    "careconductor.privacy",
    "careconductor.patients",
    "careconductor.cases",
    "careconductor.chart",
    "careconductor.coordination",
    "careconductor.assessments",
    "careconductor.careplans",
    "careconductor.medications",
    "careconductor.engagement",
    "careconductor.education",
    "careconductor.transitions",
    "careconductor.directory",
    "careconductor.referrals",
    "careconductor.appointments",
    "careconductor.letters",
    "careconductor.um",
    "careconductor.population",
    "careconductor.smart",
    "careconductor.fhir",
    "careconductor.demo",
    "careconductor.administration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "careconductor.core.zones.organisation_time_zone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careconductor.privacy.middleware.RequirePolicyMiddleware",
    "careconductor.privacy.middleware.SessionLifetimeMiddleware",
    "careconductor.privacy.middleware.SecurityHeadersMiddleware",
    # After the policy's: its exceptions are handled first (a moved record is a redirect, not a 404).
    "careconductor.patients.middleware.MovedRecordMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "careconductor.urls"
WSGI_APPLICATION = "careconductor.wsgi.application"

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
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend with writers queueing for their turn (core/sqlite3/base.py).
            "ENGINE": "careconductor.core.sqlite3",
            "NAME": str(DATA_HOME / "careconductor.sqlite3"),
            # Kept open between requests, as PostgreSQL's are: opening one and running the PRAGMAs below took
            # ~1.5 ms of every request (bench/README.md, FHIR API).
            "CONN_MAX_AGE": 60,
            # Tests use an in-memory database, as with Django's own SQLite engine. Said outright because
            # pytest-django knows only that engine's name: for ours it would give each xdist worker a database
            # file named after this one, in a folder that does not exist.
            "TEST": {"NAME": ":memory:"},
            "OPTIONS": {
                # WAL lets readers and the writer work at once; synchronous=FULL makes each commit durable
                # (NORMAL in WAL mode may lose the last commits on power loss). IMMEDIATE takes the write lock
                # at BEGIN so two writers queue (for up to `timeout` seconds) instead of failing mid-transaction;
                # one that still finds it taken is answered 503 + Retry-After (core.database.is_busy).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": _env_int("CARECONDUCTOR_SQLITE_BUSY_SECONDS", 20),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out user name before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "careconductor.core.zones.UserWithOrganizationBackend",
]
# Lock-out (docs/security.md, "Lock-out"; accounts/lockout.py decides). Two counts over the cool-off time:
# - a user name from one address: paused after AXES_FAILURE_LIMIT failures. From that address only: locking the
#   name everywhere would let anyone keep an administrator out from anywhere by typing their name;
# - an address, whatever names it tries: paused after CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES, higher, so guessing
#   spread over many accounts is stopped too, while a clinic behind one NAT address survives its staff's typos.
# In a list django-axes counts each entry on its own: ["username", "ip_address"] would lock the name everywhere;
# the nested ["username", "ip_address"] counts the two together.
AXES_FAILURE_LIMIT = _env_int("CARECONDUCTOR_LOCKOUT_FAILURES", 5)
CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES = _env_int("CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES", 20)
AXES_COOLOFF_TIME = dt.timedelta(minutes=_env_int("CARECONDUCTOR_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "careconductor.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "careconductor.accounts.lockout.lockout_response"
# The client's address behind CARECONDUCTOR_TRUSTED_PROXIES reverse proxies (core/addresses.py): the same address
# the audit trail records. 0 (the default) believes no X-Forwarded-For header.
CARECONDUCTOR_TRUSTED_PROXIES = _env_int("CARECONDUCTOR_TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "careconductor.core.addresses.request_address"
AXES_RESET_ON_SUCCESS = True
# The pause runs a fixed time from the lock-out: otherwise every attempt during it, by anyone, would restart
# it and a user could be kept locked out for good.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

# SMART on FHIR (careconductor.smart): django-oauth-toolkit is the OAuth 2.0 server. Tokens and secrets are kept as
# hashes; PKCE S256 is required of every app; RFC 9700's recommendations are enforced rather than warned about.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"


def _token_lifetime(request: object) -> int:
    # SMART: an app's token lives an hour; a system client's five minutes (it asks again with a new assertion).
    return 300 if getattr(request, "grant_type", "") == "client_credentials" else 3600


OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "careconductor.smart.validator.SmartValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": _token_lifetime,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 90 * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": [
        "https",
        "http",
    ],  # http only for loopback apps (smart.rules.redirect_problem)
    "ALLOWED_SCHEMES": ["https", "http"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "SCOPES": {"launch": "Launch context"},  # the real rules: smart.scopes (the validator decides)
}
OTP_TOTP_ISSUER = "CareConductor"

# Argon2id at OWASP's minimum configuration (accounts/hashers.py says why); hashes made with Django's default
# parameters still verify (same algorithm name) and are re-hashed at the next log-in.
PASSWORD_HASHERS = [
    "careconductor.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("CARECONDUCTOR_TIME_ZONE", "America/New_York")
USE_I18N = True
# The patient's printed plan (and, later, the portal) come in these languages.
LANGUAGES = [("en", "English"), ("es", "Español")]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (message attachments) live in the data folder and are never served as static files: a view
# checks access to the patient before sending one.
MEDIA_ROOT = DATA_HOME / "uploads"
# The audit chain's head, appended by `audit verify` and every 15 minutes by the worker (privacy/anchor.py): outside
# the database, so a trail emptied or cut back there is noticed. Make it append-only (`chattr +a`) or put it on
# storage the database's users cannot write (docs/operations.md, "Audit trail").
AUDIT_ANCHOR_FILE = Path(os.environ.get("CARECONDUCTOR_AUDIT_ANCHOR_FILE") or DATA_HOME / "audit-anchors.log")
PORTAL_INVITATION_DAYS = _env_int("CARECONDUCTOR_PORTAL_INVITATION_DAYS", 7)
# A new staff member's one-time link to choose a password (Django's password-reset token) works this long.
STAFF_INVITATION_DAYS = _env_int("CARECONDUCTOR_STAFF_INVITATION_DAYS", 7)
# Referrals (issue 20): business days an organisation has to answer before the referral is the case manager's
# work again; days a partner's single-use link works; refused link attempts from one address in 15 minutes
# before every attempt from it is refused.
REFERRAL_ANSWER_DAYS = _env_int("CARECONDUCTOR_REFERRAL_ANSWER_DAYS", 3)
PARTNER_LINK_DAYS = _env_int("CARECONDUCTOR_PARTNER_LINK_DAYS", 14)
PARTNER_LINK_REFUSALS = _env_int("CARECONDUCTOR_PARTNER_LINK_REFUSALS", 10)
PASSWORD_RESET_TIMEOUT = STAFF_INVITATION_DAYS * 24 * 60 * 60
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Sessions and cookies: short idle life, an absolute limit, never readable by scripts, never sent cross-site.
SESSION_COOKIE_AGE = _env_int("CARECONDUCTOR_SESSION_SECONDS", 15 * 60)
SESSION_ABSOLUTE_SECONDS = _env_int("CARECONDUCTOR_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
# Break-the-glass: how long emergency access to a patient lasts.
BREAK_GLASS_MINUTES = _env_int("CARECONDUCTOR_BREAK_GLASS_MINUTES", 4 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE = _env_flag("CARECONDUCTOR_SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
if SECURE:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CARECONDUCTOR_LOG_LEVEL", "WARNING")},
}

# Programmes whose care plans (and each revision) a supervisor approves before they come into force.
CARE_PLAN_APPROVAL_PROGRAMS = frozenset(
    p.strip() for p in os.environ.get("CARECONDUCTOR_PLAN_APPROVAL", "complex_cm").split(",") if p.strip()
)

# --- Coordination and follow-up (docs/coordination.md) ---
# Programmes in which closing a case needs the supervisor's approval.
CLOSURE_APPROVAL_PROGRAMS = frozenset(
    p.strip() for p in os.environ.get("CARECONDUCTOR_CLOSURE_APPROVAL", "complex_cm").split(",") if p.strip()
)
# When patients are reminded of appointments (docs/appointments.md): "2d@10:00" two days before at 10:00 in the
# organisation's time zone, "2h" two hours before. Each organisation may set its own on the set-up screens.
APPOINTMENT_REMINDERS = tuple(
    p.strip()
    for p in os.environ.get("CARECONDUCTOR_APPOINTMENT_REMINDERS", "2d@10:00,2h").split(",")
    if p.strip()
)
# Hours past its due time before an open task is escalated to the owner's supervisor, by priority
# (coordination/escalation.py). CARECONDUCTOR_ESCALATION_HOURS, from before priorities had their own delay, is
# still the routine default. A more urgent priority never waits longer than a less urgent one.
TASK_ESCALATION_HOURS = _env_int(
    "CARECONDUCTOR_ESCALATION_HOURS_ROUTINE", _env_int("CARECONDUCTOR_ESCALATION_HOURS", 24)
)
TASK_ESCALATION_HOURS_URGENT = _env_int("CARECONDUCTOR_ESCALATION_HOURS_URGENT", 2)
TASK_ESCALATION_HOURS_ASAP = _env_int("CARECONDUCTOR_ESCALATION_HOURS_ASAP", 1)
TASK_ESCALATION_HOURS_STAT = _env_int("CARECONDUCTOR_ESCALATION_HOURS_STAT", 1)
for _priority, _hours in (
    ("ROUTINE", TASK_ESCALATION_HOURS),
    ("URGENT", TASK_ESCALATION_HOURS_URGENT),
    ("ASAP", TASK_ESCALATION_HOURS_ASAP),
    ("STAT", TASK_ESCALATION_HOURS_STAT),
):
    if _hours < 0:
        raise ImproperlyConfigured(f"CARECONDUCTOR_ESCALATION_HOURS_{_priority} must not be negative")
# Failed attempts, on different days, before the unable-to-reach protocol begins.
UNABLE_TO_REACH_ATTEMPTS = _env_int("CARECONDUCTOR_UNABLE_TO_REACH_ATTEMPTS", 3)
# Public holidays that are not business days (the `holidays` package: a country, optionally a subdivision);
# an organisation adds its own days as coordination.Holiday rows. Empty country: only those rows.
HOLIDAY_COUNTRY = os.environ.get("CARECONDUCTOR_HOLIDAY_COUNTRY", "US")
HOLIDAY_SUBDIVISION = os.environ.get("CARECONDUCTOR_HOLIDAY_SUBDIVISION", "") or None

# --- Background work and notifications (docs/operations.md, "Background work and notifications") ---
# CARECONDUCTOR_REDIS_URL        redis://HOST:6379/0 puts the task queue on Redis (several machines, one
#                                `careconductor worker`); unset = SQLite file in the data folder, and
#                                `careconductor serve` runs the worker itself
# CARECONDUCTOR_SITE_URL         the address staff open, for links in e-mail and SMS; default http://localhost:8000
# CARECONDUCTOR_EMAIL_BACKEND    default: each e-mail is a file in DATA_HOME/outbox; SMTP:
#                                django.core.mail.backends.smtp.EmailBackend with CARECONDUCTOR_EMAIL_HOST, _PORT,
#                                _USER, _PASSWORD, _USE_TLS
# CARECONDUCTOR_FROM_EMAIL       default "CareConductor <careconductor@localhost>"
# CARECONDUCTOR_SMS_BACKEND      a class with send(to, body); default careconductor.core.sms.ConsoleBackend
INSTALLED_APPS += ["huey.contrib.djhuey"]

REDIS_URL = os.environ.get("CARECONDUCTOR_REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"CARECONDUCTOR_REDIS_URL must start with redis://, rediss:// or unix://, not {REDIS_URL!r}"
    )
HUEY: dict[str, object] = {
    "name": "careconductor",
    # Task results are never read: the tasks write what they did to the database.
    "results": False,
    "immediate": False,
    "utc": True,
    "consumer": {
        "workers": 2,
        "worker_type": "thread",
        # A consumer killed mid-task leaves its lock behind; without this the task would never run again.
        "flush_locks": True,
    },
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_HOME / "tasks.sqlite3")}

SITE_URL = os.environ.get("CARECONDUCTOR_SITE_URL", "http://localhost:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"CARECONDUCTOR_SITE_URL must start with http:// or https://, not {SITE_URL!r}"
    )

EMAIL_BACKEND = os.environ.get(
    "CARECONDUCTOR_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_HOME / "outbox"
EMAIL_HOST = os.environ.get("CARECONDUCTOR_EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("CARECONDUCTOR_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("CARECONDUCTOR_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CARECONDUCTOR_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_flag("CARECONDUCTOR_EMAIL_USE_TLS")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("CARECONDUCTOR_FROM_EMAIL", "CareConductor <careconductor@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = os.environ.get("CARECONDUCTOR_SMS_BACKEND", "careconductor.core.sms.ConsoleBackend")

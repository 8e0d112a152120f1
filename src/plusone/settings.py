"""PlusOne's one settings module.

The profile comes from ``PLUSONE_PROFILE`` (dev, test, prod). Every value is
read from the environment through :func:`env`, which also accepts a
``NAME_FILE`` twin naming a file that holds the value (for container secrets).
Every variable read here is listed in docs/configuration.md; a test enforces it.

Dev and test generate missing secrets into the data directory (mode 0600).
Prod never generates anything: it exits non-zero naming each missing variable.

One module on purpose, though long: every setting reads the environment through
the same ``env`` and profile rules, and one file is what an operator audits (a
test checks each variable it reads against docs/configuration.md).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import secrets
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from csp.constants import NONE, SELF

# Every environment variable name read through env(), for the documentation test.
ENV_READ: set[str] = set()


def env(name: str, default: str | None = None) -> str | None:
    """Return NAME from the environment, else the stripped contents of the file
    named by NAME_FILE, else ``default``. An empty value counts as unset."""
    ENV_READ.add(name)
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip() or default
    return default


def parse_key_ring(value: str, name: str) -> list[tuple[str, bytes]]:
    """Parse ``kid:base64key[,kid:base64key...]`` into (kid, 32-byte key) pairs.
    The first pair is the active one."""
    ring: list[tuple[str, bytes]] = []
    for part in value.split(","):
        kid, sep, b64 = part.strip().partition(":")
        if not sep or not kid or not b64:
            raise ValueError(f"{name}: expected kid:base64key, got an entry without ':'")
        key = base64.b64decode(b64 + "=" * (-len(b64) % 4), altchars=b"-_")
        if len(key) != 32:
            raise ValueError(f"{name}: key {kid!r} must decode to 32 bytes, not {len(key)}")
        if any(kid == k for k, _ in ring):
            raise ValueError(f"{name}: key id {kid!r} appears twice")
        ring.append((kid, key))
    return ring


def parse_pool_size(raw: str) -> int:
    """``PLUSONE_DB_POOL``: connections per app process in the pool; 0 or empty: no pool."""
    try:
        size = int(raw or 0)
    except ValueError:
        raise ValueError(f"PLUSONE_DB_POOL: expected a whole number, got {raw!r}") from None
    if size < 0:
        raise ValueError(f"PLUSONE_DB_POOL: expected 0 or more, got {size}")
    return size


def parse_database_url(url: str, base_dir: Path, *, pool: int = 0) -> dict[str, object]:
    """Turn ``sqlite:///path`` or ``postgres[ql]://user:pass@host:port/name``
    into a Django DATABASES entry; ``pool`` > 0 gives PostgreSQL a psycopg pool of
    at most that many connections per process."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        raw = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not raw:
            raise ValueError(
                "DATABASE_URL: sqlite needs a path, e.g. sqlite:///var/plusone.sqlite3"
            )
        path = Path(raw) if raw.startswith("/") else base_dir / raw
        return sqlite_database(path)
    if parts.scheme in ("postgres", "postgresql"):
        entry: dict[str, object] = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
        if pool:
            # Django refuses persistent connections beside a pool: the pool keeps them.
            entry["CONN_MAX_AGE"] = 0
            entry["CONN_HEALTH_CHECKS"] = False
            entry["OPTIONS"] = {"pool": {"min_size": 1, "max_size": pool, "timeout": 10}}
        return entry
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")


def sqlite_database(path: Path) -> dict[str, object]:
    """The embedded SQLite database with DESIGN.md's pragmas."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # Take the write lock at BEGIN so two writers never deadlock mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA secure_delete=ON;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


def parse_email_url(url: str) -> dict[str, object]:
    """Turn console://, locmem:// or smtp[s]://user:pass@host:port into email settings."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme in ("smtp", "smtps"):
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "",
            "EMAIL_PORT": port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": parts.scheme == "smtp" and port != 25,
            "EMAIL_TIMEOUT": 20,
        }
    raise ValueError(f"PLUSONE_EMAIL_URL: unsupported scheme {parts.scheme!r}")


def make_private(path: Path) -> None:
    """Take group and other access away from ``path`` when it has any (0755 -> 0700).

    The data directory, the database and the secrets hold health information and
    keys: they are the owner's alone, on a new install and on one made before this
    rule (issue 10). A shared directory (sticky bit, like /tmp) is never changed;
    PlusOne refuses it, as it refuses anything it cannot make private.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if not mode & 0o077:
        return
    if mode & stat.S_ISVTX:
        sys.exit(
            f"PlusOne refuses to keep its data in {path}: it is a shared directory "
            "(sticky bit, like /tmp). Set PLUSONE_DATA_DIR to a directory of its own."
        )
    try:
        path.chmod(mode & 0o700)
    except OSError as exc:
        sys.exit(
            f"PlusOne cannot make {path} private (mode {mode:04o}; it must be readable by "
            f"its owner alone): {exc.strerror}. Make the user PlusOne runs as its owner."
        )


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700, or tighten it if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(path)


def private_sqlite(path: Path) -> None:
    """Create the SQLite database file with mode 0600 before SQLite does, and tighten an
    existing one with its -wal, -shm and -journal.

    SQLite gives -wal and -shm the mode of the database file, so a private database
    keeps them private too. An empty file is an empty database to SQLite. Nothing is
    created when the parent directory is missing (SQLite then says so itself).
    """
    if path.parent.is_dir():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        make_private(path.with_name(path.name + suffix))


def _new_key_ring_entry() -> str:
    return "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


_GENERATORS = {
    "PLUSONE_SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "PLUSONE_FIELD_KEYS": _new_key_ring_entry,
    "PLUSONE_AUDIT_KEY": _new_key_ring_entry,
}


def _generated_secret(name: str, data_dir: Path) -> str:
    """Read, or create once with mode 0600, the dev/test secret NAME in data_dir/secrets."""
    folder = data_dir / "secrets"
    private_dir(folder)
    path = folder / name.lower()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        make_private(path)
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(_GENERATORS[name]() + "\n")
    return path.read_text(encoding="utf-8").strip()


BASE_DIR = Path.cwd()
# Under pytest, pytest-django loads settings before any conftest runs, so the
# test profile is the default there; everywhere else the default is dev.
PROFILE = env("PLUSONE_PROFILE") or ("test" if "pytest" in sys.modules else "dev")
if PROFILE not in ("dev", "test", "prod"):
    sys.exit(f"PLUSONE_PROFILE must be dev, test or prod, not {PROFILE!r}")

DEBUG = PROFILE == "dev"

_data_dir = env("PLUSONE_DATA_DIR")
if _data_dir:
    DATA_DIR = Path(_data_dir).resolve()
elif PROFILE == "test":
    # Throwaway secrets and files for one test process, removed when it exits.
    DATA_DIR = Path(tempfile.mkdtemp(prefix="plusone-test-"))
    atexit.register(shutil.rmtree, DATA_DIR, ignore_errors=True)
else:
    DATA_DIR = (BASE_DIR / "var").resolve()

_REQUIRED_IN_PROD = (
    "PLUSONE_SECRET_KEY",
    "PLUSONE_FIELD_KEYS",
    "PLUSONE_AUDIT_KEY",
    "PLUSONE_ALLOWED_HOSTS",
    "PLUSONE_DATA_DIR",
    "PLUSONE_EMAIL_URL",
)
if PROFILE == "prod":
    _missing = [name for name in _REQUIRED_IN_PROD if not env(name)]
    if _missing:
        sys.exit(
            "PlusOne (prod) refuses to start. Missing: "
            + ", ".join(_missing)
            + ". Set each variable, or NAME_FILE pointing at a file holding it."
        )
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
# Owner only (0700), in every profile; prod's directory is made by the operator.
make_private(DATA_DIR)


def _secret(name: str) -> str:
    value = env(name)
    if value:
        return value
    return _generated_secret(name, DATA_DIR)


SECRET_KEY = _secret("PLUSONE_SECRET_KEY")
_field_keys = _secret("PLUSONE_FIELD_KEYS")
_audit_key = _secret("PLUSONE_AUDIT_KEY")
if len({SECRET_KEY, _field_keys, _audit_key}) != 3:
    sys.exit("PLUSONE_SECRET_KEY, PLUSONE_FIELD_KEYS and PLUSONE_AUDIT_KEY must be distinct.")
try:
    FIELD_KEY_RING = parse_key_ring(_field_keys, "PLUSONE_FIELD_KEYS")
    AUDIT_KEY_RING = parse_key_ring(_audit_key, "PLUSONE_AUDIT_KEY")
except ValueError as exc:
    sys.exit(str(exc))
if {k for _, k in FIELD_KEY_RING} & {k for _, k in AUDIT_KEY_RING}:
    sys.exit("PLUSONE_FIELD_KEYS and PLUSONE_AUDIT_KEY must not share a key.")

BACKUP_RECIPIENT = env("PLUSONE_BACKUP_RECIPIENT", "")
# Where `plusone audit anchor` appends the signed chain heads: best on another machine's disk.
AUDIT_ANCHOR_FILE = Path(
    env("PLUSONE_AUDIT_ANCHOR_PATH") or DATA_DIR / "audit" / "anchors.jsonl"
).absolute()
REDIS_URL = env("REDIS_URL", "")

_hosts = env("PLUSONE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]") or ""
ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
if PROFILE == "test":
    ALLOWED_HOSTS.append("testserver")

# Apps -----------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    # Before allauth, so PlusOne's templates override allauth's layout.
    "plusone.web",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "plusone.accounts",
    "plusone.clinical",
    "plusone.audit",
    "plusone.tokens",
    "plusone.crypto",
    "plusone.notify",
    "plusone.measures",
    "plusone.demo",
    "plusone.notes",
    "plusone.privacy",
    "plusone.backup",
    "plusone.rights",
    "plusone.lockbox",
    "plusone.observers",
    "plusone.custodian",
    "plusone.insights",
    "plusone.reports",
    "plusone.interop",
    "plusone.imports",
    "plusone.outcomes",
    "plusone.portal",
]

MIDDLEWARE = [
    # Outermost: every response and every log line of a request carries its id.
    "plusone.web.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Cache-Control: no-store on every response, including those of the middleware below.
    "plusone.web.nostore.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A client's or observer's pages in the language they chose (staff pages stay English).
    "plusone.web.language.SessionLanguageMiddleware",
    # Idle timeout and absolute lifetime of signed-in sessions (plusone.web.sessions).
    "plusone.web.sessions.SessionLifetimeMiddleware",
    "plusone.accounts.middleware.StaffMFAMiddleware",
    # In-session (kiosk) check-ins hold a signed-out tablet in the check-in.
    "plusone.measures.kiosk.KioskMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "plusone.urls"
WSGI_APPLICATION = "plusone.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "plusone.web.nav.staff_nav",
            ],
        },
    },
]

# Database -------------------------------------------------------------------

try:
    _database_url = env("DATABASE_URL")
    DATABASES = {
        "default": parse_database_url(
            _database_url, BASE_DIR, pool=parse_pool_size(env("PLUSONE_DB_POOL", "") or "")
        )
        if _database_url
        else sqlite_database(DATA_DIR / "plusone.sqlite3")
    }
except ValueError as exc:
    sys.exit(str(exc))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Owner only (0600), with its -wal and -shm: the database holds health information.
    private_sqlite(Path(str(DATABASES["default"]["NAME"])))

# The database cache backs allauth's rate limits, shared by every app process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "plusone_cache",
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Auth -----------------------------------------------------------------------

AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if PROFILE == "test":
    # Test-only speed: personas log in hundreds of times. Dev and prod keep Argon2 first.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "insights:home"
ACCOUNT_ADAPTER = "plusone.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "request_login_code": "10/m/ip,3/m/key",
    "reset_password": "20/m/ip,5/m/key",  # nosec B105: a rate-limit name
}
MFA_ADAPTER = "plusone.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "PlusOne"
# Accept the neighbouring 30 s step too (RFC 6238 5.2): clock drift and slow typing.
MFA_TOTP_TOLERANCE = 1

# A signed-in session ends after 30 idle minutes, and 10 hours after sign-in however busy.
SESSION_IDLE_TIMEOUT = 30 * 60
# The client portal (/me/) ends sooner: a client's phone or a shared computer.
PORTAL_IDLE_TIMEOUT = 15 * 60
PORTAL_ABSOLUTE_AGE = 2 * 60 * 60
# Portal sign-in (plusone.portal.signin): a sign-in link works this long; wrong PINs
# before the link is spent; at most this many "send me a link" requests per address and
# per IP address an hour.
PORTAL_SIGNIN_LINK_TTL = 60 * 60 * 24
PORTAL_PIN_ATTEMPTS = 5
PORTAL_LINK_REQUESTS_PER_HOUR = 5
SESSION_ABSOLUTE_AGE = 60 * 60 * 10
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_AGE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Email ----------------------------------------------------------------------

try:
    globals().update(parse_email_url(env("PLUSONE_EMAIL_URL", "console://") or "console://"))
except ValueError as exc:
    sys.exit(str(exc))
if PROFILE == "test":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = env("PLUSONE_EMAIL_FROM", "PlusOne <plusone@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# SMS: a dotted path to a backend class (plusone.notify.sms); tests keep messages in memory.
SMS_BACKEND = env("PLUSONE_SMS_BACKEND", "plusone.notify.sms.ConsoleBackend") or (
    "plusone.notify.sms.ConsoleBackend"
)
if PROFILE == "test":
    SMS_BACKEND = "plusone.notify.sms.LocmemBackend"
# Links in emails are built from this origin, never from the request's Host header.
SITE_URL = (env("PLUSONE_SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

# Localisation ---------------------------------------------------------------

LANGUAGE_CODE = "en-ca"
# Every client- and observer-facing text exists in English and French (DESIGN.md,
# Languages); the catalogue is src/plusone/locale/fr_CA (staff pages stay English).
LANGUAGES = [("en-ca", "English"), ("fr-ca", "Français")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "America/Toronto"
# One date format per locale ("6 Dec 2026"), used by every page (plusone/web/formats).
FORMAT_MODULE_PATH = ["plusone.web.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
if PROFILE == "prod":
    # Hashed names (cache-busted, cached for a year) and gzip/brotli copies, made by
    # collectstatic (`plusone serve` runs it); whitenoise serves them before the session
    # and no-store middleware, so static files stay cacheable.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

# Security headers -----------------------------------------------------------

SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

if PROFILE == "prod":
    SECURE_SSL_REDIRECT = True
    # Probes from the load balancer or systemd speak plain HTTP to the app port.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Logging --------------------------------------------------------------------

LOG_LEVEL = env("PLUSONE_LOG_LEVEL", "INFO") or "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "plusone.web.logging.RedactFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # Prod: one JSON object a line with the request id (plusone.web.logging).
        "json": {"()": "plusone.web.logging.JsonFormatter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json" if PROFILE == "prod" else "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}

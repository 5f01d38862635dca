"""Settings, read from the environment once at start-up.

The embedded default needs nothing: SQLite under ``instance/``, mail written to the log, rate limits
kept in memory. Production sets ``APP_ENV=production``, a real ``SECRET_KEY``, ``DATABASE_URL`` and
``REDIS_URL`` so that several app servers share everything through the database and Redis.
"""
import logging
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"
# How long a Redis client waits to connect and for an answer, in seconds (the rate limiter, the health check).
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(raw: str | None, instance_path: Path) -> str:
    """Normalise DATABASE_URL so that PostgreSQL always goes through psycopg 3."""
    if not raw:
        return f"sqlite:///{instance_path / 'eventapp.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def from_environment(instance_path: Path) -> dict:
    env = os.environ.get("APP_ENV", "development")
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), instance_path),
        # pool_pre_ping: set by create_app for the database finally chosen (see _engine_options there).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": redis_url,
        # Background jobs: "redis" (a queue served by `flask jobs worker`), "thread" (in the web process)
        # or "inline" (at once); by default the queue when Redis is configured, a thread otherwise.
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND") or ("redis" if redis_url else "thread"),
        "JOB_TIMEOUT_SECONDS": int(os.environ.get("JOB_TIMEOUT_SECONDS", "3600")),
        # A running job whose worker has been silent this long was interrupted (a killed worker, a crash).
        "JOB_STALE_SECONDS": int(os.environ.get("JOB_STALE_SECONDS", "90")),
        # How often each worker looks for jobs that were never queued or were lost with a worker.
        "JOB_SWEEP_SECONDS": int(os.environ.get("JOB_SWEEP_SECONDS", "30")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance_path / "uploads")),
        # Public address of the site, printed in certificates' QR codes (else taken from the request).
        "BASE_URL": os.environ.get("BASE_URL", "").rstrip("/"),
        # Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Mail: written to the log unless MAIL_SERVER is set.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Dawn of Progress <no-reply@localhost>"),
        "MAIL_TIMEOUT_SECONDS": int(os.environ.get("MAIL_TIMEOUT_SECONDS", "30")),
        # Signed documents (certificates/signing.py): the organisation's PAdES key and certificate (PKCS#12, made
        # for a new installation by `flask certificates keygen`), and an RFC 3161 time-stamping server for B-T
        # signatures (none: B-B). Open Badges credentials are signed with the Ed25519 key of CREDENTIAL_KEY_FILE
        # (a JWK, made by the same command). Issuing refuses to start without usable keys.
        "CERTIFICATE_SIGNING_KEY_FILE": os.environ.get("CERTIFICATE_SIGNING_KEY_FILE",
                                                       str(instance_path / "signing-key.p12")),
        "CERTIFICATE_SIGNING_KEY_PASSWORD": os.environ.get("CERTIFICATE_SIGNING_KEY_PASSWORD") or None,
        "CERTIFICATE_TIMESTAMP_URL": os.environ.get("CERTIFICATE_TIMESTAMP_URL") or None,
        "CREDENTIAL_KEY_FILE": os.environ.get("CREDENTIAL_KEY_FILE", str(instance_path / "credential-key.jwk")),
        # Notifications (eventapp/notifications): how many outbox rows one job sends through one SMTP connection,
        # how often a failed one is tried again (after 1, 2, 4... minutes), and when a sender that claimed rows
        # and went silent (a killed worker) is taken to have died.
        "NOTIFY_BATCH_SIZE": int(os.environ.get("NOTIFY_BATCH_SIZE", "500")),
        "NOTIFY_MAX_ATTEMPTS": int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "6")),
        "NOTIFY_RETRY_SECONDS": int(os.environ.get("NOTIFY_RETRY_SECONDS", "60")),
        "NOTIFY_STALE_SECONDS": int(os.environ.get("NOTIFY_STALE_SECONDS", "900")),
        # How often the scheduler looks for what is due (reminders, scheduled announcements, retries).
        "NOTIFY_TICK_SECONDS": int(os.environ.get("NOTIFY_TICK_SECONDS", "60")),
        # The in-process ticker of the embedded default (off where cron runs `flask notifications send-due`).
        "NOTIFY_TICKER": _bool("NOTIFY_TICKER", True),
        # Text messages (core/sms.py): "log" (written to the log) or "http" (a provider's REST API).
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "http" if os.environ.get("SMS_URL") else "log"),
        "SMS_URL": os.environ.get("SMS_URL") or None,
        "SMS_API_KEY": os.environ.get("SMS_API_KEY") or None,
        "SMS_SENDER": os.environ.get("SMS_SENDER", ""),
        # Sessions and cookies.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "PREFERRED_URL_SCHEME": "https" if env == "production" else "http",
        # HTTP Strict Transport Security: browsers that saw the header use only HTTPS for this site (and, with
        # HSTS_INCLUDE_SUBDOMAINS, its subdomains) for HSTS_MAX_AGE seconds. On in production (a year), where
        # the site is served over HTTPS only (cookies are Secure); off (0) in development and tests, which run
        # over plain HTTP. Sent on every response; over plain HTTP browsers ignore it.
        "HSTS_MAX_AGE": int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600) if env == "production" else "0")),
        "HSTS_INCLUDE_SUBDOMAINS": _bool("HSTS_INCLUDE_SUBDOMAINS", True),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Language and time.
        "BABEL_DEFAULT_LOCALE": "fa",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tehran",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "LANGUAGES": ("fa", "en"),
        # Account security.
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "SIGNIN_WINDOW_SECONDS": int(os.environ.get("SIGNIN_WINDOW_SECONDS", "900")),
        "SIGNIN_MAX_FAILURES_PER_ACCOUNT": int(os.environ.get("SIGNIN_MAX_FAILURES_PER_ACCOUNT", "5")),
        # Per address, failures of every account: a whole class behind one campus network shares an address.
        "SIGNIN_MAX_FAILURES_PER_ADDRESS": int(os.environ.get("SIGNIN_MAX_FAILURES_PER_ADDRESS", "100")),
        # Sign-ups and reset requests per address (Flask-Limiter): generous, for the same reason; what is abused
        # is throttled where it is abused: failed sign-ins per account, reset mails per account.
        "SIGNUP_RATE_LIMIT": os.environ.get("SIGNUP_RATE_LIMIT", "100 per hour"),
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "50 per hour"),
        "PASSWORD_RESET_MAILS_PER_HOUR": int(os.environ.get("PASSWORD_RESET_MAILS_PER_HOUR", "3")),
        # Sign-in (and verifying a number) by a code sent by SMS: a code lives OTP_TTL_SECONDS and dies after
        # OTP_MAX_ATTEMPTS wrong tries; codes asked for are counted in the database per number and per address over
        # OTP_WINDOW_SECONDS (across app servers), known numbers and unknown ones alike.
        "OTP_TTL_SECONDS": int(os.environ.get("OTP_TTL_SECONDS", "120")),
        "OTP_MAX_ATTEMPTS": int(os.environ.get("OTP_MAX_ATTEMPTS", "5")),
        "OTP_WINDOW_SECONDS": int(os.environ.get("OTP_WINDOW_SECONDS", "600")),
        "OTP_MAX_CODES_PER_NUMBER": int(os.environ.get("OTP_MAX_CODES_PER_NUMBER", "3")),
        "OTP_MAX_CODES_PER_ADDRESS": int(os.environ.get("OTP_MAX_CODES_PER_ADDRESS", "20")),
        # The mobile sign-in and verification forms' posts per address (Flask-Limiter), behind the counts above.
        "MOBILE_SIGNIN_RATE_LIMIT": os.environ.get("MOBILE_SIGNIN_RATE_LIMIT", "100 per hour"),
        # Flask-Limiter: shared through Redis when there is one. When Redis does not answer, the limits are
        # counted per process in memory (and Flask-Limiter logs "Rate limit storage unreachable") until it
        # answers again: a request is never refused because Redis is down. The short timeouts keep a Redis
        # that drops packets from holding every request.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": REDIS_TIMEOUTS if redis_url else {},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Requests to the partners' API, per token (per address without one).
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "120 per minute"),
        "PAGE_SIZE": 25,
        # Cached pages (core/page_cache.py): kept this long at most, and never past a change (0 turns the cache
        # off). Without Redis they are files in PAGE_CACHE_DIR shared by the machine's workers, at most
        # PAGE_CACHE_ENTRIES of them.
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS", "60")),
        "PAGE_CACHE_ENTRIES": int(os.environ.get("PAGE_CACHE_ENTRIES", "2000")),
        "PAGE_CACHE_DIR": os.environ.get("PAGE_CACHE_DIR") or str(instance_path / "page-cache"),
        # Compression (Flask-Compress): brotli for browsers that take it, else gzip; what is compressible only.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_STREAMS": False,
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/plain", "text/csv", "text/javascript",
                               "application/javascript", "application/json", "image/svg+xml", "application/xml"],
        # Attachments of a progress map.
        "MAX_ATTACHMENTS": int(os.environ.get("MAX_ATTACHMENTS", "5")),
        "MAX_ATTACHMENT_BYTES": int(os.environ.get("MAX_ATTACHMENT_MB", "10")) * 1024 * 1024,
        # An image's width × height: a 48-megapixel phone photo passes, a decompression bomb does not.
        "MAX_IMAGE_PIXELS": int(os.environ.get("MAX_IMAGE_PIXELS", str(50_000_000))),
        # A request body larger than one attachment and its form is refused before it is read.
        "MAX_CONTENT_LENGTH": (int(os.environ.get("MAX_ATTACHMENT_MB", "10")) + 1) * 1024 * 1024,
    }


class ConfigurationError(RuntimeError):
    """The app was asked to start with settings that are not safe."""


def check(config: dict) -> None:
    if config["SMS_BACKEND"] not in ("log", "http") or (config["SMS_BACKEND"] == "http" and not config["SMS_URL"]):
        raise ConfigurationError("SMS_BACKEND must be log, or http with SMS_URL set.")
    if config["ENV_NAME"] != "production":
        return
    if config["SECRET_KEY"] in ("", DEFAULT_SECRET_KEY):
        raise ConfigurationError(
            "Refusing to start in production with the default SECRET_KEY: set SECRET_KEY."
        )
    if not config["REDIS_URL"]:
        logging.getLogger("eventapp").warning(
            "REDIS_URL is not set: rate limits are counted per process, not shared between app servers."
        )

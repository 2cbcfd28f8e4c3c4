# SPDX-License-Identifier: MIT
"""Aiser settings. Every knob comes from the environment (see the README's configuration table).

`AISER_ENV` picks development (default), test or production; `AISER_EDITION` picks enterprise
(default: django-tenants, one schema per organisation) or core (one workspace, no enterprise apps).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from aiser.settings import env

# LiteLLM downloads its model price list when first imported unless told to use the copy it ships; a server
# without internet waited ~10 s per worker for it. Aiser uses the shipped list; set it to False to fetch.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# Size, time and rate limits, all from the environment.
from aiser.settings.limits import *  # noqa: F403

# The web server's workers and the database connection pool.
from aiser.settings.serving import *  # noqa: F403
from aiser.settings.serving import database_pool_options, default_web_workers

BASE_DIR = Path(__file__).resolve().parent.parent.parent

AISER_ENV = env.text("AISER_ENV", "development")
if AISER_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("AISER_ENV must be development, test or production")
PRODUCTION = AISER_ENV == "production"
# Off unless asked for (DEBUG=1), also for `make run`: a newcomer sees the product's own 404 and 500
# pages, as customers do, never Django's debug pages.
DEBUG = env.flag("DEBUG", False)

SECRET_KEY = env.text("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-development-key-never-use-in-production-" + "x" * 20  # noqa: S105

AISER_EDITION = env.text("AISER_EDITION", "enterprise")
if AISER_EDITION not in {"enterprise", "core"}:
    raise ImproperlyConfigured("AISER_EDITION must be enterprise or core")
ENTERPRISE = AISER_EDITION == "enterprise"

# Hosts: organisations live at <slug>.<AISER_BASE_DOMAIN>; the bare domain is the public site.
AISER_BASE_DOMAIN = env.text("AISER_BASE_DOMAIN", "localhost")
AISER_SCHEME = env.text("AISER_SCHEME", "https" if PRODUCTION else "http")
AISER_PORT = env.text("AISER_PORT", "" if PRODUCTION else "8000")
_port_suffix = f":{AISER_PORT}" if AISER_PORT else ""
AISER_PUBLIC_URL = f"{AISER_SCHEME}://{AISER_BASE_DOMAIN}{_port_suffix}"
ALLOWED_HOSTS = [AISER_BASE_DOMAIN, f".{AISER_BASE_DOMAIN}", *env.items("ALLOWED_HOSTS")]
if not PRODUCTION:
    ALLOWED_HOSTS += ["testserver", "127.0.0.1"]
CSRF_TRUSTED_ORIGINS = [
    AISER_PUBLIC_URL,
    f"{AISER_SCHEME}://*.{AISER_BASE_DOMAIN}{_port_suffix}",
]

# --- Applications -------------------------------------------------------------------------------
_FRAMEWORK_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "allauth",
    "allauth.account",
]
# --- Accounts security (MFA, sessions; docs/account-security.md) --------------------------------
# Public schema in the enterprise edition: a person's authenticators and sessions are platform-wide.
_FRAMEWORK_APPS += ["allauth.mfa", "allauth.usersessions"]
# chat2chart.analytics has no models: shared (tenant-agnostic) in the enterprise edition, no migrations.
_CORE_SHARED_APPS = ["chat2chart.core", "chat2chart.accounts", "chat2chart.analytics"]
_CORE_DATA_APPS = [
    "chat2chart.workspaces",
    "chat2chart.sources",
    "chat2chart.charts",
    "chat2chart.conversations",
    "chat2chart.dashboards",
    "chat2chart.semantic",
    "chat2chart.subscriptions",
    "chat2chart.alerts",  # h/alerts: alerts on saved charts (docs/alerts.md)
    "chat2chart.collections",
]

_MONITORING_APPS = ["django_prometheus", "enterprise.monitoring"]
if ENTERPRISE:
    SHARED_APPS = [
        "django_tenants",
        "enterprise.tenants",
        *_FRAMEWORK_APPS,
        *_CORE_SHARED_APPS,
        "enterprise.rbac",
        "enterprise.billing",
        *_MONITORING_APPS,  # metrics (docs/operations.md); see "Monitoring" below
        "enterprise.backups",  # backups: records and deleted organisations live in the public schema
        "enterprise.console",  # h/console: platform console, plan-driven limits (public schema)
    ]
    TENANT_APPS = ["django.contrib.contenttypes", *_CORE_DATA_APPS, "enterprise.audit"]
    INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
    TENANT_MODEL = "tenants.Organization"
    TENANT_DOMAIN_MODEL = "tenants.Domain"
    PUBLIC_SCHEMA_URLCONF = "aiser.urls_public"
    DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
    TENANT_LIMIT_SET_CALLS = True
else:
    INSTALLED_APPS = [*_FRAMEWORK_APPS, *_CORE_SHARED_APPS, *_CORE_DATA_APPS]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "chat2chart.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "chat2chart.core.middleware.ApiErrorMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]
# --- Accounts security and audit: sessions' last use; the audit trail's request context; MFA enforcement.
MIDDLEWARE.insert(
    MIDDLEWARE.index("allauth.account.middleware.AccountMiddleware") + 1,
    "chat2chart.accounts.middleware.SessionActivityMiddleware",
)
if ENTERPRISE:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "enterprise.audit.middleware.AuditContextMiddleware",
    )
    MIDDLEWARE.append("enterprise.rbac.middleware.RequireMfaMiddleware")

if ENTERPRISE:
    MIDDLEWARE.insert(0, "enterprise.tenants.middleware.OrganizationMiddleware")
    # After authentication: non-members of an organisation get 404 on its host.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("allauth.account.middleware.AccountMiddleware") + 1,
        "enterprise.tenants.middleware.MembershipMiddleware",
    )

ROOT_URLCONF = "aiser.urls"
WSGI_APPLICATION = "aiser.wsgi.application"
ASGI_APPLICATION = "aiser.asgi.application"
# Websocket middleware by import path, so the project's ASGI entry point needs no edition switch.
AISER_WEBSOCKET_MIDDLEWARE = ["enterprise.tenants.asgi.OrganizationScopeMiddleware"] if ENTERPRISE else []

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
                "chat2chart.core.context_processors.aiser",
                # Billing (enterprise.billing): the past-due banner and the Billing link.
                *(["enterprise.billing.context_processors.billing"] if ENTERPRISE else []),
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------------
DATABASE_URL = env.text("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` and `make test` start an embedded PostgreSQL and set it."
    )
_database = dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
if ENTERPRISE:
    _database["ENGINE"] = "django_tenants.postgresql_backend"
# Pooled, not persistent (CONN_MAX_AGE) connections: under ASGI each request runs its sync code in a
# thread of its own, so persistent connections would pile up one per thread. A pooled connection is
# returned at the end of each request; django-tenants forgets the search_path it set when a
# connection is closed (returned) and sets it again on the next cursor, so a connection that served
# one organisation never answers another's request in the wrong schema (tests/serving/test_pool.py).
if _pool := database_pool_options():
    _database.setdefault("OPTIONS", {})["pool"] = _pool
_database.setdefault("TEST", {})["NAME"] = env.text("AISER_TEST_DATABASE_NAME", "test_aiser")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channels, Celery --------------------------------------------------------------------
REDIS_URL = env.text("REDIS_URL", "")
# Tenant-prefixed keys, except authentication limits, which are global (aiser.cache_keys).
_key_function = {"KEY_FUNCTION": "aiser.cache_keys.make_key"} if ENTERPRISE else {}
# An unreachable or hanging Redis fails a cache call within seconds, and the cache is then bypassed
# (chat2chart.core.cache; docs/operations-faults.md): sign-in limits fail closed, API limits open.
AISER_REDIS_TIMEOUT_S = env.number("AISER_REDIS_TIMEOUT_S", 2)
_cache_backend: dict[str, object]
if REDIS_URL:
    _cache_backend = {
        "BACKEND": "chat2chart.core.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": AISER_REDIS_TIMEOUT_S, "socket_timeout": AISER_REDIS_TIMEOUT_S},
    }
else:
    _cache_backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
CACHES = {
    "default": {**_cache_backend, **_key_function, "KEY_PREFIX": "aiser"},
    # django-ratelimit's counters: tenant-aware keys too, so one organisation's traffic never
    # spends another's allowance.
    "ratelimit": {**_cache_backend, **_key_function, "KEY_PREFIX": "aiser-rl"},
}
if not REDIS_URL:
    CACHES["ratelimit"]["LOCATION"] = "ratelimit"
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_VIEW = "chat2chart.core.api.ratelimited_view"
AISER_API_RATE = env.text("AISER_API_RATE", "600/m")
AISER_EMBED_RATE = env.text("AISER_EMBED_RATE", "300/m")
# Questions an embedded chat's end user (one external id, whatever token) may ask.
AISER_EMBED_CHAT_RATE = env.text("AISER_EMBED_CHAT_RATE", "10/m")
# --- Rate limits per organisation and fair use (h/console) ---
# The whole organisation's budgets (enterprise: the plan may override them, see enterprise.console),
# and the language-model tokens an organisation may spend a day before questions go to the rule planner
# (0: no cap).
AISER_ORG_API_RATE = env.text("AISER_ORG_API_RATE", "6000/m")
AISER_ORG_EMBED_RATE = env.text("AISER_ORG_EMBED_RATE", "3000/m")
AISER_LLM_TOKENS_PER_DAY = env.integer("AISER_LLM_TOKENS_PER_DAY", 2_000_000)
# --- end h/console ---

if REDIS_URL:
    # Every consumer waits on its channel with a 5 s blocking pop (channels_redis' brpop_timeout);
    # redis-py's default socket timeout is also 5 s, so under load the read timed out first and
    # the websocket died with redis.exceptions.TimeoutError. The socket timeout must be longer.
    _channel_redis = {"address": REDIS_URL, "socket_timeout": 30}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [_channel_redis]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Web worker processes (aiser.serve); more than one needs Redis (see default_web_workers).
AISER_WEB_WORKERS = env.integer("AISER_WEB_WORKERS", default_web_workers(redis=bool(REDIS_URL)))

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker, tasks run in-process; tests run them in-process too, so they see the test's transaction.
CELERY_TASK_ALWAYS_EAGER = env.flag("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL or AISER_ENV == "test")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "refresh-due-sources": {"task": "sources.refresh_due_sources_everywhere", "schedule": 300.0},
    "refresh-due-rollups": {"task": "semantic.refresh_due_rollups_everywhere", "schedule": 60.0},
    # Alerts (docs/alerts.md): due checks of every organisation, each alert at most once per slot.
    "check-due-alerts": {"task": "alerts.check_due_everywhere", "schedule": 60.0},
    # Usage counted in Redis moves into the database every few seconds (enterprise.billing.services).
    **({"drain-usage": {"task": "billing.usage_drain", "schedule": 10.0}} if ENTERPRISE else {}),
    # Backups (enterprise.backups): every organisation nightly with retention; purge deleted ones past grace.
    **(
        {
            "backup-organisations": {"task": "backups.backup_all", "schedule": crontab(hour=2, minute=30)},
            "purge-deleted-organisations": {"task": "backups.purge_deleted", "schedule": crontab(minute=15)},
        }
        if ENTERPRISE
        else {}
    ),
    # Billing (enterprise.billing, docs/billing.md): usage to Stripe's meters, the daily reconciliation
    # and downgrades due at a period's end.
    **(
        {
            "billing-meter-report": {"task": "billing.meter_report", "schedule": 300.0},
            "billing-meter-reconcile": {"task": "billing.meter_reconcile", "schedule": 86_400.0},
            "billing-scheduled-changes": {"task": "billing.apply_scheduled_changes", "schedule": 3_600.0},
        }
        if ENTERPRISE
        else {}
    ),
    # Subscriptions (chat2chart.subscriptions): make and queue the runs due, every minute.
    "subscriptions-run-due": {"task": "subscriptions.run_due_everywhere", "schedule": 60.0},
}
# --- Accounts security and audit: retention of the audit trail, API key expiry reminders (daily).
if ENTERPRISE:
    CELERY_BEAT_SCHEDULE |= {
        "audit-retention": {"task": "audit.retention_everywhere", "schedule": 86_400.0},
        "api-key-expiry-reminders": {"task": "rbac.api_key_expiry_reminders", "schedule": 86_400.0},
    }

# --- Accounts ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.text("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_ADAPTER = "chat2chart.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Aiser] "
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# In the enterprise edition a new account goes on to create its organisation.
ACCOUNT_SIGNUP_REDIRECT_URL = "organization_create" if ENTERPRISE else "home"

# --- Single sign-on (enterprise.sso: SAML 2.0 and OpenID Connect per organisation) ------------------
# allauth's socialaccount with its OpenID Connect provider; enterprise.sso goes before allauth so its
# socialaccount/snippets/login.html (the organisation's IdPs on the sign-in page) replaces allauth's.
if ENTERPRISE:
    SHARED_APPS.insert(SHARED_APPS.index("allauth"), "enterprise.sso")
    SHARED_APPS += ["allauth.socialaccount", "allauth.socialaccount.providers.openid_connect"]
    INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
    # First: refuses a password where the organisation requires SSO (owners excepted, break-glass).
    AUTHENTICATION_BACKENDS.insert(0, "enterprise.sso.backends.RequireSsoBackend")
    # After membership: ends non-SSO sessions (a password, a hand-off) where SSO is required.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("enterprise.tenants.middleware.MembershipMiddleware") + 1,
        "enterprise.sso.middleware.RequireSsoMiddleware",
    )
    SOCIALACCOUNT_ADAPTER = "enterprise.sso.oidc.SocialAccountAdapter"
    # The IdP vouches for the address; accounts are linked by enterprise.sso's rules, never by email alone.
    SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
    SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
    SOCIALACCOUNT_STORE_TOKENS = False
    SOCIALACCOUNT_LOGIN_ON_GET = False
# The service provider's own key pair (PEM text): with both set, AuthnRequests and LogoutRequests are
# signed (RSA-SHA256), the SP metadata publishes the certificate, and encrypted assertions are accepted.
AISER_SAML_SP_CERT = env.text("AISER_SAML_SP_CERT") or ""
AISER_SAML_SP_KEY = env.text("AISER_SAML_SP_KEY") or ""
if bool(AISER_SAML_SP_CERT) != bool(AISER_SAML_SP_KEY):
    raise ImproperlyConfigured("Set both AISER_SAML_SP_CERT and AISER_SAML_SP_KEY, or neither.")
# --- Accounts security (docs/account-security.md) ---------------------------------------------------
# TOTP with recovery codes, and security keys (WebAuthn; plain http only outside production).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Aiser"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
# Sessions' last use is written by chat2chart.accounts.middleware at most once a minute, not by allauth
# on every request.
USERSESSIONS_TRACK_ACTIVITY = False
# Days before an API key expires when its creator is reminded by email.
AISER_API_KEY_EXPIRY_REMINDER_DAYS = env.integer("AISER_API_KEY_EXPIRY_REMINDER_DAYS", 7)
# Days an organisation keeps its audit trail unless it sets its own.
AISER_AUDIT_RETENTION_DAYS = env.integer("AISER_AUDIT_RETENTION_DAYS", 365)

EMAIL_HOST = env.text("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env.text("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", f"Aiser <noreply@{AISER_BASE_DOMAIN}>")

# Cookies stay on the host that set them: no parent-domain cookie every organisation receives.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions read from the cache and written through to the database: one query less per request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"

# --- API ---------------------------------------------------------------------------------------------
_api_auth = ["rest_framework.authentication.SessionAuthentication"]
if ENTERPRISE:
    _api_auth.insert(0, "enterprise.rbac.authentication.ApiKeyAuthentication")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": _api_auth,
    "DEFAULT_PERMISSION_CLASSES": ["chat2chart.core.api.ActionPermission"],
    # orjson; the browsable API only while developing.
    "DEFAULT_RENDERER_CLASSES": [
        "chat2chart.core.renderers.OrjsonRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_THROTTLE_CLASSES": ["chat2chart.core.api.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "chat2chart.core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aiser API",
    "DESCRIPTION": "Questions in plain language become charts over your own data.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A message's role in the answer events, named apart from a member's role (enterprise).
    "ENUM_NAME_OVERRIDES": {
        "MessageRoleEnum": "chat2chart.conversations.events.ROLES",
        **({"RoleEnum": "enterprise.tenants.models.Role"} if ENTERPRISE else {}),
    },
}

# --- Data plane (its size and time limits, and the request limits, are in limits.py) --------------
AISER_DATA_DIR = Path(env.text("AISER_DATA_DIR", str(BASE_DIR / ".data")))
MEDIA_ROOT = AISER_DATA_DIR / "files"
AISER_ALLOW_PRIVATE_SOURCES = env.flag("AISER_ALLOW_PRIVATE_SOURCES", not PRODUCTION)

# --- Subscriptions and deliveries (chat2chart.subscriptions; docs/subscriptions.md) ---
# Webhook and Slack posts: private addresses refused in production (as for sources), seconds per post.
AISER_ALLOW_PRIVATE_WEBHOOKS = env.flag("AISER_ALLOW_PRIVATE_WEBHOOKS", not PRODUCTION)
AISER_WEBHOOK_TIMEOUT_S = env.number("AISER_WEBHOOK_TIMEOUT_S", 10)
# Runs missed while the scheduler was down: "each" sends every missed run once (at most _MAX of the
# latest), "latest" only the most recent one.
AISER_SUBSCRIPTION_BACKLOG = env.text("AISER_SUBSCRIPTION_BACKLOG", "each")
if AISER_SUBSCRIPTION_BACKLOG not in {"each", "latest"}:
    raise ImproperlyConfigured("AISER_SUBSCRIPTION_BACKLOG must be each or latest")
AISER_SUBSCRIPTION_BACKLOG_MAX = env.integer("AISER_SUBSCRIPTION_BACKLOG_MAX", 24)
# The Chromium headless rendering uses (Debian's package).
AISER_CHROMIUM_PATH = env.text("AISER_CHROMIUM_PATH", "/usr/bin/chromium")
# --- end subscriptions ---

# --- Backups and recovery (enterprise.backups; docs/backups.md) -----------------------------------
# Archives go to AISER_BACKUP_S3_BUCKET when set (S3 or any S3-compatible store), else AISER_BACKUP_DIR.
AISER_BACKUP_DIR = Path(env.text("AISER_BACKUP_DIR", "") or AISER_DATA_DIR / "backups")
AISER_BACKUP_S3_BUCKET = env.text("AISER_BACKUP_S3_BUCKET", "")
AISER_BACKUP_S3_PREFIX = env.text("AISER_BACKUP_S3_PREFIX", "aiser-backups/")
AISER_BACKUP_S3_ENDPOINT_URL = env.text("AISER_BACKUP_S3_ENDPOINT_URL", "")
AISER_BACKUP_S3_REGION = env.text("AISER_BACKUP_S3_REGION", "us-east-1")
# Encryption: base64 of 32 random bytes (AES-256-GCM); unset, archives are signed but not encrypted.
AISER_BACKUP_KEY = env.text("AISER_BACKUP_KEY", "")
# Signs every manifest, so a tampered archive is refused; keep it (or SECRET_KEY) to restore old archives.
AISER_BACKUP_SIGNING_KEY = (
    env.text("AISER_BACKUP_SIGNING_KEY", "")
    or hashlib.sha256(b"aiser.backups:" + SECRET_KEY.encode()).hexdigest()
)
AISER_BACKUP_TIMEOUT_S = env.integer("AISER_BACKUP_TIMEOUT_S", 6 * 3600)
AISER_PG_BIN_DIR = env.text("AISER_PG_BIN_DIR", "") or "/usr/lib/postgresql/15/bin"
AISER_BACKUP_KEEP_DAILY = env.integer("AISER_BACKUP_KEEP_DAILY", 7)
AISER_BACKUP_KEEP_WEEKLY = env.integer("AISER_BACKUP_KEEP_WEEKLY", 4)
AISER_BACKUP_KEEP_MONTHLY = env.integer("AISER_BACKUP_KEEP_MONTHLY", 12)
AISER_DELETED_ORG_GRACE_DAYS = env.integer("AISER_DELETED_ORG_GRACE_DAYS", 30)

# --- Billing (enterprise.billing; docs/billing.md) --------------------------------------------------
# Without a Stripe key billing is off: every organisation is on the Free plan's features with no limits
# but the per-organisation overrides, and nothing calls Stripe (the default for `make run`).
STRIPE_SECRET_KEY = env.text("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env.text("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env.text("STRIPE_WEBHOOK_SECRET", "")
# Another Stripe API address (a fake Stripe in tests); empty for Stripe itself.
STRIPE_API_BASE = env.text("STRIPE_API_BASE", "")
STRIPE_TIMEOUT_S = env.number("STRIPE_TIMEOUT_S", 10)
AISER_BILLING_ENABLED = env.flag("AISER_BILLING_ENABLED", bool(STRIPE_SECRET_KEY)) and ENTERPRISE
AISER_BILLING_TRIAL_DAYS = env.integer("AISER_BILLING_TRIAL_DAYS", 14)
AISER_BILLING_TRIAL_PLAN = env.text("AISER_BILLING_TRIAL_PLAN", "team")
# Days a past-due organisation keeps working before it turns read-only.
AISER_BILLING_GRACE_DAYS = env.integer("AISER_BILLING_GRACE_DAYS", 7)
# Usage events reported to Stripe billing meters: event name → the meter's event_name in Stripe.
AISER_BILLING_METERS = {
    "question_asked": "aiser_ai_questions",
    "llm_tokens": "aiser_llm_tokens",
    "rows_ingested": "aiser_rows_ingested",
    "embed_view": "aiser_embed_views",
}
# Checkout and the customer portal are Stripe's pages: the billing page's forms redirect there (CSP
# form-action below); with STRIPE_API_BASE (a fake Stripe) its pages stand in for them.
_billing_form_origins = (
    [
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
        *([STRIPE_API_BASE] if STRIPE_API_BASE else []),
    ]
    if AISER_BILLING_ENABLED
    else []
)

# --- Hardening (security) -------------------------------------------------------------------------
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production: it shows code, settings and data on errors.")
# Content-Security-Policy (django-csp) on every page: scripts only from this site or with the page's
# nonce. Inline styles stay allowed: ECharts and gridstack position elements with style attributes.
# Embed pages replace frame-ancestors with the organisation's allowed origins.
_own_hosts = [AISER_PUBLIC_URL, f"{AISER_SCHEME}://*.{AISER_BASE_DOMAIN}{_port_suffix}"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Creating or joining an organisation posts on the public site and lands on the organisation's host.
        "form-action": [SELF, *_own_hosts, *_billing_form_origins],
        "frame-ancestors": [NONE],
    }
}

# Fernet keys for secrets at rest (database passwords, REST headers). The first key encrypts;
# all keys decrypt, so a new key goes first and the old ones stay until re-encrypted.
AISER_FERNET_KEYS = env.items("AISER_FERNET_KEYS")
if not AISER_FERNET_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured("AISER_FERNET_KEYS must be set in production")
    AISER_FERNET_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

# --- Language models -------------------------------------------------------------------------------
AISER_LLM_MODEL = env.text("AISER_LLM_MODEL", "")
AISER_LLM_API_BASE = env.text("AISER_LLM_API_BASE", "")
AISER_LLM_API_KEY = env.text("AISER_LLM_API_KEY", "")
AISER_LLM_TIMEOUT_S = env.number("AISER_LLM_TIMEOUT_S", 20)
AISER_LLM_MAX_RETRIES = env.integer("AISER_LLM_MAX_RETRIES", 1)
AISER_LLM_SEND_SAMPLES = env.flag("AISER_LLM_SEND_SAMPLES", True)
# The models an organisation may choose (LiteLLM names). Organisations never set an endpoint or a key:
# the platform's AISER_LLM_API_BASE/KEY go only to the provider of AISER_LLM_MODEL.
AISER_LLM_ALLOWED_MODELS = env.items("AISER_LLM_ALLOWED_MODELS", AISER_LLM_MODEL or "")

# --- Workspaces --------------------------------------------------------------------------------------
# What a new workspace starts with; each workspace changes its own in its settings.
AISER_DEFAULT_TIMEZONE = env.text("AISER_DEFAULT_TIMEZONE", "UTC")
# Numbers in charts are written in this locale unless a workspace chooses another (any CLDR tag, such
# as en-GB, de-CH or fr-FR: chat2chart/charts/builders/formats.number_locale).
AISER_DEFAULT_LOCALE = env.text("AISER_DEFAULT_LOCALE", "en-US")

# --- Hook chains (chat2chart/core/hooks.py) ----------------------------------------------------------
# Usage, audit and limits implementations by import path, every one called in order. The edition's
# come first; AISER_USAGE_HOOKS, AISER_AUDIT_HOOKS and AISER_LIMIT_HOOKS append an operator's own
# (a metrics exporter, audit streaming).
_EDITION_HOOK_PLUGINS: dict[str, list[str]] = {
    # h/console: usage per day (console charts, fair use) and the daily language-model token cap.
    "usage": ["enterprise.billing.services.usage_record", "enterprise.console.daily.daily_usage_record"],
    "audit": ["enterprise.audit.services.audit_entry_record"],
    "limits": ["enterprise.billing.services.usage_limit_check", "enterprise.console.limits.llm_tokens_check"],
    # Row access rules ("column X must equal the member's attribute Y"; enterprise/rbac/sandboxes.py).
    "row_filters": ["enterprise.rbac.sandboxes.row_rules_for"],
}
AISER_HOOK_PLUGINS = {
    hook: [*(_EDITION_HOOK_PLUGINS[hook] if ENTERPRISE else []), *env.items(variable)]
    for hook, variable in (
        ("usage", "AISER_USAGE_HOOKS"),
        ("audit", "AISER_AUDIT_HOOKS"),
        ("limits", "AISER_LIMIT_HOOKS"),
        ("row_filters", "AISER_ROW_FILTER_HOOKS"),
    )
}

# --- Monitoring (enterprise.monitoring; docs/operations.md) -----------------------------------------
# Prometheus metrics at /metrics for a caller with the bearer token or from an allowed address (IPs or
# networks, e.g. "10.0.0.0/8,127.0.0.1"); with neither, /metrics is off. Several processes (gunicorn and
# Celery workers) share their metrics through files in PROMETHEUS_MULTIPROC_DIR, which prometheus_client
# reads from the environment itself; `python -m aiser.serve` empties it at start.
AISER_METRICS_TOKEN = env.text("AISER_METRICS_TOKEN") or ""
AISER_METRICS_ALLOWED_ADDRESSES = env.items("AISER_METRICS_ALLOWED_ADDRESSES")
for _network in AISER_METRICS_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"AISER_METRICS_ALLOWED_ADDRESSES: {_error}") from _error
AISER_METRICS_MULTIPROC_DIR = env.text("PROMETHEUS_MULTIPROC_DIR") or ""
# A host running only Celery workers serves /metrics itself on this port (0: off), same access rule.
AISER_CELERY_METRICS_PORT = env.integer("AISER_CELERY_METRICS_PORT", 0)
AISER_CELERY_METRICS_ADDRESS = env.text("AISER_CELERY_METRICS_ADDRESS") or "0.0.0.0"  # noqa: S104
if ENTERPRISE:
    # django-prometheus: requests (first and last middleware), database queries, Redis cache reads.
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "enterprise.monitoring.middleware.MetricsEndpointMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
    ORIGINAL_BACKEND = "django_prometheus.db.backends.postgresql"  # under django-tenants' backend
    for _cache in CACHES.values():
        if _cache["BACKEND"] in (
            "django.core.cache.backends.redis.RedisCache",
            "chat2chart.core.cache.FailOpenRedisCache",
        ):
            _cache["BACKEND"] = "enterprise.monitoring.cache.MeteredRedisCache"
    AISER_WEBSOCKET_MIDDLEWARE = [
        "enterprise.monitoring.websocket.WebsocketGaugeMiddleware",
        *AISER_WEBSOCKET_MIDDLEWARE,
    ]
    AISER_HOOK_PLUGINS["usage"].append("enterprise.monitoring.metrics.usage_observe")
AISER_HOOK_PLUGINS["metrics"] = [
    *(["enterprise.monitoring.metrics.observation_record"] if ENTERPRISE else []),
    *env.items("AISER_METRICS_HOOKS"),
]

# --- Static files, i18n --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = AISER_DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Operations: logs, error reporting, dependency faults (docs/operations-faults.md) -------------
# One JSON object per line ("console": readable lines for a terminal), each with the request's id.
AISER_LOG_FORMAT = env.text("AISER_LOG_FORMAT", "console" if AISER_ENV == "development" else "json")
if AISER_LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured("AISER_LOG_FORMAT must be json or console")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "chat2chart.core.logs.formatter", "renderer": AISER_LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# A query on a data source slower than this is logged as `slow_query` (milliseconds; 0 = off).
AISER_SLOW_QUERY_MS = env.number("AISER_SLOW_QUERY_MS", 2000)
# Errors go to a Sentry-compatible service only when SENTRY_DSN is set; personal data is scrubbed.
SENTRY_DSN = env.text("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env.text("SENTRY_ENVIRONMENT", AISER_ENV)
SENTRY_TRACES_SAMPLE_RATE = env.number("SENTRY_TRACES_SAMPLE_RATE", 0)
# Outermost: the request id and log line, then the probes and the database-down 503 (before the
# enterprise tenant middleware, which reads the database).
MIDDLEWARE[:0] = [
    "chat2chart.core.logs.RequestLogMiddleware",
    "chat2chart.core.faults.DependencyFaultMiddleware",
]
# Seconds a 503 tells clients to wait (Retry-After) while a dependency is down.
AISER_RETRY_AFTER_S = env.integer("AISER_RETRY_AFTER_S", 30)
# An unreachable or hanging database fails a request within seconds instead of holding it (Redis:
# AISER_REDIS_TIMEOUT_S, with the caches).
AISER_DB_CONNECT_TIMEOUT_S = env.integer("AISER_DB_CONNECT_TIMEOUT_S", 5)
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", AISER_DB_CONNECT_TIMEOUT_S)
# The embed limit (django-ratelimit) lets requests through when its counter cannot be reached.
RATELIMIT_FAIL_OPEN = True

# --- Production hardening (passes `manage.py check --deploy`) ------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- Shared object storage (issue 22; docs/object-storage.md) -----------------------------------
# Uploads, ingested Parquet tables and rollups live in an S3-compatible bucket when
# AISER_OBJECT_STORAGE=s3 (every web and worker node then holds no data of its own), else under
# MEDIA_ROOT on local disk (one machine). Credentials come from the standard AWS variables
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or the machine's role.
AISER_OBJECT_STORAGE = env.text("AISER_OBJECT_STORAGE", "local")
if AISER_OBJECT_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("AISER_OBJECT_STORAGE must be local or s3")
AISER_S3_BUCKET = env.text("AISER_S3_BUCKET", "")
# Keys start with this prefix, then the organisation's schema: <prefix><schema>/sources/<folder>/...
AISER_S3_PREFIX = env.text("AISER_S3_PREFIX", "aiser/")
AISER_S3_ENDPOINT_URL = env.text("AISER_S3_ENDPOINT_URL", "")  # MinIO, R2, moto; empty: AWS itself
AISER_S3_REGION = env.text("AISER_S3_REGION", "us-east-1")
# Scratch space for the short-lived local copies ingestion and rollup builds work on (removed after).
AISER_OBJECT_SCRATCH_DIR = Path(env.text("AISER_OBJECT_SCRATCH_DIR", "") or "/tmp/aiser-scratch")  # noqa: S108
if AISER_OBJECT_STORAGE == "s3":
    if not AISER_S3_BUCKET:
        raise ImproperlyConfigured("AISER_OBJECT_STORAGE=s3 needs AISER_S3_BUCKET")
    # STORAGES was inferred as str -> str above; OPTIONS is a dict.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {  # type: ignore[dict-item]
            "bucket_name": AISER_S3_BUCKET,
            "location": f"{AISER_S3_PREFIX}media",
            "endpoint_url": AISER_S3_ENDPOINT_URL or None,
            "region_name": AISER_S3_REGION,
            "file_overwrite": False,
        },
    }
# --- end object storage ---

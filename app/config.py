"""Every setting, read from the environment; docs/configuration.md mirrors this."""
import os
import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text):
    """'90', '90s', '15m', '12h', '7d', '2w' -> timedelta; ValueError otherwise."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 12h, 7d)")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def _bool(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def load(environ=None, instance_path="instance"):
    """The settings as a dict, from environment variables with documented defaults."""
    env = os.environ if environ is None else environ
    default_db = "sqlite:///" + os.path.join(os.path.abspath(instance_path), "pollfeed.db")
    return {
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", default_db),
        "REQUIRE_IF_MATCH": _bool(env.get("REQUIRE_IF_MATCH", "true")),
        "POLL_INTERVAL_VISIBLE": int(env.get("POLL_INTERVAL_VISIBLE", "5")),
        "POLL_INTERVAL_HIDDEN": int(env.get("POLL_INTERVAL_HIDDEN", "60")),
        "POLL_INTERVAL_MAX": int(env.get("POLL_INTERVAL_MAX", "300")),
        "OVERLOAD_DELAY": float(env.get("OVERLOAD_DELAY", "0.05")),
        "SHED_DELAY": float(env.get("SHED_DELAY", "0.25")),
        "LOAD_SMOOTHING": float(env.get("LOAD_SMOOTHING", "1")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        "CHANGES_RETENTION": parse_duration(env.get("CHANGES_RETENTION", "7d")),
        "RETRY_AFTER": int(env.get("RETRY_AFTER", "5")),
        "SQLITE_BUSY_TIMEOUT": float(env.get("SQLITE_BUSY_TIMEOUT", "10")),
        "DATABASE_POOL_SIZE": int(env.get("DATABASE_POOL_SIZE", "5")),
        "DATABASE_CONNECT_TIMEOUT": int(env.get("DATABASE_CONNECT_TIMEOUT", "3")),
        "POLL_PATH": _bool(env.get("POLL_PATH", "true")),
        "POLL_MEMO": _bool(env.get("POLL_MEMO", "true")),
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        "CORS_ORIGINS": [o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()],
        "IDEMPOTENCY_TTL": parse_duration(env.get("IDEMPOTENCY_TTL", "24h")),
        # flask-smorest / OpenAPI
        "API_TITLE": "Pollfeed",
        "API_VERSION": "1.0",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        # /docs: Swagger UI, its files served from the swagger-ui-bundle package (app/web: /docs/assets/)
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "JSON_SORT_KEYS": False,
    }

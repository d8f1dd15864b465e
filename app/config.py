"""Every setting, read from the environment; docs/configuration.md mirrors this.

The engine's settings are its POLLFEED_* config keys (pollfeed/settings.py): they are passed as the text
of their variables, and the engine parses and checks them when it is set up, naming a bad one.
"""
import os

from pollfeed import parse_boolean

#: The engine's settings that the server reads from variables of these names, passed on as POLLFEED_<name>.
#: Their defaults are the engine's own (pollfeed/settings.py).
ENGINE = ("REQUIRE_IF_MATCH", "POLL_INTERVAL_VISIBLE", "POLL_INTERVAL_HIDDEN", "POLL_INTERVAL_MAX", "OVERLOAD_DELAY",
          "SHED_DELAY", "LOAD_SMOOTHING", "CHANGES_RETENTION", "IDEMPOTENCY_TTL", "POLL_PATH", "POLL_MEMO")


def boolean(name, text):
    """'true'/'false' (and 1/0, yes/no, on/off) as a bool, as the engine reads its settings; a ValueError
    naming the variable otherwise."""
    try:
        return parse_boolean(text)
    except ValueError as refused:
        raise ValueError(f"{name}: {refused}") from None


def load(environ=None, instance_path="instance"):
    """The settings as a dict, from environment variables with documented defaults."""
    env = os.environ if environ is None else environ
    default_db = "sqlite:///" + os.path.join(os.path.abspath(instance_path), "pollfeed.db")
    return {
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", default_db),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        "RETRY_AFTER": int(env.get("RETRY_AFTER", "5")),
        "SQLITE_BUSY_TIMEOUT": float(env.get("SQLITE_BUSY_TIMEOUT", "10")),
        "DATABASE_POOL_SIZE": int(env.get("DATABASE_POOL_SIZE", "5")),
        "DATABASE_CONNECT_TIMEOUT": int(env.get("DATABASE_CONNECT_TIMEOUT", "3")),
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        "CORS_ORIGINS": [o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()],
        "CORS_CREDENTIALS": boolean("CORS_CREDENTIALS", env.get("CORS_CREDENTIALS", "false")),
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
        **{f"POLLFEED_{name}": env[name] for name in ENGINE if name in env},
    }

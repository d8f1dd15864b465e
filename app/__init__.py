"""Pollfeed: keep dashboards fresh by polling, cheaply and correctly."""
import importlib
import os

from flask import Flask

from . import config

#: The domains, each a package with an init_app(app, api), in the order they register. Written down
#: once, here: it is the order their derivers run in, and the order a project's deletion takes their
#: rows in (the board's own last, since every other domain's rows belong to its projects).
DOMAINS = ("boards", "events", "messages", "notifications", "customers", "progress")


def create_app(overrides=None):
    """The application factory; reads like a table of contents."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.update(config.load(instance_path=app.instance_path))
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("POLLFEED_CORS", bool(app.config["CORS_ORIGINS"]))  # the engine's view of CORS (cors.py)
    app.json.sort_keys = False
    register_extensions(app)
    register_blueprints(app)
    register_cors(app)
    register_errorhandlers(app)
    register_commands(app)
    register_poll_path(app)
    register_observability(app)
    return app


def register_extensions(app):
    from . import auth, database  # noqa: F401 (auth registers the read rule and the token source on pf)
    from .extensions import api, db, migrate, pf

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]) or ".", exist_ok=True)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config))
    db.init_app(app)
    with app.app_context():
        database.configure(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    api.init_app(app)
    pf.init_app(app)


def register_blueprints(app):
    from pollfeed import openapi

    from .auth import protect
    from .auth.routes import blp as auth_blp
    from .extensions import api, pf
    from .health import bp as health_bp
    from .web import bp as web_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(web_bp)
    protect(app, api, auth_blp)
    for name in DOMAINS:
        importlib.import_module(f"{__name__}.{name}").init_app(app, api)
    protect(app, api, pf.blueprint)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    openapi.link_creations(api.spec)
    openapi.add_examples(api.spec, text=EXAMPLE_TEXT, numbers=EXAMPLE_NUMBERS)


def register_cors(app):
    from . import cors

    cors.init_app(app)


#: Example values of the domains' fields, for the OpenAPI document's examples (/docs).
EXAMPLE_TEXT = {"title": "Fix homepage", "name": "Launch board", "description": "Everything for the launch.",
                "subject": "Catering", "body": "Ready when you are", "email": "ada@example.com", "first_name": "Ada",
                "last_name": "Lovelace", "phone": "+44 20 7946 0018", "venue": "Hall A", "notes": "Met at the fair.",
                "role": "member", "q": "ada", "reason": "Room double-booked.", "kind": "task_assigned", "type": "task"}
EXAMPLE_NUMBERS = {"capacity": 40, "booked": 12, "position": 0}


def register_poll_path(app):
    """The load gate in front of everything, the engine's poll path included (pollfeed/load.py)."""
    from pollfeed import polling

    # Health checks, metrics and the operator's page must answer most when the server is loaded most.
    polling.install_gate(app, never_shed=("/healthz", "/readyz", "/metrics", "/docs", "/admin"))


def register_observability(app):
    """Metrics, request ids and the admin chart's numbers, around everything else (app/metrics.py)."""
    from . import metrics

    metrics.init_app(app)
    metrics.install(app)


def register_errorhandlers(app):
    from . import errors

    errors.register(app)


def register_commands(app):
    from . import cli

    cli.register(app)

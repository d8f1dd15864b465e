"""Pollfeed: keep dashboards fresh by polling, cheaply and correctly."""
import os

from flask import Flask

from . import config


def create_app(overrides=None):
    """The application factory; reads like a table of contents."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.update(config.load(instance_path=app.instance_path))
    if overrides:
        app.config.update(overrides)
    app.json.sort_keys = False
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_poll_path(app)
    return app


def register_extensions(app):
    from . import database, sync
    from .extensions import api, db, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]) or ".", exist_ok=True)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config))
    db.init_app(app)
    with app.app_context():
        database.configure(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    api.init_app(app)
    sync.init_app(app, api)


def register_blueprints(app):
    from .auth.routes import blp as auth_blp
    from .auth.tokens import authenticate
    from .boards.routes import blp as boards_blp
    from .customers.routes import blp as customers_blp
    from .events.routes import blp as events_blp
    from .extensions import api
    from .health import bp as health_bp
    from .messages.routes import blp as messages_blp
    from .notifications.routes import blp as notifications_blp
    from .progress.routes import blp as progress_blp
    from .sync import openapi
    from .sync.routes import blp as changes_blp
    from .web import bp as web_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(web_bp)
    domains = (boards_blp, events_blp, messages_blp, notifications_blp, customers_blp, progress_blp)
    for blp in (auth_blp, *domains, changes_blp):
        api.register_blueprint(blp)
        # Every API blueprint needs a caller; registered on the app so each app gets its own.
        app.before_request_funcs.setdefault(blp.name, []).append(authenticate)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    openapi.link_creations(api.spec)


def register_poll_path(app):
    """The engine's poll path in front of Flask, with the auth package's principal and read rule."""
    from .auth import access, tokens
    from .sync import poll

    poll.configure(principal=tokens.principal_columns(), readable=access.readable)
    poll.install(app)


def register_errorhandlers(app):
    from . import errors

    errors.register(app)


def register_commands(app):
    from . import cli

    cli.register(app)

"""A helpdesk on Pollfeed's public API: teams, their tickets and comments, with versions, 304s, If-Match
and a change feed filtered by ?team=. Its own models, tokens and migrations."""
import os
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

import pollfeed

db = SQLAlchemy()
pf = pollfeed.Pollfeed(db=db, scope="team")  # GET /changes?team=<id>, each change's team_id
migrate = Migrate(directory=str(Path(__file__).parents[1] / "migrations"))
migrate.configure(pollfeed.include_migrations)  # the engine's tables come with the engine's revisions


def create_app(config=None):
    from . import cli, views  # the models, their tokens and the read rule: declared before init_app

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///helpdesk.db"),
                      API_TITLE="Helpdesk", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    app.config.from_prefixed_env()  # FLASK_POLLFEED_POLL_INTERVAL_VISIBLE=2, say
    app.config.update(config or {})
    db.init_app(app)
    api = Api(app)  # one per app: its OpenAPI document is the app's
    pf.init_app(app, api=api)
    migrate.init_app(app, db)
    api.register_blueprint(views.blp)
    api.register_blueprint(pf.blueprint)
    app.cli.add_command(cli.helpdesk)
    return app

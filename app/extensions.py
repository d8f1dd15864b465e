"""Unbound extension instances; create_app binds them."""
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from pollfeed import NAMING_CONVENTION, Pollfeed, include_migrations


class Base(DeclarativeBase):
    """The server's own tables, named by the convention the engine uses for its tables (portable migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
migrate.configure(include_migrations)  # the engine's revisions come first (pollfeed/versions)


api = Api()  # its component names: TaskSchema -> Task, its partial (PATCH) form -> TaskUpdate (the engine's)

#: The engine, bound to the server's own database and OpenAPI document.
pf = Pollfeed(db=db, api=api, scope="project")  # the wire: ?project= and project_id

"""Unbound extension instances; create_app binds them."""
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
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


def _schema_name(schema):
    """OpenAPI component names: TaskSchema -> Task, its partial (PATCH) form -> TaskUpdate."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Update" if getattr(schema, "partial", False) else name


api = Api(spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name)})

#: The engine, bound to the server's own database and OpenAPI document.
pf = Pollfeed(db=db, api=api, scope="project")  # the wire: ?project= and project_id

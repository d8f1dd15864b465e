"""Where the engine finds the host's database, and the engine's own tables.

The engine's tables (the change log, its state, watermarks, access periods, idempotency keys) are
declared on the engine's own `metadata`, not on the host's `db.Model`, so that any Flask-SQLAlchemy
app can add them: they are queried through the host's `db.session`, on its default engine. The host's
`db` is the one given to `Pollfeed(db=...)`, found per app in `app.extensions["pollfeed"]`.
"""
from flask import current_app
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.local import LocalProxy

#: Constraint names that keep migrations portable between SQLite and PostgreSQL. The engine's tables
#: use it; a host may use it for its own (the reference server does).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The engine's own tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: The engine's tables, for the host's migrations (Alembic's target_metadata takes a list).
metadata = Base.metadata


def _state():
    try:
        return current_app.extensions["pollfeed"]
    except KeyError:
        raise RuntimeError("Pollfeed is not set up on this app: call Pollfeed(app, db=db) or "
                           "pollfeed.init_app(app) first.") from None


#: The host's Flask-SQLAlchemy object, for the app in context.
db = LocalProxy(lambda: _state().db)


def app_state():
    """The engine's state for the app in context (the AppState in `app.extensions["pollfeed"]`)."""
    return _state()

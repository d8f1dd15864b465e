"""The server's connection settings: pools and timeouts, and SQLite's pragmas of its choosing.

The transaction settings that the engine's guarantees need (isolation, SQLite's WAL and BEGIN IMMEDIATE)
are the engine's own: pollfeed/isolation.py, set up by its init_app.
"""
from sqlalchemy import event


def engine_options(config):
    url = config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": config["SQLITE_BUSY_TIMEOUT"], "check_same_thread": False}}
    return {
        "pool_size": config["DATABASE_POOL_SIZE"],
        # No pre-ping (a round trip on every request, 304s included): a dead
        # connection raises, the request answers 503, and SQLAlchemy replaces
        # the whole pool, so service resumes by itself.
        "pool_timeout": config["DATABASE_CONNECT_TIMEOUT"],
        "connect_args": {"connect_timeout": config["DATABASE_CONNECT_TIMEOUT"]},
    }


def configure(engine):
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection, record):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")  # in WAL: durable across a crash of the process
            cur.close()

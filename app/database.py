"""Engine tuning per database: SQLite in WAL with a busy timeout and IMMEDIATE write transactions."""
from flask import has_request_context, request
from sqlalchemy import event

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


def is_write_request():
    return not has_request_context() or request.method not in READ_METHODS


def configure(engine):
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)


def _configure_postgresql(engine):
    import psycopg

    snapshot, committed = psycopg.IsolationLevel.REPEATABLE_READ, psycopg.IsolationLevel.READ_COMMITTED

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # Reads see one snapshot: a list and its cursor agree, so list-then-follow
        # misses and repeats nothing. Writes stay READ COMMITTED: they serialise
        # on the feed head's row lock, which REPEATABLE READ would turn into
        # serialization failures. psycopg sends the level with its own BEGIN:
        # no extra round trip.
        dbapi = conn.connection.dbapi_connection
        level = committed if is_write_request() else snapshot
        if dbapi.isolation_level != level:
            dbapi.isolation_level = level


def _configure_sqlite(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        # Take transaction control from pysqlite so that BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # Writers take the write lock up front: a deferred transaction that
        # reads and then writes can fail with SQLITE_BUSY instead of waiting.
        # Readers get a deferred transaction: one snapshot for all its reads.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if is_write_request() else "BEGIN")

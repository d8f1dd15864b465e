"""Database triggers that refuse an UPDATE of a versioned row that leaves its version unchanged.

Every write through the ORM raises the version (SQLAlchemy's version_id_col) and is logged by the commit
hook. A write that goes around the ORM (raw SQL from a script, a console, another program) would change
the row under an unchanged ETag, so a client's 304 would keep the old body. The engine cannot see such a
write, so the database refuses it: a BEFORE UPDATE trigger on each versioned table aborts an UPDATE whose
new version equals the old one, on SQLite and on PostgreSQL alike, whoever sends it.

A raw UPDATE that does raise the version gets through: its tag moves, so no client keeps a stale body, but
the change log does not hear of it, and `flask pollfeed verify` reports the row. Data migrations that
backfill a column of a versioned table either raise the version too or drop the guard for their duration
(`drop(connection, table)`, then `install(connection, [table])`).

`install` runs for every versioned table that `db.create_all()` creates (init_app listens for it, and
creates the engine's own tables with the host's); a database built by migrations installs them in a
migration. `verify` reports a table without its guard.
"""
from sqlalchemy import text

NAME = "pollfeed_versioned"
MESSAGE = ("pollfeed: an UPDATE of a versioned row must raise its version (write through the ORM); "
           "this one would change the row under an unchanged ETag")
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION pollfeed_refuse_unversioned_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version THEN
        RAISE EXCEPTION '{MESSAGE} (table %)', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$"""


def _sqlite_name(table):
    return f"{NAME}_{table}"


def install(connection, tables):
    """Create the guard on each of `tables` (names); one that has it already is left as it is."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text(_PG_FUNCTION))
    for table in tables:
        if dialect == "sqlite":
            connection.execute(text(
                f'CREATE TRIGGER IF NOT EXISTS "{_sqlite_name(table)}" BEFORE UPDATE ON "{table}" FOR EACH ROW '
                f"WHEN NEW.version = OLD.version BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"))
        elif dialect == "postgresql":
            connection.execute(text(f'DROP TRIGGER IF EXISTS {NAME} ON "{table}"'))
            connection.execute(text(f'CREATE TRIGGER {NAME} BEFORE UPDATE ON "{table}" FOR EACH ROW '
                                    "EXECUTE FUNCTION pollfeed_refuse_unversioned_update()"))
        else:
            raise NotImplementedError(f"Pollfeed's version guards support SQLite and PostgreSQL, not {dialect}")


def drop(connection, table):
    if connection.dialect.name == "sqlite":
        connection.execute(text(f'DROP TRIGGER IF EXISTS "{_sqlite_name(table)}"'))
    else:
        connection.execute(text(f'DROP TRIGGER IF EXISTS {NAME} ON "{table}"'))


def missing(connection, tables):
    """The tables among `tables` that have no guard."""
    if connection.dialect.name == "sqlite":
        have = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
        return [t for t in tables if _sqlite_name(t) not in have]
    have = {row[0] for row in connection.execute(text(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = :name AND c.relnamespace = current_schema()::regnamespace"), {"name": NAME})}
    return [t for t in tables if t not in have]


def _after_create(target, connection, tables=(), **kw):
    from .state import metadata
    from .versioned import models

    metadata.create_all(connection)  # the engine's own tables (the log's first row is seeded as they are made)

    versioned = {m.__tablename__ for m in models(target).values()}
    names = [t.name for t in tables if t.name in versioned]
    if names:
        install(connection, names)


def on_create_all(metadata):
    """Install the guards on the versioned tables that `metadata.create_all()` creates (idempotent)."""
    from sqlalchemy import event

    if not event.contains(metadata, "after_create", _after_create):
        event.listen(metadata, "after_create", _after_create)


def random_stamp_sql(dialect):
    """A random stamp in SQL, 1..2**48-1, each row its own (pollfeed.stamps draws them in Python)."""
    if dialect == "postgresql":
        return "(floor(random() * 281474976710655) + 1)::bigint"
    return "(abs(random()) % 281474976710655 + 1)"


def make_versioned(op, table):
    """In an Alembic migration, make an existing table versioned in place, its rows and ids kept: add the
    columns Versioned declares that it lacks (`version` 1, a random `stamp` each, `created_at` and
    `updated_at` now, for the rows already there; a table's own `created_at` or `updated_at` is kept; no
    server default is left behind), then install the guard. Its rows are then unknown to the change log
    until `flask pollfeed adopt` logs them. On SQLite, Alembic's batch mode copies the table to add
    NOT NULL columns: the copy keeps its columns, keys and indexes, and loses what SQLite keeps only in
    the table's text (its own triggers, AUTOINCREMENT); run it with foreign keys off (Alembic's default
    for a migration), as dropping the original would cascade. Undo with `unmake_versioned`."""
    import sqlalchemy as sa

    bind = op.get_bind()
    present = {column["name"] for column in sa.inspect(bind).get_columns(table)}
    now = sa.text("timezone('utc', now())" if bind.dialect.name == "postgresql" else "CURRENT_TIMESTAMP")
    wanted = [sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
              sa.Column("stamp", sa.BigInteger(), nullable=False, server_default="0"),
              sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),  # naive UTC
              sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=now)]
    added = [column for column in wanted if column.name not in present]
    if added:
        with op.batch_alter_table(table) as batch:  # a column added NOT NULL needs a default, dropped below
            for column in added:
                batch.add_column(column)
    if "stamp" not in present:
        op.execute(f'UPDATE "{table}" SET stamp = {random_stamp_sql(bind.dialect.name)}')
    if added:
        with op.batch_alter_table(table) as batch:  # the model gives every new row its values
            for column in added:
                batch.alter_column(column.name, server_default=None)
    install(bind, [table])


def unmake_versioned(op, table, columns=("updated_at", "created_at", "stamp", "version")):
    """make_versioned's downgrade: the guard, then the columns it added (pass `columns` to keep a table's
    own `created_at` or `updated_at`). The log keeps the table's changes: make it versioned again and its
    versions start at 1 under changes that say otherwise, so remove its type's changes then (or keep
    the table versioned)."""
    drop(op.get_bind(), table)
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.drop_column(column)

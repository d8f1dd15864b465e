"""Fixed SELECTs for the poll path, compiled once per dialect and run with no ORM or compile work.

Building a SQLAlchemy statement and its cache key costs more than the
indexed lookup it runs, and a 304 is nothing but lookups. A Lookup is built
once (with bind parameters, including callable ones such as the caller's id),
compiled once per dialect, and executed on the request's connection with
`exec_driver_sql`; result values go through the column types' processors.
"""
from collections import namedtuple

from sqlalchemy import Uuid

from .state import app_state, db
from .versioned import typed_value


def cached(key, build):
    """The Lookup for `key` among the statements of the app in context (AppState.lookups), made from
    `build()` the first time (bounded: some keys, a feed query's `types` say, come from callers)."""
    lookups = app_state().lookups
    found = lookups.get(key)
    if found is None:
        if len(lookups) >= 1024:
            lookups.clear()
        found = lookups[key] = Lookup(build())
    return found


def _preparer(kind, dialect):
    """How a bind parameter of type `kind` reaches the driver, or None where nothing is to be done: a key
    given as text takes its type's value (versioned.typed_value: a `<string:>` URL variable for an integer
    or a Uuid key; text that names no such value matches no row), then the type's bind processor, as
    SQLAlchemy's own execution applies it."""
    process = kind.dialect_impl(dialect).bind_processor(dialect)
    try:
        textual = kind.python_type is str and not isinstance(kind, Uuid)
    except NotImplementedError:
        textual = True
    if textual:
        return process

    def prepare(value):
        try:
            value = typed_value(kind, value)
        except ValueError:
            return None
        return process(value) if process else value
    return prepare


class Lookup:
    """A fixed SELECT; its rows are named tuples whose fields are the statement's column labels, so
    callers read them by name."""

    def __init__(self, statement):
        self.statement = statement
        self.Row = namedtuple("Row", statement.selected_columns.keys(), rename=True)
        self._compiled = {}

    def _prepare(self, dialect):
        entry = self._compiled.get(dialect.name)
        if entry is None:
            compiled = self.statement.compile(dialect=dialect)
            binds = compiled.binds
            names = list(compiled.positiontup) if compiled.positional else list(binds)
            processors = [col.type.dialect_impl(dialect).result_processor(dialect, None)
                          for col in self.statement.selected_columns]
            preparers = [_preparer(binds[n].type, dialect) for n in names]
            entry = self._compiled[dialect.name] = (str(compiled), compiled.positional, names, binds, processors,
                                                    preparers if any(preparers) else None)
        return entry

    def _bound(self, dialect, params):
        """The SQL for `dialect`, its arguments (`params` by bind key; the rest, callables or literals,
        fill themselves; each through its type's bind processor, where it has one) and the result
        processors."""
        sql, positional, names, binds, processors, preparers = self._prepare(dialect)
        values = [params[binds[n].key] if binds[n].key in params else binds[n].effective_value for n in names]
        if preparers is not None:
            values = [p(v) if p else v for p, v in zip(preparers, values, strict=True)]
        return sql, tuple(values) if positional else dict(zip(names, values, strict=True)), processors

    def _run(self, params):
        conn = db.session.connection()
        sql, args, processors = self._bound(conn.dialect, params)
        return conn.exec_driver_sql(sql, args), processors

    def first_on(self, cursor, dialect, params):
        """`first`, on a DB-API cursor of a connection of `dialect` (the poll path's own, outside any
        session)."""
        sql, args, processors = self._bound(dialect, params)
        cursor.execute(sql, args)
        row = cursor.fetchone()
        if row is None:
            return None
        return self.Row._make(p(v) if p else v for p, v in zip(processors, row, strict=True))

    def first(self, **params):
        """The first row (or None); `params` by bind key, callables fill the rest."""
        result, processors = self._run(params)
        row = result.fetchone()
        if row is None:
            return None
        return self.Row._make(p(v) if p else v for p, v in zip(processors, row, strict=True))

    def rows(self, **params):
        """Every row, through the column types (JSON decoded, datetimes parsed)."""
        rows, process = self.raw(**params)
        return [self.Row._make(process(row)) for row in rows]

    def raw(self, **params):
        """Every row raw, and a function that puts one through the column types (as `rows` does): for
        callers that convert only some rows."""
        result, processors = self._run(params)

        def process(row):
            return tuple(p(v) if p else v for p, v in zip(processors, row, strict=True))

        # The driver's own rows (tuples), not Row objects: a feed page reads a hundred of them.
        rows = result.cursor.fetchall()
        result.close()
        return rows, process

    def all(self, **params):
        """Every row, raw (no result processing: for ids, integers and strings)."""
        result, _ = self._run(params)
        return result.fetchall()

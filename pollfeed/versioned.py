"""Versioned mixin: opaque id, a version counter kept by SQLAlchemy's version_id_col, a stamp, timestamps."""
import re
import uuid
from datetime import datetime, timezone
from typing import ClassVar

from sqlalchemy import BigInteger, DateTime, Integer, String, Uuid, cast, event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .etags import version_tag
from .ids import new_id
from .stamps import new as new_stamp

#: metadata -> {change type name -> model class}, filled as models are declared: each app's models are
#: the ones on its own db's metadata, so two apps in one process keep their types apart. Module-level on
#: purpose: a model is declared (a class statement) before, and apart from, any app or extension, and
#: belongs to its metadata wherever that is used; the registry holds classes, never an app's data.
_MODELS: dict[object, dict[str, type]] = {}


def models(metadata=None):
    """{change type -> model} of the Versioned models on `metadata` (by default the app's db's)."""
    if metadata is None:
        from .state import db

        metadata = db.metadata
    return _MODELS.setdefault(metadata, {})  # live: models declared later appear in it


def utcnow():
    """Naive UTC, the form every timestamp column stores (a callable, never a value)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Versioned:
    """Mix into a model to get ETags, conditional writes and change-feed entries.

    Subclasses set `__change_type__` (the feed's `type`), `__scope_attr__` (the
    column that names the row's scope, `"id"` for a model that is its own scope),
    and for rows private to one principal `__audience_attr__`.
    """

    __change_type__: ClassVar[str]
    #: The column naming the row's scope: no default, the scope is the host's notion.
    __scope_attr__: ClassVar[str | None] = None
    #: Set to a column holding a principal id to make the rows private to that
    #: principal: their changes reach only them, and move only their private watermark.
    __audience_attr__: ClassVar[str | None] = None
    #: False for bookkeeping kept by derivers (counters, aggregates): the feed then
    #: delivers their changes only to a client that names the type in `types`.
    __feed_default__: ClassVar[bool] = True

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Drawn afresh with every version (pollfeed.stamps): a restore hands the version out again, not the stamp.
    stamp: Mapped[int] = mapped_column(BigInteger, nullable=False, default=new_stamp, onupdate=new_stamp)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls):
        # The UPDATE and DELETE carry `WHERE version = :loaded`, so a racing
        # writer cannot slip between the If-Match check and the write.
        return {"version_id_col": cls.__table__.c.version}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__change_type__" in cls.__dict__:
            if not cls.__scope_attr__:
                raise TypeError(f"{cls.__name__}: a Versioned model names the column that holds its scope, e.g. "
                                f"__scope_attr__ = \"team_id\" (\"id\" for a model that is its own scope)")
            if issubclass(cls, Grant) and not cls.__grant_principal__:
                raise TypeError(f"{cls.__name__}: a Grant names the column that holds the principal it gives "
                                f"access, e.g. __grant_principal__ = \"account_id\"")
            _MODELS.setdefault(cls.metadata, {})[cls.__change_type__] = cls

    @property
    def scope_id(self):
        return getattr(self, self.__scope_attr__)

    @property
    def audience_id(self):
        return getattr(self, self.__audience_attr__) if self.__audience_attr__ else None

    @property
    def etag(self):
        return version_tag(self.version, self.stamp, self.audience_id)


@event.listens_for(Versioned, "instrument_class", propagate=True)
def _named(mapper, cls):
    """A mapped Versioned model names its change type when it is declared, not at its first commit."""
    if getattr(cls, "__change_type__", None) is None:
        raise TypeError(f"{cls.__name__}: a Versioned model names its type in the feed, e.g. "
                        f"__change_type__ = \"{cls.__name__.lower()}\"")


@event.listens_for(Versioned, "after_mapper_constructed", propagate=True)
def _columns_named(mapper, cls):
    """The attributes a Versioned model names (its scope, its audience, a Grant's principal) are its own
    mapped attributes (a column, a synonym, a hybrid), checked when it is declared: a misspelt one would
    fail at its first commit."""
    for setting in ("__scope_attr__", "__audience_attr__", "__grant_principal__"):
        name = getattr(cls, setting, None)
        if name and name not in mapper.all_orm_descriptors.keys():
            raise TypeError(f"{cls.__name__}: {setting} = {name!r} names no column of the model; its columns "
                            f"are {', '.join(mapper.columns.keys())}")


def logged_id(column):
    """A principal id column as the log keeps ids, text (feed_access.principal_id, private keys): an
    integer key is cast, which PostgreSQL needs to compare them; a text one is used as it is."""
    return column if isinstance(getattr(column, "type", None), String) else cast(column, String)


_INTEGER = re.compile(r"-?(0|[1-9][0-9]{0,18})")  # canonical: one text per integer, within 64 bits


def typed_value(kind, value):
    """An id given as text (from the log, a URL variable, a page's `after`, a caller) as the Python value of
    the SQL type `kind` (a host's key column's), for a query on that key: an int for an integer key, a
    uuid.UUID for SQLAlchemy's Uuid; text stays text, and a value that is not text is left as it is (but
    a uuid.UUID for a `Uuid(as_uuid=False)` column becomes its text). Only the canonical text of a value
    is taken (`7`, not `07`; a UUID in lower case with hyphens), as the log and the wire write it: a
    key has one text, so that its watermarks and tags are found. ValueError where the text names no
    such value."""
    if isinstance(kind, Uuid):
        if isinstance(value, str):
            parsed = uuid.UUID(value)
            if str(parsed) != value:
                raise ValueError(f"{value!r} is not a UUID's canonical text")
            return parsed if kind.as_uuid else value
        return value if kind.as_uuid or not isinstance(value, uuid.UUID) else str(value)
    if not isinstance(value, str):
        return value
    try:
        python = kind.python_type
    except NotImplementedError:
        return value
    if python is str:
        return value
    if python is int:
        if not _INTEGER.fullmatch(value) or not -2**63 <= int(value) < 2**63:
            raise ValueError(f"{value!r} is not an integer's canonical text, within 64 bits")
        return int(value)
    try:
        return python(value)
    except (TypeError, ArithmeticError) as exc:
        raise ValueError(f"{value!r} is not a {python.__name__}") from exc


def typed_id(column, text):
    """typed_value for a key column."""
    return typed_value(column.type, text)


def private_key(scope, principal_id):
    """The watermark key of a principal's private changes within a scope.

    Values give a string; SQL expressions (columns, bind parameters) give the
    same key computed in SQL, so the format is written down once.
    """
    if isinstance(scope, str):
        return f"{scope}/{principal_id}"
    return scope.concat("/").concat(principal_id)


class Grant:
    """Mix into a Versioned model whose rows give a principal read access to a scope.

    The change log keeps, from these rows, the periods during which each
    principal could read each scope; the feed filters by them.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A model (it has a metadata) that grants access without being versioned logs no changes, so no
        # access period would ever open: its members would get 404 from the feed, with no clue why.
        if hasattr(cls, "metadata") and not issubclass(cls, Versioned):
            raise TypeError(f"{cls.__name__}: a Grant is a Versioned model too: class {cls.__name__}(db.Model, "
                            f"Versioned, Grant)")

    #: The column holding the principal the row gives access: no default, the principal is the host's notion.
    __grant_principal__: ClassVar[str | None] = None


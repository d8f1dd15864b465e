"""The poll path's statements: one per declaration, from the token's hash to the tag's parts.

Each selects the token's principal (labelled pf_*) and, in the same statement, the read rule and the
version or watermark the declaration's tag is made of, with the Flask path's own expressions (the
read rule, feed.state_columns, feed.access_end, feed.visible_watermark, resources.Digest). They are
built once per route and compiled once per dialect (lookup.Lookup).
"""
from sqlalchemy import BigInteger, Boolean, String, bindparam, cast, exists, literal, or_, select

from ..changelog import FeedState
from ..feed import access_end, scope_position, scope_stamp, stamp_at, state_columns, visible_watermark
from ..versioned import models, private_key
from .declarations import PRINCIPAL


def principal_select(ext, *columns):
    """The token's principal (columns labelled pf_*) and a statement's own `columns` (labelled by it)."""
    p = ext.tokens
    return (select(p.token_hash.label("pf_token_hash"), p.principal_id.label("pf_principal_id"),
                   p.is_admin.label("pf_is_admin"), p.name.label("pf_name"), *columns).select_from(p.source)
            .where(p.token_hash == bindparam("pf_hash", type_=String), p.valid))


def _scope_exists(ext, scope):
    """The scope names something that exists: a row of the model that is its own scope (`__scope_attr__`
    "id")."""
    owners = [m for m in models(ext.db.metadata).values() if m.__scope_attr__ == "id"]
    return or_(*(exists().where(m.id == scope) for m in owners)) if owners else literal(True, Boolean)


def build_item(ext, spec):
    p, model = ext.tokens, spec.model
    criteria = [getattr(model, attr) == (p.principal_id if var == PRINCIPAL else
                                         bindparam(f"u_{var}", type_=getattr(model, attr).type))
                for attr, var in spec.keys]  # the key's value as the URL's converter made it, typed as its column
    scope = getattr(model, model.__scope_attr__)
    audience = getattr(model, model.__audience_attr__) if model.__audience_attr__ else model.id
    return principal_select(ext, model.version.label("version"), model.stamp.label("stamp"),
                             audience.label("audience")).select_from(model.__table__).where(
        *criteria, ext.rule()(scope, p.principal_id, p.is_admin))


def build_scoped(ext, spec):
    p = ext.tokens
    st = FeedState.__table__.c
    key = (private_key(bindparam("u_scope_key", type_=String), logged_id(p.principal_id)) if spec.audience
           else bindparam("u_scope_key", type_=String))
    scope = bindparam("u_scope")  # untyped: it takes the type of the host's column it meets
    return (principal_select(ext, scope_position(key).label("position"), scope_stamp(key).label("stamp"),
                              st.horizon, st.horizon_stamp)
            .join(FeedState.__table__, st.id == 1)
            .where(_scope_exists(ext, bindparam("u_scope_exists")),
                   ext.rule()(scope, p.principal_id, p.is_admin)))


def build_digest(ext, spec):
    """The digest's parts and, read in the same snapshot, the scope's watermark they were taken at."""
    p = ext.tokens
    scope = bindparam("u_scope")
    parts = spec.digest.aggregate(bindparam("u_scope_d"), bindparam("u_value", type_=String),
                                  p.principal_id)
    key = bindparam("u_scope_w", type_=String)
    return principal_select(ext, parts.label("digest"), scope_position(key).label("position"),
                             scope_stamp(key).label("stamp")).where(
        _scope_exists(ext, bindparam("u_scope_exists")),
        ext.rule()(scope, p.principal_id, p.is_admin))


def logged_id(column):
    """A host's principal id column as the log keeps ids, text (feed_access.principal_id, private keys):
    an integer key is cast, which PostgreSQL needs to compare them; a text one is used as it is."""
    return column if isinstance(getattr(column, "type", None), String) else cast(column, String)


def _visible(p, scoped):
    """feed.visible_watermark, decided in the statement from the principal's own columns. Each place
    the scope goes in has a bind of its own: PostgreSQL deduces one type per parameter."""
    scope, principal = bindparam("f_scope", type_=String), logged_id(p.principal_id)
    return visible_watermark(p.is_admin, scoped, principal, scope, bindparam("f_scope2", type_=String),
                             private_key(bindparam("f_scope3", type_=String), principal))


def build_feed(ext, scoped):
    """feed.STATE_COLUMNS, then (if `scoped`) feed.access_end: the Flask path's feed state, for the
    token's principal."""
    p = ext.tokens
    st = FeedState.__table__.c
    follow = [access_end(bindparam("f_scope4", type_=String), logged_id(p.principal_id), p.is_admin)
              .label("access_end")] if scoped else []
    return principal_select(ext, *state_columns(_visible(p, scoped), bindparam("f_at", type_=BigInteger)),
                             *follow).join(FeedState.__table__, st.id == 1)


def build_caller(ext):
    p = ext.tokens
    st = FeedState.__table__.c
    visible = _visible(p, False)
    return principal_select(ext, visible.label("position"), stamp_at(visible).label("stamp"), st.horizon,
                             st.horizon_stamp).join(
        FeedState.__table__, st.id == 1)


def list_params(hashed, scope):
    """A scoped list's parameters: the scope as its URL converter made it, for the host's columns, and as
    text, the log's key."""
    return {"pf_hash": hashed, "u_scope_key": str(scope), "u_scope": scope, "u_scope_exists": scope}

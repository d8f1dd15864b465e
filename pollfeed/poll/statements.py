"""The poll path's statements: a declaration's tag query (pollfeed.queries), run for the token's principal.

Each is the query the Flask view runs, with the token's principal as the asker and the token's row
joined in (with_token): one statement goes from the token's hash to the principal (columns labelled
pf_*), the read rule, and the version or watermark the tag is made of. They are built once per route
and compiled once per dialect (lookup.Lookup).
"""
from ..queries import Asker
from .declarations import Item, ScopedList


def token_asker(ext):
    """The token's principal as the queries' asker: columns of the token's own row."""
    p = ext.tokens
    return Asker(p.principal_id, p.is_admin)


def with_token(ext, stmt):
    """`stmt` with the row of the token whose hash is bound as pf_hash joined in (its principal's
    columns labelled pf_*): no row unless the token names a principal and is valid."""
    p = ext.tokens
    return (stmt.add_columns(p.token_hash.label("pf_token_hash"), p.principal_id.label("pf_principal_id"),
                             p.is_admin.label("pf_is_admin"), p.name.label("pf_name"))
            .select_from(p.source).where(*p.finds()))


def build(ext, spec, *args):
    """The poll path's statement for a declaration `spec` (pollfeed.poll.declarations), `args` being what
    its query's statement takes besides the rule and the asker (a list's `digested`, the feed's `scoped`)."""
    who, tags = token_asker(ext), spec.tags
    if isinstance(spec, Item):
        stmt = tags.statement(ext.rule(), who)
    elif isinstance(spec, ScopedList):
        stmt = tags.statement(ext.rule(), who, ext.scope_owners(), *args)
    else:  # CallerList, Feed
        stmt = tags.statement(who, *args)
    return with_token(ext, stmt)

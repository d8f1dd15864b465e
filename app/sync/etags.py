"""The five ETag families: every tag the server hands out is made here, one function per family.

A strong tag never names two different bodies, for any two callers (a shared
cache revalidates with the tags of every variant it holds), so a tag whose body
depends on the caller carries the caller's id or is hashed with it.
"""
import hashlib


def version_tag(version, audience=None):
    """`"v<version>"`: one versioned item, by its version alone (no row load); a row private to one
    principal (their unread count) carries that principal's id: `"v<version>.<principal>"`."""
    return f'"v{version}"' if audience is None else f'"v{version}.{audience}"'


def list_tag(position, audience=None):
    """`"l<position>"`: a list within one scope, by the scope's watermark; a list that is the caller's
    own (their projects, their notifications) carries the caller's id: `"l<position>.<principal>"`."""
    return f'"l{position}"' if audience is None else f'"l{position}.{audience}"'


def digest_tag(parts):
    """`W/"s<digest>"`: a list tagged by the rows it depends on (a search, the caller's bookings), from
    resources.Digest's aggregated `id|version` parts (None for none); weak, as its cursor may move."""
    text = ";".join(sorted(parts.split(";"))) if parts else ""
    return f'W/"s{hashlib.blake2b(text.encode(), digest_size=12).hexdigest()}"'


def feed_tag(principal_id, is_admin, query, since, upto, horizon):
    """`"f<digest>"`: a feed page, by the caller, the query and the positions the page spans."""
    key = "|".join(map(str, (principal_id, is_admin, since, query.limit, query.project, ",".join(query.types),
                             query.include_resource, upto, horizon)))
    return '"f' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def principal_tag(principal_id, name, is_admin):
    """`"u<digest>"`: the caller's own record (/me), which is not versioned: its three fields hashed."""
    return '"u' + hashlib.blake2b(f"{principal_id}|{name}|{is_admin}".encode(), digest_size=8).hexdigest() + '"'

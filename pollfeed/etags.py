"""The five ETag families: every tag the server hands out is made here, one function per family.

A strong tag never names two different bodies, for any two callers (a shared
cache revalidates with the tags of every variant it holds), so a tag whose body
depends on the caller carries the caller's id or is hashed with it. Nor for the
database's whole life: versions and positions are counters that a restore from a
backup hands out again, so every tag made from one also carries its stamp
(pollfeed.stamps), which the restored database draws afresh.
"""
import hashlib

from .stamps import base36


def version_tag(version, stamp, audience=None):
    """`"v<version>-<stamp>"`: one versioned item, by its version and stamp alone (no row load); a row
    private to one principal (their unread count) carries that principal's id: `"v<version>-<stamp>.<id>"`."""
    tag = f"v{version}-{base36(stamp)}"
    return f'"{tag}"' if audience is None else f'"{tag}.{audience}"'


def list_tag(position, stamp, audience=None):
    """`"l<position>-<stamp>"`: a list within one scope, by the scope's watermark (a log position and its
    transaction's stamp); a list that is the caller's own (the scopes they belong to, their private rows)
    carries the caller's id: `"l<position>-<stamp>.<principal>"`."""
    tag = f"l{position}-{base36(stamp)}"
    return f'"{tag}"' if audience is None else f'"{tag}.{audience}"'


def digest_tag(parts):
    """`W/"s<digest>"`: a list tagged by the rows it depends on (a search, the caller's bookings), from
    resources.Digest's aggregated `id|version|stamp` parts (None for none); weak, as its cursor may move."""
    text = ";".join(sorted(parts.split(";"))) if parts else ""
    return f'W/"s{hashlib.blake2b(text.encode(), digest_size=12).hexdigest()}"'


def feed_tag(principal_id, is_admin, query, since, upto, upto_stamp, horizon):
    """`"f<digest>"`: a feed page, by the caller, the query and the positions the page spans: `since` as
    the cursor it is (epoch, position and stamp), `upto` with its stamp (None when it names no retained
    change, which makes the page empty: its body is then the `since` cursor's alone)."""
    key = "|".join(map(str, (principal_id, is_admin, since, query.limit, query.scope, ",".join(query.types),
                             query.include_resource, upto, upto_stamp, horizon)))
    return '"f' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def principal_tag(principal_id, name, is_admin):
    """`"u<digest>"`: the caller's own record (/me), which is not versioned: its three fields hashed (the
    whole body, so the tag names one body whatever a restore does)."""
    return '"u' + hashlib.blake2b(f"{principal_id}|{name}|{is_admin}".encode(), digest_size=8).hexdigest() + '"'

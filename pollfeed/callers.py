"""Who the caller is.

The engine asks one question of the host's auth: who is making this request? The answer is a `Caller`
(an id, a name, whether they are an admin), kept in `g.principal` for the request. The host answers it
one of three ways:

- it declares its bearer tokens (`pf.bearer_tokens(PrincipalSource(...))`): the engine reads the
  `Authorization: Bearer` header, finds the token's hash in the host's own table, and 304s are decided
  ahead of Flask by the same statement (pollfeed.poll);
- it declares a loader (`pf.caller_loader(fn)`), for any other auth (a session cookie, a JWT): `fn()`
  returns the caller or None; 304s are then decided by Flask, after the loader;
- or it sets `g.principal` itself in a before_request function of its own.

Ids are text to the engine (they are JSON strings on the wire, whatever their type in the database).
"""
import hashlib
import hmac
import secrets
from typing import Any, Callable, NamedTuple

from flask import current_app, g, request
from sqlalchemy import Boolean, String, bindparam, select

from .lookup import Lookup
from .problems import Problem
from .versioned import typed_value

#: The environ key under which a poll that the poll path handed to Flask carries the caller it already
#: found (a Found). The bearer loader takes it instead of looking the token
#: up again: a 200 after a poll costs one round trip fewer. (A key no client can set: WSGI puts request
#: headers under HTTP_*.)
PRINCIPAL_KEY = "pollfeed.principal"


class Found(NamedTuple):
    """A bearer token's caller as the poll path's statement found it (under PRINCIPAL_KEY)."""

    token_hash: str
    principal_id: object
    name: str
    is_admin: bool


class Caller(NamedTuple):
    id: str
    name: str
    is_admin: bool


def token_digest(token):
    """A bearer token's stored form: its SHA-256, in hex (64 characters). A token is random (new_token),
    so a fast hash is enough: nobody recovers a token from its hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix=""):
    """A new bearer token and what to store of it: (token, token_digest(token)). Show the token once;
    keep only the digest."""
    token = prefix + secrets.token_urlsafe(32)
    return token, token_digest(token)


class PrincipalSource(NamedTuple):
    """How a bearer token's stored hash finds its principal, in SQL (Pollfeed.bearer_tokens): the host's
    tables and columns."""

    source: Any  # a FROM clause joining the host's tokens to its principals
    token_hash: Any
    principal_id: Any
    is_admin: Any
    name: Any
    #: a clause: the token is usable (not revoked, not expired), `sqlalchemy.true()` where every stored one
    #: is; required, so that a table with a revoked_at column is never read as if it had none
    valid: Any
    digest: Callable[[str], str] = token_digest  # token -> its stored hash

    def finds(self):
        """The criteria: the token whose hash is bound as pf_hash, if it is valid."""
        return self.token_hash == bindparam("pf_hash", type_=String), self.valid


class Asker(NamedTuple):
    """Who asks, in SQL: `principal_id` and `is_admin` as the read rule takes them. `admin` is a bool
    where the path knows it when it builds the statement (then shaped for that kind of caller), else
    None (decided in SQL)."""

    principal_id: Any
    is_admin: Any
    admin: Any = None

    @property
    def shape(self):
        """Whether the caller is an admin, for the engine's own expressions: the bool, or the SQL."""
        return self.is_admin if self.admin is None else self.admin


class Unauthorized(Problem):
    code = 401
    problem_type = "unauthorized"

    def __init__(self, detail, error=None):
        challenge = 'Bearer realm="pollfeed"' + (f', error="{error}"' if error else "")
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


def _as_caller(found):
    if found is None or isinstance(found, Caller):
        return found
    return Caller(str(found.id), str(found.name), bool(found.is_admin))


def caller():
    """The request's caller, or None (anonymous): g.principal, else the host's loader's answer (once)."""
    if "principal" not in g:
        loader = current_app.extensions["pollfeed"].loader
        g.principal = _as_caller(loader()) if loader is not None else None
    return g.principal


def authenticate():
    """A before_request function for routes that need a caller: 401 without one. OPTIONS needs none: it
    is a CORS preflight, which a browser sends without credentials."""
    if request.method != "OPTIONS" and caller() is None:
        signed_in = current_app.extensions["pollfeed"].extension.loader is not None  # the host's own auth
        raise Unauthorized("This endpoint needs a signed-in caller." if signed_in else
                           "This endpoint needs Authorization: Bearer <token>.")


def bearer_loader(source):
    """The loader for a host's bearer tokens (a poll.PrincipalSource): None without an Authorization
    header, 401 for a malformed one or a token that names nobody."""
    statement = Lookup(
        select(source.token_hash.label("token_hash"), source.principal_id.label("principal_id"),
               source.name.label("name"), source.is_admin.label("is_admin")).select_from(source.source)
        .where(*source.finds()))

    def load():
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Malformed Authorization header; use Bearer <token>.", "invalid_request")
        hashed = source.digest(token.strip())
        known = request.environ.get(PRINCIPAL_KEY)  # found by the poll path's statement for this very token
        known = None if known is None else Found._make(known)
        if known is not None and hmac.compare_digest(known.token_hash, hashed):
            return Caller(str(known.principal_id), str(known.name), bool(known.is_admin))
        row = statement.first(pf_hash=hashed)
        # The index finds the row by hash; the comparison is constant-time all the same.
        if row is None or not hmac.compare_digest(row.token_hash, hashed):
            raise Unauthorized("Unknown or revoked token.", "invalid_token")
        return Caller(str(row.principal_id), str(row.name), bool(row.is_admin))

    return load


def caller_binds(kind=None):
    """The request's caller as bind parameters evaluated when a statement runs (so one statement serves
    every caller and compiles once): (id, is_admin), the id typed as `kind` (the extension's
    caller_id_type(); text by default). Anonymous: a NULL id, not an admin."""
    kind = String() if kind is None else kind

    def principal_id():
        found = caller()  # caller ids are text to the engine; the host's column may be integer
        return None if found is None else typed_value(kind, found.id)

    def is_admin():
        found = caller()
        return found is not None and bool(found.is_admin)

    return (bindparam("pf_caller_id", callable_=principal_id, type_=kind),
            bindparam("pf_caller_admin", callable_=is_admin, type_=Boolean))

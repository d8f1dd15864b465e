"""Who may read or administer a project, as SQL clauses (so checks ride along the row's own query)."""
from flask import g
from sqlalchemy import Boolean, String, bindparam, exists, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from .models import Membership


def _caller_id():
    return g.principal.id


def _caller_is_admin():
    return g.principal.is_admin


#: The membership that grants the read, under a name of its own: were the EXISTS over the plain
#: `memberships` table, then on a query of memberships themselves its `project_id` would name
#: the subquery's own row, and "a member of any project" would read every project's members.
_GRANT = aliased(Membership, name="pf_grant")


def readable(project_id_column, user_id=None, is_admin=None):
    """A clause: the caller may read rows of the project named by `project_id_column`.

    The caller enters as bind parameters evaluated at execution time, so one
    statement serves every caller and compiles once; or, for the engine's poll
    path, as the `user_id` and `is_admin` columns of the token's own row.
    """
    if user_id is None:
        user_id = bindparam("pf_uid", callable_=_caller_id, type_=String)
        is_admin = bindparam("pf_admin", callable_=_caller_is_admin, type_=Boolean)
    return or_(is_admin, exists().where(_GRANT.project_id == project_id_column, _GRANT.user_id == user_id))


def role(project_id):
    """The caller's role in the project, or None."""
    return db.session.scalar(
        select(Membership.role).where(Membership.project_id == project_id, Membership.user_id == g.principal.id)
    )


def is_owner(project_id):
    return g.principal.is_admin or role(project_id) == "owner"

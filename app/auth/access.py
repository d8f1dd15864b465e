"""Who may read or administer a project, as SQL clauses (so checks ride along the row's own query)."""
from flask import g
from sqlalchemy import Boolean, String, and_, bindparam, column, exists, or_, select, table
from sqlalchemy.orm import aliased

from pollfeed import Forbidden, NotFound

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


#: The projects table, by name as Membership's foreign key names it: auth sits below the domains
#: and imports none of them.
_PROJECTS = table("projects", column("id"))


def project_readable(project_id):
    """A clause: the project exists and the caller may read it (project_id: a value or an expression)."""
    return and_(exists().where(_PROJECTS.c.id == project_id), readable(project_id))


def require_project(project_id):
    """404 unless the project exists and the caller may read it."""
    if not db.session.execute(select(project_readable(project_id))).scalar():
        raise NotFound()


def require_owner(project_id):
    """403 unless the caller owns the project (or is an admin)."""
    if not is_owner(project_id):
        raise Forbidden("Only the project's owners (or an admin) may do this.")


def require_self_or_owner(user_id, project_id, who):
    """The user named by `user_id` (`who`: "event's creator", "author", ...), a project owner or an admin."""
    if user_id != g.principal.id and not is_owner(project_id):
        raise Forbidden(f"Only the {who}, the project's owners or an admin may do this.")


# --- permits: who may write a loaded row (resources.write_item runs one before the precondition) ---

def owner(obj):
    """Permit: the owners of the row's project (or an admin)."""
    require_owner(obj.scope_id)


def self_or_owner(attr, who):
    """Permit: the user named by the row's `attr` (`who` in the message), the project's owners or an admin."""
    def permit(obj):
        require_self_or_owner(getattr(obj, attr), obj.scope_id, who)
    return permit


def only(attr, message):
    """Permit: the user named by the row's `attr` alone."""
    def permit(obj):
        if getattr(obj, attr) != g.principal.id:
            raise Forbidden(message)
    return permit


def like(text):
    """An ILIKE pattern (escape character backslash) matching `text` anywhere, its wildcards taken literally
    (a search must not let a user's `%` widen what the rule lets them read)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

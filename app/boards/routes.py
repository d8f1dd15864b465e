"""Routes of the kanban domain: projects, members, statuses, tasks."""
from flask import g
from flask.views import MethodView
from sqlalchemy import exists, func, or_, select

from pollfeed import (
    ITEM_HEADERS,
    WRITE_DOC,
    Blueprint,
    Conflict,
    NotFound,
    ValidationFailed,
    conditional,
    resources,
    utcnow,
)

from ..auth import access
from ..auth.models import Membership, User
from ..extensions import db
from .models import Project, Status, Task, project_rows_in_deletion_order
from .schemas import (
    MemberList,
    MemberPutSchema,
    MemberSchema,
    ProjectList,
    ProjectSchema,
    StatusList,
    StatusSchema,
    TaskList,
    TaskListArgs,
    TaskSchema,
    update_project_schema,
    update_status_schema,
    update_task_schema,
)

blp = Blueprint("boards", __name__, description="Projects, members, statuses and tasks.")

#: Writes that only the project's owners (or an admin) may make.
OWNER_DOC = {**WRITE_DOC, "403": {"description": "Not an owner of the project or an admin"}}


# --- projects -----------------------------------------------------------------

@blp.route("/projects")
class Projects(MethodView):
    @blp.caller_list(ProjectList)
    def get(self, args):
        """List the projects the caller can read."""
        stmt = select(Project).where(access.readable(Project.id))
        return resources.list_page(stmt, Project, args)

    @blp.arguments(ProjectSchema)
    @blp.response(201, ProjectSchema, headers=ITEM_HEADERS)
    def post(self, data):
        """Create a project; the caller becomes its owner."""
        project = Project(**data)
        db.session.add(project)
        db.session.flush()
        db.session.add(Membership(project_id=project.id, user_id=g.principal.id, role="owner"))
        resources.commit()
        return resources.created(project, f"/projects/{project.id}")


@blp.route("/projects/<project_id>")
class ProjectItem(MethodView):
    @blp.item(ProjectSchema, Project, id="project_id")
    def get(self, project):
        """Get a project."""
        return resources.ok(project)

    @blp.arguments(update_project_schema)
    @blp.response(200, ProjectSchema, headers=ITEM_HEADERS)
    @blp.doc(responses=OWNER_DOC)
    def patch(self, data, project_id):
        """Update a project (owner or admin)."""
        project = resources.write_item(Project, access.readable, access.owner, id=project_id)
        resources.update(project, data)
        resources.commit(project)
        return resources.ok(project)

    @blp.response(204)
    @blp.doc(responses=OWNER_DOC)
    def delete(self, project_id):
        """Delete a project with its statuses, tasks and memberships, each with its own tombstone."""
        project = resources.write_item(Project, access.readable, access.owner, id=project_id)
        for model in project_rows_in_deletion_order():
            resources.delete_each(model, model.project_id == project_id)
        db.session.delete(project)
        resources.commit(project)


# --- members ------------------------------------------------------------------

def _owners_locked(project_id):
    """The project's owner memberships, locked so that two demotions cannot both pass the last-owner check."""
    return list(db.session.scalars(
        select(Membership).where(Membership.project_id == project_id, Membership.role == "owner").with_for_update()
    ))


@blp.route("/projects/<project_id>/members")
class Members(MethodView):
    @blp.scoped_list(MemberList, "project_id")
    def get(self, args, project_id):
        """List a project's members."""
        stmt = select(Membership).where(Membership.project_id == project_id)
        return resources.list_page(stmt, Membership, args)


@blp.route("/projects/<project_id>/members/<user_id>")
class MemberItem(MethodView):
    @blp.item(MemberSchema, Membership, project_id="project_id", user_id="user_id")
    def get(self, m):
        """Get one membership."""
        return resources.ok(m)

    @blp.arguments(MemberPutSchema)
    @blp.response(200, MemberSchema, headers=ITEM_HEADERS)
    @blp.alt_response(201, schema=MemberSchema, description="Created")
    @blp.doc(responses=OWNER_DOC)
    def put(self, data, project_id, user_id):
        """Add a member or change their role (owner or admin); If-None-Match: * makes it create-only."""
        access.require_project(project_id)
        access.require_owner(project_id)
        if db.session.get(User, user_id) is None:
            raise NotFound("No such user.")
        m = db.session.scalars(
            select(Membership).where(Membership.project_id == project_id, Membership.user_id == user_id)
        ).first()
        if m is None:
            conditional.check_create()
            m = Membership(project_id=project_id, user_id=user_id, role=data["role"])
            db.session.add(m)
            resources.commit()
            return resources.created(m, f"/projects/{project_id}/members/{user_id}")
        conditional.check_create_only(m.etag)
        resources.check_write(m)
        if m.role == "owner" and data["role"] != "owner" and len(_owners_locked(project_id)) <= 1:
            raise Conflict("A project keeps at least one owner.")
        resources.update(m, data)
        resources.commit(m)
        return resources.ok(m)

    @blp.response(204)
    @blp.doc(responses=OWNER_DOC)
    def delete(self, project_id, user_id):
        """Remove a member (owner or admin); the last owner cannot be removed."""
        m = resources.write_item(Membership, access.readable, access.owner, project_id=project_id, user_id=user_id)
        if m.role == "owner" and len(_owners_locked(project_id)) <= 1:
            raise Conflict("A project keeps at least one owner.")
        db.session.delete(m)
        resources.commit(m)


# --- statuses -----------------------------------------------------------------

@blp.route("/projects/<project_id>/statuses")
class Statuses(MethodView):
    @blp.scoped_list(StatusList, "project_id")
    def get(self, args, project_id):
        """List a project's statuses (the board's columns)."""
        stmt = select(Status).where(Status.project_id == project_id)
        return resources.list_page(stmt, Status, args)

    @blp.arguments(StatusSchema)
    @blp.response(201, StatusSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={"404": {"description": "Missing or not readable"}})
    def post(self, data, project_id):
        """Create a status."""
        access.require_project(project_id)
        return resources.create(Status(project_id=project_id, **data), "/statuses/{id}")


@blp.route("/statuses/<status_id>")
class StatusItem(MethodView):
    @blp.item(StatusSchema, Status, id="status_id")
    def get(self, status):
        """Get a status."""
        return resources.ok(status)

    @blp.arguments(update_status_schema)
    @blp.response(200, StatusSchema, headers=ITEM_HEADERS)
    @blp.doc(responses=WRITE_DOC)
    def patch(self, data, status_id):
        """Rename, reorder, or mark a status as done (its tasks then count as completed)."""
        status = resources.write_item(Status, access.readable, id=status_id)
        if "done" in data and data["done"] != status.done:
            for task in db.session.scalars(select(Task).where(Task.status_id == status_id).order_by(Task.id)):
                task.completed_at = utcnow() if data["done"] else None
        resources.update(status, data)
        resources.commit(status)
        return resources.ok(status)

    @blp.response(204)
    @blp.doc(responses={**WRITE_DOC, "409": {"description": "The status still holds tasks"}})
    def delete(self, status_id):
        """Delete an empty status."""
        status = resources.write_item(Status, access.readable, id=status_id)
        if db.session.scalar(select(func.count()).select_from(Task).where(Task.status_id == status_id)):
            raise Conflict("The status still holds tasks: move or delete them first.")
        db.session.delete(status)
        resources.commit(status)


# --- tasks --------------------------------------------------------------------

def validate_task_refs(project_id, data):
    """status_id must be a status of the same project; assignee_id a member of it."""
    errors = {}
    if "status_id" in data and not db.session.scalar(
        select(exists().where(Status.id == data["status_id"], Status.project_id == project_id))
    ):
        errors["status_id"] = ["Not a status of this project."]
    if data.get("assignee_id") is not None and not db.session.scalar(
        select(exists().where(Membership.project_id == project_id, Membership.user_id == data["assignee_id"]))
    ):
        errors["assignee_id"] = ["Not a member of this project."]
    if errors:
        raise ValidationFailed("The request body is not valid.", errors=errors)


def track_completion(task):
    """Entering a done status stamps completed_at; leaving it clears it (in the same UPDATE)."""
    with db.session.no_autoflush:
        done = db.session.scalar(select(Status.done).where(Status.id == task.status_id))
    if done and task.completed_at is None:
        task.completed_at = utcnow()
    elif not done:
        task.completed_at = None


@blp.route("/projects/<project_id>/tasks")
class Tasks(MethodView):
    @blp.scoped_list(TaskList, "project_id", query=TaskListArgs)
    def get(self, args, project_id):
        """List a project's tasks; filter by status_id, search with q."""
        stmt = select(Task).where(Task.project_id == project_id)
        if args["status_id"]:
            stmt = stmt.where(Task.status_id == args["status_id"])
        if args["q"]:
            pattern = access.like(args["q"])
            stmt = stmt.where(or_(Task.title.ilike(pattern, escape="\\"), Task.description.ilike(pattern, escape="\\")))
        return resources.list_page(stmt, Task, args)

    @blp.arguments(TaskSchema)
    @blp.response(201, TaskSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={"404": {"description": "Missing or not readable"}})
    def post(self, data, project_id):
        """Create a task."""
        access.require_project(project_id)
        validate_task_refs(project_id, data)
        task = Task(project_id=project_id, **data)
        track_completion(task)
        db.session.add(task)
        resources.commit()
        return resources.created(task, f"/tasks/{task.id}")


@blp.route("/tasks/<task_id>")
class TaskItem(MethodView):
    @blp.item(TaskSchema, Task, id="task_id")
    def get(self, task):
        """Get a task."""
        return resources.ok(task)

    @blp.arguments(update_task_schema)
    @blp.response(200, TaskSchema, headers=ITEM_HEADERS)
    @blp.doc(responses=WRITE_DOC)
    def patch(self, data, task_id):
        """Update or move a task (a move is a PATCH of status_id and/or position)."""
        task = resources.write_item(Task, access.readable, id=task_id)
        validate_task_refs(task.project_id, data)
        moved = "status_id" in data and data["status_id"] != task.status_id
        resources.update(task, data)
        if moved:
            track_completion(task)
        resources.commit(task)
        return resources.ok(task)

    @blp.response(204)
    @blp.doc(responses=WRITE_DOC)
    def delete(self, task_id):
        """Delete a task."""
        task = resources.write_item(Task, access.readable, id=task_id)
        db.session.delete(task)
        resources.commit(task)

"""Request and response schemas of the kanban domain."""
from marshmallow import Schema, fields, validate

from pollfeed import PageArgs, StrictBoolean, StrictInteger, Timestamp, VersionedSchema, list_schema

NAME = validate.Length(min=1, max=200)


class ProjectSchema(VersionedSchema):
    name = fields.String(required=True, validate=NAME)
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))


class MemberSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    user_id = fields.String(dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf(["owner", "member"]))


class StatusSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=NAME)
    position = StrictInteger(validate=validate.Range(min=0, max=2**31 - 1))
    done = StrictBoolean(metadata={"description": "tasks in a done status count as completed"})


class TaskSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    title = fields.String(required=True, validate=NAME)
    status_id = fields.String(required=True)
    description = fields.String(allow_none=True, validate=validate.Length(max=100000))
    position = StrictInteger(validate=validate.Range(min=0, max=2**31 - 1))
    assignee_id = fields.String(allow_none=True)
    points = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    completed_at = Timestamp(dump_only=True, allow_none=True,
                             metadata={"description": "when the task entered a done status; null while not done"})


class TaskListArgs(PageArgs):
    status_id = fields.String(load_default=None, metadata={"description": "only tasks in this status"})
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                      metadata={"description": "text search in title and description"})


project_schema = ProjectSchema()
update_project_schema = ProjectSchema(partial=True)
member_schema = MemberSchema()
status_schema = StatusSchema()
update_status_schema = StatusSchema(partial=True)
task_schema = TaskSchema()
update_task_schema = TaskSchema(partial=True)

ProjectList = list_schema(ProjectSchema, "ProjectList")
MemberList = list_schema(MemberSchema, "MemberList")
StatusList = list_schema(StatusSchema, "StatusList")
TaskList = list_schema(TaskSchema, "TaskList")


class MemberPutSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(["owner", "member"]))

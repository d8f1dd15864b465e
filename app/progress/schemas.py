"""Response schemas of progress and summaries (read-only)."""
from marshmallow import fields

from pollfeed import VersionedSchema, list_schema


class ProgressSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    user_id = fields.String(dump_only=True)
    points = fields.Integer(dump_only=True, metadata={"description": "points of the user's completed tasks"})
    completed_tasks = fields.Integer(dump_only=True)
    streak_days = fields.Integer(dump_only=True, metadata={
        "description": "consecutive days with a completion, ending on last_completed_on"})
    last_completed_on = fields.Date(dump_only=True, allow_none=True)


class SummarySchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    tasks_total = fields.Integer(dump_only=True)
    tasks_done = fields.Integer(dump_only=True)
    completion = fields.Float(dump_only=True, metadata={"description": "percentage of tasks done, one decimal"})
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True)


progress_schema = ProgressSchema()
summary_schema = SummarySchema()
ProgressList = list_schema(ProgressSchema, "ProgressList")

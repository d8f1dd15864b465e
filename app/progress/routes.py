"""Routes of the derived resources: read-only, conditional, in the feed."""
from flask.views import MethodView
from sqlalchemy import select

from pollfeed import Blueprint, resources

from .models import Progress, Summary
from .schemas import ProgressList, ProgressSchema, SummarySchema

blp = Blueprint("progress", __name__, description="Derived progress per member, and a summary per project.")





@blp.route("/projects/<project_id>/progress")
class ProgressListView(MethodView):
    @blp.scoped_list(ProgressList, "project_id")
    def get(self, args, project_id):
        """Every member's progress in the project (a leaderboard)."""
        stmt = select(Progress).where(Progress.project_id == project_id)
        return resources.list_page(stmt, Progress, args)


@blp.route("/projects/<project_id>/progress/<user_id>")
class ProgressItem(MethodView):
    @blp.item(ProgressSchema, Progress, project_id="project_id", user_id="user_id")
    def get(self, row):
        """One member's progress: points, completed tasks, streak."""
        return resources.ok(row)


@blp.route("/projects/<project_id>/summary")
class SummaryItem(MethodView):
    @blp.item(SummarySchema, Summary, project_id="project_id")
    def get(self, row):
        """The project's summary: tasks per status and completion percentage."""
        return resources.ok(row)

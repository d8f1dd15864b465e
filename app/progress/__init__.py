"""Derived progress: per member points, completed tasks and streak; per project a summary (seed 002).

Nothing here is written by a client. A deriver (see app/sync/changelog.py)
recomputes the rows of every project whose tasks, statuses or members changed,
from scratch, in the same transaction, so they never drift and their versions
move in the same commit as their inputs.
"""


def init_app(app, api):
    """Register progress, summaries and their deriver: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from ..auth import protect
    from ..boards.models import project_parts
    from ..sync.changelog import derive as register_deriver
    from ..sync.versioned import represent
    from . import derive, routes, schemas
    from .models import Progress, Summary

    represent("progress", schemas.progress_schema.dump)
    represent("summary", schemas.summary_schema.dump)
    project_parts(Progress, Summary)
    register_deriver(derive.on_change)
    protect(app, api, routes.blp)

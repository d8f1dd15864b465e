"""Derived progress: per member points, completed tasks and streak; per project a summary (seed 002).

Nothing here is written by a client. A deriver (see pollfeed/changelog.py)
recomputes the rows of every project whose tasks, statuses or members changed,
from scratch, in the same transaction, so they never drift and their versions
move in the same commit as their inputs.
"""


def init_app(app, api):
    """Register progress, summaries and their deriver: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from .. import domains
    from . import derive, routes, schemas
    from .models import Progress, Summary

    domains.register(app, api, routes.blp, parts=(Progress, Summary), derivers=(derive.on_change,),
                     represent={"progress": schemas.progress_schema.dump, "summary": schemas.summary_schema.dump})

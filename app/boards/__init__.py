"""The kanban domain: projects, members, statuses, tasks."""


def init_app(app, api):
    """Register the kanban domain: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from ..auth import protect
    from ..sync.versioned import represent
    from . import routes, schemas

    represent("project", schemas.project_schema.dump)
    represent("member", schemas.member_schema.dump)
    represent("status", schemas.status_schema.dump)
    represent("task", schemas.task_schema.dump)
    # (its own rows, tasks, statuses and memberships, a project deletes after every other domain's parts:
    # models.project_rows_in_deletion_order)
    protect(app, api, routes.blp)

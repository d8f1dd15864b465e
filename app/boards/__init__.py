"""The kanban domain: projects, members, statuses, tasks."""


def init_app(app, api):
    """Register the kanban domain: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from .. import domains
    from . import routes, schemas

    # (its own tasks, statuses and memberships a project deletes after every other domain's parts:
    # models.project_rows_in_deletion_order)
    domains.register(app, api, routes.blp, represent={
        "project": schemas.project_schema.dump, "member": schemas.member_schema.dump,
        "status": schemas.status_schema.dump, "task": schemas.task_schema.dump})

"""Threads between the members of a project, and their messages (seed 001)."""


def init_app(app, api):
    """Register threads and messages: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from .. import domains
    from . import routes, schemas
    from .models import Message, Thread

    domains.register(app, api, routes.blp, parts=(Message, Thread), represent={
        "thread": schemas.thread_schema.dump, "message": schemas.message_schema.dump})

"""Threads between the members of a project, and their messages (seed 001)."""


def init_app(app, api):
    """Register threads and messages: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from ..auth import protect
    from ..boards.models import project_parts
    from ..sync.versioned import represent
    from . import routes, schemas
    from .models import Message, Thread

    represent("thread", schemas.thread_schema.dump)
    represent("message", schemas.message_schema.dump)
    project_parts(Message, Thread)
    protect(app, api, routes.blp)

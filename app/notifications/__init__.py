"""Per-user notifications, made by the server from the changes that concern a user (seed 001).

They are private rows (`__audience_attr__`): in the feed and in lists only for
their user. The unread count is a resource of its own, so a badge polls it
with If-None-Match and gets 304 until it moves.
"""


def init_app(app, api):
    """Register notifications, unread counts and their deriver: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from ..auth import protect
    from ..boards.models import project_parts
    from ..sync.changelog import derive as register_deriver
    from ..sync.versioned import represent
    from . import derive, routes, schemas
    from .models import Notification, UnreadCount

    represent("notification", schemas.notification_schema.dump)
    represent("unread_count", schemas.unread_count_schema.dump)
    project_parts(Notification, UnreadCount)
    register_deriver(derive.on_change)
    protect(app, api, routes.blp)

"""Per-user notifications, made by the server from the changes that concern a user (seed 001).

They are private rows (`__audience_attr__`): in the feed and in lists only for
their user. The unread count is a resource of its own, so a badge polls it
with If-None-Match and gets 304 until it moves.
"""


def init_app(app, api):
    """Register notifications, unread counts and their deriver: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from .. import domains
    from . import derive, routes, schemas
    from .models import Notification, UnreadCount

    domains.register(app, api, routes.blp, parts=(Notification, UnreadCount), derivers=(derive.on_change,),
                     represent={"notification": schemas.notification_schema.dump,
                                "unread_count": schemas.unread_count_schema.dump})

"""Routes of notifications: the caller's own only; marking read moves the unread count in the same commit."""
from flask import g
from flask.views import MethodView
from sqlalchemy import select

from pollfeed import (
    ITEM_HEADERS,
    WRITE_DOC,
    Blueprint,
    NotFound,
    conditional,
    poll,
    resources,
    utcnow,
    version_tag,
)

from ..auth import access
from ..auth.access import require_project
from ..extensions import db
from .models import Notification, UnreadCount
from .schemas import (
    MarkSchema,
    NotificationList,
    NotificationListArgs,
    NotificationSchema,
    UnreadCountSchema,
)

blp = Blueprint("notifications", __name__, description="The caller's notifications and unread count.")





def _mark(notification, read):
    if read and notification.read_at is None:
        notification.read_at = utcnow()
    elif not read:
        notification.read_at = None


def _no_counter(project_id):
    """The count of a caller who never had a notification here: 0, at version 0."""
    tag = version_tag(0, 0, g.principal.id)
    return ({"project_id": project_id, "user_id": g.principal.id, "unread": 0, "version": 0, "etag": tag}, 200,
            {"ETag": tag})


@blp.route("/projects/<project_id>/notifications")
class Notifications(MethodView):
    @blp.scoped_list(NotificationList, "project_id", query=NotificationListArgs, audience=True)
    def get(self, args, project_id):
        """The caller's notifications in the project, tagged by the caller's private watermark."""
        stmt = select(Notification).where(Notification.project_id == project_id,
                                          Notification.user_id == g.principal.id)
        if args["unread"] is not None:
            stmt = stmt.where(Notification.read_at.is_(None) if args["unread"] else Notification.read_at.is_not(None))
        return resources.list_page(stmt, Notification, args)


@blp.route("/projects/<project_id>/notifications/unread-count")
class Unread(MethodView):
    @blp.item(UnreadCountSchema, UnreadCount, optional=True, project_id="project_id", user_id=poll.PRINCIPAL)
    def get(self, counter, project_id):
        """The caller's unread count: a badge polls it with If-None-Match.

        Before the caller's first notification (e.g. an admin who is not a
        member) it is 0 at version 0.
        """
        if counter is None:
            require_project(project_id)
            conditional.check_read(version_tag(0, 0, g.principal.id))
            return _no_counter(project_id)
        return resources.ok(counter)


@blp.route("/projects/<project_id>/notifications/mark-all-read")
class MarkAllRead(MethodView):
    @blp.response(200, UnreadCountSchema, headers=ITEM_HEADERS)
    @blp.doc(responses=WRITE_DOC)
    def post(self, project_id):
        """Mark every notification read; If-Match is the unread count's ETag, so nothing unseen is marked read.

        Answers with the (new) unread count.
        """
        try:
            counter = resources.find_item(UnreadCount, access.readable, project_id=project_id,
                                          user_id=g.principal.id)
        except NotFound:
            require_project(project_id)
            conditional.check_write(version_tag(0, 0, g.principal.id))
            return _no_counter(project_id)
        resources.check_write(counter)
        for n in db.session.scalars(select(Notification).where(
                Notification.project_id == project_id, Notification.user_id == g.principal.id,
                Notification.read_at.is_(None)).order_by(Notification.id)):
            _mark(n, True)
        resources.commit(counter)
        return resources.ok(counter)


@blp.route("/notifications/<notification_id>")
class NotificationItem(MethodView):
    @blp.item(NotificationSchema, Notification, id="notification_id", user_id=poll.PRINCIPAL)
    def get(self, n):
        """Get one of the caller's notifications (anyone else's is 404, an admin's too)."""
        return resources.ok(n)

    @blp.arguments(MarkSchema)
    @blp.response(200, NotificationSchema, headers=ITEM_HEADERS)
    @blp.doc(responses=WRITE_DOC)
    def patch(self, data, notification_id):
        """Mark a notification read (or unread again)."""
        n = resources.write_item(Notification, access.readable, id=notification_id, user_id=g.principal.id)
        _mark(n, data["read"])
        resources.commit(n)
        return resources.ok(n)

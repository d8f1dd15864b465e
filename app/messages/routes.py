"""Routes of threads and messages; posting a message is a change in the feed (and a notification)."""
from flask import g
from flask.views import MethodView
from sqlalchemy import select

from pollfeed import ITEM_HEADERS, LIST_HEADERS, READ_DOC, WRITE_DOC, Blueprint, PageArgs, resources, utcnow

from ..auth import access
from ..auth.access import project_readable, require_project
from ..extensions import db
from .models import Message, Thread
from .schemas import (
    MessageList,
    MessageSchema,
    ThreadList,
    ThreadSchema,
    update_thread_schema,
)

blp = Blueprint("messages", __name__, description="Threads between project members, and their messages.")

#: Who may write: the row's own user, the project's owners or an admin; a message's text, its author alone.
THREAD_CREATOR = access.self_or_owner("created_by", "thread's creator")
AUTHOR = access.self_or_owner("author_id", "author")
AUTHOR_ALONE = access.only("author_id", "Only its author may edit a message.")


FORBIDDEN_DOC = {"403": {"description": "Not the author, an owner or an admin"}}




@blp.route("/projects/<project_id>/threads")
class Threads(MethodView):
    @blp.scoped_list(ThreadList, "project_id")
    def get(self, args, project_id):
        """List a project's threads."""
        stmt = select(Thread).where(Thread.project_id == project_id)
        return resources.list_page(stmt, Thread, args)

    @blp.arguments(ThreadSchema)
    @blp.response(201, ThreadSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={"404": {"description": "Missing or not readable"}})
    def post(self, data, project_id):
        """Start a thread."""
        require_project(project_id)
        thread = Thread(project_id=project_id, created_by=g.principal.id, message_count=0, **data)
        return resources.create(thread, "/threads/{id}")


@blp.route("/threads/<thread_id>")
class ThreadItem(MethodView):
    @blp.item(ThreadSchema, Thread, id="thread_id")
    def get(self, thread):
        """Get a thread."""
        return resources.ok(thread)

    @blp.arguments(update_thread_schema)
    @blp.response(200, ThreadSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={**WRITE_DOC, **FORBIDDEN_DOC})
    def patch(self, data, thread_id):
        """Rename a thread (its creator, a project owner or an admin)."""
        thread = resources.write_item(Thread, access.readable, THREAD_CREATOR, id=thread_id)
        resources.update(thread, data)
        resources.commit(thread)
        return resources.ok(thread)

    @blp.response(204)
    @blp.doc(responses={**WRITE_DOC, **FORBIDDEN_DOC})
    def delete(self, thread_id):
        """Delete a thread and its messages (its creator, a project owner or an admin)."""
        thread = resources.write_item(Thread, access.readable, THREAD_CREATOR, id=thread_id)
        resources.delete_each(Message, Message.thread_id == thread_id)
        db.session.delete(thread)
        resources.commit(thread)


@blp.route("/threads/<thread_id>/messages")
class Messages(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, MessageList, headers=LIST_HEADERS)
    @blp.doc(responses=READ_DOC)
    def get(self, args, thread_id):
        """List a thread's messages, oldest id first."""
        thread = resources.find_item(Thread, access.readable, id=thread_id)
        stmt = select(Message).where(Message.thread_id == thread_id)
        return resources.scoped_page(project_readable, thread.project_id, stmt, Message, args["limit"],
                                     args["after"])

    @blp.arguments(MessageSchema)
    @blp.response(201, MessageSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={"404": {"description": "Missing or not readable"}})
    def post(self, data, thread_id):
        """Post a message; the thread's other participants are notified."""
        thread = resources.lock_item(Thread, access.readable, id=thread_id)
        message = Message(project_id=thread.project_id, thread_id=thread_id, author_id=g.principal.id, **data)
        db.session.add(message)
        thread.message_count += 1
        thread.last_message_at = utcnow()
        resources.commit()
        return resources.created(message, f"/messages/{message.id}")


@blp.route("/messages/<message_id>")
class MessageItem(MethodView):
    @blp.item(MessageSchema, Message, id="message_id")
    def get(self, message):
        """Get a message."""
        return resources.ok(message)

    @blp.arguments(MessageSchema(partial=True))
    @blp.response(200, MessageSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={**WRITE_DOC, "403": {"description": "Not the author"}})
    def patch(self, data, message_id):
        """Edit a message (its author only)."""
        message = resources.write_item(Message, access.readable, AUTHOR_ALONE, id=message_id)
        resources.update(message, data)
        resources.commit(message)
        return resources.ok(message)

    @blp.response(204)
    @blp.doc(responses={**WRITE_DOC, **FORBIDDEN_DOC})
    def delete(self, message_id):
        """Delete a message (its author, a project owner or an admin)."""
        message = resources.write_item(Message, access.readable, AUTHOR, id=message_id)
        thread = resources.lock_item(Thread, id=message.thread_id)
        thread.message_count -= 1
        db.session.delete(message)
        resources.commit(message)

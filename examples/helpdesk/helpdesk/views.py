"""The helpdesk's routes: one declaration per pollable GET, conditional writes through the engine."""
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import exists, or_, select

from pollfeed import ITEM_HEADERS, Blueprint, VersionedSchema, authenticate, list_schema, resources

from . import db, pf
from .models import Comment, Member, Team, Ticket


@pf.read_rule
def readable(team_id, principal_id, is_admin):
    """Admins read every team, members their own: one clause, for a request's caller on the Flask path and
    for a token's own row on the poll path (the engine supplies the two)."""
    return or_(is_admin, exists().where(Member.team_id == team_id, Member.user_id == principal_id))


class TicketSchema(VersionedSchema):
    team_id = fields.String(dump_only=True)
    title = fields.String(required=True)
    status = fields.String()


class CommentSchema(VersionedSchema):
    ticket_id = fields.String(dump_only=True)
    body = fields.String(required=True)


blp = Blueprint("helpdesk", __name__)
blp.before_request(authenticate)  # every route needs a caller (401 without one)


@blp.route("/teams/<int:team_id>/tickets")
class Tickets(MethodView):
    @blp.scoped_list(list_schema(TicketSchema, "TicketList"), "team_id")
    def get(self, args, team_id):
        """The team's tickets: 304 from the team's watermark."""
        stmt = select(Ticket).where(Ticket.team_id == team_id)
        return resources.list_page(stmt, Ticket, args)

    @blp.arguments(TicketSchema)
    @blp.response(201, TicketSchema, headers=ITEM_HEADERS)
    def post(self, data, team_id):
        team = resources.find_item(Team, readable, id=team_id)  # 404 unless the caller reads the team
        return resources.create(Ticket(team_id=team.id, **data), "/tickets/{id}")


@blp.route("/tickets/<int:ticket_id>")
class TicketItem(MethodView):
    @blp.item(TicketSchema, Ticket, id="ticket_id")
    def get(self, ticket):
        """One ticket: 304 from its version."""
        return resources.ok(ticket)

    @blp.arguments(TicketSchema(partial=True))  # any of its fields ("TicketUpdate" in the OpenAPI document)
    @blp.response(200, TicketSchema, headers=ITEM_HEADERS)
    def patch(self, data, ticket_id):
        """Update a ticket: If-Match required (428), a stale one is 412."""
        ticket = resources.write_item(Ticket, readable, id=ticket_id)
        resources.update(ticket, data)
        resources.commit(ticket)
        return resources.ok(ticket)

    @blp.response(204)
    def delete(self, ticket_id):
        """Delete a ticket and its comments, each with its tombstone in the feed."""
        ticket = resources.write_item(Ticket, readable, id=ticket_id)
        resources.delete_each(Comment, Comment.ticket_id == ticket_id)
        db.session.delete(ticket)
        resources.commit(ticket)


@blp.route("/tickets/<int:ticket_id>/comments")
class Comments(MethodView):
    @blp.arguments(CommentSchema)
    @blp.response(201, CommentSchema, headers=ITEM_HEADERS)
    def post(self, data, ticket_id):
        ticket = resources.find_item(Ticket, readable, id=ticket_id)
        return resources.create(Comment(team_id=ticket.team_id, ticket_id=ticket.id, **data), "/comments/{id}")


@blp.route("/comments/<int:comment_id>")
class CommentItem(MethodView):
    @blp.item(CommentSchema, Comment, id="comment_id")
    def get(self, comment):
        return resources.ok(comment)

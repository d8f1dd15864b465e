"""pf.caller_loader: an app whose auth is not the engine's bearer tokens (here Flask's signed session cookie).
The poll path cannot run the app's loader, so it is not put in front of the app: Flask decides every 304,
for an item, a list and the feed, after asking the loader who the caller is."""
import pytest
from flask import Flask, request, session
from flask.views import MethodView
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from marshmallow import fields
from sqlalchemy import Integer, String, bindparam, exists, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import (
    Blueprint,
    Caller,
    Grant,
    Pollfeed,
    Unauthorized,
    Versioned,
    VersionedSchema,
    authenticate,
    caller,
    list_schema,
    poll,
    resources,
)

from ..support import empty_database


@pytest.fixture
def host(tmp_path):
    """(app, the paths the loader was asked about): tickets in teams, members, and a session login."""
    db = SQLAlchemy()

    class Ticket(db.Model, Versioned):
        __change_type__ = "ticket"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        title: Mapped[str] = mapped_column(String(200))

    class Member(db.Model, Versioned, Grant):
        __change_type__ = "member"
        __scope_attr__ = "team_id"
        __grant_principal__ = "user_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        user_id: Mapped[str] = mapped_column(String(40))

    class TicketSchema(VersionedSchema):
        title = fields.String()

    app = Flask("sessions")
    app.config.update(SQLALCHEMY_DATABASE_URI=empty_database(tmp_path), SECRET_KEY="test only", API_TITLE="Sessions",
                      API_VERSION="1", OPENAPI_VERSION="3.0.3")
    db.init_app(app)
    api = Api(app)
    pf = Pollfeed(db=db, api=api, scope="team")
    asked = []

    @pf.caller_loader
    def from_the_session():
        asked.append(request.full_path.rstrip("?"))
        name = session.get("user")
        if name == "mallory":  # a session the app has since revoked
            raise Unauthorized("This session was revoked.")
        return Caller(name, name, name == "root") if name else None

    @pf.read_rule
    def readable(team_id, user_id=None, is_admin=None):
        if user_id is None:
            user_id = bindparam("uid", callable_=lambda: caller().id, type_=String)
            is_admin = bindparam("admin", callable_=lambda: caller().is_admin)
        return or_(is_admin, exists().where(Member.team_id == team_id, Member.user_id == user_id))

    blp = Blueprint("tickets", __name__)
    blp.before_request(authenticate)  # 401 without a caller

    @blp.route("/tickets/<int:ticket_id>")
    class TicketItem(MethodView):
        @blp.item(TicketSchema, Ticket, id="ticket_id")
        def get(self, ticket):
            return resources.ok(ticket)

    @blp.route("/teams/<int:team_id>/tickets")
    class Tickets(MethodView):
        @blp.scoped_list(list_schema(TicketSchema, "TicketList"), "team_id")
        def get(self, args, team_id):
            stmt = select(Ticket).where(Ticket.team_id == team_id)
            return resources.list_page(stmt, Ticket, args)

    @app.post("/login/<name>")
    def login(name):
        session["user"] = name
        return "", 204

    pf.init_app(app)
    api.register_blueprint(blp)
    api.register_blueprint(pf.blueprint)
    with app.app_context():
        db.create_all()
        db.session.add_all([Member(team_id=1, user_id="ada"), Member(team_id=2, user_id="bob"),
                            Ticket(team_id=1, title="Printer on fire"), Ticket(team_id=2, title="Invoice")])
        db.session.commit()
    yield app, asked
    with app.app_context():
        db.engine.dispose()


def test_with_a_loader_flask_decides_every_304_after_asking_it(host):
    app, asked = host
    assert app.extensions["pollfeed"].poll_path is None  # nothing in front of Flask: it could not run the loader
    ada = app.test_client()
    assert ada.post("/login/ada").status_code == 204
    paths = ["/tickets/1", "/teams/1/tickets", "/changes?team=1", "/changes?types=ticket"]
    tags = {}
    for path in paths:
        first = ada.get(path)
        assert first.status_code == 200, (path, first.get_data(as_text=True))
        tags[path] = first.headers["ETag"]
    assert [c["id"] for c in ada.get("/changes?types=ticket").get_json()["changes"]] == ["1"]  # her team's only
    del asked[:]
    for path in paths:
        assert ada.get(path, headers={"If-None-Match": tags[path]}).status_code == 304, path
    assert asked == paths  # each 304 decided by Flask, with the caller the loader found
    # Another member's session reads neither the ticket nor the team; a change moves the tags.
    bob = app.test_client()
    bob.post("/login/bob")
    assert bob.get("/tickets/1", headers={"If-None-Match": tags["/tickets/1"]}).status_code == 404
    assert bob.get("/changes?team=1").status_code == 404
    assert bob.get("/teams/2/tickets").status_code == 200


def test_without_a_caller_or_with_a_refused_one_every_read_is_401(host):
    app, asked = host
    anonymous, mallory = app.test_client(), app.test_client()
    mallory.post("/login/mallory")
    for path in ("/tickets/1", "/teams/1/tickets", "/changes"):
        assert anonymous.get(path, headers={"If-None-Match": '"v1-x"'}).status_code == 401, path
        # the session's app asks for a signed-in caller, not for a bearer token it never takes
        assert anonymous.get(path).get_json()["detail"] == "This endpoint needs a signed-in caller.", path
        assert mallory.get(path, headers={"If-None-Match": '"v1-x"'}).status_code == 401, path
    forged = app.test_client()
    forged.set_cookie("session", "eyJ1c2VyIjoiYWRhIn0.forged.signature")  # not signed with the app's key
    assert forged.get("/tickets/1").status_code == 401
    assert "/tickets/1" in asked


def test_a_loaders_integer_ids_reach_the_read_rule_as_integers(tmp_path):
    """Users with integer keys, known by a session: `@pf.caller_loader(id_type=Integer)` types the caller's
    id for the read rule, which compares it with an integer column (PostgreSQL refuses integer = text)."""
    db = SQLAlchemy()

    class Ticket(db.Model, Versioned):
        __change_type__ = "ticket"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)

    class Member(db.Model, Versioned, Grant):
        __change_type__ = "member"
        __scope_attr__ = "team_id"
        __grant_principal__ = "user_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        user_id: Mapped[int] = mapped_column(Integer)

    app = Flask("integer_sessions")
    app.config.update(SQLALCHEMY_DATABASE_URI=empty_database(tmp_path), SECRET_KEY="test only")
    db.init_app(app)
    pf = Pollfeed(db=db, scope="team")

    @pf.caller_loader(id_type=Integer)
    def from_the_session():
        uid = session.get("uid")
        return Caller(str(uid), f"user {uid}", False) if uid else None

    @pf.read_rule
    def readable(team_id, principal_id, is_admin):
        return or_(is_admin, exists().where(Member.team_id == team_id, Member.user_id == principal_id))

    assert isinstance(pf.caller_id_type(), Integer)
    pf.init_app(app)
    app.register_blueprint(pf.blueprint)

    @app.get("/tickets/<int:ticket_id>")
    @poll.item(Ticket, id="ticket_id")
    def ticket(ticket):
        return {"id": str(ticket.id)}, 200, resources.headers(ticket)

    @app.post("/login/<int:uid>")
    def login(uid):
        session["uid"] = uid
        return "", 204

    with app.app_context():
        db.create_all()
        db.session.add_all([Member(team_id=1, user_id=1), Member(team_id=2, user_id=2), Ticket(team_id=1)])
        db.session.commit()
    ada, bob = app.test_client(), app.test_client()
    ada.post("/login/1")
    bob.post("/login/2")
    first = ada.get("/tickets/1")
    assert first.status_code == 200, first.get_data(as_text=True)
    assert ada.get("/tickets/1", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert bob.get("/tickets/1").status_code == 404
    assert [c["id"] for c in ada.get("/changes?team=1&types=ticket").get_json()["changes"]] == ["1"]
    assert bob.get("/changes?team=1").status_code == 404
    with app.app_context():
        db.engine.dispose()

"""The tag queries (pollfeed/queries.py) that both paths run, on an app of integer user ids with rows private to
one user: each case is one the Flask view and the poll path must decide alike."""
import pytest
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from marshmallow import fields
from sqlalchemy import ForeignKey, Integer, String, cast, exists, or_, select, true
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import (
    Blueprint,
    Grant,
    Pollfeed,
    PrincipalSource,
    Versioned,
    VersionedSchema,
    authenticate,
    list_schema,
    new_token,
    poll,
    resources,
)

from ..support import empty_database


@pytest.fixture
def desk(tmp_path):
    """(app, {name: headers}, ids): teams 1 and 2, an organisation 50 (also its own scope), ada (id 1) in
    team 1, root (id 2) an admin; ada's private notes on team 1's tickets, her badge and her score."""
    db = SQLAlchemy()
    pf = Pollfeed(db=db, scope="team")

    class User(db.Model):
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(40))
        is_admin: Mapped[bool] = mapped_column(default=False)
        token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    class Team(db.Model, Versioned):
        __change_type__ = "team"
        __scope_attr__ = "id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    class Org(db.Model, Versioned):  # its own scope too: a team id is not an organisation's
        __change_type__ = "org"
        __scope_attr__ = "id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    class Member(db.Model, Versioned, Grant):
        __change_type__ = "member"
        __scope_attr__ = "team_id"
        __grant_principal__ = "user_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
        user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    class Ticket(db.Model, Versioned):
        __change_type__ = "ticket"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        title: Mapped[str] = mapped_column(String(80))

    class Note(db.Model, Versioned):  # private to its user; its user id is text beside integer user ids
        __change_type__ = "note"
        __scope_attr__ = "team_id"
        __audience_attr__ = "user_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        user_id: Mapped[str] = mapped_column(String(40))
        ticket_id: Mapped[int] = mapped_column(Integer)

    class Score(db.Model, Versioned):  # one per user, read at the user's own URL, not private in the feed
        __change_type__ = "score"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        user_id: Mapped[str] = mapped_column(String(40))
        points: Mapped[int] = mapped_column(Integer, default=0)

    class Doc(db.Model, Versioned):  # two item routes, two schemas: the feed does not guess which to embed
        __change_type__ = "doc"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        secret: Mapped[str] = mapped_column(String(40), default="for admins")

    pf.bearer_tokens(PrincipalSource(source=User.__table__, token_hash=User.token_hash, principal_id=User.id,
                                     is_admin=User.is_admin, name=User.name, valid=true()))

    @pf.read_rule
    def readable(team_id, principal_id, is_admin):
        return or_(is_admin, exists().where(Member.team_id == team_id, Member.user_id == principal_id))

    class NoteSchema(VersionedSchema):
        ticket_id = fields.String()

    class ScoreSchema(VersionedSchema):
        points = fields.Integer()

    class TeamSchema(VersionedSchema):
        pass

    class TicketSchema(VersionedSchema):
        title = fields.String()

    #: ada's notes and the tickets they are on: a change to either moves the digest
    mine = resources.Digest(lambda team, value, principal_id: select(
        Note.id, Note.version, Note.stamp, Ticket.version, Ticket.stamp).join(Ticket, Ticket.id == Note.ticket_id)
        .where(Note.team_id == team, Note.user_id == cast(principal_id, String)))

    notes = list_schema(NoteSchema, "NoteList")
    app = Flask("queries")
    app.config.update(SQLALCHEMY_DATABASE_URI=empty_database(tmp_path), API_TITLE="Q", API_VERSION="1",
                      OPENAPI_VERSION="3.0.3")
    db.init_app(app)
    api = Api(app)
    pf.init_app(app)
    blp = Blueprint("q", __name__)

    @blp.route("/teams")
    class Teams(MethodView):  # public: an anonymous caller reads nobody's teams
        @blp.caller_list(list_schema(TeamSchema, "TeamList"))
        def get(self, args):
            return resources.list_page(select(Team).where(readable(Team.id)), Team, args)

    @blp.route("/teams/<int:team_id>/notes")
    class Notes(MethodView):
        @blp.scoped_list(notes, "team_id", audience=True, digest=mine)
        def get(self, args, team_id):
            authenticate()
            return resources.list_page(select(Note).where(Note.team_id == team_id), Note, args)

    @blp.route("/users/<int:user_id>/teams/<int:team_id>/notes")
    class UsersNotes(MethodView):  # an admin's view of a user's private rows: declares nothing
        @blp.response(200, notes)
        def get(self, user_id, team_id):
            authenticate()
            stmt = select(Note).where(Note.team_id == team_id, Note.user_id == str(user_id))
            return resources.scoped_page(readable, team_id, stmt, Note, 100, None, audience=str(user_id))

    @blp.route("/teams/<int:team_id>/score")
    class MyScore(MethodView):
        @blp.item(ScoreSchema, Score, team_id="team_id", user_id=poll.PRINCIPAL)
        def get(self, score):
            authenticate()
            return resources.ok(score)

    @blp.route("/tickets/<int:ticket_id>")
    class TicketItem(MethodView):
        @blp.item(TicketSchema, Ticket, id="ticket_id")
        def get(self, ticket):
            return resources.ok(ticket)

    class DocSchema(VersionedSchema):
        pass

    class DocAdminSchema(VersionedSchema):
        secret = fields.String()

    @blp.route("/admin/docs/<int:doc_id>")
    class AdminDoc(MethodView):
        @blp.item(DocAdminSchema, Doc, id="doc_id")
        def get(self, doc):
            return resources.ok(doc)

    @blp.route("/docs/<int:doc_id>")
    class DocItem(MethodView):
        @blp.item(DocSchema, Doc, id="doc_id")
        def get(self, doc):
            return resources.ok(doc)

    api.register_blueprint(blp)
    api.register_blueprint(pf.blueprint)
    tokens = {}
    with app.app_context():
        db.create_all()
        for uid, name, admin in ((1, "ada", False), (2, "root", True)):
            token, hashed = new_token()
            tokens[name] = {"Authorization": f"Bearer {token}"}
            db.session.add(User(id=uid, name=name, is_admin=admin, token_hash=hashed))
        db.session.add_all([Team(id=1), Team(id=2), Org(id=50)])
        db.session.flush()
        db.session.add_all([Member(team_id=1, user_id=1), Ticket(id=7, team_id=1, title="Printer"),
                            Note(team_id=1, user_id="1", ticket_id=7), Score(team_id=1, user_id="1"),
                            Doc(team_id=1)])
        db.session.commit()
    models = {"Note": Note, "Ticket": Ticket, "Score": Score}
    yield app, tokens, models, db
    with app.app_context():
        db.engine.dispose()


FLASK = {"pollfeed.poll_path": False}


def both(app, path, headers):
    """(poll path's answer, Flask's) to the same request."""
    c = app.test_client()
    return c.get(path, headers=headers), c.get(path, headers=headers, environ_overrides=FLASK)


def write(app, db, fn):
    with app.app_context():
        fn(db.session)
        db.session.commit()


def test_a_list_of_another_users_private_rows_is_tagged_by_their_watermark(desk):
    app, who, m, db = desk
    path = "/users/1/teams/1/notes"
    first = app.test_client().get(path, headers=who["root"])
    assert first.status_code == 200 and len(first.get_json()["items"]) == 1
    assert first.headers["ETag"].endswith('.1"')  # ada's, not the admin's
    write(app, db, lambda s: s.add(m["Note"](team_id=1, user_id="1", ticket_id=7)))  # ada's watermark moves
    again = app.test_client().get(path, headers={**who["root"], "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and len(again.get_json()["items"]) == 2


def test_a_private_digest_list_moves_with_the_public_rows_it_covers_on_both_paths(desk):
    app, who, m, db = desk
    poll_path = app.extensions["pollfeed"].poll_path
    ada = who["ada"]
    tag = app.test_client().get("/teams/1/notes", headers=ada).headers["ETag"]
    for _ in range(2):  # the poll path's 304s (the second from its remembered digest, if it kept one)
        before = poll_path.answered
        assert app.test_client().get("/teams/1/notes", headers={**ada, "If-None-Match": tag}).status_code == 304
        assert poll_path.answered == before + 1
    write(app, db, lambda s: setattr(s.get(m["Ticket"], 7), "title", "Printer on fire"))  # the scope's, not ada's
    fast, slow = both(app, "/teams/1/notes", {**ada, "If-None-Match": tag})
    assert fast.status_code == slow.status_code == 200
    assert fast.headers["ETag"] == slow.headers["ETag"] != tag


def test_an_anonymous_caller_reads_an_empty_caller_list(desk):
    app, who, _m, _db = desk
    anonymous = app.test_client().get("/teams")
    assert anonymous.status_code == 200 and anonymous.get_json()["items"] == []
    assert [t["id"] for t in app.test_client().get("/teams", headers=who["ada"]).get_json()["items"]] == ["1"]
    assert anonymous.headers["ETag"] != app.test_client().get("/teams", headers=who["ada"]).headers["ETag"]


def test_an_item_keyed_by_the_callers_id_in_a_text_column_on_both_paths(desk):
    """ada's id is an integer; the score's user_id is text: the comparison is cast, on PostgreSQL too."""
    app, who, _m, _db = desk
    poll_path = app.extensions["pollfeed"].poll_path
    fast, slow = both(app, "/teams/1/score", who["ada"])
    assert fast.status_code == slow.status_code == 200 and fast.headers["ETag"] == slow.headers["ETag"]
    before = poll_path.answered
    again = app.test_client().get("/teams/1/score", headers={**who["ada"], "If-None-Match": fast.headers["ETag"]})
    assert again.status_code == 304 and poll_path.answered == before + 1
    assert app.test_client().get("/teams/1/score", headers=who["root"]).status_code == 404  # root has none


def test_a_scope_id_names_a_row_of_the_scopes_own_model(desk):
    """Team and Org are both their own scope; a list of a team's notes wants a team: organisation 50 is
    not one, even for an admin whom the read rule lets read any id."""
    app, who, _m, _db = desk
    for path, status in (("/teams/50/notes", 404), ("/teams/3/notes", 404), ("/teams/2/notes", 200)):
        fast, slow = both(app, path, {**who["root"], "If-None-Match": '"l0-0"'})
        assert fast.status_code == slow.status_code == status, path


def test_the_feed_embeds_an_items_body_unless_it_is_only_its_owners_to_read(desk):
    app, who, _m, _db = desk
    changes = app.test_client().get("/changes?types=ticket,score,doc&include=resource",
                                    headers=who["ada"]).get_json()
    embedded = {c["type"]: c["resource"] for c in changes["changes"]}
    assert embedded["ticket"]["id"] == "7"  # from its item route's schema
    assert embedded["score"] is None  # read at the caller's own URL only: not embedded for the whole scope
    assert embedded["doc"] is None  # two item routes answer two schemas (one an admin's): none is guessed

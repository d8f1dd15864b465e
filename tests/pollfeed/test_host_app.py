"""An app of its own, not the reference server: its own db, models with integer ids, a Team scope named
`team` on the wire. It gets the engine's tables, the log's first row and the version guards from
db.create_all(), and the change feed as its blueprint."""
import uuid
from types import SimpleNamespace

import pytest
from flask import Flask, g, request
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Integer, String, Uuid, func, select, text, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import PageArgs, Pollfeed, PrincipalSource, new_token, poll, resources
from pollfeed.changelog import Change, FeedState
from pollfeed.versioned import Grant, Versioned, models

from ..support import empty_database, item_ids


@pytest.fixture
def host_url(tmp_path):
    return empty_database(tmp_path)


def test_an_app_of_its_own_with_integer_ids_gets_everything_from_create_all(host_url):
    host_db = SQLAlchemy()

    class Ticket(host_db.Model, Versioned):
        __tablename__ = "tickets"
        __change_type__ = "ticket"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer, nullable=False)
        title: Mapped[str] = mapped_column(String(200), nullable=False)

    class TeamMember(host_db.Model, Versioned, Grant):
        """Whoever has a row here may read the team's tickets, and follow them in the feed."""
        __tablename__ = "team_members"
        __change_type__ = "team_member"
        __scope_attr__ = "team_id"
        __grant_principal__ = "user_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer, nullable=False)
        user_id: Mapped[str] = mapped_column(String(40), nullable=False)

    try:
        app = Flask("helpdesk")
        app.config.update(SQLALCHEMY_DATABASE_URI=host_url, API_TITLE="Helpdesk", API_VERSION="1",
                          OPENAPI_VERSION="3.0.3")
        host_db.init_app(app)
        api = Api(app)
        pf = Pollfeed(app, db=host_db, api=api, scope="team")
        api.register_blueprint(pf.blueprint)

        @app.before_request
        def caller():  # the host's own auth, here a header naming the user (the engine reads g.principal)
            name = request.headers.get("X-User", "root")
            g.principal = SimpleNamespace(id=name, name=name, is_admin=name == "root")

        with app.app_context():
            host_db.create_all()
            state = host_db.session.execute(select(FeedState)).scalar_one()
            assert (state.head, state.horizon) == (0, 0) and state.stamp == state.horizon_stamp != 0
            host_db.session.add_all([TeamMember(team_id=7, user_id="ada"), TeamMember(team_id=8, user_id="bob")])
            host_db.session.commit()
            ticket = Ticket(team_id=7, title="Printer on fire")
            host_db.session.add(ticket)
            host_db.session.commit()
            ticket.title = "Printer still on fire"
            host_db.session.commit()
            log = host_db.session.execute(select(Change.resource_id, Change.scope_id, Change.op, Change.version)
                                          .order_by(Change.position)).all()
            assert log[2:] == [(str(ticket.id), "7", "create", 1), (str(ticket.id), "7", "update", 2)]
            assert host_db.session.scalar(select(func.max(FeedState.head))) == 4
            tid = str(ticket.id)
            with pytest.raises(IntegrityError, match="must raise its version"):
                host_db.session.execute(text("UPDATE tickets SET title = 'raw'"))
            host_db.session.rollback()
            host_db.session.add(Ticket(team_id=8, title="Elsewhere"))
            host_db.session.commit()
        # The feed: `?team=` filters, each change carries `team_id`; ids are strings on the wire.
        client = app.test_client()
        answer = client.get("/changes?team=7")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        page = answer.get_json()
        tickets = [(c["team_id"], c["id"], c["op"]) for c in page["changes"] if c["type"] == "ticket"]
        assert tickets == [("7", tid, "create"), ("7", tid, "update")]
        assert "project_id" not in page["changes"][0]
        everything = client.get("/changes?types=ticket").get_json()["changes"]
        assert [c["team_id"] for c in everything] == ["7", "7", "8"]
        # A member follows only the teams they belong to; another team's filter is 404.
        ada = {"X-User": "ada"}
        assert [c["team_id"] for c in client.get("/changes?types=ticket", headers=ada).get_json()["changes"]] == [
            "7", "7"]
        refused = client.get("/changes?team=8", headers=ada)
        assert refused.status_code == 404
        # the engine's errors are problem+json in an app of its own too, not flask-smorest's own JSON
        assert refused.mimetype == "application/problem+json"
        assert refused.get_json()["type"] == "not-found" and refused.get_json()["status"] == 404
        bad = client.get("/changes?team=7&since=nonsense")
        assert bad.status_code == 400 and bad.get_json()["type"] == "bad-cursor", bad.get_data(as_text=True)
        quiet = client.get("/changes?team=7&since=" + page["next"])
        assert quiet.get_json()["changes"] == []
        assert client.get("/changes?team=7&since=" + page["next"],
                          headers={"If-None-Match": quiet.headers["ETag"]}).status_code == 304
        with app.app_context():
            host_db.drop_all()
            host_db.engine.dispose()
    finally:
        # Each app's types are its own db's: the reference server's registry never saw these.
        from app.extensions import db as server_db

        assert "ticket" not in models(server_db.metadata) and set(models(host_db.metadata)) == {
            "ticket", "team_member"}


def test_the_scope_name_must_be_a_plain_name():
    with pytest.raises(ValueError, match="scope must be a lower-case name"):
        Pollfeed(scope="Team-Id")


def test_derivers_and_representations_belong_to_their_extension(tmp_path, app, make_user):
    """The reference server's derivers (progress, notifications) never run in another app's commits, nor
    that app's in the server's; each feed embeds with its own extension's representations."""
    from app.extensions import pf as server_pf

    host_db = SQLAlchemy()

    class Note(host_db.Model, Versioned):
        __tablename__ = "notes"
        __change_type__ = "note"
        __scope_attr__ = "id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        text: Mapped[str] = mapped_column(String(50), nullable=False)

    host = Flask("notes")
    host.config.update(SQLALCHEMY_DATABASE_URI=empty_database(tmp_path))
    host_db.init_app(host)
    pf = Pollfeed(host, db=host_db)
    host.register_blueprint(pf.blueprint)
    seen = []
    pf.derive(lambda session, records: seen.extend(r.type for r in records))
    pf.represent("note", lambda obj: {"text": obj.text})
    assert server_pf.derivers and all(fn not in pf.derivers for fn in server_pf.derivers)

    @host.before_request
    def caller():
        g.principal = SimpleNamespace(id="root", name="root", is_admin=True)

    with host.app_context():
        host_db.create_all()  # a server deriver run here would query the server's tables: none exist
        host_db.session.add(Note(text="hello"))
        host_db.session.commit()
    assert seen == ["note"]
    page = host.test_client().get("/changes?include=resource").get_json()
    assert [c["resource"] for c in page["changes"]] == [{"text": "hello"}]
    made = make_user("carol").post("/projects", json={"name": "the server's"})  # a commit with changes there
    assert made.status_code == 201
    assert seen == ["note"]
    with host.app_context():
        host_db.engine.dispose()


def test_uuid_keys_on_both_paths_in_pages_and_in_the_feed(host_url):
    """SQLAlchemy's Uuid as the keys of a scope and its rows: an item by a <uuid:> or a <string:> URL
    variable, its 304 from the poll path, a list paged by `after`, the feed filtered by a UUID scope with
    the bodies embedded. Ids are strings on the wire, in their usual form."""
    db = SQLAlchemy()

    class User(db.Model):
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        token_hash: Mapped[str] = mapped_column(String(64))

    class Board(db.Model, Versioned):
        __change_type__ = "board"
        __scope_attr__ = "id"
        id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)

    class Card(db.Model, Versioned):
        __change_type__ = "card"
        __scope_attr__ = "board_id"
        id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
        board_id: Mapped[uuid.UUID] = mapped_column(Uuid)
        title: Mapped[str] = mapped_column(String(40))

    class Seat(db.Model, Versioned, Grant):  # whoever has one follows the board in the feed
        __change_type__ = "seat"
        __scope_attr__ = "board_id"
        __grant_principal__ = "user_id"
        id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
        board_id: Mapped[uuid.UUID] = mapped_column(Uuid)
        user_id: Mapped[int] = mapped_column(Integer)

    pf = Pollfeed(db=db, scope="board")
    # principal ids are the one key that may not be a Uuid (the log keys principals by their text, which
    # SQL makes by a cast: 32 hex digits on SQLite)
    with pytest.raises(TypeError, match="Principal ids of SQLAlchemy's Uuid type are not supported"):
        pf.bearer_tokens(PrincipalSource(source=Seat.__table__, token_hash=Seat.id, principal_id=Seat.id,
                                         is_admin=true(), name=Seat.id, valid=true()))
    with pytest.raises(TypeError, match="Principal ids of SQLAlchemy's Uuid type are not supported"):
        pf.caller_loader(id_type=Uuid)(lambda: None)
    pf.bearer_tokens(PrincipalSource(source=User.__table__, token_hash=User.token_hash, principal_id=User.id,
                                     is_admin=true(), name=User.token_hash, valid=true()))
    pf.read_rule(lambda board_id, principal_id, is_admin: is_admin)
    app = Flask("uuid_keys")
    app.config["SQLALCHEMY_DATABASE_URI"] = host_url
    db.init_app(app)
    pf.init_app(app)
    app.register_blueprint(pf.blueprint)
    page_args = PageArgs()

    def dump(card):
        return {"id": str(card.id), "board_id": str(card.board_id), "title": card.title}

    @app.get("/cards/<uuid:card_id>")
    @poll.item(Card, id="card_id", dump=dump)
    def card(card):
        return dump(card), 200, resources.headers(card)

    @app.get("/by-text/<string:card_id>")
    @poll.item(Card, id="card_id")
    def card_by_text(card):
        return dump(card), 200, resources.headers(card)

    @app.get("/boards/<uuid:board_id>/cards")
    @poll.scoped_list("board_id", query=page_args)
    def cards(board_id):
        body, status, headers = resources.list_page(select(Card).where(Card.board_id == board_id), Card,
                                                    resources.load(page_args, "query"))
        return {"items": [dump(c) for c in body["items"]], "next": body["next"]}, status, headers

    token, hashed = new_token("u_")
    with app.app_context():
        db.create_all()
        board = Board()
        db.session.add_all([User(id=1, token_hash=hashed), board])
        db.session.flush()
        db.session.add_all([Seat(board_id=board.id, user_id=1),
                            *(Card(board_id=board.id, title=f"card {i}") for i in range(3))])
        db.session.commit()
        board_id, ids = str(board.id), sorted(str(i) for i in db.session.scalars(select(Card.id)))
    c, ada = app.test_client(), {"Authorization": f"Bearer {token}"}
    poll_path = app.extensions["pollfeed"].poll_path
    first = c.get(f"/cards/{ids[0]}", headers=ada)
    assert first.status_code == 200 and first.get_json()["id"] == ids[0], first.get_data(as_text=True)
    assert c.get(f"/by-text/{ids[0]}", headers=ada).get_json() == first.get_json()
    # only a key's canonical text names it (its tags and watermarks are found by that text): else 404
    for other in ("not-a-uuid", ids[0].upper(), ids[0].replace("-", ""), "{" + ids[0] + "}"):
        assert c.get(f"/by-text/{other}", headers=ada).status_code == 404, other
    answered = poll_path.answered
    for path in (f"/cards/{ids[0]}", f"/by-text/{ids[0]}"):
        assert c.get(path, headers={**ada, "If-None-Match": first.headers["ETag"]}).status_code == 304, path
    assert poll_path.answered == answered + 2
    seen = item_ids(c, f"/boards/{board_id}/cards?limit=1", ada)
    assert seen == sorted(seen) and set(seen) == set(ids)  # in key order, each once
    listed = c.get(f"/boards/{board_id}/cards", headers=ada)
    answered = poll_path.answered
    assert c.get(f"/boards/{board_id}/cards", headers={**ada, "If-None-Match": listed.headers["ETag"]}
                 ).status_code == 304 and poll_path.answered == answered + 1
    bad = c.get(f"/boards/{board_id}/cards?after=nonsense", headers=ada)
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json", bad.get_data(as_text=True)
    feed = c.get(f"/changes?board={board_id}&types=card&include=resource", headers=ada)
    assert feed.status_code == 200, feed.get_data(as_text=True)
    titles = {i: c.get(f"/cards/{i}", headers=ada).get_json()["title"] for i in ids}
    assert sorted((x["board_id"], x["id"], x["resource"]["title"]) for x in feed.get_json()["changes"]) == [
        (board_id, i, titles[i]) for i in ids]
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_a_scope_model_that_is_not_versioned_is_declared_and_then_checked(host_url):
    """A Store that is not Versioned: `pf.scope_model` names it, so a list within a store that does not
    exist is 404 (for admins too, whom the read rule lets read everything), and `resources.find_item`
    reads a store as its own scope."""
    db = SQLAlchemy()
    pf = Pollfeed(db=db, scope="store")

    @pf.scope_model
    class Store(db.Model):
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    class Order(db.Model, Versioned):
        __change_type__ = "order"
        __scope_attr__ = "store_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        store_id: Mapped[int] = mapped_column(Integer)

    class Note(db.Model):  # neither versioned nor the scope: it has no scope to ask the rule about
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    pf.read_rule(lambda store_id, principal_id, is_admin: is_admin)
    app = Flask("stores")
    app.config["SQLALCHEMY_DATABASE_URI"] = host_url
    db.init_app(app)
    pf.init_app(app)

    @app.before_request
    def caller():
        g.principal = SimpleNamespace(id="root", name="root", is_admin=True)

    @app.get("/stores/<int:store_id>/orders")
    @poll.scoped_list("store_id")
    def orders(store_id):
        body, status, headers = resources.list_page(select(Order).where(Order.store_id == store_id), Order,
                                                    {"limit": 100, "after": None})
        return {"ids": [str(o.id) for o in body["items"]]}, status, headers

    @app.post("/stores/<int:store_id>/orders")
    def add(store_id):
        store = resources.find_item(Store, pf.rule(), id=store_id)  # 404 unless it exists and is readable
        body, status, headers = resources.create(Order(store_id=store.id), "/orders/{id}")
        return {"id": str(body.id)}, status, headers

    with app.app_context():
        db.create_all()
        db.session.add(Store(id=1))
        db.session.commit()
    c = app.test_client()
    assert c.post("/stores/1/orders").status_code == 201
    assert c.post("/stores/2/orders").status_code == 404
    assert c.get("/stores/1/orders").get_json()["ids"] == ["1"]
    assert c.get("/stores/2/orders").status_code == 404  # no such store: without scope_model, a 200
    with app.test_request_context():  # not read as its own scope (note 5 is not store 5's to give)
        with pytest.raises(TypeError, match="Note names no scope"):
            resources.find_item(Note, pf.rule(), id=1)
    with app.app_context():
        db.drop_all()
        db.engine.dispose()

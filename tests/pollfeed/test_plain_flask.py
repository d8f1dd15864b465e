"""The engine without flask-smorest: plain Flask views and a plain feed blueprint, in an interpreter where
flask-smorest and apispec cannot be imported (they are the optional extra `pollfeed[openapi]`)."""
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APP = textwrap.dedent('''
    import hashlib, sys

    class NoSmorest:  # as if `pip install pollfeed` had not brought the optional extra
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("flask_smorest", "apispec"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, NoSmorest())

    from flask import Flask, request
    from flask_sqlalchemy import SQLAlchemy
    from marshmallow import fields
    from sqlalchemy import ForeignKey, Integer, String, bindparam, exists, or_, select, true
    from sqlalchemy.orm import Mapped, mapped_column

    import pollfeed
    from pollfeed import (Grant, PageArgs, PrincipalSource, Versioned, VersionedSchema, authenticate, caller,
                          list_schema, poll, resources)

    assert pollfeed.openapi is None and "flask_smorest" not in sys.modules
    try:
        pollfeed.Blueprint("x", __name__)
    except ImportError as exc:
        assert "pollfeed[openapi]" in str(exc), exc
    else:
        raise AssertionError("pollfeed.Blueprint without flask-smorest")

    db = SQLAlchemy()
    pf = pollfeed.Pollfeed(db=db, scope="team")

    class User(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    class Member(db.Model, Versioned, Grant):
        __change_type__ = "member"
        __scope_attr__ = "team_id"
        __grant_principal__ = "user_id"
        id: Mapped[int] = mapped_column(primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    class Ticket(db.Model, Versioned):
        __change_type__ = "ticket"
        __scope_attr__ = "team_id"
        id: Mapped[int] = mapped_column(primary_key=True)
        team_id: Mapped[int] = mapped_column(Integer)
        title: Mapped[str] = mapped_column(String(200))

    def digest(token):
        return hashlib.sha256(token.encode()).hexdigest()

    pf.bearer_tokens(PrincipalSource(source=User.__table__, token_hash=User.token_hash, principal_id=User.id,
                                     is_admin=~true(), name=User.token_hash, valid=true(), digest=digest))

    @pf.read_rule
    def readable(team_id, principal_id=None, is_admin=None):
        if principal_id is None:
            principal_id = bindparam("uid", callable_=lambda: int(caller().id), type_=Integer)
            is_admin = False
        return or_(is_admin, exists().where(Member.team_id == team_id, Member.user_id == principal_id))

    class TicketSchema(VersionedSchema):
        title = fields.String()

    schema = TicketSchema()
    app = Flask("plain")
    app.config["SQLALCHEMY_DATABASE_URI"] = sys.argv[1]
    db.init_app(app)
    pf.init_app(app)
    app.before_request(authenticate)
    app.register_blueprint(pf.blueprint)

    page_args, ticket_list = PageArgs(), list_schema(TicketSchema, "TicketList")()

    @app.get("/tickets/<int:ticket_id>")
    @poll.item(Ticket, id="ticket_id", dump=schema.dump)  # dump: what the feed's ?include=resource embeds
    def ticket(ticket):
        return schema.dump(ticket), 200, resources.headers(ticket)

    @app.get("/teams/<int:team_id>/tickets")
    @poll.scoped_list("team_id", query=page_args)
    def tickets(team_id):
        args = resources.load(page_args, "query")  # 400 for a bad limit, as on the poll path
        body, status, headers = resources.list_page(select(Ticket).where(Ticket.team_id == team_id), Ticket, args)
        return ticket_list.dump(body), status, headers

    @app.patch("/tickets/<int:ticket_id>")
    def edit(ticket_id):
        ticket = resources.write_item(Ticket, readable, id=ticket_id)
        resources.update(ticket, resources.load(TicketSchema(partial=True)))  # 422 for a bad field
        resources.commit(ticket)
        return schema.dump(ticket), 200, resources.headers(ticket)

    with app.app_context():
        db.create_all()
        db.session.add_all([User(id=1, token_hash=digest("ada")), User(id=2, token_hash=digest("bob"))])
        db.session.add(Member(team_id=7, user_id=1))
        db.session.add(Ticket(id=1, team_id=7, title="Printer on fire"))
        db.session.commit()

    c, ada, bob = app.test_client(), {"Authorization": "Bearer ada"}, {"Authorization": "Bearer bob"}
    first = c.get("/tickets/1", headers=ada)
    assert first.status_code == 200 and first.json["title"] == "Printer on fire", first.data
    tag = first.headers["ETag"]
    assert c.get("/tickets/1", headers={**ada, "If-None-Match": tag}).status_code == 304
    assert app.extensions["pollfeed"].poll_path.answered == 1  # ahead of Flask
    assert c.get("/tickets/1", headers=bob).status_code == 404  # not bob's team
    missing = c.patch("/tickets/1", json={"title": "x"}, headers=ada)
    assert missing.status_code == 428 and missing.mimetype == "application/problem+json", missing.data
    done = c.patch("/tickets/1", json={"title": "Fixed"}, headers={**ada, "If-Match": tag})
    assert done.status_code == 200 and done.headers["ETag"] != tag, done.data
    stale = c.patch("/tickets/1", json={"title": "again"}, headers={**ada, "If-Match": tag})
    assert stale.status_code == 412 and stale.headers["ETag"] == done.headers["ETag"], stale.data
    for body in ({"title": 5}, {"version": 9}):  # a wrong type, a read-only field: 422, never a 500
        invalid = c.patch("/tickets/1", json=body, headers={**ada, "If-Match": done.headers["ETag"]})
        assert invalid.status_code == 422 and invalid.mimetype == "application/problem+json", invalid.data
    listed = c.get("/teams/7/tickets?limit=1", headers=ada)
    assert listed.status_code == 200 and [t["title"] for t in listed.json["items"]] == ["Fixed"], listed.data
    answered = app.extensions["pollfeed"].poll_path.answered
    again = c.get("/teams/7/tickets?limit=1", headers={**ada, "If-None-Match": listed.headers["ETag"]})
    assert again.status_code == 304 and app.extensions["pollfeed"].poll_path.answered == answered + 1
    for query in ("limit=abc", "limit=0", "after=%00"):
        bad = c.get("/teams/7/tickets?" + query, headers=ada)
        assert bad.status_code == 400 and bad.mimetype == "application/problem+json", (query, bad.data)
    assert c.get("/teams/7/tickets", headers=bob).status_code == 404
    embedded = c.get("/changes?team=7&types=ticket&include=resource", headers=ada).json["changes"]
    assert [x["resource"]["title"] for x in embedded] == ["Fixed", "Fixed"]
    page = c.get("/changes?team=7&types=ticket", headers=ada)
    assert page.status_code == 200, page.data
    assert [(x["team_id"], x["op"]) for x in page.json["changes"]] == [("7", "create"), ("7", "update")]
    assert c.get("/changes?team=7", headers=bob).status_code == 404
    bad = c.get("/changes?limit=0", headers=ada)
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json", bad.data
    quiet = c.get("/changes?team=7&since=" + page.json["next"], headers=ada)
    assert c.get("/changes?team=7&since=" + page.json["next"],
                 headers={**ada, "If-None-Match": quiet.headers["ETag"]}).status_code == 304
    assert app.extensions["pollfeed"].poll_path.answered == answered + 2
    print("plain flask: ok")
''')


def test_the_engine_works_on_plain_flask_views_without_flask_smorest(tmp_path):
    script = tmp_path / "plain.py"
    script.write_text(APP)
    out = subprocess.run([sys.executable, str(script), f"sqlite:///{tmp_path / 'plain.db'}"], cwd=tmp_path,
                         env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "plain flask: ok" in out.stdout, out.stdout + out.stderr

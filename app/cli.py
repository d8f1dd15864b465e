"""flask users / tokens / demo commands (the engine brings `flask pollfeed`)."""

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from pollfeed import utcnow

from .auth import tokens
from .auth.models import Membership, Token, User
from .boards.models import Project, Status, Task
from .extensions import db, pf

users_cli = AppGroup("users", help="Manage users.")
tokens_cli = AppGroup("tokens", help="Issue and revoke bearer tokens.")


def _user(name):
    user = db.session.scalar(select(User).where(User.name == name))
    if user is None:
        raise click.ClickException(f"no user named {name!r}")
    return user


@users_cli.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="The user sees and administers every project.")
def users_create(name, admin):
    """Create a user and print their first token (shown once, on the last line)."""
    if not 1 <= len(name) <= 80:
        raise click.BadParameter("NAME must be 1..80 characters")
    if db.session.scalar(select(User.id).where(User.name == name)):
        raise click.ClickException(f"a user named {name!r} exists already")
    user = User(name=name, is_admin=admin)
    db.session.add(user)
    db.session.flush()
    token = tokens.issue(user)
    db.session.commit()
    click.echo(f"created {'admin ' if admin else ''}user {name} ({user.id}); token:", err=True)
    click.echo(token)


@users_cli.command("list")
def users_list():
    """List users with their number of live tokens."""
    live = (select(Token.user_id, func.count().label("n")).where(Token.revoked_at.is_(None))
            .group_by(Token.user_id).subquery())
    rows = db.session.execute(
        select(User.id, User.name, User.is_admin, func.coalesce(live.c.n, 0))
        .outerjoin(live, live.c.user_id == User.id).order_by(User.name)
    )
    for uid, name, is_admin, n in rows:
        click.echo(f"{uid}  {name}{'  (admin)' if is_admin else ''}  tokens: {n}")


@tokens_cli.command("issue")
@click.argument("name")
def tokens_issue(name):
    """Issue another token for user NAME (printed once)."""
    token = tokens.issue(_user(name))
    db.session.commit()
    click.echo(token)


@tokens_cli.command("list")
@click.argument("name")
def tokens_list(name):
    """List user NAME's tokens (ids only; tokens are stored as hashes)."""
    for tok in db.session.scalars(select(Token).where(Token.user_id == _user(name).id).order_by(Token.created_at)):
        state = f"revoked {tok.revoked_at:%Y-%m-%d %H:%M}" if tok.revoked_at else "live"
        click.echo(f"{tok.id}  created {tok.created_at:%Y-%m-%d %H:%M}  {state}")


@tokens_cli.command("revoke")
@click.argument("token_or_id")
def tokens_revoke(token_or_id):
    """Revoke a token, given the token itself or its id (from `flask tokens list`)."""
    n = tokens.revoke(token_or_id)
    db.session.commit()
    if not n:
        raise click.ClickException("no live token matches")
    click.echo(f"revoked {n} token(s)")


@click.command("demo")
@with_appcontext
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
def demo(base_url):
    """On an empty database: a demo admin and a demo board; prints the token and the board's link."""
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("database not empty: no demo data created", err=True)
        return
    db.session.info["actor_id"] = None
    admin = User(name="demo", is_admin=True)
    db.session.add(admin)
    db.session.flush()
    token = tokens.issue(admin)
    project = Project(name="Demo board", description="Open it in two windows and move a card.")
    db.session.add(project)
    db.session.flush()
    db.session.add(Membership(project_id=project.id, user_id=admin.id, role="owner"))
    columns = [Status(project_id=project.id, name=n, position=i, done=n == "Done")
               for i, n in enumerate(["Todo", "Doing", "Done"])]
    db.session.add_all(columns)
    db.session.flush()
    for i, (title, col) in enumerate([("Fix homepage", 0), ("Write release notes", 0),
                                      ("Review pull request", 1), ("Set up CI", 2)]):
        db.session.add(Task(project_id=project.id, status_id=columns[col].id, title=title, position=i, points=3,
                            assignee_id=admin.id, completed_at=utcnow() if col == 2 else None))
    db.session.commit()
    click.echo(f"demo admin 'demo' created; board: {base_url}/#token={token}", err=True)
    click.echo(token)


def register(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    # `flask changes ...`, the name these commands had before the engine was a package: still works.
    app.cli.add_command(pf.cli, "changes")
    app.cli.add_command(demo)

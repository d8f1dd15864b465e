"""flask helpdesk add-team NAME | add-user NAME [--admin] [--team ID ...] (prints the user's token)."""
import click
from flask.cli import AppGroup

from pollfeed import new_token

from . import db
from .models import ApiToken, Member, Team, User

helpdesk = AppGroup("helpdesk", help="Teams, users and their tokens.")


@helpdesk.command("add-team")
@click.argument("name")
def add_team(name):
    team = Team(name=name)
    db.session.add(team)
    db.session.commit()
    click.echo(team.id)


@helpdesk.command("add-user")
@click.argument("name")
@click.option("--admin", is_flag=True)
@click.option("--team", "teams", type=int, multiple=True, help="a team the user is a member of")
def add_user(name, admin, teams):
    user = User(name=name, is_admin=admin)
    db.session.add(user)
    db.session.flush()
    token, hashed = new_token("hd_")
    db.session.add_all([ApiToken(token_hash=hashed, user_id=user.id),
                        *(Member(team_id=team, user_id=user.id) for team in teams)])
    db.session.commit()
    click.echo(token)  # shown once: only its hash is stored

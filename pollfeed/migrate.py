"""The engine's migrations, for the host's Alembic (Flask-Migrate).

The engine's tables come with their own revisions, in `pollfeed/versions/`. A host adds that directory
to its Alembic's version locations, with Flask-Migrate in one line:

    migrate = Migrate(app, db)
    migrate.configure(pollfeed.include_migrations)

and its first revision names the engine's first as its down_revision (`down_revision = "pollfeed_0001"`),
so that its chain depends on the engine's and `flask db upgrade` has one head. The engine's first
revision seeds the log's first row; the host's migrations never write the engine's tables.
"""
import os
from pathlib import Path

#: The directory of the engine's revisions.
VERSIONS = str(Path(__file__).parent / "versions")
#: The engine's first revision: the host's first revision's down_revision.
FIRST = "pollfeed_0001"


def include_migrations(config):
    """Add the engine's revisions to an Alembic Config's version locations (a Flask-Migrate configure
    callback; returns the config). The host's own stay where they are and new revisions go there."""
    separator = config.get_main_option("path_separator")
    if separator is None:
        config.set_main_option("path_separator", "os")
        separator = "os"
    split = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}[separator]
    locations = config.get_main_option("version_locations")
    if locations:
        found = [p.strip() for p in locations.split(split) if p.strip()]
    else:
        found = [os.path.join(config.get_main_option("script_location"), "versions")]
    if VERSIONS not in found:
        found.append(VERSIONS)
    config.set_main_option("version_locations", split.join(found).replace("%", "%%"))
    return config

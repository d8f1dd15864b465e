"""Per-test PostgreSQL databases, copied from a migrated template (CREATE DATABASE ... TEMPLATE)."""
import glob
import itertools
import os
import subprocess
import time

import psycopg
from sqlalchemy.engine import make_url

_counter = itertools.count()
_state = {"template": None, "previous": []}


def _admin(url):
    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres", autocommit=True)


def _with_db(url, name):
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def fresh_database(base_url, alongside=False):
    """An empty, migrated database of its own; the previous test's databases are dropped (with
    `alongside`, a second database for the same test: the current one is kept)."""
    with _admin(base_url) as conn:
        if _state["template"] is None:
            conn.execute("DROP DATABASE IF EXISTS pf_template WITH (FORCE)")
            conn.execute("CREATE DATABASE pf_template")
            _migrate(_with_db(base_url, "pf_template"))
            _state["template"] = "pf_template"
        if not alongside:
            for previous in _state["previous"]:
                conn.execute(f'DROP DATABASE IF EXISTS "{previous}" WITH (FORCE)')
            _state["previous"] = []
        name = f"t_{os.getpid()}_{next(_counter)}"
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE pf_template')
    _state["previous"].append(name)
    return _with_db(base_url, name)


def _migrate(url):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


class Cluster:
    """The test command's throwaway cluster, so a test can stop and start it."""

    def __init__(self):
        self.dir = os.environ.get("TEST_PG_DIR")
        self.port = make_url(os.environ["TEST_DATABASE_URL"]).port

    def stop(self):
        subprocess.run(["scripts/pg", "stop", self.dir], check=True, cwd=_root())

    def start(self):
        subprocess.run(["scripts/pg", "restart-only", self.dir, str(self.port)], check=True, cwd=_root())
        time.sleep(0.2)


def _root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def empty_database(base_url):
    """A new, empty database (for an app that is not the reference server), dropped with the next test's."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    with _admin(base_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _state["previous"].append(name)
    return _with_db(base_url, name)


def database_from_dump(base_url, dump):
    """A new database loaded from a plain-text pg_dump (by psql, which understands its meta-commands)."""
    url = empty_database(base_url)
    u = make_url(url)
    name = u.database
    psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), key=lambda p: int(p.split("/")[4]))[-1]
    subprocess.run([psql, "-q", "-v", "ON_ERROR_STOP=1", "-h", u.host, "-p", str(u.port), "-U", u.username,
                    "-d", name, "-f", str(dump)], check=True, capture_output=True)
    return url

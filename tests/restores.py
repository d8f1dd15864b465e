"""Real backups and restores of a live database, as an operator makes them: SQLite's backup API onto the
live file, PostgreSQL's pg_dump -Fc and pg_restore --clean --single-transaction into the live database."""
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from .support import fresh_database


def database(tmp_path):
    """The test's own database: a fresh one on PostgreSQL in the PostgreSQL run, else a SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    return fresh_database(url) if url.startswith("postgresql") else f"sqlite:///{tmp_path}/live.db"


def _pg_bin(name):
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return str(found[-1]) if found else shutil.which(name)


class Backups:
    """backup() takes a backup of the live database; restore() puts it back, under the running server."""

    def __init__(self, database_url, tmp_path):
        self.url = make_url(database_url)
        self.file = Path(tmp_path) / ("backup.db" if self.url.get_backend_name() == "sqlite" else "backup.dump")

    def _pg(self, tool, *args):
        u = self.url
        out = subprocess.run([_pg_bin(tool), "-h", u.host, "-p", str(u.port), "-U", u.username or "postgres",
                              *args], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out

    def backup(self):
        if self.url.get_backend_name() == "sqlite":
            _copy(self.url.database, self.file)
        else:
            self._pg("pg_dump", "-Fc", "-f", str(self.file), self.url.database)

    def restore(self):
        if self.url.get_backend_name() == "sqlite":
            _copy(self.file, self.url.database)
        else:
            self._pg("pg_restore", "--clean", "--if-exists", "--single-transaction", "--no-owner",
                     "-d", self.url.database, str(self.file))


def _copy(src_path, dst_path):
    """An online copy with SQLite's backup API (what `sqlite3 .backup` and `.restore` do)."""
    src, dst = sqlite3.connect(src_path), sqlite3.connect(dst_path)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()

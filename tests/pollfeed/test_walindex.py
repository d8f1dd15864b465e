"""pollfeed.walindex: SQLite's WAL-index header as the record of commits, read without a statement."""
import os
import sqlite3
import subprocess
import sys

from pollfeed import walindex


def wal_database(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    return conn


def test_every_commit_from_any_process_changes_the_header_and_nothing_else_does(tmp_path):
    path = str(tmp_path / "a.db")
    ours = wal_database(path)
    ours.execute("SELECT count(*) FROM t").fetchone()
    read = walindex.reader(path)
    assert read is not None
    first = read()
    ours.execute("SELECT count(*) FROM t").fetchone()  # reads commit nothing
    assert read() == first
    subprocess.run([sys.executable, "-c", f"import sqlite3; c = sqlite3.connect({path!r}); "
                    "c.execute('INSERT INTO t VALUES (1)'); c.commit()"], check=True)
    second = read()
    assert second != first
    assert ours.execute("SELECT count(*) FROM t").fetchone()[0] == 1  # SQLite's own locks still work
    ours.execute("INSERT INTO t VALUES (2)")  # a commit on this process's connection too
    assert read() not in (first, second)
    ours.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = read()
    ours.execute("INSERT INTO t VALUES (3)")  # the first commit into a WAL started afresh
    assert read() != after


def test_no_reader_without_a_wal_index(tmp_path):
    path = str(tmp_path / "journal.db")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x INTEGER)")  # a rollback journal: no -shm file
    conn.commit()
    assert walindex.reader(path) is None
    assert walindex.reader(str(tmp_path / "missing.db")) is None


def test_one_descriptor_per_file_never_closed_while_the_file_lives(tmp_path):
    path = str(tmp_path / "b.db")
    conn = wal_database(path)
    walindex.reader(path)
    shm = os.stat(path + "-shm")
    key = (shm.st_dev, shm.st_ino)
    held = dict(walindex._OPEN)
    walindex.reader(path)
    assert walindex._OPEN == held and key in held  # the same file: the same descriptor, none opened or closed
    conn.close()  # the last connection: SQLite deletes the -shm file
    assert not os.path.exists(path + "-shm")
    other = wal_database(str(tmp_path / "c.db"))
    walindex.reader(str(tmp_path / "c.db"))
    assert key not in walindex._OPEN  # the deleted file's descriptor was closed
    other.close()

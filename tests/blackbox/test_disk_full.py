"""SQLite on a full disk: writes answer 503 storage-full with Retry-After, reads keep working, nothing
committed is lost, and writes resume by themselves once space is free.

The disk is a real one: a 4 MiB tmpfs the test mounts for itself (as root), holding the database, and
filled up with a file. Where mounting is not allowed the test is skipped, saying so.
"""
import os
import subprocess

import pytest

from ..server import Client, Server

pytestmark = pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="SQLite's disk: the PostgreSQL run has its own server's disk")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path):
    """Fill the filesystem holding `path` to the last byte."""
    with open(path, "wb", buffering=0) as f:
        for size in (65536, 512):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def test_a_full_disk_refuses_writes_keeps_reads_and_loses_nothing(small_disk):
    with Server(f"sqlite:///{small_disk}/pollfeed.db", workers=2) as server:
        token = server.user("dora")
        c = Client(server.url, token)
        pid = c.post("/projects", {"name": "full"}).json()["id"]
        todo = c.post(f"/projects/{pid}/statuses", {"name": "Todo"}).json()["id"]
        committed = [c.post(f"/projects/{pid}/tasks", {"title": f"before {i}", "status_id": todo}).json()["id"]
                     for i in range(20)]

        fill(small_disk / "filler")
        refused = None
        for i in range(400):  # the free pages inside the database file run out too
            r = c.post(f"/projects/{pid}/tasks", {"title": f"full {i} " + "x" * 150, "status_id": todo})
            if r.status == 201:
                committed.append(r.json()["id"])
                continue
            refused = r
            break
        assert refused is not None, "the disk never filled up"
        assert refused.status == 503 and refused.header("Retry-After"), (refused.status, refused.body)
        assert refused.json()["type"].endswith("storage-full")

        # Reads keep working, conditional ones included, and show every committed write.
        listed = c.get(f"/projects/{pid}/tasks?limit=1000")
        assert listed.status == 200
        assert {t["id"] for t in listed.json()["items"]} == set(committed)
        assert c.poll(f"/projects/{pid}/tasks?limit=1000", listed.header("ETag")).status == 304
        assert c.get("/changes?since=now").status == 200

        # Space comes back: writes resume by themselves.
        (small_disk / "filler").unlink()
        r = c.post(f"/projects/{pid}/tasks", {"title": "after", "status_id": todo})
        assert r.status == 201, r.body
        assert "change log consistent" in server.flask("changes", "verify")

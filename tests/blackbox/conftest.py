"""A real gunicorn per module, on its own database."""
import os

import pytest

from ..server import Server
from ..support import fresh_database


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        database_url = fresh_database(url)
    else:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('gunicorn')}/blackbox.db"
    with Server(database_url, workers=4, env={"POLL_INTERVAL_VISIBLE": "7", "POLL_INTERVAL_HIDDEN": "0"}) as s:
        yield s

"""PostgreSQL-only tests: skipped unless the test command started its throwaway cluster."""
import os

import pytest

if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture
def cluster():
    from ..pg import Cluster

    return Cluster()

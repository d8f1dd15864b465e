"""docs/configuration.md has one row for every setting the server reads, and no row for one it does not."""
import re

from .samples import ROOT

#: Where settings are read: the app's (app/config.py, app/accesslog.py) and gunicorn's (gunicorn.conf.py).
READERS = ["app/config.py", "app/accesslog.py", "gunicorn.conf.py"]
#: Variables that are read but are not settings: gunicorn.conf.py passes them to its workers.
INTERNAL = {"POLLFEED_METRICS_DIR_OWNED", "POLLFEED_WORKERS"}
READ = re.compile(r"""(?:os\.environ|\benv)(?:\.get\(|\[)["']([A-Z][A-Z0-9_]+)["']""")


def settings_read():
    return {name for path in READERS for name in READ.findall((ROOT / path).read_text())} - INTERNAL


def settings_documented():
    table = (ROOT / "docs" / "configuration.md").read_text()
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.M))


def test_every_setting_has_one_row():
    read, documented = settings_read(), settings_documented()
    assert len(read) > 20, read  # the pattern still finds the readers' settings
    assert read - documented == set(), "undocumented"
    assert documented - read == set(), "documented, never read"

"""docs/configuration.md has one row for every setting the server reads, and no row for one it does not."""
import re

from app.config import ENGINE
from pollfeed.settings import SETTINGS

from .samples import ROOT

#: Where settings are read: the app's (app/config.py, app/accesslog.py) and gunicorn's (gunicorn.conf.py).
READERS = ["app/config.py", "app/accesslog.py", "gunicorn.conf.py"]
#: Variables that are read but are not settings: gunicorn.conf.py passes them to its workers.
INTERNAL = {"POLLFEED_METRICS_DIR_OWNED", "POLLFEED_WORKERS"}
READ = re.compile(r"""(?:os\.environ|\benv)(?:\.get\(|\[)["']([A-Z][A-Z0-9_]+)["']""")


def settings_read():
    found = {name for path in READERS for name in READ.findall((ROOT / path).read_text())}
    return found - INTERNAL | set(ENGINE)


def rows():
    """{first column: second column} of the table: a variable and the engine setting it sets, if any."""
    table = (ROOT / "docs" / "configuration.md").read_text()
    return {a: b.strip() for a, b in re.findall(r"^\| ([^|]+?) \|([^|]*)\|", table, re.M)}


def settings_documented():
    return {m.group(1) for name in rows() if (m := re.fullmatch(r"`([A-Z][A-Z0-9_]+)`", name))}


def test_every_setting_has_one_row():
    read, documented = settings_read(), settings_documented()
    assert len(read) > 20, read  # the pattern still finds the readers' settings
    assert read - documented == set(), "undocumented"
    assert documented - read == set(), "documented, never read"


def test_every_engine_setting_has_its_row_and_its_variable():
    engine = {b.strip("`"): a for a, b in rows().items() if b.startswith("`")}
    assert set(engine) == {s.key for s in SETTINGS}
    for name in ENGINE:  # the server's variable sets the engine setting of the same name
        assert engine[f"POLLFEED_{name}"] == f"`{name}`"

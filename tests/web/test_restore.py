"""A database restored from a backup under a running server and an open board page (issues 11, 21)."""
import pytest

from ..restores import Backups
from ..server import Client, Server
from .conftest import VISIBLE, Web

pytestmark = pytest.mark.browser
WITHIN = (VISIBLE + 14) * 1000  # an interval, a 410, a re-list and a render, on a busy machine


def test_a_restore_under_an_open_page_recovers_by_itself_with_no_command_run(tmp_path, browser):
    db = tmp_path / "live.db"
    with Server(f"sqlite:///{db}", workers=2, env={"POLL_INTERVAL_VISIBLE": str(VISIBLE)},
                log_path=tmp_path / "access.log") as server:
        web = Web(server, tmp_path / "access.log")
        tokens, ids = web.board("rosa")
        api = Client(server.url, tokens["rosa"])
        page = web.open(browser.new_context(), tokens["rosa"], ids["pid"])
        todo = ids["cols"][0]

        backups = Backups(f"sqlite:///{db}", tmp_path)
        backups.backup()  # last night's backup
        api.post(f"/projects/{ids['pid']}/tasks", {"title": "Written after the backup", "status_id": todo})
        page.locator(".card", has_text="Written after the backup").wait_for(timeout=WITHIN)
        stale_cursor = api.get("/changes?since=now").json()["next"]

        backups.restore()  # the restore, under the running server; no command follows
        # Writes at once: they take the positions and versions that the page's cursor and tags have passed.
        api.post(f"/projects/{ids['pid']}/tasks", {"title": "Written after the restore", "status_id": todo})
        api.edit(f"/tasks/{ids['task']}", {"title": "First card, edited after the restore"})

        # The page's next poll gets 410 cursor-unknown (its cursor's stamp is not the restored log's),
        # re-lists, and shows the restored state with every later write.
        page.locator(".card", has_text="Written after the backup").wait_for(state="detached", timeout=WITHIN)
        page.locator(".card", has_text="Written after the restore").wait_for(timeout=WITHIN)
        page.locator(".card", has_text="First card, edited after the restore").wait_for(timeout=WITHIN)
        gone = api.get("/changes?since=" + stale_cursor)
        assert gone.status == 410 and gone.json()["type"].endswith("cursor-unknown")
        api.post(f"/projects/{ids['pid']}/tasks", {"title": "Written later still", "status_id": todo})
        page.locator(".card", has_text="Written later still").wait_for(timeout=WITHIN)
        assert page.locator(".card").count() == 3
        assert "change log consistent" in server.flask("changes", "verify")

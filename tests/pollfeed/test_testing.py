"""pollfeed.testing: the adopters' polling client, against the reference server."""
from pollfeed.testing import PollingClient


def test_a_quiet_poll_is_a_304_with_the_kept_body(app, alice, board, polling_client):
    client = polling_client(headers={"Authorization": f"Bearer {alice.token}"})
    url = f"/tasks/{board['task']['id']}"
    first = client.get(url)
    again = client.get(url)
    assert (first.status_code, again.status_code) == (200, 304)
    assert again.json == first.json and again.response.get_data() == b""
    assert (client.ok, client.not_modified) == (1, 1)


def test_writes_send_the_kept_tag_and_a_stale_one_is_refused(app, alice, board):
    mine = PollingClient(app.test_client(), headers={"Authorization": f"Bearer {alice.token}"})
    theirs = PollingClient(app.test_client(), headers={"Authorization": f"Bearer {alice.token}"})
    url = f"/tasks/{board['task']['id']}"
    mine.get(url), theirs.get(url)
    assert theirs.patch(url, json={"title": "theirs"}).status_code == 200
    stale = mine.patch(url, json={"title": "mine"})
    assert stale.status_code == 412  # If-Match of the tag it kept: no lost update
    assert mine.get(url).json["title"] == "theirs"  # the 412 kept nothing: the poll refetches (200)
    assert mine.patch(url, json={"title": "mine"}).status_code == 200
    assert mine.delete(url).status_code == 204 and mine.etag(url) is None

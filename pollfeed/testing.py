"""Testing an app that uses Pollfeed: a client that polls the way a browser with an ETag cache does.

    from pollfeed.testing import PollingClient

    def test_a_quiet_poll_is_a_304(app):
        client = PollingClient(app.test_client(), headers={"Authorization": f"Bearer {token}"})
        first = client.get("/tickets/1")           # 200: the body and its tag are kept
        again = client.get("/tickets/1")           # sent with If-None-Match: 304, the kept body returned
        assert again.status_code == 304 and again.json == first.json
        assert client.not_modified == 1
        client.patch("/tickets/1", json={"title": "New"})   # sent with If-Match of the kept tag

Or, with `pytest_plugins = ["pollfeed.testing"]` in a conftest.py, the `polling_client` fixture builds
one for the test's `app` fixture: `polling_client(headers={...})`.
"""
from dataclasses import dataclass, field

import pytest


@dataclass
class Answer:
    """A response, and for a 304 the body kept from the 200 it revalidated."""

    response: object
    json: object

    @property
    def status_code(self):
        return self.response.status_code

    @property
    def headers(self):
        return self.response.headers


@dataclass
class PollingClient:
    """Wraps a Flask test client: an ETag cache per URL, If-None-Match on GET, If-Match on writes.

    `ok` and `not_modified` count the GETs answered 200 and 304.
    """

    client: object
    headers: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)  # url -> (etag, json)
    ok: int = 0
    not_modified: int = 0

    def get(self, url, headers=None, **kwargs):
        sent = {**self.headers, **(headers or {})}
        if url in self.cache:
            sent.setdefault("If-None-Match", self.cache[url][0])
        response = self.client.get(url, headers=sent, **kwargs)
        if response.status_code == 304:
            self.not_modified += 1
            return Answer(response, self.cache[url][1])
        body = response.get_json(silent=True)
        if response.status_code == 200:
            self.ok += 1
            if response.headers.get("ETag"):
                self.cache[url] = (response.headers["ETag"], body)
        return Answer(response, body)

    def etag(self, url):
        """The tag kept for `url`, or None."""
        return self.cache[url][0] if url in self.cache else None

    def _write(self, method, url, headers=None, **kwargs):
        sent = {**self.headers, **(headers or {})}
        if self.etag(url) is not None:
            sent.setdefault("If-Match", self.etag(url))
        response = self.client.open(url, method=method, headers=sent, **kwargs)
        body = response.get_json(silent=True)
        if response.status_code in (200, 201) and response.headers.get("ETag"):
            self.cache[url] = (response.headers["ETag"], body)
        elif response.status_code == 204:
            self.cache.pop(url, None)
        return Answer(response, body)

    def patch(self, url, **kwargs):
        return self._write("PATCH", url, **kwargs)

    def put(self, url, **kwargs):
        return self._write("PUT", url, **kwargs)

    def delete(self, url, **kwargs):
        return self._write("DELETE", url, **kwargs)

    def post(self, url, **kwargs):
        return self._write("POST", url, **kwargs)


@pytest.fixture
def polling_client(app):
    """A factory of PollingClients over the `app` fixture's test client: `polling_client(headers={...})`."""

    def make(headers=None):
        return PollingClient(app.test_client(), headers=dict(headers or {}))

    return make

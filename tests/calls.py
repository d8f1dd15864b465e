"""The one client helper both test clients share: verbs and conveniences over a `send`.

`support.Api` sends through Flask's test client (in-process tests); `server.Client` sends over HTTP to
real gunicorn (black-box tests). Each says how to send one request and how to read its answer's
status, body and headers; everything else (the bearer token, If-Match edits, feed following) is here,
written once.
"""
import urllib.parse


class Calls:
    token = None
    default_headers = {}

    # -- what a subclass provides ----------------------------------------------------------------

    def send(self, method, path, json, headers, **extra):
        """Send one request; `extra` is what only this client understands (Flask's `data=`, ...)."""
        raise NotImplementedError

    @staticmethod
    def status_of(r):
        raise NotImplementedError

    @staticmethod
    def json_of(r):
        raise NotImplementedError

    @staticmethod
    def header_of(r, name):
        raise NotImplementedError

    # -- verbs ------------------------------------------------------------------------------------

    def request(self, method, path, json=None, headers=None, **extra):
        h = dict(self.default_headers)
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        return self.send(method, path, json, h, **extra)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- conveniences -----------------------------------------------------------------------------

    def poll(self, path, etag):
        """A conditional GET, as a polling client makes it."""
        return self.get(path, headers={"If-None-Match": etag} if etag else None)

    def edit(self, path, body, expect=None):
        """PATCH with the ETag a GET just gave; asserts the status if `expect` is given."""
        r = self.patch(path, body, headers={"If-Match": self.header_of(self.get(path), "ETag")})
        if expect is not None:
            assert self.status_of(r) == expect, (self.status_of(r), r)
        return r

    def remove(self, path, expect=204):
        r = self.delete(path, headers={"If-Match": self.header_of(self.get(path), "ETag")})
        assert self.status_of(r) == expect, (self.status_of(r), r)
        return r

    def created(self, path, body):
        r = self.post(path, body)
        assert self.status_of(r) == 201, (self.status_of(r), r)
        return self.json_of(r)

    def feed(self, since=None, **params):
        if since is not None:
            params["since"] = since
        r = self.get("/changes?" + urllib.parse.urlencode(params))
        assert self.status_of(r) == 200, (self.status_of(r), r)
        return self.json_of(r)

    def follow(self, since, **params):
        """Every change after `since`, following `next` through all pages: (changes, the last cursor)."""
        seen = []
        while True:
            page = self.feed(since, **params)
            seen += page["changes"]
            since = page["next"]
            if not page["has_more"]:
                return seen, since

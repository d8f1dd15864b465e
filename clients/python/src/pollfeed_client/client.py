"""The client. It depends on httpx only, never on the server's packages."""
import random
import threading
import time
import uuid

import httpx

RETRYABLE = (429, 503)


class PollfeedError(Exception):
    """An answer the client cannot act on: status, and the problem+json body when there is one."""

    def __init__(self, response):
        self.status = response.status_code
        try:
            self.problem = response.json()
        except ValueError:
            self.problem = None
        detail = (self.problem or {}).get("detail") or (self.problem or {}).get("title") or response.reason_phrase
        super().__init__(f"{self.status}: {detail}")


class FeedGone(PollfeedError):
    """410: the cursor is expired (`cursor-expired`) or this database cannot continue it
    (`cursor-unknown`, after a restore): re-list, and follow the list's cursor."""


def parse_poll_interval(value):
    """'visible=5, hidden=60' -> {'visible': 5.0, 'hidden': 60.0} (RFC 8941 dictionary, numbers only)."""
    out = {}
    for part in (value or "").split(","):
        key, _, raw = part.partition("=")
        try:
            out[key.strip()] = float(raw.strip())
        except ValueError:
            continue
    return out


def _retry_after(response):
    value = (response.headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


class Client:
    """Client(base_url, token): GETs revalidated with If-None-Match (a 304 serves the cached body),
    creates with an Idempotency-Key, and follow().

    `scope` is the server's name for the feed's filter (`?project=` for Pollfeed's reference server,
    `?team=` for an app that says Pollfeed(scope="team")).
    """

    def __init__(self, base_url, token, *, timeout=30.0, http=None, max_backoff=60.0, rng=None, sleep=None,
                 scope="project"):
        self.scope = scope
        self.http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/json",
            "User-Agent": "pollfeed-client/0.1"})
        self.cache = {}  # url -> (etag, body)
        self.interval = {"visible": 5.0, "hidden": 60.0}
        self.max_backoff = max_backoff
        self.rng = rng or random.Random()
        self.stats = {"200": 0, "304": 0, "errors": 0}

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reads

    def _advice(self, response):
        self.interval.update(parse_poll_interval(response.headers.get("Poll-Interval")))

    def get(self, path, params=None):
        """A GET revalidated with the cached ETag: the body (from the cache on a 304)."""
        url = str(self.http.build_request("GET", path, params=params).url)
        cached = self.cache.get(url)
        headers = {"If-None-Match": cached[0]} if cached else {}
        r = self.http.get(url, headers=headers)
        self._advice(r)
        if r.status_code == 304 and cached:
            return cached[1]
        if r.status_code != 200:
            raise (FeedGone if r.status_code == 410 else PollfeedError)(r)
        body = r.json()
        if r.headers.get("ETag"):
            self.cache[url] = (r.headers["ETag"], body)
        return body

    def etag(self, path, params=None):
        """The ETag of what get() last returned for this path (for If-Match), or None."""
        url = str(self.http.build_request("GET", path, params=params).url)
        return self.cache.get(url, (None,))[0]

    # -- writes

    def create(self, path, body, *, key=None, retries=3):
        """POST with an Idempotency-Key; a lost answer, 429 or 503 is retried with the same key, so the
        resource is created once. Returns (body, etag)."""
        key = key or str(uuid.uuid4())
        for attempt in range(retries + 1):
            try:
                r = self.http.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                if attempt == retries:
                    raise
                time.sleep(self._backoff(attempt))
                continue
            if r.status_code in RETRYABLE and attempt < retries:
                time.sleep(_retry_after(r) or self._backoff(attempt))
                continue
            if not 200 <= r.status_code < 300:
                raise PollfeedError(r)
            return (r.json() if r.content else None), r.headers.get("ETag")
        raise AssertionError("unreachable")

    def patch(self, path, body, etag):
        """A conditional PATCH (If-Match): (body, new etag); PollfeedError 412 if someone was first."""
        r = self.http.patch(path, json=body, headers={"If-Match": etag})
        if r.status_code != 200:
            raise PollfeedError(r)
        return r.json(), r.headers.get("ETag")

    # -- the feed

    def _backoff(self, failures):
        return self.rng.uniform(0, min(self.max_backoff, 2.0 ** min(failures, 16)))  # full jitter

    def follow(self, since="now", scope_id=None, types=None, *, background=False, resync=None, stop=None,
               limit=100, project=None):
        """Yield every change after `since` (a cursor; "now"; None: from the oldest retained change), in
        order, once each, polling as the server advises.

        - Between polls it waits the advised visible interval (the hidden one with `background=True`;
          a hidden interval of 0 ends the generator, as a hidden page stops polling).
        - A repeated poll sends the page's ETag: nothing new costs the server a 304.
        - Network errors and 5xx back off with full jitter; 429 and 503 wait their Retry-After.
        - 410 (expired or unknown cursor) calls `resync()`, which re-lists and returns the cursor to
          continue from; without `resync` it raises FeedGone.
        - `stop` (a threading.Event) ends it between polls.
        - `scope_id` keeps only that scope's changes (`?<scope>=`; `project=` is its old name).
        """
        scope_id = scope_id if scope_id is not None else project
        stop = stop or threading.Event()
        cursor, etag, failures = since, None, 0
        while not stop.is_set():
            params = {"limit": limit} if cursor is None else {"since": cursor, "limit": limit}  # None: the oldest
            if scope_id is not None:
                params[self.scope] = scope_id
            if types:
                params["types"] = ",".join(types)
            try:
                r = self.http.get("/changes", params=params, headers={"If-None-Match": etag} if etag else {})
            except httpx.TransportError:
                failures += 1
                self.stats["errors"] += 1
                stop.wait(self._backoff(failures))
                continue
            self._advice(r)
            if r.status_code == 410:
                if resync is None:
                    raise FeedGone(r)
                cursor, etag = resync(), None
                continue
            if r.status_code in RETRYABLE or r.status_code >= 500:
                failures += 1
                self.stats["errors"] += 1
                stop.wait(_retry_after(r) or self._backoff(failures))
                continue
            if r.status_code not in (200, 304):
                raise PollfeedError(r)
            failures = 0
            self.stats[str(r.status_code)] += 1
            if r.status_code == 200:
                page = r.json()
                yield from page["changes"]
                cursor = page["next"]
                if page["has_more"]:
                    etag = None
                    continue  # catching up: the next page at once
                etag = r.headers.get("ETag")
            wait = self.interval["hidden" if background else "visible"]
            if background and wait == 0:
                return
            stop.wait(wait)

// The core, with a fetch of the test's own: intervals, Retry-After, backoff, writes and auth.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ConflictError, Pollfeed, PollfeedError, parsePollInterval, retryAfterMs } from "../src/pollfeed.js";

const json = (status, body, headers = {}) =>
  new Response(status === 204 || status === 304 ? null : JSON.stringify(body),
    { status, headers: { "Content-Type": "application/json", ...headers } });

/** A fetch answering from `answers` in turn, recording each call. */
function scripted(...answers) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    calls.push({ url, ...init, headers: { ...(init.headers || {}) } });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return typeof next === "function" ? next(url, init) : next;
  };
  return { fetch, calls };
}

test("Poll-Interval and Retry-After are read as the contract writes them", () => {
  assert.deepEqual(parsePollInterval("visible=5, hidden=60"), { visible: 5, hidden: 60 });
  assert.deepEqual(parsePollInterval("visible=x, hidden=0, other"), { hidden: 0 });
  assert.equal(retryAfterMs("3"), 3000);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:10 GMT", now), 10000);
  assert.equal(retryAfterMs(null), null);
  assert.equal(retryAfterMs("soon"), null);
});

test("importing touches no window or document (SSR), and a feed is built without one", () => {
  const feed = new Pollfeed({ token: "t", window: {} });
  assert.equal(feed.stats.state, "stopped");
});

test("the backoff is full jitter under a cap that doubles per failure", () => {
  const feed = new Pollfeed({ random: () => 0.999, maxBackoffMs: 8000, window: {} });
  const caps = [0, 1, 2, 3, 10].map((n) => { feed.failures = n; return feed._backoff(); });
  assert.deepEqual(caps, [999, 1998, 3996, 7992, 7992]);
  feed.random = () => 0;
  assert.equal(feed._backoff(), 0);
});

test("update sends If-Match from the cache and keeps the new body and tag", async () => {
  const { fetch, calls } = scripted(json(200, { id: "7", title: "a" }, { ETag: '"v1-x"' }),
    json(200, { id: "7", title: "b" }, { ETag: '"v2-y"' }), json(304, null, { ETag: '"v2-y"' }));
  const feed = new Pollfeed({ token: "t", fetch, window: {} });
  const first = await feed.fetchJSON("/tasks/7");
  const result = await feed.update("/tasks/7", { title: "b" });
  assert.equal(calls[1].method, "PATCH");
  assert.equal(calls[1].headers["If-Match"], '"v1-x"');
  assert.match(calls[1].headers["Idempotency-Key"], /^[0-9a-f-]{32,36}$/);
  assert.equal(calls[1].headers.Authorization, "Bearer t");
  assert.deepEqual(result.body, { id: "7", title: "b" });
  assert.equal(feed.etagOf("/tasks/7"), '"v2-y"');
  const again = await feed.fetchJSON("/tasks/7"); // a 304: the very object the write left
  assert.equal(calls[2].headers["If-None-Match"], '"v2-y"');
  assert.equal(again, result.body);
  assert.notEqual(again, first);
});

test("a 412 is a ConflictError with the server's body and tag, never an overwrite", async () => {
  const { fetch, calls } = scripted(json(412, { type: "precondition-failed", detail: "changed" }),
    json(200, { id: "7", title: "theirs" }, { ETag: '"v3-z"' }));
  const feed = new Pollfeed({ fetch, window: {} });
  await assert.rejects(feed.update("/tasks/7", { title: "mine" }, { ifMatch: '"v1-x"' }), (err) => {
    assert.ok(err instanceof ConflictError && err instanceof PollfeedError);
    assert.equal(err.status, 412);
    assert.deepEqual(err.current, { id: "7", title: "theirs" });
    assert.equal(err.etag, '"v3-z"');
    return true;
  });
  assert.equal(calls.length, 2);
  assert.equal(calls[1].method, undefined); // the second call is the GET of theirs
  assert.equal(feed.etagOf("/tasks/7"), '"v3-z"');
});

test("a lost answer is retried with the same Idempotency-Key, after Retry-After", async () => {
  const { fetch, calls } = scripted(new TypeError("network"), json(503, {}, { "Retry-After": "0" }),
    json(201, { id: "9" }, { ETag: '"v1-a"', "Idempotent-Replayed": "true" }));
  const feed = new Pollfeed({ fetch, window: {}, random: () => 0 });
  const made = await feed.create("/projects/1/tasks", { title: "x" });
  assert.equal(calls.length, 3);
  const keys = new Set(calls.map((c) => c.headers["Idempotency-Key"]));
  assert.equal(keys.size, 1);
  assert.equal(calls[0].headers["If-Match"], undefined);
  assert.equal(made.replayed, true);
});

test("a 401 asks refreshToken once and retries with the new token; cookies go with credentials", async () => {
  const { fetch, calls } = scripted(json(401, { type: "unauthorized" }), json(200, { ok: 1 }, { ETag: '"e"' }),
    json(401, {}), json(401, {}));
  let asked = 0;
  const feed = new Pollfeed({ token: "old", credentials: "include", fetch, window: {},
    refreshToken: async () => (++asked === 1 ? "new" : null) });
  assert.deepEqual(await feed.fetchJSON("/me"), { ok: 1 });
  assert.deepEqual(calls.map((c) => c.headers.Authorization), ["Bearer old", "Bearer new"]);
  assert.ok(calls.every((c) => c.credentials === "include"));
  await assert.rejects(feed.fetchJSON("/other"), (err) => err.status === 401); // refresh gave up: one retry only
  assert.equal(calls.length, 3);
});

test("subscribe('*') hears every change, by type handlers theirs", () => {
  const feed = new Pollfeed({ window: {} });
  const all = [], tasks = [];
  feed.subscribe("*", (c) => all.push(c.id));
  const off = feed.subscribe("task", (c) => tasks.push(c.id));
  feed._deliver([{ type: "task", id: "1" }, { type: "status", id: "2" }], "c", false);
  off();
  feed._deliver([{ type: "task", id: "3" }], "c", false);
  assert.deepEqual(all, ["1", "2", "3"]);
  assert.deepEqual(tasks, ["1"]);
});

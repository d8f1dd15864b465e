// The offline queue against a server of the test's own that keeps the contract's rules: versions,
// If-Match (412), and the first answer per Idempotency-Key. The real server is tests/web's. The
// IndexedDB store runs on fake-indexeddb, an implementation of the spec's transactions in node: two
// stores over one IDBFactory are two tabs' connections to one database.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IDBFactory } from "fake-indexeddb";

import { Pollfeed } from "../src/pollfeed.js";
import { WriteQueue, indexedDBStore, memoryStore, parseDuration } from "../src/offline.js";

function server() {
  const rows = new Map([["/tasks/1", { id: "1", title: "one", version: 1 }], ["/tasks/2", { id: "2", title: "two", version: 1 }]]);
  const answers = new Map();
  const s = { rows, sent: [], offline: false, loseNextAnswer: false, writes: 0 };
  const tag = (row) => `"v${row.version}"`;
  const reply = (status, body, etag) => new Response(body == null ? null : JSON.stringify(body),
    { status, headers: etag ? { ETag: etag } : {} });
  s.fetch = async (url, init = {}) => {
    if (s.offline) throw new TypeError("Failed to fetch");
    const method = init.method || "GET", h = init.headers || {};
    s.sent.push({ method, url, ifMatch: h["If-Match"], key: h["Idempotency-Key"] });
    const key = h["Idempotency-Key"];
    if (key && answers.has(key)) {
      const a = answers.get(key);
      return new Response(a.body, { status: a.status, headers: { ...a.headers, "Idempotent-Replayed": "true" } });
    }
    let res;
    if (method === "GET") {
      const row = rows.get(url);
      res = row ? reply(200, row, tag(row)) : reply(404, { status: 404 });
    } else if (method === "POST") {
      const id = String(rows.size + 1), row = { id, ...JSON.parse(init.body), version: 1 };
      rows.set(`/tasks/${id}`, row);
      s.writes++;
      res = reply(201, row, tag(row));
    } else {
      const row = rows.get(url);
      if (!row) return reply(404, { status: 404 });
      if (!h["If-Match"]) return reply(428, { status: 428 });
      if (h["If-Match"] !== tag(row)) return reply(412, { status: 412, detail: "changed" });
      if (init.body && JSON.parse(init.body).title === "") return reply(422, { status: 422, detail: "title: empty" });
      s.writes++;
      if (method === "DELETE") { rows.delete(url); res = reply(204, null); }
      else { Object.assign(row, JSON.parse(init.body)); row.version++; res = reply(200, row, tag(row)); }
    }
    if (key && res.ok) {
      const body = await res.clone().text();
      answers.set(key, { status: res.status, body: body || null, headers: Object.fromEntries(res.headers) });
    }
    if (s.loseNextAnswer) { s.loseNextAnswer = false; throw new TypeError("connection reset"); }
    return res;
  };
  return s;
}

function setup(srv, store = memoryStore(), now = () => Date.now(), options = {}) {
  const feed = new Pollfeed({ token: "t", fetch: srv.fetch, window: {}, random: () => 0 });
  const queue = new WriteQueue(feed, { store, window: {}, now, ...options });
  queue._retryLater = () => {}; // the tests flush by hand
  return { feed, queue, store };
}

for (const [kind, makeStore] of [["memory", () => memoryStore()],
  ["IndexedDB", () => indexedDBStore("writes", new IDBFactory())]]) {
test(`writes made offline are kept (${kind}), and replay in order once online, each once`, async () => {
  const srv = server();
  const { feed, queue, store } = setup(srv, makeStore());
  await feed.fetchJSON("/tasks/1");
  srv.offline = true;
  await queue.update("/tasks/1", { title: "a" });
  await queue.create("/tasks", { title: "new" });
  await queue.update("/tasks/1", { title: "b" }); // chains on the first: its tag is not known yet
  await queue.flush();
  assert.equal(queue.state.pending.length, 3);
  // a reload: a new queue over the same store
  srv.offline = false;
  const again = setup(srv, store).queue;
  await again.flush();
  assert.deepEqual(again.state, { pending: [], conflicts: [], failed: [], replaying: false });
  assert.equal(srv.rows.get("/tasks/1").title, "b");
  assert.equal(srv.rows.get("/tasks/1").version, 3);
  assert.equal(srv.writes, 3);
  const writes = srv.sent.filter((c) => c.method !== "GET");
  assert.deepEqual(writes.map((c) => [c.method, c.url, c.ifMatch]),
    [["PATCH", "/tasks/1", '"v1"'], ["POST", "/tasks", undefined], ["PATCH", "/tasks/1", '"v2"']]);
});
}

test("a write whose answer was lost is replayed with its key: its first answer, no 412, no second write", async () => {
  const srv = server();
  const { feed, queue } = setup(srv);
  await feed.fetchJSON("/tasks/2");
  srv.loseNextAnswer = true;
  await queue.update("/tasks/2", { title: "once" }); // committed on the server; the answer is lost
  await queue.flush(); // the next round sends it again, with its key
  assert.equal(queue.state.pending.length, 0);
  assert.equal(queue.state.conflicts.length, 0);
  assert.equal(srv.writes, 1);
  const patches = srv.sent.filter((c) => c.method === "PATCH");
  assert.equal(patches.length, 2);
  assert.equal(patches[0].key, patches[1].key);
  assert.equal(feed.etagOf("/tasks/2"), '"v2"');
});

test("someone else's newer version stops the write as a conflict, and later writes to it wait", async () => {
  const srv = server();
  const { feed, queue } = setup(srv);
  await feed.fetchJSON("/tasks/1");
  await feed.fetchJSON("/tasks/2");
  srv.offline = true;
  await queue.update("/tasks/1", { title: "mine" });
  await queue.update("/tasks/1", { title: "mine again" });
  await queue.update("/tasks/2", { title: "elsewhere" });
  Object.assign(srv.rows.get("/tasks/1"), { title: "theirs", version: 5 }); // another user, meanwhile
  srv.offline = false;
  await queue.flush();
  assert.equal(srv.rows.get("/tasks/1").title, "theirs");
  assert.equal(srv.rows.get("/tasks/2").title, "elsewhere"); // another resource goes on
  const [conflict] = queue.state.conflicts;
  assert.deepEqual([conflict.url, conflict.theirs.title, conflict.theirsEtag], ["/tasks/1", "theirs", '"v5"']);
  assert.equal(queue.state.pending.length, 1); // the chained one waits
  await queue.resolve(conflict.seq, "overwrite");
  await queue.flush();
  assert.equal(srv.rows.get("/tasks/1").title, "mine again");
  assert.equal(queue.state.pending.length + queue.state.conflicts.length, 0);
});

test("an entry older than the server keeps keys is failed, not replayed", async () => {
  const srv = server();
  let clock = 1_000_000;
  const { feed, queue } = setup(srv, memoryStore(), () => clock);
  await feed.fetchJSON("/tasks/1");
  srv.offline = true;
  await queue.update("/tasks/1", { title: "stale" });
  srv.offline = false;
  clock += 25 * 3600 * 1000;
  await queue.flush();
  assert.equal(queue.state.failed.length, 1);
  assert.match(queue.state.failed[0].error, /expired/);
  assert.equal(srv.rows.get("/tasks/1").title, "one");
  await queue.resolve(queue.state.failed[0].seq, "discard");
  assert.equal(queue.state.failed.length, 0);
});

test("a refused write (a 4xx other than 412) is failed and does not block other resources", async () => {
  const srv = server();
  const { queue } = setup(srv);
  await queue.update("/tasks/404", { title: "x" });
  await queue.flush();
  assert.equal(queue.state.failed.length, 1);
  assert.equal(queue.state.pending.length, 0);
});

const patches = (srv) => srv.sent.filter((c) => c.method === "PATCH").map((c) => [c.url, c.ifMatch]);

test("discarding a conflict lets the write chained after it go, with the chain's tag: a conflict too", async () => {
  const srv = server();
  const { feed, queue } = setup(srv);
  await feed.fetchJSON("/tasks/1");
  srv.offline = true;
  await queue.update("/tasks/1", { title: "mine" });
  await queue.update("/tasks/1", { title: "mine, later" }); // built on "mine"
  Object.assign(srv.rows.get("/tasks/1"), { title: "theirs", version: 5 });
  srv.offline = false;
  await queue.flush();
  const [conflict] = queue.state.conflicts;
  await queue.resolve(conflict.seq, "discard"); // keep theirs
  await queue.flush();
  // Not stuck: sent with the tag its chain was built on, so theirs is not overwritten either.
  assert.equal(queue.state.pending.length, 0);
  const [next] = queue.state.conflicts;
  assert.deepEqual([next.body.title, next.theirs.title, next.theirsEtag], ["mine, later", "theirs", '"v5"']);
  assert.deepEqual(patches(srv), [["/tasks/1", '"v1"'], ["/tasks/1", '"v1"']]);
  assert.equal(srv.rows.get("/tasks/1").title, "theirs");
  await queue.resolve(next.seq, "overwrite"); // the user's choice, and only then
  await queue.flush();
  assert.equal(srv.rows.get("/tasks/1").title, "mine, later");
  assert.equal(queue.state.conflicts.length + queue.state.pending.length, 0);
});

test("discarding a write still waiting lets the next one to its resource go, on the same version", async () => {
  const srv = server();
  const { feed, queue } = setup(srv);
  await feed.fetchJSON("/tasks/1");
  srv.offline = true;
  const first = await queue.update("/tasks/1", { title: "changed my mind" });
  await queue.update("/tasks/1", { title: "this one" });
  await queue.resolve(first.seq, "discard");
  srv.offline = false;
  await queue.flush();
  assert.equal(queue.state.pending.length + queue.state.conflicts.length, 0);
  assert.equal(srv.rows.get("/tasks/1").title, "this one");
  assert.deepEqual(patches(srv).slice(-1), [["/tasks/1", '"v1"']]);
});

test("a refused write lets the write chained after it go in the same round, on the version it was built on", async () => {
  const srv = server();
  const { feed, queue } = setup(srv);
  await feed.fetchJSON("/tasks/1");
  srv.offline = true;
  await queue.update("/tasks/1", { title: "" }); // the server refuses it (422)
  await queue.update("/tasks/1", { points: 3 });
  srv.offline = false;
  await queue.flush();
  assert.equal(queue.state.failed.length, 1);
  assert.equal(queue.state.pending.length, 0);
  assert.equal(srv.rows.get("/tasks/1").points, 3);
  assert.equal(srv.rows.get("/tasks/1").title, "one");
  assert.deepEqual(patches(srv), [["/tasks/1", '"v1"'], ["/tasks/1", '"v1"']]);
  await queue.resolve(queue.state.failed[0].seq, "discard"); // frees nothing more: it was freed already
  assert.equal(queue.state.failed.length + queue.state.pending.length, 0);
});

test("an expired write lets the newer one chained after it go", async () => {
  const srv = server();
  let clock = 1_000_000;
  const { feed, queue } = setup(srv, memoryStore(), () => clock, { ttl: "24h" });
  await feed.fetchJSON("/tasks/1");
  srv.offline = true;
  await queue.update("/tasks/1", { title: "old" });
  clock += 20 * 3600 * 1000;
  await queue.update("/tasks/1", { title: "recent" });
  clock += 5 * 3600 * 1000; // the first is 25 h old, the second 5 h
  srv.offline = false;
  await queue.flush();
  assert.deepEqual(queue.state.failed.map((e) => e.body.title), ["old"]);
  assert.equal(queue.state.pending.length, 0);
  assert.equal(srv.rows.get("/tasks/1").title, "recent");
});

test("the expiry is the server's IDEMPOTENCY_TTL, written as the server writes it", async () => {
  assert.equal(parseDuration("24h"), 86_400_000);
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("2w"), 14 * 86_400_000);
  assert.throws(() => parseDuration("1 day"), /not a duration/);
  const srv = server();
  let clock = 1_000_000;
  const { feed, queue } = setup(srv, memoryStore(), () => clock, { ttl: "2h" });
  assert.equal(queue.ttlMs, 7_200_000);
  assert.equal(new WriteQueue(feed, { store: memoryStore(), window: {}, ttlMs: 5000 }).ttlMs, 5000);
  assert.equal(new WriteQueue(feed, { store: memoryStore(), window: {} }).ttlMs, 86_400_000);
  await feed.fetchJSON("/tasks/1");
  srv.offline = true;
  await queue.update("/tasks/1", { title: "3 h offline" });
  clock += 3 * 3600 * 1000;
  srv.offline = false;
  await queue.flush();
  assert.match(queue.state.failed[0].error, /expired/);
  assert.equal(srv.rows.get("/tasks/1").title, "one");
});

test("a write sent outside the queue and lost joins it with its key: its first answer, not a 412", async () => {
  const srv = server();
  const { feed, queue } = setup(srv);
  await feed.fetchJSON("/tasks/1");
  const tag = feed.etagOf("/tasks/1"), key = "key-of-the-first-send";
  srv.loseNextAnswer = true; // committed on the server, the answer lost
  await assert.rejects(feed.update("/tasks/1", { title: "mine" }, { key, retries: 0 }), TypeError);
  assert.equal(srv.rows.get("/tasks/1").version, 2);
  const entry = await queue.update("/tasks/1", { title: "mine" }, { ifMatch: tag, key });
  assert.equal(entry.key, key);
  await queue.flush();
  assert.deepEqual(queue.state, { pending: [], conflicts: [], failed: [], replaying: false });
  assert.equal(srv.writes, 1);
  assert.deepEqual(srv.sent.filter((c) => c.method === "PATCH").map((c) => c.key), [key, key]);
});

async function enqueueAtOnce(queues, perQueue) {
  await Promise.all(queues.flatMap((q, i) =>
    Array.from({ length: perQueue }, (_, n) => q.update("/tasks/1", { title: `tab ${i} edit ${n}` }))));
}

test("writes enqueued at once, in one tab or two, each get a place of their own and chain", async () => {
  const idb = new IDBFactory();
  const srv = server();
  const sameMs = () => 5_000_000; // every enqueue in the same millisecond
  const tabs = [0, 1].map(() => setup(srv, indexedDBStore("writes", idb), sameMs).queue);
  const oneTab = setup(srv, indexedDBStore("other", idb), sameMs).queue;
  for (const q of [...tabs, oneTab]) await q.feed.fetchJSON("/tasks/1");
  srv.offline = true; // kept, not sent: the test reads the queue as it was made
  await Promise.all([enqueueAtOnce(tabs, 5), enqueueAtOnce([oneTab], 6)]);
  for (const [queue, n] of [[tabs[0], 10], [tabs[1], 10], [oneTab, 6]]) {
    const entries = await queue.store.all();
    assert.equal(entries.length, n); // none overwrote another
    assert.equal(new Set(entries.map((e) => e.seq)).size, n);
    assert.deepEqual(entries.map((e) => e.chained), [false, ...Array(n - 1).fill(true)]); // one head, the rest wait
  }
  srv.offline = false;
  await tabs[0].flush();
  assert.equal((await tabs[1].store.all()).length, 0); // one queue, whichever tab replays it
  assert.equal(srv.rows.get("/tasks/1").version, 11); // all ten, each once, each on the one before
});

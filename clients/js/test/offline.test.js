// The offline queue against a server of the test's own that keeps the contract's rules: versions,
// If-Match (412), and the first answer per Idempotency-Key. The real server is tests/web's.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Pollfeed } from "../src/pollfeed.js";
import { WriteQueue, memoryStore } from "../src/offline.js";

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

function setup(srv, store = memoryStore(), now = () => Date.now()) {
  const feed = new Pollfeed({ token: "t", fetch: srv.fetch, window: {}, random: () => 0 });
  const queue = new WriteQueue(feed, { store, window: {}, now });
  queue._retryLater = () => {}; // the tests flush by hand
  return { feed, queue, store };
}

test("writes made offline are kept, and replay in order once online, each once", async () => {
  const srv = server();
  const { feed, queue, store } = setup(srv);
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

// The live board: statuses as columns, tasks as cards; changes made elsewhere arrive by polling.
import { Pollfeed, newKey, tokenFromFragment } from "/static/pollfeed.js";
import { WriteQueue } from "/static/offline.js";

const $ = (sel) => document.querySelector(sel);
const state = { token: null, project: null, statuses: new Map(), tasks: new Map(), feed: null, badge: null };

function say(text) {
  $("#message").textContent = text || "";
}

async function api(method, path, body, etag, key) {
  const headers = { Authorization: "Bearer " + state.token, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  if (key) headers["Idempotency-Key"] = key;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store" });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((data && (data.detail || data.title)) || "HTTP " + res.status);
    Object.assign(err, { status: res.status, problem: data });
    throw err;
  }
  return { data, etag: res.headers.get("ETag") };
}

// --- sign-in ------------------------------------------------------------------

async function signIn() {
  state.token = tokenFromFragment();
  if (!state.token) {
    $("#signin").hidden = false;
    return;
  }
  $("#signin").hidden = true;
  try {
    const { data } = await api("GET", "/projects?limit=1000");
    const select = $("#project");
    select.replaceChildren(...data.items.map((p) => new Option(p.name, p.id)));
    const wanted = new URLSearchParams(location.search).get("project");
    if (wanted) select.value = wanted;
    if (select.value) await openProject(select.value);
    else say("No projects yet for this token.");
  } catch (err) {
    say("Sign-in failed: " + err.message);
    if (err.status === 401) {
      sessionStorage.removeItem("pollfeed-token");
      $("#signin").hidden = false;
    }
  }
}

$("#signin").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem("pollfeed-token", $("#token-input").value.trim());
  signIn();
});
$("#project").addEventListener("change", (e) => openProject(e.target.value));

// --- loading and following ------------------------------------------------------

async function loadLists() {
  const pid = state.project;
  const [statuses, tasks] = await Promise.all([
    api("GET", `/projects/${pid}/statuses?limit=1000`),
    api("GET", `/projects/${pid}/tasks?limit=1000`),
  ]);
  state.statuses = new Map(statuses.data.items.map((s) => [s.id, s]));
  state.tasks = new Map(tasks.data.items.map((t) => [t.id, { data: t, etag: null }]));
  render();
  // Both lists share the project's watermark; the smaller cursor is the safe one to follow.
  return [statuses.data.cursor, tasks.data.cursor].sort()[0];
}

async function openProject(pid) {
  if (state.feed) state.feed.stop();
  state.project = pid;
  say("");
  const cursor = await loadLists();
  state.feed = new Pollfeed({
    token: state.token, params: { project: pid }, cursor,
    onChanges: applyChanges,
    onResync: async () => { say("Caught up after a long absence: reloaded the board."); return loadLists(); },
    onError: (err) => say("Polling: " + err.message),
    onState: showPollState,
  });
  window.pollfeed = state.feed; // for the curious, and for the tests
  state.feed.start();
  // Edits lost to the network wait in IndexedDB and are sent when the page is back online.
  if (state.queue) state.queue.stop();
  state.queue = new WriteQueue(state.feed).start();
  state.queue.subscribe(showQueue);
  refreshBadge();
}

// --- the notifications badge: a versioned resource, revalidated with If-None-Match ---------

const badgeUrl = () => `/projects/${state.project}/notifications/unread-count`;

async function refreshBadge() {
  try {
    // fetchJSON sends If-None-Match with the tag it holds: a badge with nothing new costs a 304.
    state.badge = await state.feed.fetchJSON(badgeUrl());
    $("#unread").textContent = state.badge.unread;
    $("#badge").dataset.unread = state.badge.unread;
  } catch (err) {
    say("Notifications: " + err.message);
  }
}

$("#badge").addEventListener("click", async () => {
  if (!state.badge) return;
  try {
    // If-Match is the tag of the count this page shows: a notification that arrived unseen is not
    // marked read. (A count is private to its user, so its tag carries more than the version.)
    await api("POST", `/projects/${state.project}/notifications/mark-all-read`, undefined,
              state.feed.etagOf(badgeUrl()));
  } catch (err) {
    say(err.status === 412 ? "New notifications arrived: have a look before marking them read."
                           : "Not marked read: " + err.message);
  }
  refreshBadge();
});

async function applyChanges(changes) {
  if (changes.length) refreshBadge();
  for (const c of changes) {
    if (c.type === "project" && c.op === "delete") {
      say("This project was deleted.");
      state.statuses.clear();
      state.tasks.clear();
    } else if (c.type === "task" || c.type === "status") {
      const map = c.type === "task" ? state.tasks : state.statuses;
      if (c.op === "delete") {
        map.delete(c.id);
        continue;
      }
      const known = c.type === "task" ? map.get(c.id)?.data : map.get(c.id);
      if (known && known.version >= c.version) continue;
      try {
        const { data, etag } = await api("GET", `/${c.type === "task" ? "tasks" : "statuses"}/${c.id}`);
        if (c.type === "task") map.set(c.id, { data, etag });
        else map.set(c.id, data);
      } catch (err) {
        if (err.status === 404) map.delete(c.id);
      }
    }
  }
  render();
}

function showPollState(s) {
  const last = s.lastPoll ? s.lastPoll.toLocaleTimeString() : "never";
  $("#poll-status").textContent =
    `${s.visible ? "visible" : "hidden"} · ${s.leader ? "polling" : "following another tab"} · ` +
    `every ${s.interval}s · last poll ${last} · 200: ${s.ok} · 304: ${s.notModified}`;
  $("#poll-status").dataset.ok = s.ok;
  $("#poll-status").dataset.notModified = s.notModified;
  $("#poll-status").dataset.leader = s.leader;
}

// --- writes: optimistic, with If-Match --------------------------------------------

// The tag of the version this page shows (every item carries its own as `etag`, lists' items too),
// so a write made against a stale card is refused by the server with 412, never applied.
function shownEtag(task) {
  return task.etag || task.data.etag;
}

// Writes to one task run one after another: a delete clicked while an edit is still in flight
// waits for it, and then sends the tag that edit returned instead of the one it replaced.
const queued = new Map();
function inTurn(id, write) {
  const next = (queued.get(id) || Promise.resolve()).then(write, write);
  queued.set(id, next);
  next.finally(() => { if (queued.get(id) === next) queued.delete(id); });
  return next;
}

function saveTask(id, changes) {
  const entry = state.tasks.get(id);
  if (entry) { // shown at once; sent in turn
    const base = entry.pending ? entry.base : entry.data;
    state.tasks.set(id, { ...entry, data: { ...entry.data, ...changes }, pending: true, base });
    render();
  }
  return inTurn(id, () => sendTask(id, changes));
}

async function sendTask(id, changes) {
  const entry = state.tasks.get(id);
  if (!entry) return;
  const before = entry.base || entry.data;
  const etag = shownEtag(entry);
  // The key goes with the first send, so a retry of an edit that committed but lost its answer gets
  // that answer from the server, not a 412 against the user's own edit.
  const key = newKey();
  try {
    const res = await api("PATCH", `/tasks/${id}`, changes, etag, key);
    state.tasks.set(id, { data: res.data, etag: res.etag });
    say("");
  } catch (err) {
    if (err.status === undefined && state.queue) { // no answer: offline, or the connection dropped
      await state.queue.update(`/tasks/${id}`, changes, { ifMatch: etag, key }); // the same write, again
      say("Offline: the edit is kept and will be sent when the connection is back.");
      render();
      return;
    }
    state.tasks.set(id, { data: before, etag }); // roll back
    if (err.status === 412) {
      try {
        const fresh = await api("GET", `/tasks/${id}`);
        state.tasks.set(id, { data: fresh.data, etag: fresh.etag });
        say(`Not saved: someone else changed "${fresh.data.title}" (now version ${fresh.data.version}). ` +
            "This is the newer version; make your change again if it still applies.");
      } catch (e) {
        state.tasks.delete(id);
        say("Not saved: the task was deleted elsewhere.");
      }
    } else {
      say("Not saved: " + err.message);
    }
  }
  render();
}

function deleteTask(id) {
  return inTurn(id, () => sendDelete(id));
}

async function sendDelete(id) {
  const entry = state.tasks.get(id);
  if (!entry) return;
  const etag = shownEtag(entry);
  try {
    state.tasks.delete(id);
    render();
    await api("DELETE", `/tasks/${id}`, undefined, etag);
  } catch (err) {
    state.tasks.set(id, entry);
    say(err.status === 412 ? "Not deleted: it changed elsewhere; here is the newer version."
                           : "Not deleted: " + err.message);
    if (err.status === 412) {
      const fresh = await api("GET", `/tasks/${id}`);
      state.tasks.set(id, { data: fresh.data, etag: fresh.etag });
    }
    render();
  }
}

async function createTask(statusId, title) {
  try {
    // With an Idempotency-Key, retried on a lost answer: one click makes one card, never two.
    const res = await state.feed.create(`/projects/${state.project}/tasks`, { title, status_id: statusId });
    state.tasks.set(res.body.id, { data: res.body, etag: res.etag });
    say("");
  } catch (err) {
    const field = err.problem && err.problem.errors ? " " + JSON.stringify(err.problem.errors) : "";
    say("Not created: " + err.message + field);
  }
  render();
}

// The offline queue's state: edits waiting to be sent, and those the server refused on replay
// (someone else changed the task meanwhile: the board then shows their version, never overwritten).
let waited = 0;
function showQueue(q) {
  const node = $("#queue");
  node.dataset.pending = q.pending.length;
  node.textContent = q.pending.length ? `${q.pending.length} edit(s) waiting to be sent` : "";
  for (const c of [...q.conflicts, ...q.failed]) {
    say(c.state === "conflict" ? "Not sent: someone else changed the task while you were offline; this is their version."
                               : "Not sent: " + c.error);
    node.dataset.conflicts = Number(node.dataset.conflicts || 0) + 1;
    state.queue.resolve(c.seq, "discard");
  }
  if (waited && !q.pending.length && !q.replaying && state.project) loadLists().catch(() => {}); // sent: show the server's
  waited = q.pending.length;
}

// --- rendering ------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function render() {
  const columns = [...state.statuses.values()].sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : 1));
  const board = $("#board");
  board.replaceChildren(...columns.map((status, i) => {
    const cards = [...state.tasks.values()].filter((t) => t.data.status_id === status.id)
      .sort((a, b) => a.data.position - b.data.position || (a.data.id < b.data.id ? -1 : 1))
      .map(({ data: t, pending }) => {
        const move = (d) => columns[i + d] && saveTask(t.id, { status_id: columns[i + d].id });
        return el("div", { className: "card" + (pending ? " pending" : ""), id: "task-" + t.id },
          el("div", { className: "title" }, t.title),
          el("div", { className: "meta" }, `v${t.version}` + (t.points != null ? ` · ${t.points} pts` : "")),
          el("button", { className: "left", title: "move left", disabled: i === 0, onclick: () => move(-1) }, "◀"),
          el("button", { className: "right", title: "move right", disabled: i === columns.length - 1,
            onclick: () => move(1) }, "▶"),
          el("button", { className: "edit", title: "rename", onclick: () => {
            const title = prompt("Title", t.title);
            if (title !== null && title !== t.title) saveTask(t.id, { title });
          } }, "✎"),
          el("button", { className: "delete", title: "delete", onclick: () => deleteTask(t.id) }, "✕"));
      });
    const input = el("input", { placeholder: "New task", name: "title" });
    const form = el("form", { className: "add", onsubmit: (e) => {
      e.preventDefault();
      if (input.value.trim()) createTask(status.id, input.value.trim());
      input.value = "";
    } }, input, el("button", {}, "Add"));
    return el("section", { className: "column", id: "status-" + status.id }, el("h2", {}, status.name), ...cards, form);
  }));
}

signIn();

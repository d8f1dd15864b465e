// pollfeed/offline: writes that survive going offline. A write is kept in a durable queue (IndexedDB,
// shared by the app's tabs) before it is sent, and replayed in order by one tab (Web Locks) when the
// page is online: each with its Idempotency-Key and If-Match, so nothing is created twice and no
// newer version is overwritten.
//
//   const queue = new WriteQueue(feed);            // one per feed; "pollfeed-writes" in IndexedDB
//   queue.subscribe((state) => render(state));     // {pending, conflicts, failed}
//   await queue.update(`/tasks/${id}`, { title }); // sent now if it can be; kept if not
//   await queue.create(`/projects/${p}/tasks`, { title, status_id });
//
// - Queued writes to one resource chain: each is sent with the tag the previous one returned. A write
//   whose predecessor leaves the queue without an answer (discarded, refused, expired) is sent with the
//   tag that predecessor was sent with, the version the chain was built on: it applies if the resource
//   is still there, and is a conflict if someone moved it on. Never stuck, never a blind overwrite.
// - Where an entry goes in the queue, and whether it chains, is decided in one transaction with the
//   entries already there, so writes enqueued at once (in one tab or several) neither share a place
//   nor both miss each other.
// - A 412 is a conflict: the entry stops, with the server's body and tag, and so do later writes to
//   that resource, until the app resolves it (`overwrite`, `discard`). Nothing is overwritten blindly.
// - A write that committed but lost its answer is answered, on replay, with its first answer (the
//   server keeps answers by Idempotency-Key), not with a 412 against itself. A write first sent outside
//   the queue joins it with its own key (`enqueue(..., {key})`), so this holds for it too.
// - An entry older than the server's IDEMPOTENCY_TTL (`ttl: "24h"`, or `ttlMs`; 24 h by default, the
//   server's default) is marked failed, not replayed: the server no longer knows its key, and a replay
//   could apply it twice. Set it to the server's setting; never longer.
// - Any other 4xx marks the entry failed (it would fail again); a network error, 5xx, 429 or 503
//   leaves it pending for the next try (on `online`, on start, and after a backoff).

import { ConflictError, PollfeedError, newKey } from "./pollfeed.js";

/** @typedef {import("./pollfeed.js").Pollfeed} Pollfeed */

/**
 * One queued write.
 * @typedef {object} QueuedWrite
 * @property {number} seq its place in the queue (order of enqueueing)
 * @property {"POST" | "PUT" | "PATCH" | "DELETE"} method
 * @property {string} url
 * @property {any} [body]
 * @property {string} key its Idempotency-Key, kept across replays
 * @property {string | null} ifMatch the tag it is sent with (null: none; a create)
 * @property {boolean} chained whether it waits for the tag of an earlier write to the same URL
 * @property {number} createdAt when it was made (ms since the epoch)
 * @property {"pending" | "conflict" | "failed"} state
 * @property {any} [theirs] for a conflict: the server's current body (null: deleted)
 * @property {string | null} [theirsEtag] for a conflict: the server's current tag
 * @property {string} [error] for a failed write: why
 */

/**
 * What the UI shows.
 * @typedef {object} QueueState
 * @property {QueuedWrite[]} pending waiting to be sent, in order
 * @property {QueuedWrite[]} conflicts stopped on a 412, waiting for the app's choice
 * @property {QueuedWrite[]} failed refused (or expired), kept until discarded
 * @property {boolean} replaying whether this tab is replaying now
 */

/**
 * What one transaction of the store writes: entries to put, entries (by `seq`) to remove, and what
 * the transaction returns.
 * @template R
 * @typedef {object} StoreChange
 * @property {QueuedWrite[]} [put]
 * @property {number[]} [remove]
 * @property {R} [result]
 */

/**
 * Where entries are kept: IndexedDB by default; `memoryStore()` for tests and for runtimes without it.
 * `transact(work)` is one atomic read-modify-write: `work` gets every entry (by `seq`) and returns,
 * synchronously, what to put and remove; no other transaction of the store (in this tab or another)
 * runs between its read and its writes.
 * @typedef {object} QueueStore
 * @property {() => Promise<QueuedWrite[]>} all every entry, by `seq`
 * @property {<R>(work: (entries: QueuedWrite[]) => StoreChange<R>) => Promise<R | undefined>} transact
 */

const bySeq = (/** @type {QueuedWrite} */ a, /** @type {QueuedWrite} */ b) => a.seq - b.seq;

/**
 * A duration as the server's settings write it ("90s", "15m", "24h", "7d", "2w"; a bare number is
 * seconds), in milliseconds.
 * @param {string} text
 * @returns {number}
 */
export function parseDuration(text) {
  const m = /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(String(text));
  if (!m) throw new TypeError(`not a duration: ${JSON.stringify(text)} (use e.g. 90s, 15m, 12h, 7d)`);
  /** @type {Record<string, number>} */
  const units = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return Number(m[1]) * units[m[2]] * 1000;
}

/**
 * An IndexedDB store of queued writes (database `name`, one object store keyed by `seq`).
 * @param {string} name
 * @param {IDBFactory} [idb]
 * @returns {QueueStore}
 */
export function indexedDBStore(name, idb = globalThis.indexedDB) {
  /** @type {Promise<IDBDatabase> | null} */
  let opened = null;
  const open = () => opened || (opened = new Promise((resolve, reject) => {
    const req = idb.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore("writes", { keyPath: "seq" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }));
  /**
   * @template R
   * @param {IDBTransactionMode} mode
   * @param {(store: IDBObjectStore) => IDBRequest} work
   * @returns {Promise<R>}
   */
  const run = async (mode, work) => {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("writes", mode);
      const req = work(tx.objectStore("writes"));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  };
  return {
    all: async () => /** @type {QueuedWrite[]} */ (await run("readonly", (s) => s.getAll())).sort(bySeq),
    // One readwrite transaction: IndexedDB runs those of one store one at a time, across tabs too, and
    // `work` runs inside it (synchronously: a transaction commits once nothing is asked of it).
    transact: async (work) => {
      const db = await open();
      return new Promise((resolve, reject) => {
        const tx = db.transaction("writes", "readwrite");
        const store = tx.objectStore("writes");
        /** @type {any} */
        let result;
        const read = store.getAll();
        read.onsuccess = () => {
          try {
            const change = work(/** @type {QueuedWrite[]} */ (read.result).sort(bySeq)) || {};
            for (const entry of change.put || []) store.put(entry);
            for (const seq of change.remove || []) store.delete(seq);
            result = change.result;
          } catch (err) {
            tx.abort();
            reject(err);
          }
        };
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    },
  };
}

/** A store in memory (tests; runtimes without IndexedDB): it does not survive a reload.
 *  @returns {QueueStore} */
export function memoryStore() {
  /** @type {Map<number, QueuedWrite>} */
  const rows = new Map();
  const all = () => [...rows.values()].map((e) => structuredClone(e)).sort(bySeq);
  return {
    all: async () => all(),
    transact: async (work) => { // synchronous from read to write: nothing runs in between
      const change = work(all()) || {};
      for (const entry of change.put || []) rows.set(entry.seq, structuredClone(entry));
      for (const seq of change.remove || []) rows.delete(seq);
      return change.result;
    },
  };
}

/**
 * @typedef {object} WriteQueueOptions
 * @property {string} [name] the IndexedDB database, the lock and the channel ("pollfeed-writes")
 * @property {QueueStore} [store] where entries are kept (default: IndexedDB `name`)
 * @property {string} [ttl] how long an entry may wait, as the server's IDEMPOTENCY_TTL is written
 *   ("24h", "7d"): set it to that setting (POLLFEED_IDEMPOTENCY_TTL in an app on the engine), never
 *   longer, or a replay may come after the server forgot its key. Default "24h", the server's default.
 * @property {number} [ttlMs] the same in milliseconds (`ttl` wins when both are given)
 * @property {any} [window] the global object (tests)
 * @property {() => number} [now] the clock (tests)
 */

/**
 * @typedef {object} EnqueueOptions
 * @property {string | null} [ifMatch] the tag to send (default: the feed's cached tag of `url`); a write
 *   after another queued one to the same URL takes that one's new tag instead
 * @property {string} [key] the Idempotency-Key, for a write already sent once outside the queue whose
 *   answer was lost: its replay then gets the first answer, not a 412 against itself (default: new)
 */

export class WriteQueue {
  /**
   * @param {Pollfeed} feed the feed whose token, base URL and ETag cache writes use
   * @param {WriteQueueOptions} [options]
   */
  constructor(feed, { name = "pollfeed-writes", store, ttl, ttlMs = 24 * 3600 * 1000, window: win = globalThis,
    now = Date.now } = {}) {
    this.feed = feed;
    this.name = name;
    this.store = store || indexedDBStore(name, win.indexedDB);
    /** @type {number} */
    this.ttlMs = ttl !== undefined ? parseDuration(ttl) : ttlMs;
    this.win = win;
    this.now = now;
    /** @type {Set<(state: QueueState) => void>} */
    this.listeners = new Set();
    /** @type {QueueState} */
    this.state = { pending: [], conflicts: [], failed: [], replaying: false };
    /** @type {Promise<void> | null} */
    this._flushing = null;
    /** @type {Promise<void> | null} */
    this._queued = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this._timer = null;
    this._failures = 0;
    this._onOnline = () => { this.flush(); };
    /** @type {BroadcastChannel | null} */
    this.channel = null;
    this.started = false;
  }

  /** Listen for `online` and for other tabs' changes, and replay what is waiting. Idempotent. */
  start() {
    if (this.started) return this;
    this.started = true;
    this.win.addEventListener && this.win.addEventListener("online", this._onOnline);
    if (typeof this.win.BroadcastChannel === "function") {
      const channel = (this.channel = new this.win.BroadcastChannel(this.name));
      channel.onmessage = () => { this._refresh(); };
    }
    this._refresh().then(() => this.flush());
    return this;
  }

  stop() {
    this.started = false;
    this.win.removeEventListener && this.win.removeEventListener("online", this._onOnline);
    this.channel && this.channel.close();
    this.channel = null;
    this._timer && clearTimeout(this._timer);
  }

  /**
   * Call `listener` with the queue's state now and on every change; returns the function that stops it.
   * @param {(state: QueueState) => void} listener
   * @returns {() => void}
   */
  subscribe(listener) {
    this.listeners.add(listener);
    listener(this.state);
    return () => { this.listeners.delete(listener); };
  }

  /** @param {string} url @param {any} body @param {EnqueueOptions} [options] */
  create(url, body, options) { return this.enqueue("POST", url, body, options); }

  /** @param {string} url @param {any} patch @param {EnqueueOptions} [options] */
  update(url, patch, options) { return this.enqueue("PATCH", url, patch, options); }

  /** @param {string} url @param {any} body @param {EnqueueOptions} [options] */
  put(url, body, options) { return this.enqueue("PUT", url, body, options); }

  /** @param {string} url @param {EnqueueOptions} [options] */
  remove(url, options) { return this.enqueue("DELETE", url, undefined, options); }

  /**
   * Keep the write, then try to send everything waiting. Resolves with the entry once it is kept
   * (durably: a reload or a closed tab does not lose it), not when it is sent; `subscribe` tells.
   * @param {QueuedWrite["method"]} method
   * @param {string} url
   * @param {any} body
   * @param {EnqueueOptions} [options]
   * @returns {Promise<QueuedWrite>}
   */
  async enqueue(method, url, body, { ifMatch, key } = {}) {
    const tag = method === "POST" ? null : ifMatch !== undefined ? ifMatch : this.feed.etagOf(url);
    const idempotencyKey = key || newKey(this.feed.random);
    const createdAt = this.now();
    // Its place and whether it chains are read and written in one transaction: two writes enqueued at
    // once (in this tab or another) cannot both take the same place, nor both miss each other.
    const entry = /** @type {QueuedWrite} */ (await this.store.transact((entries) => {
      const last = entries.length ? entries[entries.length - 1].seq : -Infinity;
      const earlier = method !== "POST" && entries.some((e) => e.url === url && e.method !== "POST"
        && e.state !== "failed");
      /** @type {QueuedWrite} */
      const made = { seq: Math.max(createdAt, last + 1), method, url, body, key: idempotencyKey, createdAt,
        state: "pending", chained: earlier, ifMatch: earlier ? null : tag };
      return { put: [made], result: made };
    }));
    await this._changed();
    this.flush();
    return entry;
  }

  /**
   * Send what is waiting, in order, from one tab at a time (the Web Lock `name`). Resolves when this
   * round is done (or waits on another tab's round).
   * @returns {Promise<void>}
   */
  flush() {
    if (this._flushing) { // one round at a time; a flush asked for meanwhile is one more round after it
      if (!this._queued) {
        this._queued = this._flushing.then(() => {
          this._queued = null;
          return this.flush();
        });
      }
      return this._queued;
    }
    const locks = this.win.navigator && this.win.navigator.locks;
    const round = () => this._replay();
    /** @type {Promise<void>} */
    const flushing = (locks ? locks.request(this.name, round) : round()).finally(() => {
      this._flushing = null;
    });
    this._flushing = flushing;
    return flushing;
  }

  /**
   * The app's answer to a conflict: "overwrite" (send the write again over the server's version) or
   * "discard" (keep theirs). A failed entry can only be discarded.
   * @param {number} seq
   * @param {"overwrite" | "discard"} choice
   */
  async resolve(seq, choice) {
    const key = newKey(this.feed.random);
    await this.store.transact((entries) => {
      const entry = entries.find((e) => e.seq === seq);
      if (!entry) return {};
      if (choice === "discard") return { remove: [seq], put: release(entries, entry) };
      if (entry.state !== "conflict") return {};
      // A new write over theirs: the old key's answer was the 412.
      Object.assign(entry, { state: "pending", ifMatch: entry.theirsEtag ?? null, chained: false, key });
      return { put: [entry] };
    });
    await this._changed();
    this.flush();
  }

  async _replay() {
    this._setReplaying(true);
    try {
      /** @type {Set<number>} */
      const tried = new Set(); // each entry once a round, whatever the store says
      for (;;) {
        const entry = nextToSend(await this.store.all(), tried, this.now() - this.ttlMs);
        if (!entry) break;
        tried.add(entry.seq);
        if (entry.createdAt < this.now() - this.ttlMs) {
          await this._fail(entry, "expired: older than the server keeps idempotency keys");
          continue;
        }
        if (await this._send(entry) === "retry") {
          this._retryLater();
          return;
        }
      }
      this._failures = 0;
    } finally {
      this._setReplaying(false);
      await this._changed();
    }
  }

  /**
   * @param {QueuedWrite} entry
   * @returns {Promise<"done" | "conflict" | "failed" | "retry">}
   */
  async _send(entry) {
    try {
      const result = await this.feed.write(entry.method, entry.url, entry.body,
        { ifMatch: entry.ifMatch, key: entry.key, retries: 0 });
      // Gone, and the next write to this resource takes the tag it returned: in one transaction, so
      // no write enqueued meanwhile finds neither.
      await this.store.transact((entries) => {
        const next = follower(entries, entry);
        if (next) Object.assign(next, { chained: false, ifMatch: result.etag });
        return { remove: [entry.seq], put: next ? [next] : [] };
      });
      return "done";
    } catch (err) {
      if (err instanceof ConflictError) {
        await this.store.transact((entries) => {
          const now = entries.find((e) => e.seq === entry.seq);
          return now ? { put: [Object.assign(now, { state: "conflict", theirs: err.current, theirsEtag: err.etag })] }
            : {};
        });
        return "conflict";
      }
      if (err instanceof PollfeedError && err.status < 500 && err.status !== 429 && err.status !== 408) {
        await this._fail(entry, err.message);
        return "failed";
      }
      return "retry"; // offline, a network error, 5xx, 429: the same key, later
    }
  }

  /** Mark `entry` failed, and let the write chained after it go on (see `release`).
   *  @param {QueuedWrite} entry @param {string} why */
  async _fail(entry, why) {
    await this.store.transact((entries) => {
      const now = entries.find((e) => e.seq === entry.seq);
      if (!now) return {};
      const freed = release(entries, now);
      Object.assign(now, { state: "failed", error: why });
      return { put: [now, ...freed] };
    });
  }

  _retryLater() {
    this._failures++;
    this._timer && clearTimeout(this._timer);
    const cap = Math.min(60000, 1000 * 2 ** Math.min(this._failures, 6));
    this._timer = setTimeout(() => this.flush(), Math.floor(this.feed.random() * cap) + 250);
  }

  /** @param {boolean} on */
  _setReplaying(on) {
    this.state = { ...this.state, replaying: on };
    this._emit();
  }

  async _changed() {
    await this._refresh();
    this.channel && this.channel.postMessage("changed");
  }

  async _refresh() {
    const entries = (await this.store.all()).sort((a, b) => a.seq - b.seq);
    this.state = {
      pending: entries.filter((e) => e.state === "pending"),
      conflicts: entries.filter((e) => e.state === "conflict"),
      failed: entries.filter((e) => e.state === "failed"),
      replaying: this.state.replaying,
    };
    this._emit();
  }

  _emit() {
    for (const listener of this.listeners) listener(this.state);
  }
}

/**
 * The first pending write of `entries` that can go now: not behind a conflict on its resource, not
 * waiting for an earlier write's tag (unless it is expired: then it is failed, not sent).
 * @param {QueuedWrite[]} entries by seq
 * @param {Set<number>} tried
 * @param {number} expiredBefore
 * @returns {QueuedWrite | undefined}
 */
function nextToSend(entries, tried, expiredBefore) {
  const blocked = new Set(entries.filter((e) => e.state === "conflict").map((e) => e.url));
  return entries.find((e) => e.state === "pending" && !tried.has(e.seq) && !blocked.has(e.url)
    && (!e.chained || e.createdAt < expiredBefore));
}

/**
 * The write chained after `entry` (the next pending one to its URL that waits for a tag), if any.
 * @param {QueuedWrite[]} entries
 * @param {QueuedWrite} entry
 * @returns {QueuedWrite | undefined}
 */
function follower(entries, entry) {
  return entries.find((e) => e.seq > entry.seq && e.url === entry.url && e.chained && e.state === "pending");
}

/**
 * `entry` leaves the chain of its resource without an answer (discarded, refused, expired): the
 * write chained after it would wait for a tag forever. It takes `entry`'s If-Match instead, the
 * version the chain was built on: applied if the resource is still there, a 412 (a conflict, with
 * the server's version) if someone moved it on. Only the head of a chain (a write not itself waiting)
 * frees one, and a failed entry freed its follower when it failed. Returns the entries it changed.
 * @param {QueuedWrite[]} entries
 * @param {QueuedWrite} entry
 * @returns {QueuedWrite[]}
 */
function release(entries, entry) {
  if (entry.chained || entry.state === "failed" || entry.method === "POST") return [];
  const next = follower(entries, entry);
  if (!next) return [];
  Object.assign(next, { chained: false, ifMatch: entry.ifMatch });
  return [next];
}

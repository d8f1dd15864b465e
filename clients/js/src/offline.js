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
// - Queued writes to one resource chain: each is sent with the tag the previous one returned.
// - A 412 is a conflict: the entry stops, with the server's body and tag, and so do later writes to
//   that resource, until the app resolves it (`overwrite`, `discard`). Nothing is overwritten blindly.
// - A write that committed but lost its answer is answered, on replay, with its first answer (the
//   server keeps answers by Idempotency-Key), not with a 412 against itself.
// - An entry older than the server's IDEMPOTENCY_TTL (`ttlMs`, 24 h) is marked failed, not replayed:
//   the server no longer knows its key, and a replay could apply it twice.
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
 * Where entries are kept: IndexedDB by default; `memoryStore()` for tests and for runtimes without it.
 * @typedef {object} QueueStore
 * @property {() => Promise<QueuedWrite[]>} all
 * @property {(entry: QueuedWrite) => Promise<void>} put
 * @property {(seq: number) => Promise<void>} remove
 */

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
    all: () => run("readonly", (s) => s.getAll()),
    put: (entry) => run("readwrite", (s) => s.put(entry)),
    remove: (seq) => run("readwrite", (s) => s.delete(seq)),
  };
}

/** A store in memory (tests; runtimes without IndexedDB): it does not survive a reload.
 *  @returns {QueueStore} */
export function memoryStore() {
  /** @type {Map<number, QueuedWrite>} */
  const rows = new Map();
  return {
    all: async () => [...rows.values()].map((e) => structuredClone(e)),
    put: async (entry) => { rows.set(entry.seq, structuredClone(entry)); },
    remove: async (seq) => { rows.delete(seq); },
  };
}

/**
 * @typedef {object} WriteQueueOptions
 * @property {string} [name] the IndexedDB database, the lock and the channel ("pollfeed-writes")
 * @property {QueueStore} [store] where entries are kept (default: IndexedDB `name`)
 * @property {number} [ttlMs] how long an entry may wait: the server's IDEMPOTENCY_TTL (24 h)
 * @property {any} [window] the global object (tests)
 * @property {() => number} [now] the clock (tests)
 */

export class WriteQueue {
  /**
   * @param {Pollfeed} feed the feed whose token, base URL and ETag cache writes use
   * @param {WriteQueueOptions} [options]
   */
  constructor(feed, { name = "pollfeed-writes", store, ttlMs = 24 * 3600 * 1000, window: win = globalThis,
    now = Date.now } = {}) {
    this.feed = feed;
    this.name = name;
    this.store = store || indexedDBStore(name, win.indexedDB);
    this.ttlMs = ttlMs;
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

  /** @param {string} url @param {any} body */
  create(url, body) { return this.enqueue("POST", url, body); }

  /** @param {string} url @param {any} patch @param {{ifMatch?: string | null}} [options] */
  update(url, patch, options) { return this.enqueue("PATCH", url, patch, options); }

  /** @param {string} url @param {any} body */
  put(url, body) { return this.enqueue("PUT", url, body); }

  /** @param {string} url @param {{ifMatch?: string | null}} [options] */
  remove(url, options) { return this.enqueue("DELETE", url, undefined, options); }

  /**
   * Keep the write, then try to send everything waiting. Resolves with the entry once it is kept
   * (durably: a reload or a closed tab does not lose it), not when it is sent; `subscribe` tells.
   * @param {QueuedWrite["method"]} method
   * @param {string} url
   * @param {any} body
   * @param {{ifMatch?: string | null}} [options] the tag to send (default: the feed's cached tag of
   *   `url`); a write after another queued one to the same URL always takes that one's new tag
   * @returns {Promise<QueuedWrite>}
   */
  async enqueue(method, url, body, { ifMatch } = {}) {
    const entries = await this.store.all();
    const seq = Math.max(this.now(), ...entries.map((e) => e.seq + 1));
    const earlier = entries.some((e) => e.url === url && e.state !== "failed" && method !== "POST");
    /** @type {QueuedWrite} */
    const entry = { seq, method, url, body, key: newKey(this.feed.random), createdAt: this.now(), state: "pending",
      chained: earlier,
      ifMatch: method === "POST" || earlier ? null : ifMatch !== undefined ? ifMatch : this.feed.etagOf(url) };
    await this.store.put(entry);
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
    const entry = (await this.store.all()).find((e) => e.seq === seq);
    if (!entry) return;
    if (choice === "discard") {
      await this.store.remove(seq);
    } else if (entry.state === "conflict") {
      entry.state = "pending";
      entry.ifMatch = entry.theirsEtag ?? null;
      entry.chained = false;
      entry.key = newKey(this.feed.random); // a new write: the old key's answer was the 412
      await this.store.put(entry);
    }
    await this._changed();
    this.flush();
  }

  async _replay() {
    this._setReplaying(true);
    try {
      const entries = (await this.store.all()).sort((a, b) => a.seq - b.seq);
      /** @type {Set<string>} */
      const blocked = new Set(entries.filter((e) => e.state === "conflict").map((e) => e.url));
      for (const entry of entries) {
        if (entry.state !== "pending" || blocked.has(entry.url)) continue;
        if (this.now() - entry.createdAt > this.ttlMs) {
          await this._fail(entry, "expired: older than the server keeps idempotency keys");
          blocked.add(entry.url);
          continue;
        }
        if (entry.chained) {
          blocked.add(entry.url); // its predecessor has not answered yet (it failed, or is in conflict)
          continue;
        }
        const outcome = await this._send(entry, entries);
        if (outcome === "retry") {
          this._retryLater();
          return;
        }
        if (outcome !== "done") blocked.add(entry.url);
      }
      this._failures = 0;
    } finally {
      this._setReplaying(false);
      await this._changed();
    }
  }

  /**
   * @param {QueuedWrite} entry
   * @param {QueuedWrite[]} round the entries this round goes through
   * @returns {Promise<"done" | "conflict" | "failed" | "retry">}
   */
  async _send(entry, round) {
    try {
      const result = await this.feed.write(entry.method, entry.url, entry.body,
        { ifMatch: entry.ifMatch, key: entry.key, retries: 0 });
      await this.store.remove(entry.seq);
      // The next write to this resource goes with the tag this one returned: kept before it is sent.
      const next = (await this.store.all()).sort((a, b) => a.seq - b.seq)
        .find((e) => e.url === entry.url && e.chained && e.state === "pending");
      if (next) {
        next.chained = false;
        next.ifMatch = result.etag;
        await this.store.put(next);
        const seen = round.find((e) => e.seq === next.seq); // this round's copy, if it has one
        if (seen) Object.assign(seen, { chained: false, ifMatch: result.etag });
      }
      return "done";
    } catch (err) {
      if (err instanceof ConflictError) {
        entry.state = "conflict";
        entry.theirs = err.current;
        entry.theirsEtag = err.etag;
        await this.store.put(entry);
        return "conflict";
      }
      if (err instanceof PollfeedError && err.status < 500 && err.status !== 429 && err.status !== 408) {
        await this._fail(entry, err.message);
        return "failed";
      }
      return "retry"; // offline, a network error, 5xx, 429: the same key, later
    }
  }

  /** @param {QueuedWrite} entry @param {string} why */
  async _fail(entry, why) {
    entry.state = "failed";
    entry.error = why;
    await this.store.put(entry);
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

// pollfeed: the browser client for Pollfeed. ES module, no dependencies, nothing touches `window` or
// `document` until start(), so it imports cleanly on a server (SSR).
//
//   const feed = new Pollfeed({baseUrl, token, params: {project}, cursor, onChanges, onResync, onError});
//   const off = feed.subscribe("task", (change) => ...);       // "*": every change
//   feed.start();  feed.pollNow();  feed.stop();
//   const body = await feed.fetchJSON("/projects/1/tasks");  // ETag cache, revalidated with If-None-Match
//   const {body, etag} = await feed.create("/projects/1/tasks", {...});  // POST with an Idempotency-Key,
//                                                      // retried with the same key: created once, never twice
//   await feed.update("/tasks/7", {title: "x"});      // PATCH with If-Match from the cache; a 412 throws a
//                                                      // ConflictError carrying the server's body and tag
//
// It obeys Poll-Interval (visible / hidden seconds; hidden=0 stops while hidden),
// polls at once when the page is shown again, on focus and on online, never has
// two requests in flight, backs off with full jitter on network errors and 5xx,
// honours Retry-After on 429/503, and on 410 asks onResync() for a fresh cursor.
// Across tabs one instance per token and params polls (Web Locks); the others get
// the same changes over a BroadcastChannel and take over when the poller closes.

/**
 * One entry of the change feed (GET /changes): ChangeFields, and the scope's id as `<scope>_id`
 * (`project_id` on the reference server, `team_id` where the scope is a team).
 * @typedef {ChangeFields & {[scopeId: string]: unknown}} Change
 */

/**
 * @typedef {object} ChangeFields
 * @property {string} cursor the position just after this change: a cursor to resume from
 * @property {string} type the resource's type (`task`, `event`, ...)
 * @property {string} id the resource's id
 * @property {"create" | "update" | "delete"} op what happened; `delete` is a tombstone
 * @property {number} version the resource's version after the change (a tombstone's is one above the last)
 * @property {string[]} fields the fields an update changed
 * @property {string} at when it was committed (RFC 3339)
 * @property {Record<string, unknown> | null} [resource] its current body, with `include: "resource"`
 */

/**
 * A page of the feed.
 * @typedef {object} ChangesPage
 * @property {Change[]} changes
 * @property {string} next the cursor to ask from next
 * @property {boolean} has_more whether more changes are waiting now
 */

/**
 * A problem+json body (RFC 9457), as every error of the API comes.
 * @typedef {object} Problem
 * @property {string} [type]
 * @property {string} [title]
 * @property {number} [status]
 * @property {string} [detail]
 */

/**
 * What the client reports through `onState` (and keeps in `feed.stats`).
 * @typedef {object} FeedState
 * @property {number} ok polls answered 200
 * @property {number} notModified polls answered 304
 * @property {number} errors polls that failed
 * @property {Date | null} lastPoll
 * @property {boolean} leader whether this tab is the one polling
 * @property {"stopped" | "polling" | "following" | "paused"} state
 * @property {boolean} [visible]
 * @property {number} [interval] the interval it polls at now, in seconds
 */

/**
 * @typedef {object} PollfeedOptions
 * @property {string} [baseUrl] the API's origin and prefix ("" for the page's own)
 * @property {string | null} [token] a bearer token; leave it out for cookie sessions
 * @property {RequestCredentials} [credentials] fetch's credentials: "include" for a cookie session on
 *   another origin, "same-origin" (fetch's default) otherwise
 * @property {() => Promise<string | null>} [refreshToken] called once on a 401: a new token, with which
 *   the request is sent again (null: give up, the 401 stands)
 * @property {Record<string, string | number | null | undefined>} [params] the feed's filters
 *   (`{project: id}`, `{team: id}`, `{types: "task,status"}`)
 * @property {string | null} [cursor] where to start; null: from the oldest retained change
 * @property {(changes: Change[], next: string) => void} [onChanges]
 * @property {() => Promise<string | null | undefined> | string | null | undefined} [onResync] on 410 (the
 *   cursor expired): re-list what the page shows and return a fresh cursor (`now` works)
 * @property {(error: Error) => void} [onError]
 * @property {(state: FeedState) => void} [onState]
 * @property {typeof fetch} [fetch] a fetch of your own (tests, instrumentation)
 * @property {any} [window] the global object it listens on (tests)
 * @property {number} [maxBackoffMs] the cap of the backoff after failures (60 s)
 * @property {boolean} [crossTab] one poller per token and params across tabs (true)
 * @property {() => number} [random] a random source (tests)
 */

/**
 * @typedef {object} WriteResult
 * @property {any} body the server's answer (null for a 204)
 * @property {string | null} etag the resource's new tag
 * @property {string} key the Idempotency-Key it was sent with
 * @property {boolean} replayed whether the server answered from its store (a retry of a write that
 *   had committed)
 */

/**
 * @typedef {object} WriteOptions
 * @property {string | null} [ifMatch] the tag to send as If-Match (default: the cached tag of `url`)
 * @property {string} [key] the Idempotency-Key (default: a new one)
 * @property {number} [retries] how often a network error, 429 or 503 is retried with the same key (3)
 */

/** An error answer of the API: its status, its problem+json body and its ETag, if any. */
export class PollfeedError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   * @param {Problem | null} problem
   * @param {string | null} etag
   */
  constructor(message, status, problem = null, etag = null) {
    super(message);
    this.name = "PollfeedError";
    /** @type {number} */
    this.status = status;
    /** @type {Problem | null} */
    this.problem = problem;
    /** @type {string | null} */
    this.etag = etag;
  }
}

/** A 412: someone else changed the resource since the tag the write was sent with. `current` and
 *  `etag` are the server's body and tag now (null if it was deleted), for the app to choose: retry on
 *  theirs, overwrite (write again with `etag`), or merge. Never a silent overwrite. */
export class ConflictError extends PollfeedError {
  /**
   * @param {string} url
   * @param {Problem | null} problem
   * @param {any} current
   * @param {string | null} etag
   */
  constructor(url, problem, current, etag) {
    super((problem && problem.detail) || "The resource changed since it was read.", 412, problem, etag);
    this.name = "ConflictError";
    /** @type {string} */
    this.url = url;
    /** @type {any} the server's current body, or null if the resource is gone */
    this.current = current;
  }
}

/**
 * The server's advice, `Poll-Interval: visible=5, hidden=60`, as numbers of seconds.
 * @param {string | null | undefined} value
 * @returns {{visible?: number, hidden?: number, [name: string]: number | undefined}}
 */
export function parsePollInterval(value) {
  /** @type {{visible?: number, hidden?: number, [name: string]: number | undefined}} */
  const out = {};
  for (const part of String(value || "").split(",")) {
    const [key, raw] = part.split("=").map((s) => s && s.trim());
    if (key && raw !== undefined && /^\d+(\.\d+)?$/.test(raw)) out[key] = Number(raw);
  }
  return out;
}

/**
 * Retry-After (seconds or an HTTP date) in milliseconds from `now`; null if absent or unreadable.
 * @param {string | null | undefined} value
 * @param {number} [now]
 * @returns {number | null}
 */
export function retryAfterMs(value, now = Date.now()) {
  if (value == null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function hash(text) {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return h.toString(36);
}

/** The bearer token a page was opened with (`#token=...`), kept in sessionStorage and taken out of
 *  the address bar (and so out of history and server logs); null if there is none. */
/** @param {any} [win] @returns {string | null} */
export function tokenFromFragment(win = globalThis) {
  const m = win.location.hash.match(/token=([^&]+)/);
  if (m) {
    win.sessionStorage.setItem("pollfeed-token", decodeURIComponent(m[1]));
    win.history.replaceState(null, "", win.location.pathname + win.location.search);
  }
  return win.sessionStorage.getItem("pollfeed-token");
}

/** A new Idempotency-Key: a random UUID where the browser has one, else 128 random bits in hex. */
/** @param {() => number} [random] @returns {string} */
export function newKey(random = Math.random) {
  if (globalThis.crypto && globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  let out = "";
  for (let i = 0; i < 32; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

export class Pollfeed {
  /** @param {PollfeedOptions} [options] */
  constructor({
    baseUrl = "", token = null, params = {}, cursor = null, onChanges, onResync, onError, onState,
    fetch: fetchImpl, window: win = globalThis, maxBackoffMs = 60000, crossTab = true, random = Math.random,
    credentials, refreshToken,
  } = {}) {
    /** @type {string} */ this.baseUrl = baseUrl;
    /** @type {string | null} */ this.token = token;
    /** @type {Record<string, string | number | null | undefined>} */ this.params = params;
    /** @type {string | null} */ this.cursor = cursor;
    this.onChanges = onChanges;
    this.onResync = onResync;
    this.onError = onError;
    this.onState = onState;
    this.maxBackoffMs = maxBackoffMs;
    this.crossTab = crossTab;
    this.random = random;
    this.credentials = credentials;
    this.refreshToken = refreshToken;
    this.win = win;
    this.fetchImpl = fetchImpl || ((...a) => win.fetch(...a));
    this.interval = { visible: 5, hidden: 60 };
    /** @type {FeedState} */
    this.stats = { ok: 0, notModified: 0, errors: 0, lastPoll: null, leader: false, state: "stopped" };
    /** @type {Map<string, Set<(change: Change) => void>>} */
    this.handlers = new Map();
    /** @type {Map<string, {etag: string, body: any}>} */
    this.cache = new Map();
    this.running = false;
    this.inFlight = false;
    this.again = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    /** @type {(() => void) | null} */
    this._release = null;
    /** @type {BroadcastChannel | null} */
    this.channel = null;
    /** @type {string} */
    this.tabId = "";
    this.failures = 0;
    this.feedEtag = null;
    this.key = "pollfeed:" + hash(String(token) + "|" + JSON.stringify(params));
    this.visibleTabs = new Map();
    this._onVisibility = () => this._visibilityChanged();
    this._onWake = () => this.pollNow();
  }

  // --- public API -----------------------------------------------------------

  /**
   * Call `handler` for every change of `type` ("*": of any type); returns the function that stops it.
   * @param {string} type
   * @param {(change: Change) => void} handler
   * @returns {() => void}
   */
  subscribe(type, handler) {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => { set.delete(handler); };
  }

  start() {
    if (this.running) return;
    this.running = true;
    const doc = this.win.document;
    doc && doc.addEventListener("visibilitychange", this._onVisibility);
    this.win.addEventListener && this.win.addEventListener("focus", this._onWake);
    this.win.addEventListener && this.win.addEventListener("online", this._onWake);
    this._elect();
  }

  stop() {
    this.running = false;
    this.timer && clearTimeout(this.timer);
    const doc = this.win.document;
    doc && doc.removeEventListener("visibilitychange", this._onVisibility);
    this.win.removeEventListener && this.win.removeEventListener("focus", this._onWake);
    this.win.removeEventListener && this.win.removeEventListener("online", this._onWake);
    if (this._release) this._release();
    if (this.channel) this.channel.close();
    this.channel = null;
    this._setLeader(false, "stopped");
  }

  /** Poll now (or right after the request in flight); a follower asks the polling tab to. */
  pollNow() {
    if (!this.running) return;
    if (!this.stats.leader) {
      this.channel && this.channel.postMessage({ kind: "poll-now" });
      return;
    }
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.timer && clearTimeout(this.timer);
    this._poll();
  }

  /** @param {string | null} cursor */
  setCursor(cursor) {
    this.cursor = cursor;
    this.feedEtag = null;
  }

  get visible() {
    const doc = this.win.document;
    return !doc || doc.visibilityState === "visible";
  }

  /**
   * GET a JSON resource, revalidating a cached copy with If-None-Match: a 304 returns the very object
   * returned before (so a UI that compares by identity does nothing).
   * @param {string} url
   * @returns {Promise<any>}
   */
  async fetchJSON(url) {
    const full = this._url(url);
    const cached = this.cache.get(full);
    /** @type {Record<string, string>} */
    const extra = {};
    if (cached) extra["If-None-Match"] = cached.etag;
    const res = await this._fetch(full, { headers: extra, cache: "no-store" });
    if (res.status === 304 && cached) return cached.body;
    if (!res.ok) throw await this._error(res);
    const body = await res.json();
    const etag = res.headers.get("ETag");
    if (etag) this.cache.set(full, { etag, body });
    return body;
  }

  /**
   * POST `body` with a fresh Idempotency-Key. A network error, 429 or 503 is retried (after
   * Retry-After, or a jittered backoff) with the same key, so a create whose answer was lost is
   * created once: the server answers a retry with the first response.
   * @param {string} url
   * @param {any} body
   * @param {WriteOptions} [options]
   * @returns {Promise<WriteResult>}
   */
  create(url, body, options = {}) {
    return this.write("POST", url, body, { ifMatch: null, ...options });
  }

  /**
   * PATCH `patch` with If-Match (the cached tag of `url`, or `options.ifMatch`) and an
   * Idempotency-Key. On success the cache holds the new body and tag. A 412 throws a ConflictError
   * with the server's current body and tag: nothing is overwritten unless the app writes again with
   * that tag.
   * @param {string} url
   * @param {any} patch
   * @param {WriteOptions} [options]
   * @returns {Promise<WriteResult>}
   */
  update(url, patch, options = {}) {
    return this.write("PATCH", url, patch, options);
  }

  /**
   * DELETE with If-Match (as update) and an Idempotency-Key.
   * @param {string} url
   * @param {WriteOptions} [options]
   * @returns {Promise<WriteResult>}
   */
  remove(url, options = {}) {
    return this.write("DELETE", url, undefined, options);
  }

  /**
   * One write, with its Idempotency-Key and If-Match, retried with the same key after a network
   * error, 429 or 503 (the server answers a retry of a committed write with its first answer).
   * @param {"POST" | "PUT" | "PATCH" | "DELETE"} method
   * @param {string} url
   * @param {any} body
   * @param {WriteOptions} [options]
   * @returns {Promise<WriteResult>}
   */
  async write(method, url, body, { ifMatch, key, retries = 3 } = {}) {
    key = key || newKey(this.random);
    const tag = ifMatch === undefined ? this.etagOf(url) : ifMatch;
    /** @type {Record<string, string>} */
    const headers = { "Idempotency-Key": key };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (tag) headers["If-Match"] = tag;
    const full = this._url(url);
    for (let attempt = 0; ; attempt++) {
      let res = null;
      try {
        res = await this._fetch(full, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          cache: "no-store" });
      } catch (err) {
        if (attempt >= retries) throw err;
      }
      if (res && res.ok) {
        const answer = res.status === 204 ? null : await res.json();
        const etag = res.headers.get("ETag");
        if (method === "DELETE") this.cache.delete(full);
        else if (etag && method !== "POST") this.cache.set(full, { etag, body: answer });
        return { body: answer, etag, key, replayed: res.headers.get("Idempotent-Replayed") === "true" };
      }
      if (res && res.status === 412) throw await this._conflict(full, res);
      if (res && ((res.status !== 429 && res.status !== 503) || attempt >= retries)) throw await this._error(res);
      const wait = res ? retryAfterMs(res.headers.get("Retry-After")) : null;
      await new Promise((r) => setTimeout(r, wait ?? Math.floor(this.random() * 1000 * 2 ** attempt)));
    }
  }

  /**
   * The ETag of what fetchJSON (or a write) last returned for `url`, for If-Match; or null.
   * @param {string} url
   * @returns {string | null}
   */
  etagOf(url) {
    const cached = this.cache.get(this._url(url));
    return cached ? cached.etag : null;
  }

  /** @param {string} full @param {Response} res @returns {Promise<ConflictError>} */
  async _conflict(full, res) {
    let problem = null;
    try { problem = await res.json(); } catch (e) { /* not JSON */ }
    this.cache.delete(full);
    let current = null, etag = null;
    try {
      const now = await this._fetch(full, { cache: "no-store" });
      if (now.ok) {
        current = await now.json();
        etag = now.headers.get("ETag");
        if (etag) this.cache.set(full, { etag, body: current });
      }
    } catch (e) { /* offline again: the conflict stands, without the server's body */ }
    return new ConflictError(full, problem, current, etag);
  }

  /**
   * Every request: the bearer token, the credentials mode, and one retry with a refreshed token on 401.
   * @param {string} url
   * @param {RequestInit & {headers?: Record<string, string>}} init
   * @returns {Promise<Response>}
   */
  async _fetch(url, init = {}) {
    const send = () => this.fetchImpl(url, { ...init, headers: { ...this._headers(), ...(init.headers || {}) },
      ...(this.credentials ? { credentials: this.credentials } : {}) });
    const res = await send();
    if (res.status !== 401 || !this.refreshToken) return res;
    const token = await this.refreshToken();
    if (!token) return res;
    this.token = token;
    return send();
  }

  // --- polling --------------------------------------------------------------

  _url(path) {
    return /^https?:/.test(path) ? path : this.baseUrl + path;
  }

  /** @returns {Record<string, string>} */
  _headers() {
    /** @type {Record<string, string>} */
    const h = { Accept: "application/json" };
    if (this.token) h.Authorization = "Bearer " + this.token;
    return h;
  }

  /** @param {Response} res @returns {Promise<PollfeedError>} */
  async _error(res) {
    let problem = null;
    try { problem = await res.json(); } catch (e) { /* not JSON */ }
    return new PollfeedError((problem && (problem.detail || problem.title)) || "HTTP " + res.status, res.status,
      problem, res.headers.get("ETag"));
  }

  _feedUrl() {
    const q = new URLSearchParams();
    if (this.cursor) q.set("since", this.cursor);
    for (const [k, v] of Object.entries(this.params)) if (v != null) q.set(k, String(v));
    return this._url("/changes?" + q.toString());
  }

  _backoff() {
    const cap = Math.min(this.maxBackoffMs, 1000 * 2 ** Math.min(this.failures, 16));
    return Math.floor(this.random() * cap); // full jitter
  }

  _anyVisible() {
    if (this.visible) return true;
    for (const v of this.visibleTabs.values()) if (v) return true;
    return false;
  }

  /** The interval it polls at now, in seconds: the visible one while any tab shows the page. */
  currentIntervalSeconds() {
    return this._anyVisible() ? this.interval.visible : this.interval.hidden;
  }

  async _poll() {
    this.inFlight = true;
    let delay;
    try {
      /** @type {Record<string, string>} */
      const headers = {};
      if (this.feedEtag) headers["If-None-Match"] = this.feedEtag;
      const res = await this._fetch(this._feedUrl(), { headers, cache: "no-store" });
      this.stats.lastPoll = new Date();
      const advice = parsePollInterval(res.headers.get("Poll-Interval"));
      if (advice.visible !== undefined) this.interval.visible = advice.visible;
      if (advice.hidden !== undefined) this.interval.hidden = advice.hidden;
      if (res.status === 304) {
        this.stats.notModified++;
        this.failures = 0;
      } else if (res.status === 200) {
        const body = await res.json();
        this.stats.ok++;
        this.failures = 0;
        this.cursor = body.next;
        this.feedEtag = body.has_more ? null : res.headers.get("ETag");
        this._deliver(body.changes, body.next);
        if (body.has_more) delay = 0;
      } else if (res.status === 410) {
        this.stats.errors++;
        this.feedEtag = null;
        const cursor = await this._resync();
        this.cursor = cursor || null;
        this.channel && this.channel.postMessage({ kind: "resync", cursor: this.cursor });
        delay = 0;
      } else if (res.status === 429 || res.status === 503) {
        this.stats.errors++;
        this.failures++;
        delay = retryAfterMs(res.headers.get("Retry-After"));
        if (delay == null) delay = this._backoff();
      } else if (res.status >= 500) {
        this.stats.errors++;
        this.failures++;
        delay = this._backoff();
      } else {
        this.stats.errors++;
        this.failures++;
        const err = await this._error(res);
        this.onError && this.onError(/** @type {Error} */ (err));
        delay = Math.max(this._backoff(), 1000);
      }
    } catch (err) {
      this.stats.errors++;
      this.failures++;
      this.onError && this.onError(/** @type {Error} */ (err));
      delay = this._backoff();
    } finally {
      this.inFlight = false;
    }
    if (this.again) {
      this.again = false;
      delay = 0;
    }
    this._state();
    this._schedule(delay);
  }

  async _resync() {
    if (!this.onResync) return null;
    try {
      return await this.onResync();
    } catch (err) {
      this.onError && this.onError(/** @type {Error} */ (err));
      return null;
    }
  }

  _schedule(delay) {
    this.timer && clearTimeout(this.timer);
    this.timer = null;
    if (!this.running || !this.stats.leader) return;
    if (delay === undefined) {
      const seconds = this.currentIntervalSeconds();
      if (!seconds) { // hidden=0: stop while hidden; visibilitychange starts again
        this._state("paused");
        return;
      }
      delay = seconds * 1000;
    }
    this.timer = setTimeout(() => this._poll(), delay);
  }

  _deliver(changes, next, broadcast = true) {
    if (broadcast && this.channel) this.channel.postMessage({ kind: "changes", changes, next });
    if (changes.length && this.onChanges) this.onChanges(changes, next);
    const any = this.handlers.get("*");
    for (const change of changes) {
      const set = this.handlers.get(change.type);
      if (set) for (const h of set) h(change);
      if (any) for (const h of any) h(change);
    }
  }

  _visibilityChanged() {
    this.channel && this.channel.postMessage({ kind: "visible", id: this.tabId, visible: this.visible });
    if (this.visible) this.pollNow();
    else if (this.stats.leader && !this.inFlight) this._schedule();
    this._state();
  }

  // --- one poller per token across tabs ----------------------------------------

  _elect() {
    this.tabId = Math.random().toString(36).slice(2);
    const locks = this.win.navigator && this.win.navigator.locks;
    if (!this.crossTab || !locks || typeof this.win.BroadcastChannel !== "function") {
      this._setLeader(true);
      this.pollNow();
      return;
    }
    const channel = (this.channel = new this.win.BroadcastChannel(this.key));
    channel.onmessage = (/** @type {MessageEvent} */ e) => this._message(e.data);
    channel.postMessage({ kind: "visible", id: this.tabId, visible: this.visible });
    this._setLeader(false, "following");
    locks.request(this.key, () => new Promise(/** @param {(value?: unknown) => void} resolve */ (resolve) => {
      if (!this.running) return resolve();
      this._release = resolve;
      this._setLeader(true);
      this.pollNow();
    }));
  }

  _message(msg) {
    if (msg.kind === "changes" && !this.stats.leader) {
      this.cursor = msg.next;
      this.stats.lastPoll = new Date();
      this._deliver(msg.changes, msg.next, false);
      this._state();
    } else if (msg.kind === "resync" && !this.stats.leader) {
      this.cursor = msg.cursor;
      this._resync();
    } else if (msg.kind === "poll-now" && this.stats.leader) {
      this.pollNow();
    } else if (msg.kind === "visible") {
      this.visibleTabs.set(msg.id, msg.visible);
      if (this.stats.leader && msg.visible) this.pollNow();
    }
  }

  _setLeader(leader, state) {
    this.stats.leader = leader;
    this._state(state || (leader ? "polling" : "following"));
  }

  _state(state) {
    if (state) this.stats.state = state;
    else if (this.running && this.stats.leader) this.stats.state = this.timer || this.inFlight ? "polling" : this.stats.state;
    this.onState && this.onState({ ...this.stats, visible: this.visible, interval: this.currentIntervalSeconds() });
  }
}

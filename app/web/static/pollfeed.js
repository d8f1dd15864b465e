// pollfeed.js: a polling client for Pollfeed. ES module, no build step, no dependencies.
//
//   const feed = new Pollfeed({baseUrl, token, params: {project}, cursor, onChanges, onResync, onError});
//   const off = feed.subscribe("task", (change) => ...);
//   feed.start();  feed.pollNow();  feed.stop();
//   const body = await feed.fetchJSON("/projects/1/tasks");  // ETag cache, revalidated with If-None-Match
//   const {body, etag} = await feed.create("/projects/1/tasks", {...});  // POST with an Idempotency-Key,
//                                                      // retried with the same key: created once, never twice
//
// It obeys Poll-Interval (visible / hidden seconds; hidden=0 stops while hidden),
// polls at once when the page is shown again, on focus and on online, never has
// two requests in flight, backs off with full jitter on network errors and 5xx,
// honours Retry-After on 429/503, and on 410 asks onResync() for a fresh cursor.
// Across tabs one instance per token and params polls (Web Locks); the others get
// the same changes over a BroadcastChannel and take over when the poller closes.

export function parsePollInterval(value) {
  const out = {};
  for (const part of String(value || "").split(",")) {
    const [key, raw] = part.split("=").map((s) => s && s.trim());
    if (key && raw !== undefined && /^\d+(\.\d+)?$/.test(raw)) out[key] = Number(raw);
  }
  return out;
}

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
export function tokenFromFragment(win = globalThis) {
  const m = win.location.hash.match(/token=([^&]+)/);
  if (m) {
    win.sessionStorage.setItem("pollfeed-token", decodeURIComponent(m[1]));
    win.history.replaceState(null, "", win.location.pathname + win.location.search);
  }
  return win.sessionStorage.getItem("pollfeed-token");
}

/** A new Idempotency-Key: a random UUID where the browser has one, else 128 random bits in hex. */
export function newKey(random = Math.random) {
  if (globalThis.crypto && globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  let out = "";
  for (let i = 0; i < 32; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

export class Pollfeed {
  constructor({
    baseUrl = "", token, params = {}, cursor = null, onChanges, onResync, onError, onState,
    fetch: fetchImpl, window: win = globalThis, maxBackoffMs = 60000, crossTab = true, random = Math.random,
  } = {}) {
    Object.assign(this, { baseUrl, token, params, cursor, onChanges, onResync, onError, onState, maxBackoffMs,
      crossTab, random });
    this.win = win;
    this.fetchImpl = fetchImpl || ((...a) => win.fetch(...a));
    this.interval = { visible: 5, hidden: 60 };
    this.stats = { ok: 0, notModified: 0, errors: 0, lastPoll: null, leader: false, state: "stopped" };
    this.handlers = new Map();
    this.cache = new Map();
    this.running = false;
    this.inFlight = false;
    this.again = false;
    this.timer = null;
    this.failures = 0;
    this.feedEtag = null;
    this.key = "pollfeed:" + hash(String(token) + "|" + JSON.stringify(params));
    this.visibleTabs = new Map();
    this._onVisibility = () => this._visibilityChanged();
    this._onWake = () => this.pollNow();
  }

  // --- public API -----------------------------------------------------------

  subscribe(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type).delete(handler);
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
    clearTimeout(this.timer);
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
    clearTimeout(this.timer);
    this._poll();
  }

  setCursor(cursor) {
    this.cursor = cursor;
    this.feedEtag = null;
  }

  get visible() {
    const doc = this.win.document;
    return !doc || doc.visibilityState === "visible";
  }

  /** GET a JSON resource, revalidating a cached copy with If-None-Match. */
  async fetchJSON(url) {
    const full = this._url(url);
    const cached = this.cache.get(full);
    const headers = this._headers();
    if (cached) headers["If-None-Match"] = cached.etag;
    const res = await this.fetchImpl(full, { headers, cache: "no-store" });
    if (res.status === 304 && cached) return cached.body;
    if (!res.ok) throw await this._error(res);
    const body = await res.json();
    const etag = res.headers.get("ETag");
    if (etag) this.cache.set(full, { etag, body });
    return body;
  }

  /** POST `body` with a fresh Idempotency-Key. A network error, 429 or 503 is retried (after
   *  Retry-After, or a jittered backoff) with the same key, so a create whose answer was lost is
   *  created once: the server answers a retry with the first response. */
  async create(url, body, { retries = 3 } = {}) {
    const key = newKey(this.random);
    const headers = { ...this._headers(), "Content-Type": "application/json", "Idempotency-Key": key };
    for (let attempt = 0; ; attempt++) {
      let res = null;
      try {
        res = await this.fetchImpl(this._url(url), { method: "POST", headers, body: JSON.stringify(body),
          cache: "no-store" });
      } catch (err) {
        if (attempt >= retries) throw err;
      }
      if (res && res.ok) {
        return { body: res.status === 204 ? null : await res.json(), etag: res.headers.get("ETag"), key };
      }
      if (res && ((res.status !== 429 && res.status !== 503) || attempt >= retries)) throw await this._error(res);
      const wait = res ? retryAfterMs(res.headers.get("Retry-After")) : null;
      await new Promise((r) => setTimeout(r, wait ?? Math.floor(this.random() * 1000 * 2 ** attempt)));
    }
  }

  // The ETag of what fetchJSON last returned for `url` (for If-Match), or null.
  etagOf(url) {
    const cached = this.cache.get(this._url(url));
    return cached ? cached.etag : null;
  }

  // --- polling --------------------------------------------------------------

  _url(path) {
    return /^https?:/.test(path) ? path : this.baseUrl + path;
  }

  _headers() {
    const h = { Accept: "application/json" };
    if (this.token) h.Authorization = "Bearer " + this.token;
    return h;
  }

  async _error(res) {
    let problem = null;
    try { problem = await res.json(); } catch (e) { /* not JSON */ }
    const err = new Error((problem && (problem.detail || problem.title)) || "HTTP " + res.status);
    err.status = res.status;
    err.problem = problem;
    err.etag = res.headers.get("ETag");
    return err;
  }

  _feedUrl() {
    const q = new URLSearchParams();
    if (this.cursor) q.set("since", this.cursor);
    for (const [k, v] of Object.entries(this.params)) if (v != null) q.set(k, v);
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

  currentIntervalSeconds() {
    return this._anyVisible() ? this.interval.visible : this.interval.hidden;
  }

  async _poll() {
    this.inFlight = true;
    let delay;
    try {
      const headers = this._headers();
      if (this.feedEtag) headers["If-None-Match"] = this.feedEtag;
      const res = await this.fetchImpl(this._feedUrl(), { headers, cache: "no-store" });
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
        this.onError && this.onError(err);
        delay = Math.max(this._backoff(), 1000);
      }
    } catch (err) {
      this.stats.errors++;
      this.failures++;
      this.onError && this.onError(err);
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
      this.onError && this.onError(err);
      return null;
    }
  }

  _schedule(delay) {
    clearTimeout(this.timer);
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
    for (const change of changes) {
      const set = this.handlers.get(change.type);
      if (set) for (const h of set) h(change);
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
    this.channel = new this.win.BroadcastChannel(this.key);
    this.channel.onmessage = (e) => this._message(e.data);
    this.channel.postMessage({ kind: "visible", id: this.tabId, visible: this.visible });
    this._setLeader(false, "following");
    locks.request(this.key, () => new Promise((resolve) => {
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

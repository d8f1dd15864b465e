"use client"; // Next's App Router: the hooks run in client components (a server component may import the module)
// pollfeed/react: hooks over one shared Pollfeed per token and filter. Needs react (18 or 19), and
// nothing else; safe to import and render on a server: feeds start in effects, which run only in the
// browser.
//
//   const feed = useFeed({ baseUrl, token, params: { project } });        // one per token + params
//   const { data, update, conflict } = useResource(feed, `/tasks/${id}`); // 304s keep data, no re-render
//   useChanges(feed, "task", (change) => toast(change.id));               // a subscription
//
// A resource refetches (If-None-Match) when a change in the feed names it: by default a change whose
// `id`, or any of whose `*_id` fields, is one of the URL's path segments (`/tasks/7` hears task 7;
// `/projects/3/tasks` hears every change in project 3). Pass `match` to say otherwise.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { ConflictError, Pollfeed } from "./pollfeed.js";

/** @typedef {import("./pollfeed.js").Change} Change */
/** @typedef {import("./pollfeed.js").PollfeedOptions} PollfeedOptions */
/** @typedef {import("./pollfeed.js").WriteResult} WriteResult */

/** @type {Map<string, {feed: Pollfeed, users: number}>} */
const FEEDS = new Map();

/** @param {PollfeedOptions} options */
function feedKey(options) {
  return JSON.stringify([options.baseUrl || "", options.token || null, options.params || {},
    options.credentials || null]);
}

/**
 * The Pollfeed for these options, shared by every component that asks for the same token, base URL
 * and params: the first to mount starts it, the last to unmount stops it. Across tabs, one of them
 * polls (the core's Web Locks election). Callbacks in `options` are the first caller's.
 * @param {PollfeedOptions} options
 * @returns {Pollfeed}
 */
export function useFeed(options) {
  const key = feedKey(options);
  const entry = useMemo(() => {
    let found = FEEDS.get(key);
    if (!found) {
      found = { feed: new Pollfeed(options), users: 0 };
      // Kept at once, so components rendered together share it; on a server nothing is kept.
      if (typeof window !== "undefined") FEEDS.set(key, found);
    }
    return found;
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!FEEDS.has(key)) FEEDS.set(key, entry); // back after the last user left (StrictMode's remount)
    if (entry.users++ === 0) entry.feed.start();
    return () => {
      if (--entry.users === 0) {
        entry.feed.stop();
        if (FEEDS.get(key) === entry) FEEDS.delete(key);
      }
    };
  }, [key, entry]);
  return entry.feed;
}

/**
 * Call `handler` for each change of `type` ("*": every change) while the component is mounted. The
 * latest `handler` is called; changing it does not resubscribe.
 * @param {Pollfeed} feed
 * @param {string} type
 * @param {(change: Change) => void} handler
 */
export function useChanges(feed, type, handler) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => feed.subscribe(type, (change) => latest.current(change)), [feed, type]);
}

/**
 * Whether `change` is about the resource at `url`: its id, or one of its `*_id` fields, is one of
 * the URL's path segments.
 * @param {string} url
 * @param {Change} change
 * @returns {boolean}
 */
export function namesResource(url, change) {
  const segments = new Set(url.split("?")[0].split("/").filter(Boolean));
  if (segments.has(String(change.id))) return true;
  for (const [name, value] of Object.entries(change)) {
    if (name.endsWith("_id") && value != null && segments.has(String(value))) return true;
  }
  return false;
}

/**
 * A conflict waiting for the user: the write that met a 412, and the server's body and tag now.
 * @typedef {object} Conflict
 * @property {any} mine the patch that was refused
 * @property {any} theirs the server's current body (null: deleted)
 * @property {string | null} etag the server's current tag
 * @property {() => Promise<WriteResult | undefined>} overwrite write `mine` again over theirs
 * @property {(patch: any) => Promise<WriteResult | undefined>} merge write `patch` (say, mine merged
 *   into theirs) over theirs
 * @property {() => void} discard keep theirs, drop mine
 */

/**
 * @template T
 * @typedef {object} ResourceState
 * @property {T | undefined} data the body, once loaded
 * @property {string | null} etag its tag
 * @property {Error | null} error the last load's or write's error (not a conflict)
 * @property {boolean} loading
 * @property {Conflict | null} conflict a 412 waiting for the user's choice
 * @property {() => Promise<void>} refetch
 * @property {(patch: any) => Promise<WriteResult | undefined>} update PATCH with If-Match
 */

/**
 * A resource kept fresh by the feed: fetched with If-None-Match on mount, and again whenever a change
 * names it (`match`). A 304 keeps the very object it had, so the component does not re-render.
 * `update(patch)` sends If-Match; a 412 becomes `conflict`, never an overwrite.
 * @template [T=any]
 * @param {Pollfeed} feed
 * @param {string | null} url null: nothing yet (a dependent query)
 * @param {{match?: (change: Change) => boolean}} [options]
 * @returns {ResourceState<T>}
 */
export function useResource(feed, url, options = {}) {
  const [data, setData] = useState(/** @type {T | undefined} */ (undefined));
  const [error, setError] = useState(/** @type {Error | null} */ (null));
  const [loading, setLoading] = useState(url != null);
  const [conflict, setConflict] = useState(/** @type {Conflict | null} */ (null));
  const match = useRef(options.match);
  match.current = options.match;

  const refetch = useCallback(async () => {
    if (url == null) return;
    try {
      const body = await feed.fetchJSON(url);
      setData(body); // the same object after a 304: React bails out
      setError(null);
    } catch (err) {
      setError(/** @type {Error} */ (err));
    } finally {
      setLoading(false);
    }
  }, [feed, url]);

  useEffect(() => {
    if (url == null) return undefined;
    refetch();
    return feed.subscribe("*", (change) => {
      if (match.current ? match.current(change) : namesResource(url, change)) refetch();
    });
  }, [feed, url, refetch]);

  /** @type {(patch: any, ifMatch?: string | null) => Promise<WriteResult | undefined>} */
  const write = useCallback(async (patch, ifMatch) => {
    if (url == null) return undefined;
    try {
      const result = await feed.update(url, patch, ifMatch === undefined ? {} : { ifMatch });
      setConflict(null);
      setData(result.body);
      return result;
    } catch (err) {
      if (err instanceof ConflictError) {
        setData(err.current == null ? undefined : err.current);
        setConflict({
          mine: patch, theirs: err.current, etag: err.etag,
          overwrite: () => write(patch, err.etag),
          merge: (merged) => write(merged, err.etag),
          discard: () => setConflict(null),
        });
        return undefined;
      }
      setError(/** @type {Error} */ (err));
      throw err;
    }
  }, [feed, url]);

  return { data, etag: url == null ? null : feed.etagOf(url), error, loading, conflict, refetch,
    update: (patch) => write(patch) };
}

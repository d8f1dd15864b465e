// pollfeed/tanstack: binds a Pollfeed to a TanStack QueryClient. No dependencies of its own: the app
// passes its QueryClient in (@tanstack/query-core or @tanstack/react-query, version 5).
//
//   import { Pollfeed } from "pollfeed";
//   import { invalidateOnChanges, conditionalQueryFn, updateMutation } from "pollfeed/tanstack";
//   const feed = new Pollfeed({ baseUrl, token, params: { project }, cursor });
//   const stop = invalidateOnChanges(feed, queryClient, {
//     task: (c) => [["tasks", c.id], ["projects", c.project_id]],
//     status: (c) => [["projects", c.project_id]],
//   });
//   useQuery({ queryKey: ["tasks", id], queryFn: conditionalQueryFn(feed, ([, id]) => `/tasks/${id}`) });
//   useMutation(updateMutation(feed, queryClient, ({ id }) => `/tasks/${id}`, (v) => [["tasks", v.id]]));
//   feed.start();
//
// A change invalidates exactly the keys its type maps to (TanStack's prefix match), once per key per
// batch of changes however many changes name it; types not in the map invalidate nothing. The query
// function revalidates with If-None-Match through the feed's ETag cache (fetchJSON): a query whose
// resource did not change costs a 304 and returns the very data it had, so TanStack keeps it (and its
// structural sharing re-renders nothing). Its ETag is at hand for If-Match (feed.etagOf).

/** @typedef {import("./pollfeed.js").Pollfeed} Pollfeed */
/** @typedef {import("./pollfeed.js").Change} Change */
/** @typedef {readonly unknown[]} QueryKey */

/**
 * The part of a QueryClient this module uses (TanStack Query 5's QueryClient has it).
 * @typedef {object} QueryClientLike
 * @property {(filters: {queryKey: QueryKey}) => Promise<void>} invalidateQueries
 * @property {(queryKey: QueryKey, data: unknown) => unknown} setQueryData
 */

/**
 * Invalidate the queries each change maps to; returns the function that stops it.
 * @param {Pollfeed} feed
 * @param {QueryClientLike} queryClient
 * @param {Record<string, (change: Change) => (QueryKey[] | null | undefined)>} keysFor change type ->
 *   the query keys its changes invalidate
 * @returns {() => void}
 */
export function invalidateOnChanges(feed, queryClient, keysFor) {
  /** @type {Map<string, QueryKey>} */
  const pending = new Map();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const keys = [...pending.values()];
    pending.clear();
    for (const queryKey of keys) queryClient.invalidateQueries({ queryKey });
  };
  const offs = Object.entries(keysFor).map(([type, keysOf]) =>
    feed.subscribe(type, (change) => {
      for (const key of keysOf(change) || []) pending.set(JSON.stringify(key), key);
      if (!scheduled && pending.size) {
        scheduled = true;
        queueMicrotask(flush); // one invalidation per key for a whole page of changes
      }
    }));
  return () => offs.forEach((off) => off());
}

/**
 * A queryFn that GETs `urlFor(queryKey)` with If-None-Match: a 304 returns the data it had.
 * @template T
 * @param {Pollfeed} feed
 * @param {(queryKey: any) => string} urlFor
 * @returns {(context: {queryKey: QueryKey}) => Promise<T>}
 */
export function conditionalQueryFn(feed, urlFor) {
  return ({ queryKey }) => feed.fetchJSON(urlFor(queryKey));
}

/**
 * Mutation options for `useMutation` (or `new MutationObserver`): a PATCH through feed.update, with
 * If-Match from the feed's cache. On success the keys `keysOf(variables)` get the server's new body
 * (no refetch). A 412 rejects with the ConflictError (`error.current`, `error.etag`): show it, and
 * let the user retry on theirs, overwrite (`mutate({...variables, ifMatch: error.etag})`) or merge.
 * @template {{patch: any, ifMatch?: string | null, [name: string]: any}} V the variables: the patch, an
 *   If-Match to send instead of the cached tag, and whatever else `urlOf` and `keysOf` read (an id)
 * @param {Pollfeed} feed
 * @param {QueryClientLike} queryClient
 * @param {(variables: V) => string} urlOf
 * @param {(variables: V) => QueryKey[]} [keysOf]
 */
export function updateMutation(feed, queryClient, urlOf, keysOf) {
  return {
    /** @param {V} variables */
    mutationFn: (variables) => feed.update(urlOf(variables), variables.patch,
      variables.ifMatch === undefined ? {} : { ifMatch: variables.ifMatch }),
    /** @param {import("./pollfeed.js").WriteResult} result @param {V} variables */
    onSuccess: (result, variables) => {
      for (const key of keysOf ? keysOf(variables) : []) queryClient.setQueryData(key, result.body);
    },
  };
}

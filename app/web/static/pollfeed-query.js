// pollfeed-query.js: binds a Pollfeed (pollfeed.js) to a TanStack QueryClient. ES module, no build
// step, no dependencies of its own: the app passes its QueryClient in.
//
//   import { Pollfeed } from "/static/pollfeed.js";
//   import { invalidateOnChanges, conditionalQueryFn } from "/static/pollfeed-query.js";
//   const feed = new Pollfeed({ baseUrl, token, params: { project }, cursor });
//   const stop = invalidateOnChanges(feed, queryClient, {
//     task: (c) => [["tasks", c.id], ["projects", c.project_id]],
//     status: (c) => [["projects", c.project_id]],
//   });
//   useQuery({ queryKey: ["tasks", id], queryFn: conditionalQueryFn(feed, ([, id]) => `/tasks/${id}`) });
//   feed.start();
//
// A change invalidates exactly the keys its type maps to (TanStack's prefix match), once per key per
// batch of changes however many changes name it; types not in the map invalidate nothing. The query
// function revalidates with If-None-Match through the feed's ETag cache (fetchJSON): a query whose
// resource did not change costs a 304 and keeps its data, in any runtime, and its ETag is at hand for
// If-Match (feed.etagOf). A plain fetch() sends 304s too in Chromium, whose HTTP cache revalidates
// these private, no-cache answers by itself (measured: tests/web/test_tanstack.py, docs/tanstack-query.md).

export function invalidateOnChanges(feed, queryClient, keysFor) {
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

export function conditionalQueryFn(feed, urlFor) {
  return ({ queryKey }) => feed.fetchJSON(urlFor(queryKey));
}

// A React app as a team would write it, on the packed npm package (installed from its tarball):
// one task, kept fresh by the feed, edited with If-Match, conflicts shown, writes queued offline.
// ?mode=twins: two components asking useFeed for the same feed; ?mode=tanstack: a TanStack Query
// client with the package's query function and update mutation.
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { MutationObserver, QueryClient } from "@tanstack/query-core";
import { ConflictError, Pollfeed } from "pollfeed";
import { useChanges, useFeed, useResource } from "pollfeed/react";
import { conditionalQueryFn, updateMutation } from "pollfeed/tanstack";
import { WriteQueue } from "pollfeed/offline";

const q = new URLSearchParams(location.search);
const api = q.get("api"), token = q.get("token"), project = q.get("project");
window.renders = 0;

function Task({ feed, queue, id }) {
  window.renders++;
  const task = useResource(feed, `/tasks/${id}`);
  const [draft, setDraft] = useState("");
  if (!task.data) return <p>loading</p>;
  return (
    <section data-task={id}>
      <h2 className="title">{task.data.title}</h2>
      <input className="draft" value={draft} onChange={(e) => setDraft(e.target.value)} />
      <button className="save" onClick={() => task.update({ title: draft })}>Save</button>
      <button className="queue" onClick={() => queue.update(`/tasks/${id}`, { title: draft })}>Save (queued)</button>
      {task.conflict && (
        <div className="conflict">
          Changed meanwhile: <span className="theirs">{task.conflict.theirs && task.conflict.theirs.title}</span>
          <button className="overwrite" onClick={() => task.conflict.overwrite()}>Keep mine</button>
          <button className="discard" onClick={() => task.conflict.discard()}>Keep theirs</button>
        </div>
      )}
    </section>
  );
}

function Queue({ queue }) {
  const [state, setState] = useState(queue.state);
  useEffect(() => queue.subscribe(setState), [queue]);
  window.queueState = state;
  return (
    <aside>
      <span className="pending">{state.pending.length}</span> pending,
      <span className="conflicts">{state.conflicts.length}</span> conflicts
      <ul>{state.conflicts.map((c) => <li key={c.seq} className="queued-conflict">{c.url}: {c.theirs && c.theirs.title}</li>)}</ul>
    </aside>
  );
}

function App() {
  const feed = useFeed({ baseUrl: api, token, params: { project } });
  const [queue] = useState(() => new WriteQueue(feed));
  useEffect(() => { queue.start(); return () => queue.stop(); }, [queue]);
  window.feed = feed;
  return (
    <main>
      {q.get("tasks").split(",").map((id) => <Task key={id} feed={feed} queue={queue} id={id} />)}
      <Queue queue={queue} />
    </main>
  );
}

// --- ?mode=twins: one feed for every component that asks for the same token and params ---------

window.feedsSeen = new Set();

function Twin({ name }) {
  const feed = useFeed({ baseUrl: api, token, params: { project } });
  const [heard, setHeard] = useState(0);
  useEffect(() => { window.feedsSeen.add(feed); }, [feed]);
  useChanges(feed, "task", () => setHeard((n) => n + 1));
  window.feed = feed;
  return <p className={`twin twin-${name}`} data-heard={heard}>{name}: {heard} changes</p>;
}

function Twins() {
  const [shown, setShown] = useState({ a: true, b: true });
  const hide = (name) => setShown((s) => ({ ...s, [name]: false }));
  return (
    <main>
      {shown.a && <Twin name="a" />}
      {shown.b && <Twin name="b" />}
      <button className="hide-a" onClick={() => hide("a")}>Unmount a</button>
      <button className="hide-b" onClick={() => hide("b")}>Unmount b</button>
    </main>
  );
}

// --- ?mode=tanstack: queries through the feed's ETag cache, mutations with If-Match ------------

function tanstack() {
  const client = new QueryClient();
  const feed = new Pollfeed({ baseUrl: api, token, params: { project } });
  const queryFn = conditionalQueryFn(feed, ([, id]) => `/tasks/${id}`);
  const save = updateMutation(feed, client, (v) => `/tasks/${v.id}`, (v) => [["tasks", v.id]]);
  window.tq = {
    client,
    load: (id) => client.fetchQuery({ queryKey: ["tasks", id], queryFn }),
    data: (id) => client.getQueryData(["tasks", id]),
    etag: (id) => feed.etagOf(`/tasks/${id}`),
    // What a component's useMutation gets: the observer's state after mutate, as plain data.
    save: async (id, title, ifMatch) => {
      const observer = new MutationObserver(client, save);
      try {
        const result = await observer.mutate(ifMatch === undefined ? { id, patch: { title } } : { id, patch: { title }, ifMatch });
        return { ok: true, etag: result.etag, status: observer.getCurrentResult().status };
      } catch (err) {
        const state = observer.getCurrentResult();
        return { ok: false, status: state.status, conflict: err instanceof ConflictError && state.error === err,
          httpStatus: err.status, theirs: err.current, etag: err.etag };
      }
    },
  };
  document.getElementById("root").textContent = "tanstack ready";
}

const mode = q.get("mode");
if (mode === "tanstack") tanstack();
else createRoot(document.getElementById("root")).render(mode === "twins" ? <Twins /> : <App />);

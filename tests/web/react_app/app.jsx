// A React app as a team would write it, on the packed npm package (installed from its tarball):
// one task, kept fresh by the feed, edited with If-Match, conflicts shown, writes queued offline.
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { useFeed, useResource } from "pollfeed/react";
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

createRoot(document.getElementById("root")).render(<App />);

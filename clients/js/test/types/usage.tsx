// How a TypeScript app uses the package: every line must type-check, and every @ts-expect-error
// must be an error (tsc reports an unused one), so a type that turns `any` or wrong fails the check.
import { ConflictError, Pollfeed, PollfeedError, parsePollInterval, type Change, type ChangesPage } from "pollfeed";
import { useChanges, useFeed, useResource } from "pollfeed/react";
import { conditionalQueryFn, invalidateOnChanges, updateMutation } from "pollfeed/tanstack";
import { WriteQueue, memoryStore, type QueueState } from "pollfeed/offline";
import { QueryClient } from "@tanstack/query-core";

const feed = new Pollfeed({ baseUrl: "https://api.example.com", token: "t", params: { project: "p1" },
  credentials: "include", refreshToken: async () => "new", onChanges: (changes, next) => {
    const first: Change | undefined = changes[0];
    const op: "create" | "update" | "delete" | undefined = first?.op;
    const cursor: string = next;
    void op; void cursor;
  } });
// @ts-expect-error: the interval options are numbers of milliseconds, not strings
new Pollfeed({ maxBackoffMs: "60s" });
// @ts-expect-error: no such option
new Pollfeed({ tokn: "t" });

const off: () => void = feed.subscribe("task", (change) => {
  const id: string = change.id;
  const version: number = change.version;
  // @ts-expect-error: a version is a number
  const wrong: string = change.version;
  void id; void version; void wrong;
});
off();

async function writes() {
  const made = await feed.create("/projects/p1/tasks", { title: "x" });
  const etag: string | null = made.etag;
  const replayed: boolean = made.replayed;
  try {
    await feed.update("/tasks/1", { title: "y" }, { ifMatch: etag });
  } catch (err) {
    if (err instanceof ConflictError) {
      const theirs: unknown = err.current;
      const status: number = err.status;
      void theirs; void status;
    } else if (err instanceof PollfeedError) {
      const detail: string | undefined = err.problem?.detail;
      void detail;
    }
  }
  // @ts-expect-error: a write option is a tag, not a number
  await feed.update("/tasks/1", {}, { ifMatch: 3 });
  void replayed;
}
void writes;

const advice = parsePollInterval("visible=5, hidden=60");
const visible: number | undefined = advice.visible;
void visible;

const page: ChangesPage = { changes: [], next: "1.2.3", has_more: false };
// @ts-expect-error: has_more is a boolean
const badPage: ChangesPage = { changes: [], next: "1.2.3", has_more: "no" };
void page; void badPage;

function TaskTitle({ id }: { id: string }) {
  const live = useFeed({ token: "t", params: { project: "p1" } });
  const task = useResource<{ title: string }>(live, `/tasks/${id}`);
  useChanges(live, "task", (change) => { void change.id; });
  if (task.conflict) task.conflict.overwrite();
  // @ts-expect-error: the resource's data is typed by the caller
  const n: number | undefined = task.data?.title;
  void n;
  return <h2>{task.data?.title}</h2>;
}
void TaskTitle;

const client = new QueryClient();
const stop: () => void = invalidateOnChanges(feed, client, { task: (c) => [["tasks", c.id]] });
stop();
const queryFn = conditionalQueryFn<{ title: string }>(feed, ([, id]) => `/tasks/${id}`);
void queryFn;
const mutation = updateMutation(feed, client, (v: { id: string; patch: { title: string } }) => `/tasks/${v.id}`,
  (v) => [["tasks", v.id]]);
void mutation.mutationFn({ id: "1", patch: { title: "z" } });

const queue = new WriteQueue(feed, { store: memoryStore(), ttlMs: 86_400_000 });
queue.subscribe((state: QueueState) => { void state.conflicts.map((c) => c.theirsEtag); });
void queue.update("/tasks/1", { title: "offline" });
void queue.update("/tasks/1", { title: "sent once, answer lost" }, { ifMatch: '"v1"', key: "its-first-key" });
new WriteQueue(feed, { ttl: "48h" }); // the server's IDEMPOTENCY_TTL, as it is written there
// @ts-expect-error: ttl is the server's text ("24h"); a number of milliseconds is ttlMs
new WriteQueue(feed, { ttl: 86_400_000 });
// @ts-expect-error: a queue takes the methods of writes only
void queue.enqueue("GET", "/tasks/1", undefined);

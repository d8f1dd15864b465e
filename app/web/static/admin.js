// The admin chart: every EVERY ms, the counter totals from /admin/stats (the same counters as
// /metrics, summed over the host's workers); each bar is what happened since the previous sample.
import { tokenFromFragment } from "/static/pollfeed.js";

const EVERY = Number(new URLSearchParams(location.search).get("every") || 2000);
const KEEP = 150; // samples: five minutes at 2 s
const $ = (sel) => document.querySelector(sel);
const samples = [];


const NS = "http://www.w3.org/2000/svg";
function el(name, attrs) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function draw() {
  const svg = $("#chart");
  svg.replaceChildren();
  const steps = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i], dt = Math.max(b.at - a.at, 0.001);
    steps.push({ ok: (b.polls_200 - a.polls_200) / dt, nm: (b.polls_304 - a.polls_304) / dt,
      writes: (b.writes - a.writes) / dt, shed: b.shed - a.shed, advice: b.advice.visible });
  }
  const top = Math.max(1, ...steps.map((s) => s.ok + s.nm + s.writes));
  const w = 720 / KEEP;
  steps.forEach((s, i) => {
    const x = (KEEP - steps.length + i) * w;
    const h304 = (s.nm / top) * 180, h200 = (s.ok / top) * 180, hw = (s.writes / top) * 180;
    svg.append(el("rect", { class: "p304", x, y: 200 - h304, width: w - 1, height: h304, fill: "#3a3" }));
    svg.append(el("rect", { class: "p200", x, y: 200 - h304 - h200, width: w - 1, height: h200, fill: "#999" }));
    svg.append(el("rect", { class: "write", x, y: 200 - h304 - h200 - hw, width: w - 1, height: hw, fill: "#36c" }));
  });
  const last = steps[steps.length - 1];
  if (last) {
    const polls = last.ok + last.nm;
    $("#rate").textContent = polls.toFixed(1);
    $("#share").textContent = polls ? Math.round((100 * last.nm) / polls) + "%" : "-";
    $("#writes").textContent = last.writes.toFixed(1);
  }
  const now = samples[samples.length - 1];
  $("#shed").textContent = String(now.shed);
  $("#advice").textContent = `visible ${now.advice.visible} s, hidden ${now.advice.hidden} s`;
  $("#delay").textContent = now.queue_delay_ms + " ms";
}

async function sample(auth) {
  try {
    const res = await fetch("/admin/stats", { headers: { Authorization: "Bearer " + auth }, cache: "no-store" });
    if (!res.ok) throw new Error(res.status === 404 ? "admins only" : "HTTP " + res.status);
    samples.push(await res.json());
    if (samples.length > KEEP + 1) samples.shift();
    $("#message").textContent = "";
    draw();
  } catch (err) {
    $("#message").textContent = "Stats: " + err.message;
  }
}

const auth = tokenFromFragment();
if (!auth) {
  $("#message").textContent = "Open this page as /admin#token=<an admin's token>.";
} else {
  sample(auth);
  setInterval(() => sample(auth), EVERY);
}

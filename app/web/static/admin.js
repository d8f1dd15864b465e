// The admin chart: every EVERY ms, the counter totals from /admin/stats (the same counters as
// /metrics, summed over the host's workers). Each bar is what happened between two samples, per
// second, stacked by kind; below it, the poll interval the server advised at each sample. Drawn by
// hand in SVG: a few dozen lines cost less than a charting library the page would have to vendor.
import { tokenFromFragment } from "/static/pollfeed.js";

const EVERY = Number(new URLSearchParams(location.search).get("every") || 2000);
const KEEP = 150; // samples: five minutes at 2 s
const WINDOW = (KEEP * EVERY) / 1000; // seconds across the chart
const $ = (sel) => document.querySelector(sel);
const samples = [];

// The geometry, in the SVG's viewBox units (admin.html): a legend, then two panels on one time axis.
const LEFT = 56, RIGHT = 672;
const RATES = { top: 50, bottom: 210 };
const ADVICE = { top: 248, bottom: 318 };
const TIME_LABELS = 336;

// Stacked bottom to top; the class names are admin.css's colours.
const KINDS = [["p304", "304s"], ["p200", "200s"], ["write", "writes"], ["shed", "shed"]];
const PAGES = [["visible", "advised, visible page"], ["hidden", "advised, hidden page"]];

const NS = "http://www.w3.org/2000/svg";
function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round step (1, 2 or 5 times a power of ten) that cuts 0..max into about `n` parts. */
function niceStep(max, n) {
  const raw = max / n, mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

/** 1-2-5 values from the one at or below `lo` to the one at or above `hi`: the advice axis's ticks. */
function ticks125(lo, hi) {
  const all = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) {
    for (const m of [1, 2, 5]) all.push(Number((m * 10 ** e).toPrecision(1)));
  }
  const first = all.findLastIndex((v) => v <= lo), last = all.findIndex((v) => v >= hi);
  return all.slice(first, Math.max(last, first + 1) + 1);
}

const pad = (n) => String(n).padStart(2, "0");
function clock(seconds, withSeconds) {
  const d = new Date(seconds * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}` + (withSeconds ? `:${pad(d.getSeconds())}` : "");
}
const perSecond = (v, digits = 1) => (v >= 10 || v === 0 ? Math.round(v) : v.toFixed(digits)) + "/s";

function legend(svg) {
  const g = svg.appendChild(el("g", { class: "legend" }));
  let x = LEFT;
  for (const [kind, label] of [...KINDS, ...PAGES.map(([p, l]) => ["advice " + p, l])]) {
    const key = g.appendChild(el("g", { class: "entry", "data-series": kind.replace("advice ", "advice-") }));
    key.append(el("rect", { class: "key " + kind, x, y: 10, width: 12, height: 12, rx: 2 }));
    const text = key.appendChild(el("text", { x: x + 16, y: 20 }, label));
    x += 16 + text.getComputedTextLength() + 18;
  }
}

function draw() {
  const svg = $("#chart");
  svg.replaceChildren();
  const end = samples[samples.length - 1].at, start = end - WINDOW;
  const x = (t) => LEFT + ((t - start) / WINDOW) * (RIGHT - LEFT);

  const steps = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i], dt = Math.max(b.at - a.at, 0.001);
    // A restarted server counts from zero again: a step back is no negative traffic.
    const rate = (k) => Math.max(b[k] - a[k], 0) / dt;
    steps.push({ from: Math.max(a.at, start), to: b.at, p304: rate("polls_304"), p200: rate("polls_200"),
      write: rate("writes"), shed: rate("shed") });
  }

  // Time: a tick every round number of seconds, about six across, as wall-clock labels.
  const every = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].find((s) => WINDOW / s <= 6) || 3600;
  const grid = svg.appendChild(el("g", { class: "grid" }));
  const times = svg.appendChild(el("g", { class: "axis x" }));
  for (let t = Math.ceil(start / every) * every; t <= end; t += every) {
    grid.append(el("line", { x1: x(t), x2: x(t), y1: RATES.top, y2: ADVICE.bottom }));
    times.append(el("text", { x: x(t), y: TIME_LABELS }, clock(t, every < 60)));
  }
  times.append(el("line", { class: "base", x1: LEFT, x2: RIGHT, y1: ADVICE.bottom, y2: ADVICE.bottom }));

  // Requests per second, stacked by kind, on a round scale.
  const max = Math.max(...steps.map((s) => KINDS.reduce((sum, [k]) => sum + s[k], 0)), 0);
  const step = niceStep(max || 1, 4), top = Math.max(step * Math.ceil(max / step), step);
  const y = (v) => RATES.bottom - (v / top) * (RATES.bottom - RATES.top);
  const rates = svg.appendChild(el("g", { class: "axis y" }));
  svg.append(el("text", { class: "title", x: LEFT, y: RATES.top - 10 }, "requests per second"));
  for (let v = 0; v <= top + step / 2; v += step) {
    rates.append(el("line", { x1: LEFT - 4, x2: RIGHT, y1: y(v), y2: y(v), class: v ? "" : "base" }));
    rates.append(el("text", { x: LEFT - 6, y: y(v) }, perSecond(v, Math.max(0, -Math.floor(Math.log10(step))))));
  }
  const bars = svg.appendChild(el("g", { class: "bars" }));
  for (const s of steps) {
    if (s.to <= start) continue;
    const g = bars.appendChild(el("g", { class: "step" }));
    g.append(el("title", {}, clock(s.to, true) + "  " + KINDS.map(([k, l]) => `${l} ${perSecond(s[k])}`).join(" · ")));
    const left = x(s.from), width = x(s.to) - left, gap = width > 3 ? 1 : 0;
    let base = 0;
    for (const [kind] of KINDS) {
      g.append(el("rect", { class: "bar " + kind, x: left, y: y(base + s[kind]), width: Math.max(width - gap, 0.5),
        height: y(base) - y(base + s[kind]) }));
      base += s[kind];
    }
  }

  // The advice: its own panel and axis, logarithmic, so that the visible and the hidden interval
  // (5 s and 60 s by default) rise by the same height when overload multiplies both.
  const shown = samples.filter((s, i) => s.at >= start || samples[i + 1]?.at > start);
  const values = shown.flatMap((s) => [s.advice.visible, s.advice.hidden]).map((v) => Math.max(v, 0.1));
  const marks = ticks125(Math.min(...values), Math.max(...values));
  const lo = Math.log(marks[0]), hi = Math.log(marks[marks.length - 1]);
  const ya = (v) => ADVICE.bottom - ((Math.log(Math.max(v, 0.1)) - lo) / (hi - lo)) * (ADVICE.bottom - ADVICE.top);
  const axis = svg.appendChild(el("g", { class: "advice-axis" }));
  svg.append(el("text", { class: "title", x: LEFT, y: ADVICE.top - 10 }, "advised poll interval (log scale)"));
  let labelled = Infinity;
  for (const v of marks) {
    axis.append(el("line", { x1: LEFT - 4, x2: RIGHT, y1: ya(v), y2: ya(v) }));
    if (labelled - ya(v) >= 11) { // no label over its neighbour's
      axis.append(el("text", { x: LEFT - 6, y: ya(v) }, v + " s"));
      labelled = ya(v);
    }
  }
  const ends = [];
  for (const [page, label] of PAGES) {
    let d = "";
    shown.forEach((s, i) => {
      const px = Math.max(x(s.at), LEFT), py = ya(s.advice[page]);
      // What a sample says holds for the time up to it, as for the bars: down or up, then along.
      d += i ? ` V${py.toFixed(1)} H${px.toFixed(1)}` : `M${px.toFixed(1)} ${py.toFixed(1)}`;
    });
    const line = svg.appendChild(el("path", { class: "advice " + page, "data-series": "advice-" + page,
      d }));
    line.append(el("title", {}, label));
    ends.push({ page, y: ya(shown[shown.length - 1].advice[page]) });
  }
  if (Math.abs(ends[0].y - ends[1].y) < 12) { // the two current values apart, visible below hidden
    const mid = (ends[0].y + ends[1].y) / 2;
    ends[0].y = mid + 6;
    ends[1].y = mid - 6;
  }
  const now = samples[samples.length - 1];
  for (const { page, y: py } of ends) {
    svg.append(el("text", { class: "end advice-" + page, x: RIGHT + 6, y: py }, `${page} ${now.advice[page]} s`));
  }
  legend(svg);

  const last = steps[steps.length - 1];
  if (last) {
    const polls = last.p200 + last.p304;
    $("#rate").textContent = polls.toFixed(1);
    $("#share").textContent = polls ? Math.round((100 * last.p304) / polls) + "%" : "-";
    $("#writes").textContent = last.write.toFixed(1);
  }
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

// lendops console: polls the JSON endpoints every 2 s and redraws. No framework, no
// CDN; every value goes into the DOM as text (never as HTML), so span or status content
// cannot inject markup.
"use strict";

const REFRESH_MS = 2000;
let selectedTrace = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function setText(id, text) { document.getElementById(id).textContent = text ?? ""; }
function pct(x, digits = 2) { return x === null || x === undefined ? "–" : (100 * x).toFixed(digits) + " %"; }
function num(x, digits = 2) { return x === null || x === undefined ? "–" : Number(x).toFixed(digits); }
function ms(seconds) { return seconds === null || seconds === undefined ? "–" : (1000 * seconds).toFixed(1) + " ms"; }

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || body.title || ("HTTP " + response.status));
  return body;
}

function renderStatus(s) {
  const summary = document.getElementById("rollout-summary");
  if (!s.available) { summary.hidden = true; setText("rollout-message", s.message); return; }
  summary.hidden = false;
  setText("rollout-message", "");
  setText("rollout-name", s.name);
  const phase = document.getElementById("rollout-phase");
  phase.textContent = s.phase; phase.className = "phase phase-" + s.phase;
  setText("rollout-step", s.steps ? `${s.step + 1} of ${s.steps}` + (s.step_description ? ` — ${s.step_description}` : "")
                                  : String(s.step + 1));
  setText("rollout-weight", s.weight + " %");
  setText("rollout-cohort", s.cohort.length ? s.cohort.join(", ") : "none");
  setText("rollout-versions", `stable ${s.stable ?? "?"} → canary ${s.canary ?? "?"}`);
  setText("rollout-reason", s.reason);
  const decision = document.getElementById("rollout-decision");
  decision.textContent = s.decision || "none yet"; decision.className = "decision decision-" + (s.decision || "none");
  setText("rollout-result-reason", s.result_reason);
  const body = document.querySelector("#verdicts tbody");
  body.replaceChildren(...s.verdicts.map(v => {
    const row = el("tr", { class: "verdict verdict-" + v.decision, "data-metric": v.metric,
                           title: "show the canary's traces" + (v.decision === "fail" ? " that failed" : "") },
      el("td", { text: v.metric + (v.critical ? " (critical)" : "") }),
      el("td", {}, el("span", { class: "decision decision-" + v.decision, text: v.decision })),
      el("td", { text: v.judge || "" }),
      el("td", { class: "explanation", text: v.explanation || "", title: v.query || "" }));
    row.addEventListener("click", () => showCanaryTraces(v));
    return row;
  }));
  document.getElementById("rollout-history").replaceChildren(...s.history.map(h =>
    el("li", { text: [h.at ? new Date(h.at * 1000).toLocaleTimeString() : "", h.type || "", h.phase || "",
                      h.weight !== undefined ? h.weight + " %" : "", h.reason || ""].filter(Boolean).join(" · ") })));
}

function renderTracks(t) {
  setText("tracks-message", t.message || "");
  setText("tracks-source", t.source ? (t.source.kind === "prometheus" ? "from Prometheus " + t.source.url
                                                                      : "from direct scrapes") : "");
  const body = document.querySelector("#track-table tbody");
  body.replaceChildren(...t.tracks.map(n => el("tr", { id: "track-" + n.track, class: n.up ? "up" : "down",
                                                      "data-track": n.track, title: n.error || "" },
    el("td", { text: n.track }),
    el("td", { text: n.version || "–" }),
    el("td", { class: "num rate", text: num(n.request_rate) }),
    el("td", { class: "num errors", text: pct(n.error_ratio) }),
    el("td", { class: "num p99", text: ms(n.p99_s) }),
    el("td", { class: "num approval", text: pct(n.approval_rate, 1) }),
    el("td", { class: "muted", text: n.up ? `${n.basis} (${Math.round(n.requests)} requests)` : ("down: " + n.error) }))));
}

// From a verdict to its evidence: the canary's traces (failed ones for an error verdict,
// the slowest for a latency verdict).
function showCanaryTraces(verdict) {
  const form = document.getElementById("trace-filter");
  form.elements.track.value = "canary";
  form.elements.error.checked = /error/.test(verdict.metric) && verdict.decision === "fail";
  form.elements.route.value = "";
  form.elements.min_duration_ms.value = "";
  clearTimeout(timer);
  loop();
  document.getElementById("traces").scrollIntoView();
}

function traceQuery() {
  const form = document.getElementById("trace-filter");
  const q = new URLSearchParams();
  for (const name of ["track", "route", "min_duration_ms"]) {
    const value = form.elements[name].value.trim();
    if (value) q.set(name, value);
  }
  if (form.elements.error.checked) q.set("error", "true");
  q.set("limit", "50");
  return q.toString();
}

function renderTraces(data) {
  const routes = new Set();
  const body = document.querySelector("#trace-list tbody");
  body.replaceChildren(...data.traces.map(t => {
    if (t.route) routes.add(t.route);
    const row = el("tr", { class: (t.error ? "error " : "") + (t.trace_id === selectedTrace ? "selected" : ""),
                           "data-trace-id": t.trace_id, "data-route": t.route || "" },
      el("td", { text: new Date(t.start_ns / 1e6).toLocaleTimeString() }),
      el("td", { text: t.track || "" }),
      el("td", { text: t.root_name, title: t.trace_id }),
      el("td", { class: "num", text: t.duration_ms.toFixed(1) + " ms" }),
      el("td", { class: "num", text: t.span_count }));
    row.addEventListener("click", () => selectTrace(t.trace_id));
    return row;
  }));
  const list = document.getElementById("routes");
  for (const r of routes) if (![...list.options].some(o => o.value === r)) list.append(el("option", { value: r }));
  setText("traces-message", data.traces.length ? "" : "no traces match");
}

async function selectTrace(traceId) {
  selectedTrace = traceId;
  for (const row of document.querySelectorAll("#trace-list tbody tr"))
    row.classList.toggle("selected", row.dataset.traceId === traceId);
  try { renderWaterfall(await getJSON("/api/waterfall/" + traceId)); }
  catch (err) { setText("waterfall-title", String(err.message || err)); }
}

function renderWaterfall(w) {
  setText("waterfall-title", `trace ${w.trace_id} · ${w.duration_ms.toFixed(1)} ms · ${w.rows.length} spans`);
  document.getElementById("waterfall-rows").replaceChildren(...w.rows.map(r => {
    const attrs = Object.entries(r.attributes).map(([k, v]) => `${k}=${v}`).join("\n");
    const bar = el("div", { class: "wf-bar", title: `${r.name}\n+${r.offset_ms} ms, ${r.duration_ms} ms\n${attrs}` });
    bar.style.left = r.left_pct + "%";
    bar.style.width = r.width_pct + "%";
    const name = el("div", { class: "wf-name", text: r.name, title: r.name });
    name.style.paddingLeft = (0.2 + 1.1 * r.depth) + "em";
    return el("div", { class: `wf-row kind-${r.kind}` + (r.error ? " error" : ""), "data-span-id": r.span_id,
                       "data-parent-span-id": r.parent_span_id || "", "data-depth": r.depth,
                       "data-offset-ms": r.offset_ms, "data-duration-ms": r.duration_ms },
      name, el("div", { class: "wf-track" }, bar, el("span", { class: "wf-time", text: r.duration_ms.toFixed(1) + " ms" })));
  }));
}

async function refresh() {
  const jobs = [
    getJSON("/api/status").then(renderStatus).catch(e => setText("rollout-message", String(e.message || e))),
    getJSON("/api/tracks").then(renderTracks).catch(e => setText("tracks-message", String(e.message || e))),
    getJSON("/api/traces?" + traceQuery()).then(renderTraces).catch(e => setText("traces-message", String(e.message || e))),
  ];
  await Promise.all(jobs);
  setText("refreshed", "updated " + new Date().toLocaleTimeString());
}

let timer = null;
function loop() { refresh().finally(() => { timer = setTimeout(loop, REFRESH_MS); }); }
document.getElementById("trace-filter").addEventListener("input", () => { clearTimeout(timer); loop(); });
document.getElementById("trace-filter").addEventListener("submit", e => e.preventDefault());
loop();

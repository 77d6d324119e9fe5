// coredge dashboard: plain JavaScript over the JSON API. Text from the API is only ever set with
// textContent (never innerHTML), so names in scenarios cannot inject markup.
"use strict";

const TOKEN_KEY = "coredge-token";

function token() { return localStorage.getItem(TOKEN_KEY) || ""; }

function setupToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const input = document.getElementById("token");
  if (input) {
    input.value = token();
    input.addEventListener("change", () => localStorage.setItem(TOKEN_KEY, input.value.trim()));
  }
}

async function api(path, opts = {}) {
  const headers = Object.assign({"Accept": "application/json"}, opts.headers || {});
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.auth) headers["Authorization"] = "Bearer " + token();
  const r = await fetch(path, {method: opts.method || "GET", headers,
                               body: opts.body === undefined ? undefined : JSON.stringify(opts.body)});
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return {status: r.status, ok: r.ok, data};
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function link(href, text) { const a = el("a", text); a.href = href; return a; }

function usd(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + " $B";
  if (a >= 1e6) return (v / 1e6).toFixed(1) + " $M";
  return Math.round(v).toLocaleString("en-US") + " $";
}
function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
function num(v, d = 1) { return v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US", {maximumFractionDigits: d}); }
function when(iso) { return iso ? iso.replace("T", " ").slice(0, 19) : "–"; }

function problemList(data) {
  const box = el("div");
  box.appendChild(el("div", (data && data.context) || "invalid input"));
  const ul = el("ul");
  for (const p of (data && data.problems) || []) {
    const li = el("li");
    li.appendChild(el("code", p.field));
    li.appendChild(document.createTextNode(": got " + JSON.stringify(p.value) + "; " + p.allowed));
    ul.appendChild(li);
  }
  if (!(data && data.problems) && data && data.detail) ul.appendChild(el("li", String(data.detail)));
  box.appendChild(ul);
  return box;
}

// ---------------------------------------------------------------- the editor ("/")

function editorPage() {
  const editor = document.getElementById("editor");
  const box = document.getElementById("validation");
  const variant = document.getElementById("variant");
  const start = document.getElementById("start");
  const builtin = document.getElementById("builtin");
  let timer = null, seq = 0, valid = false, fromBuiltin = null;

  api("/api/scenarios").then(r => {
    for (const s of (r.data && r.data.scenarios) || []) {
      const o = el("option", s.name + (s.variants.length ? " (" + s.variants.join(", ") + ")" : ""));
      o.value = s.name;
      builtin.appendChild(o);
    }
  });
  builtin.addEventListener("change", async () => {
    if (!builtin.value) return;
    const r = await api("/api/scenarios/" + encodeURIComponent(builtin.value));
    if (r.ok) { editor.value = r.data.text; fromBuiltin = builtin.value; validate(); }
  });

  async function validate() {
    const mine = ++seq;
    const text = editor.value;
    if (!text.trim()) { box.className = "validation"; box.textContent = "type or load a scenario"; start.disabled = true; return; }
    box.className = "validation"; box.textContent = "checking…";
    const r = await api("/api/validate", {method: "POST", body: {scenario: text}});
    if (mine !== seq) return;  // a newer edit is being checked
    valid = r.ok;
    box.replaceChildren();
    if (r.ok) {
      box.className = "validation ok";
      box.textContent = "valid: scenario '" + r.data.name + "'" + (r.data.variants.length ? " with variants " + r.data.variants.join(", ") : "");
      const keep = variant.value;
      variant.replaceChildren(el("option", "(base)"));
      variant.firstChild.value = "";
      for (const v of r.data.variants) { const o = el("option", v); o.value = v; variant.appendChild(o); }
      if (r.data.variants.includes(keep)) variant.value = keep;
    } else {
      box.className = "validation bad";
      box.appendChild(problemList(r.data));
    }
    start.disabled = !valid;
  }
  editor.addEventListener("input", () => { fromBuiltin = null; clearTimeout(timer); timer = setTimeout(validate, 400); });

  start.addEventListener("click", async () => {
    const msg = document.getElementById("start-msg");
    const planner = document.getElementById("planner").value || null;
    const body = {scenario: editor.value, variant: variant.value || null,
                  options: {planner, simulation: document.getElementById("simulation").checked,
                            training: document.getElementById("training").checked}};
    start.disabled = true;
    const r = await api("/api/runs", {method: "POST", body, auth: true});
    start.disabled = !valid;
    if (r.status === 202) { location.href = "/runs/" + r.data.id; return; }
    msg.className = "msg bad";
    msg.replaceChildren();
    if (r.status === 422) msg.appendChild(problemList(r.data));
    else msg.textContent = "could not start (" + r.status + "): " + ((r.data && r.data.detail) || "") +
      (r.status === 401 || r.status === 403 ? " (set the token at the top right)" : "");
  });
  void fromBuiltin;
  recentRuns();
}

async function recentRuns() {
  const body = document.querySelector("#recent tbody");
  const r = await api("/api/runs?limit=15");
  body.replaceChildren();
  for (const run of (r.data && r.data.runs) || []) {
    const tr = el("tr");
    const td = el("td"); td.appendChild(link("/runs/" + run.id, run.name + (run.variant ? " (" + run.variant + ")" : "")));
    tr.append(td, el("td", run.status, "status-" + run.status), el("td", when(run.created)), el("td", usd(run.npv_usd)));
    body.appendChild(tr);
  }
}

// ---------------------------------------------------------------- the catalogue ("/runs")

async function runsPage() {
  const body = document.querySelector("#runs tbody");
  const button = document.getElementById("compare-selected");
  const chosen = new Set();
  async function load() {
    const r = await api("/api/runs?limit=500");
    body.replaceChildren();
    for (const run of (r.data && r.data.runs) || []) {
      const tr = el("tr");
      tr.dataset.runId = run.id;
      const pick = el("td");
      if (run.status === "done") {
        const cb = el("input"); cb.type = "checkbox"; cb.className = "pick"; cb.value = run.id;
        cb.checked = chosen.has(run.id);
        cb.addEventListener("change", () => { cb.checked ? chosen.add(run.id) : chosen.delete(run.id); button.disabled = chosen.size < 2; });
        pick.appendChild(cb);
      }
      const name = el("td"); name.appendChild(link("/runs/" + run.id, run.name));
      const del = el("td"); const b = el("button", "delete", "plain");
      b.addEventListener("click", async () => {
        const d = await api("/api/runs/" + run.id, {method: "DELETE", auth: true});
        const m = document.getElementById("runs-msg");
        m.className = d.ok ? "msg" : "msg bad";
        m.textContent = d.ok ? "deleted " + run.id : "could not delete (" + d.status + "): " + ((d.data && d.data.detail) || "");
        chosen.delete(run.id); load();
      });
      del.appendChild(b);
      tr.append(pick, name, el("td", run.variant || ""), el("td", run.status, "status-" + run.status), el("td", when(run.created)),
                el("td", num(run.sites, 0)), el("td", num(run.it_mw)), el("td", usd(run.capex_usd)), el("td", usd(run.npv_usd)),
                el("td", pct(run.irr)), el("td", pct(run.coverage_min)), el("td", pct(run.slo_attainment)), del);
      body.appendChild(tr);
    }
    button.disabled = chosen.size < 2;
  }
  button.addEventListener("click", () => { location.href = "/compare?ids=" + [...chosen].join(","); });
  await load();
}

// ---------------------------------------------------------------- one run ("/runs/{id}")

const HEADLINE = [
  ["planner", "planner", v => v || "–"], ["sites", "sites", v => num(v, 0)], ["it_mw", "IT MW (final year)", num],
  ["facility_mw", "facility MW", num], ["gpus", "GPUs", v => num(v, 0)], ["capex_usd", "capex", usd],
  ["npv_usd", "NPV (portfolio)", usd], ["irr", "IRR", pct], ["landlord_npv_usd", "NPV, landlord view", usd],
  ["landlord_irr", "IRR, landlord view", pct], ["operator_npv_usd", "NPV, operator view", usd],
  ["operator_irr", "IRR, operator view", pct], ["coverage_min", "lowest class coverage", pct],
  ["slo_attainment", "SLO attainment (busy hour)", pct], ["p99_ms", "p99 latency [ms]", v => num(v, 0)],
];

async function runPage() {
  const root = document.getElementById("run");
  const id = root.dataset.runId;
  const status = document.getElementById("status");
  const progress = document.getElementById("progress");
  const cancel = document.getElementById("cancel");
  cancel.addEventListener("click", async () => {
    const r = await api("/api/runs/" + id + "/cancel", {method: "POST", auth: true});
    if (!r.ok) progress.textContent = "could not cancel (" + r.status + ")";
  });
  async function poll() {
    const r = await api("/api/runs/" + id);
    if (!r.ok) { progress.textContent = "(" + r.status + ")"; return; }
    const job = r.data;
    status.textContent = job.status;
    status.className = "status-" + job.status;
    const live = job.status === "queued" || job.status === "running";
    cancel.hidden = !live;
    progress.textContent = job.progress ? "· step " + job.progress.step + ": " + job.progress.message : "";
    if (job.status === "failed" || job.status === "cancelled") {
      const e = document.getElementById("error");
      e.hidden = false; e.textContent = job.error || job.status;
    }
    if (job.status === "done") showDone(id, job);
    if (live) setTimeout(poll, 700);
  }
  await poll();
}

async function showDone(id, job) {
  document.getElementById("done").hidden = false;
  const box = document.getElementById("headline");
  box.replaceChildren();
  const h = job.headline || {};
  for (const [key, label, fmt] of HEADLINE) {
    const card = el("div", null, "card");
    card.append(el("span", label, "label"), el("b", fmt(h[key])));
    box.appendChild(card);
  }
  const t = await api("/api/runs/" + id + "/tables");
  const p = document.getElementById("tables");
  p.replaceChildren(document.createTextNode("tables (CSV): "));
  for (const name of (t.data && t.data.tables) || []) {
    p.appendChild(link("/api/runs/" + id + "/tables/" + name + "?format=csv", name));
    p.appendChild(document.createTextNode(" "));
  }
  const frame = document.getElementById("report");
  if (!frame.src) frame.src = "/api/runs/" + id + "/report";
}

// ---------------------------------------------------------------- compare ("/compare")

const COMPARE_ROWS = [
  ["sites", "sites", v => num(v, 0)], ["it_mw", "IT MW (final year)", num], ["facility_mw", "facility MW", num],
  ["capex_usd", "capex", usd], ["npv_usd", "NPV (portfolio)", usd], ["irr", "IRR", pct],
  ["landlord_npv_usd", "NPV, landlord view", usd], ["landlord_irr", "IRR, landlord view", pct],
  ["operator_npv_usd", "NPV, operator view", usd], ["operator_irr", "IRR, operator view", pct],
  ["coverage_min", "lowest class coverage", pct], ["slo_attainment", "SLO attainment (busy hour)", pct],
  ["p99_ms", "p99 latency [ms]", v => num(v, 0)],
];

async function comparePage() {
  const root = document.getElementById("compare");
  const ids = root.dataset.ids;
  const msg = document.getElementById("compare-msg");
  if (!ids) return;
  const r = await api("/api/compare?ids=" + encodeURIComponent(ids));
  if (!r.ok) { msg.className = "msg bad"; msg.textContent = "cannot compare (" + r.status + "): " + ((r.data && r.data.detail) || ""); return; }
  msg.textContent = r.data.runs.length + " runs";
  const runs = r.data.runs;
  const head = document.querySelector("#compare-table thead");
  const body = document.querySelector("#compare-table tbody");
  const hr = el("tr"); hr.appendChild(el("th", ""));
  for (const run of runs) { const th = el("th"); th.appendChild(link("/runs/" + run.id, run.name + (run.variant ? " (" + run.variant + ")" : ""))); hr.appendChild(th); }
  head.replaceChildren(hr);
  body.replaceChildren();
  const add = (label, cells) => { const tr = el("tr"); tr.appendChild(el("th", label)); for (const c of cells) tr.appendChild(el("td", c)); body.appendChild(tr); };
  for (const [key, label, fmt] of COMPARE_ROWS) add(label, runs.map(x => fmt(x[key])));
  const classes = Object.keys(r.data.classes);
  for (const c of classes) add("coverage: " + c, runs.map(x => pct((x.coverage_by_class || {})[c])));
  for (const c of classes) add("SLO attainment: " + c, runs.map(x => pct((x.slo_attainment_by_class || {})[c])));
  if (window.Plotly) {
    const names = runs.map(x => x.name + (x.variant ? " (" + x.variant + ")" : "") + " · " + x.id.slice(0, 6));
    const cfg = {displaylogo: false, responsive: true};
    Plotly.newPlot("fig-money", [
      {type: "bar", name: "capex [$B]", x: names, y: runs.map(x => (x.capex_usd || 0) / 1e9)},
      {type: "bar", name: "NPV, landlord [$B]", x: names, y: runs.map(x => (x.landlord_npv_usd || 0) / 1e9)},
      {type: "bar", name: "NPV, operator [$B]", x: names, y: runs.map(x => (x.operator_npv_usd || 0) / 1e9)},
    ], {barmode: "group", title: {text: "capex and NPV of each view"}, yaxis: {title: {text: "USD billion"}}, height: 340}, cfg);
    Plotly.newPlot("fig-coverage", runs.map((x, i) => ({type: "bar", name: names[i], x: classes,
      y: classes.map(c => 100 * ((x.coverage_by_class || {})[c] || 0))})),
      {barmode: "group", title: {text: "load served within its RTT budget, final plan year"},
       yaxis: {title: {text: "%"}, range: [0, 105]}, height: 360}, cfg);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setupToken();
  const page = document.body.dataset.page;
  if (document.getElementById("editor")) editorPage();
  else if (document.getElementById("run")) runPage();
  else if (document.getElementById("runs")) runsPage();
  else if (page === "compare") comparePage();
});

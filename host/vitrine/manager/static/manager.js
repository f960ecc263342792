// The manager's dashboard: the period's metrics from /manager/api/metrics drawn with Chart.js
// (window.Chart, served from the build's node_modules), each view's table beside its chart,
// and each table as CSV from /manager/api/export.csv. Docs: docs/metrics.md, "The dashboard".

const $ = (id) => document.getElementById(id);
const body = document.body;
const VIEWS = ["funnel", "trends", "zones", "mirrors", "experiments"];
const charts = {};
let current = null;

const PERCENT = new Set([
  "shopfront_conversion",
  "attention_rate",
  "engagement_rate",
  "bounce_rate",
  "sales_conversion",
  "mirror_assisted_conversion",
]);
const WORDS = {
  passers_by: "Passers-by",
  visitors: "Visitors",
  shopfront_conversion: "Shopfront conversion",
  attention_rate: "Attention rate",
  sessions: "Sessions",
  engagement_rate: "Engagement rate",
  visits: "Visits",
  bounce_rate: "Bounce rate",
  mean_visit_s: "Visit duration (s)",
  transactions: "Transactions",
  sales_amount: "Sales",
  sales_conversion: "Sales conversion",
  assisted_sessions: "Mirror-assisted sessions",
  mirror_assisted_conversion: "Mirror-assisted conversion",
  requests: "Associate requests",
  mean_fulfil_s: "Fulfilment time (s)",
  ratings: "Ratings",
  csat: "CSAT (%)",
  nps: "NPS",
  members: "Members seen",
  repeat_customers: "Repeat customers",
  errors: "Errors",
};

function shown(key, value) {
  if (value === null || value === undefined) return "–";
  if (PERCENT.has(key)) return `${(value * 100).toFixed(1)} %`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function fill(table, header, rows) {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const h of header) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  const tbody = table.createTBody();
  for (const row of rows) {
    const tr = tbody.insertRow();
    for (const cell of row) tr.insertCell().textContent = cell;
  }
}

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  if (!window.Chart) return; // the chart library is missing: the tables still show
  config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
  charts[id] = new window.Chart($(id), config);
}

function params() {
  const p = new URLSearchParams({ from: $("from").value, to: $("to").value, grain: $("grain").value });
  if ($("store").value) p.set("store", $("store").value);
  if ($("mirror").value) p.set("mirror", $("mirror").value);
  return p;
}

function label(start, grain) {
  const d = new Date(start * 1000);
  const day = d.toISOString().slice(0, 10);
  return grain === "hour" ? `${day} ${d.toISOString().slice(11, 13)}h` : day;
}

function render(data) {
  const r = data.report;
  const steps = ["passers_by", "visitors", "sessions", "assisted_sessions", "transactions"];
  draw("funnel-chart", {
    type: "bar",
    data: {
      labels: steps.map((k) => WORDS[k]),
      datasets: [{ label: `${data.from} to ${data.to}`, data: steps.map((k) => r[k]), backgroundColor: "#2f6fde" }],
    },
    options: { indexAxis: "y" },
  });
  fill(
    $("funnel-table"),
    ["Metric", "Value"],
    Object.keys(WORDS).map((k) => [WORDS[k], shown(k, r[k])]),
  );
  const labels = data.trend.map((b) => label(b.start, data.grain));
  const series = ["passers_by", "visitors", "sessions"];
  const colours = ["#2f6fde", "#1c9c6b", "#d17b0f"];
  draw("trend-chart", {
    type: "line",
    data: {
      labels,
      datasets: series.map((k, i) => ({ label: WORDS[k], data: data.trend.map((b) => b[k]), borderColor: colours[i] })),
    },
  });
  fill(
    $("trend-table"),
    ["Start", ...series.map((k) => WORDS[k]), WORDS.engagement_rate],
    data.trend.map((b, i) => [
      labels[i],
      ...series.map((k) => shown(k, b[k])),
      shown("engagement_rate", b.engagement_rate),
    ]),
  );
  const zones = Object.entries(r.dwell_by_zone);
  draw("zones-chart", {
    type: "bar",
    data: {
      labels: zones.map(([z]) => z),
      datasets: [{ label: "Mean dwell (s)", data: zones.map(([, v]) => v.mean_dwell_s), backgroundColor: "#1c9c6b" }],
    },
  });
  fill(
    $("zones-table"),
    ["Zone", "Visits", "Dwell (s)", "Mean dwell (s)"],
    zones.map(([z, v]) => [z, shown("", v.visits), shown("", v.dwell_s), shown("", v.mean_dwell_s)]),
  );
  const mirrors = Object.entries(data.mirrors);
  draw("mirrors-chart", {
    type: "bar",
    data: {
      labels: mirrors.map(([m]) => m),
      datasets: series.map((k, i) => ({
        label: WORDS[k],
        data: mirrors.map(([, v]) => v[k]),
        backgroundColor: colours[i],
      })),
    },
  });
  fill(
    $("mirrors-table"),
    ["Mirror", WORDS.passers_by, WORDS.visitors, WORDS.sessions, WORDS.engagement_rate, WORDS.bounce_rate],
    mirrors.map(([m, v]) => [
      m,
      shown("", v.passers_by),
      shown("", v.visitors),
      shown("", v.sessions),
      shown("engagement_rate", v.engagement_rate),
      shown("bounce_rate", v.bounce_rate),
    ]),
  );
  const rows = [];
  const bars = { labels: [], rate: [], low: [], high: [] };
  for (const [name, e] of Object.entries(r.experiments)) {
    for (const v of e.variants || []) {
      const lift = e.lift ? e.lift[v.name] : null;
      rows.push([
        name,
        v.name,
        String(v.exposed),
        String(v.converted),
        shown("engagement_rate", v.rate),
        `${shown("engagement_rate", v.ci_low)} – ${shown("engagement_rate", v.ci_high)}`,
        lift === null || lift === undefined ? "control" : `${(lift * 100).toFixed(1)} %`,
        e.p_value === null || e.p_value === undefined ? "–" : e.p_value.toFixed(4),
        e.significant ? "yes" : "no",
      ]);
      bars.labels.push(`${name}: ${v.name}`);
      bars.rate.push(v.rate === null ? null : v.rate * 100);
      bars.low.push(v.ci_low === null ? null : v.ci_low * 100);
      bars.high.push(v.ci_high === null ? null : v.ci_high * 100);
    }
  }
  draw("experiments-chart", {
    type: "bar",
    data: {
      labels: bars.labels,
      datasets: [
        { label: "Conversion (%)", data: bars.rate, backgroundColor: "#2f6fde" },
        // a floating bar from the interval's low end to its high end
        { label: "95% interval (%)", data: bars.low.map((low, i) => [low, bars.high[i]]), backgroundColor: "#9db8ea" },
      ],
    },
  });
  fill(
    $("experiments-table"),
    ["Experiment", "Variant", "Exposed", "Converted", "Rate", "95% interval", "Lift", "p", "Significant"],
    rows,
  );
}

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

async function load() {
  const p = params();
  for (const a of document.querySelectorAll("a.csv")) {
    a.href = `/manager/api/export.csv?${p}&table=${a.dataset.table}`;
  }
  const answer = await fetch(`/manager/api/metrics?${p}`, { credentials: "same-origin" });
  const data = await answer.json();
  if (!answer.ok) {
    notice(data.error);
    if (answer.status === 401) window.location.reload();
    return;
  }
  notice("");
  current = data;
  offer($("store"), data.stores);
  offer(
    $("mirror"),
    Object.keys(data.mirrors).map((key) => key.split("/")[1]),
  );
  render(data);
  body.dataset.loaded = "yes";
}

// add the choices a select lacks, keeping what is chosen
function offer(select, values) {
  const chosen = select.value;
  for (const v of values) {
    if (![...select.options].some((o) => o.value === v)) select.add(new Option(v, v));
  }
  select.value = chosen;
}

function showView() {
  const name = VIEWS.includes(window.location.hash.slice(1)) ? window.location.hash.slice(1) : "funnel";
  for (const v of VIEWS) $(`view-${v}`).classList.toggle("shown", v === name);
  for (const a of document.querySelectorAll("#views a")) {
    if (a.hash === `#${name}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (current) for (const c of Object.values(charts)) c.resize();
}

async function signIn(event) {
  event.preventDefault();
  const answer = await fetch("/manager/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ pin: $("pin").value }),
  });
  if (answer.ok) {
    window.location.reload();
    return;
  }
  $("login-error").textContent = (await answer.json()).error;
}

async function signOut() {
  await fetch("/manager/logout", { method: "POST" });
  window.location.reload();
}

function start() {
  if (body.dataset.notice) notice(body.dataset.notice);
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", signOut);
  if (body.dataset.state !== "app") return;
  const search = new URLSearchParams(window.location.search);
  const today = new Date().toISOString().slice(0, 10);
  const weekAgo = new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10);
  $("from").value = search.get("from") || weekAgo;
  $("to").value = search.get("to") || today;
  if (search.get("grain")) $("grain").value = search.get("grain");
  $("period").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  window.addEventListener("hashchange", showView);
  showView();
  load();
}

start();

// The daemon's status page (/status): GET /api/status shown as a table, refreshed every second.
//
// A board's last problem is kept after it recovers (last_error, last_error_at): while the
// board is not up it is the board's state now, in red; once it is up again it is shown as
// past, with its time, in grey, unless it is a reset whose cause is an error (the watchdog, a
// crash): that one stays red, with its time. The board's last reset is shown with its time,
// and the subsystems its role needs that its firmware lacks as a warning with what to do.

const esc = (s) =>
  String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const SHOWN = ["frames_rx", "crc_errors", "gaps", "resyncs", "reconnects", "reboots"];
const pad = (n) => String(n).padStart(2, "0");

// A time (seconds since the epoch) as the person reads it: 14:02:11 today, else with its date.
function clock(t) {
  const d = new Date(t * 1000);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

// How long ago: "12 s ago", "3 min ago", "2 h ago", "4 days ago".
function ago(t) {
  const s = Math.max(0, Date.now() / 1000 - t);
  if (s < 90) return `${s.toFixed(0)} s ago`;
  if (s < 90 * 60) return `${(s / 60).toFixed(0)} min ago`;
  if (s < 36 * 3600) return `${(s / 3600).toFixed(0)} h ago`;
  return `${(s / 86400).toFixed(0)} days ago`;
}

const when = (t) => `<time datetime="${new Date(t * 1000).toISOString()}">${clock(t)}</time> (${ago(t)})`;

// The reset is the last problem already when its cause is an error, at the same time.
const resetIsTheProblem = (b) =>
  b.last_reset && b.last_reset.error && b.last_error_at !== null && Math.abs(b.last_error_at - b.last_reset.at) < 0.01;

function problem(b) {
  if (b.state !== "up") {
    if (!b.last_error) return "";
    const at = b.last_error_at === null ? "" : ` <span class="at">at ${when(b.last_error_at)}</span>`;
    return `<div class="err now">${esc(b.last_error)}${at}</div>`;
  }
  const r = b.last_reset;
  if (resetIsTheProblem(b)) {
    return `<div class="err reset-error">reset ${when(r.at)} by ${esc(r.cause)}: ${esc(r.meaning)}</div>`;
  }
  if (!b.last_error) return "";
  const at = b.last_error_at === null ? "earlier" : `earlier, at ${when(b.last_error_at)}`;
  return `<div class="past">${at}: ${esc(b.last_error)}</div>`;
}

function reset(b) {
  const r = b.last_reset;
  if (!r) return b.reset_cause ? `<div class="reset">reset cause ${esc(b.reset_cause)}</div>` : "";
  const how = r.seen === "before" ? "started" : "reset";
  return `<div class="reset" title="${esc(r.meaning)}">${how} ${when(r.at)}: ${esc(r.cause)}</div>`;
}

function lacks(b) {
  const m = b.missing_subsystems;
  if (!m) return "";
  return (
    `<div class="warn">Firmware lacks ${esc(m.subsystems.join(", "))}: ${esc(m.detail)}` +
    `<div class="fix">What to do: ${esc(m.fix)}</div></div>`
  );
}

function row(b) {
  const c = b.counters;
  const counters = SHOWN.map((k) => `${k} ${c[k]}`).join(" · ");
  const fw = b.firmware_version ? `${esc(b.firmware_version)} <code>${esc(b.build_hash)}</code>${reset(b)}` : "—";
  return (
    `<tr data-board="${esc(b.name)}"><td>${esc(b.name)}</td>` +
    `<td><span class="state ${esc(b.state)}">${esc(b.state)}</span> <small>(${b.state_for_s.toFixed(0)} s)</small>` +
    `${problem(b)}${lacks(b)}</td>` +
    `<td>${fw}</td><td><code>${esc(b.port)}</code></td><td class="counters">${counters}</td></tr>`
  );
}
// The presence zone and the light the strips show (a swatch of their colour), when known.
function sensing(s) {
  const zone = s.presence?.zone;
  const shown = s.lighting?.shown;
  document.getElementById("sensing").hidden = !zone && !shown;
  document.getElementById("presence").textContent = zone ? `Presence: ${zone.replace("_", " ")} · ` : "";
  document.getElementById("light").hidden = !shown;
  if (!shown) return;
  document.getElementById("light-swatch").style.background = shown.colour;
  const what = shown.kelvin ? `${shown.kelvin} K` : "a colour";
  const flags = shown.flags.length ? ` (${shown.flags.join(", ")})` : "";
  document.getElementById("light-text").textContent =
    `Light: ${what} at ${shown.brightness}/255${flags}, ${shown.current_ma} of ${shown.budget_ma || "—"} mA`;
}

async function refresh() {
  try {
    const r = await fetch("/api/status", { cache: "no-store" });
    const s = await r.json();
    document.getElementById("meta").textContent =
      `version ${s.version} · up ${s.uptime_s.toFixed(0)} s · ${s.boards.length} board(s)`;
    document.getElementById("boards").innerHTML = s.boards.length
      ? s.boards.map(row).join("")
      : '<tr><td colspan="5">no boards yet</td></tr>';
    const unknown = Object.entries(s.player.unknown_messages);
    const line = document.getElementById("unknown");
    line.hidden = unknown.length === 0;
    line.textContent = `The player page was sent messages it does not know: ${unknown
      .map(([type, count]) => `${type} (${count})`)
      .join(", ")}`;
    const problems = s.touch ? s.touch.problems || [] : [];
    const touch = document.getElementById("touch");
    touch.hidden = problems.length === 0;
    touch.textContent = `Touch frame: ${problems.join("; ")}`;
    sensing(s);
    document.getElementById("stale").style.display = "none";
  } catch {
    document.getElementById("stale").style.display = "inline";
  }
}
refresh();
setInterval(refresh, 1000);

// The daemon's status page (/status): GET /api/status shown as a table, refreshed every second.

const esc = (s) =>
  String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const SHOWN = ["frames_rx", "crc_errors", "gaps", "resyncs", "reconnects", "reboots"];
function row(b) {
  const c = b.counters;
  const counters = SHOWN.map((k) => `${k} ${c[k]}`).join(" · ");
  const fw = b.firmware_version
    ? `${esc(b.firmware_version)} <code>${esc(b.build_hash)}</code><br>reset: ${esc(b.reset_cause)}`
    : "—";
  const err = b.last_error ? `<div class="err">${esc(b.last_error)}</div>` : "";
  return (
    `<tr><td>${esc(b.name)}</td><td class="${esc(b.state)}">${esc(b.state)} <small>(${b.state_for_s.toFixed(0)} s)</small>${err}</td>` +
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
    sensing(s);
    document.getElementById("stale").style.display = "none";
  } catch {
    document.getElementById("stale").style.display = "inline";
  }
}
refresh();
setInterval(refresh, 1000);

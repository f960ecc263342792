// The associate app: sign in with the store PIN, then the live queue of fitting-room requests
// (one WebSocket, /associate/ws, kept open by the reconnecting socket the player uses too),
// with Acknowledge and Fulfil. No dependencies. Protocol: docs/associate.md.

import { ReconnectingSocket } from "/static/reconnecting-socket.js";

const NAME_KEY = "vitrine.associate.name";
const SOUND_KEY = "vitrine.associate.sound";
const KIND_WORDS = { size: "Another size", colour: "Another colour", help: "Help" };
const SLA_WORDS = { ok: "On time", late: "Late", escalated: "Escalated" };
const SLA_RANK = { escalated: 0, late: 1, ok: 2 };
const CLOSE_UNAUTHORIZED = 4401; // the session ended: sign in again
const TOAST_MS = 5000;
const OFFLINE_TEXT = "Cannot reach the mirror. Check the Wi-Fi and try again.";
const SESSION_ENDED = "Your session ended. Sign in again.";

const $ = (id) => document.getElementById(id);
const body = document.body;

// --- storage (private mode may refuse it) ---

function load(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    /* kept for this visit */
  }
}

// --- the queue ---

function formatAge(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function roomText(item) {
  const room = item.fitting_room;
  if (room === null || room === undefined || room === "") return "Shop floor";
  return `Room ${room}`;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** The open requests as cards, most urgent first, ageing between the daemon's updates. */
class Queue {
  /** onAct(id, action, button): a card's Acknowledge or Fulfil was pressed. */
  constructor(onAct) {
    this.onAct = onAct;
    this.items = []; // the last queue the daemon sent, each with receivedAt
    this.sla = { ack_s: 60, fulfil_s: 300, escalate_s: 120 };
    this.seen = null; // ids already shown (null until the first queue arrives)
    this.cards = new Map(); // id -> card element
  }

  /** A queue from the daemon; true when it holds a request not seen before. */
  receive(list, sla) {
    if (sla) this.sla = sla;
    const now = performance.now();
    this.items = list.map((item) => ({ ...item, receivedAt: now }));
    const ids = new Set(this.items.map((item) => item.id));
    const firstLoad = this.seen === null;
    const fresh = !firstLoad && [...ids].some((id) => !this.seen.has(id));
    this.seen = ids;
    this.render({ highlightNew: !firstLoad });
    return fresh;
  }

  /** An action's answer, shown at once (the socket's next queue confirms it). */
  apply(updated) {
    if (!updated || !updated.id) return;
    const now = performance.now();
    if (updated.status === "fulfilled" || updated.status === "cancelled") {
      this.items = this.items.filter((item) => item.id !== updated.id);
    } else {
      this.items = this.items.map((item) => (item.id === updated.id ? { ...item, ...updated, receivedAt: now } : item));
    }
    this.render({ highlightNew: true });
  }

  clear() {
    this.items = [];
    this.seen = null;
    this.cards.clear();
    $("cards").replaceChildren();
    $("empty").hidden = true;
    $("count").textContent = "";
  }

  ageOf(item) {
    return Math.max(0, (item.age_s || 0) + (performance.now() - item.receivedAt) / 1000);
  }

  slaOf(item, age) {
    // The daemon's word when it sent the queue, moved on as time passes by the same rules:
    // escalated when still pending past escalate_s; late when pending past ack_s or open
    // past fulfil_s. A state never goes back between updates.
    let state = Object.prototype.hasOwnProperty.call(SLA_RANK, item.sla) ? item.sla : "ok";
    if (item.status === "pending" && age > this.sla.escalate_s) state = "escalated";
    const late = (item.status === "pending" && age > this.sla.ack_s) || age > this.sla.fulfil_s;
    if (late && state === "ok") state = "late";
    return state;
  }

  render({ highlightNew }) {
    const list = $("cards");
    const rows = this.items.map((item) => {
      const age = this.ageOf(item);
      return { item, age, sla: this.slaOf(item, age) };
    });
    rows.sort((a, b) => SLA_RANK[a.sla] - SLA_RANK[b.sla] || b.age - a.age);
    const keep = new Set();
    rows.forEach((row, index) => {
      keep.add(row.item.id);
      let card = this.cards.get(row.item.id);
      if (!card) {
        card = this.makeCard(row.item.id);
        this.cards.set(row.item.id, card);
        if (highlightNew) card.classList.add("fresh");
      }
      this.fill(card, row);
      if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
    });
    for (const [id, card] of this.cards) {
      if (!keep.has(id)) {
        card.remove();
        this.cards.delete(id);
      }
    }
    $("empty").hidden = rows.length !== 0;
    $("count").textContent = rows.length ? `${rows.length} open` : "";
  }

  makeCard(id) {
    const card = $("card-template").content.firstElementChild.cloneNode(true);
    card.dataset.id = id;
    card.querySelector(".ack").addEventListener("click", (e) => this.onAct(id, "acknowledge", e.currentTarget));
    card.querySelector(".fulfil").addEventListener("click", (e) => this.onAct(id, "fulfil", e.currentTarget));
    return card;
  }

  fill(card, row) {
    const { item, age } = row;
    card.dataset.sla = row.sla;
    card.dataset.status = item.status || "";
    setText(card.querySelector(".room"), roomText(item));
    setText(card.querySelector(".sla-word"), SLA_WORDS[row.sla] || row.sla);
    setText(card.querySelector(".label"), item.label || item.sku || "");
    setText(card.querySelector(".kind"), KIND_WORDS[item.kind] || item.kind || "");
    setText(card.querySelector(".age"), formatAge(age));
    const acked = card.querySelector(".acked");
    const by = item.acknowledged_by;
    acked.hidden = item.status !== "acknowledged";
    setText(acked, by ? `Acknowledged by ${by}` : "Acknowledged");
    card.querySelector(".ack").hidden = item.status !== "pending";
  }
}

// --- alerts on a new request ---

/** A vibration, and a beep when the associate turned the sound on (kept on this device). */
class Alerts {
  constructor(button) {
    this.button = button;
    this.sound = load(SOUND_KEY) === "on";
    this.audio = null;
    this.renderButton();
    button.addEventListener("click", () => {
      this.sound = !this.sound;
      store(SOUND_KEY, this.sound ? "on" : "off");
      this.renderButton();
      if (this.sound) this.beep(); // also unlocks audio: browsers allow it after a tap
    });
  }

  renderButton() {
    this.button.setAttribute("aria-pressed", this.sound ? "true" : "false");
    this.button.textContent = this.sound ? "Sound on" : "Sound off";
  }

  beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      this.audio = this.audio || new Context();
      const audio = this.audio;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch {
      /* no sound on this device */
    }
  }

  newRequest() {
    if (typeof navigator.vibrate === "function") {
      try {
        navigator.vibrate([200, 100, 200]);
      } catch {
        /* not allowed here */
      }
    }
    if (this.sound) this.beep();
  }
}

// --- the page ---

let name = (load(NAME_KEY) || "").trim();
let toastTimer = null;
let loginWait = null;
const alerts = new Alerts($("sound"));
const queue = new Queue(act);

const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
const socket = new ReconnectingSocket(`${scheme}//${window.location.host}/associate/ws`, {
  name: "associate socket",
  onMessage,
  onStatus: (connected) => {
    $("conn").hidden = connected;
  },
  onClose: (event) => {
    if (event.code === CLOSE_UNAUTHORIZED) signedOut(SESSION_ENDED);
  },
});

function onMessage(message) {
  switch (message.type) {
    case "requests":
      if (Array.isArray(message.items) && queue.receive(message.items, message.sla)) alerts.newRequest();
      break;
    case "pong":
      break;
    default:
      console.warn(`associate socket: a message of unknown type ${JSON.stringify(message.type)}; ignored`);
  }
}

// --- states: locked, login, app ---

function setState(state) {
  body.dataset.state = state;
  if (state === "app") {
    showNamePanelIfNeeded();
    socket.start();
    return;
  }
  socket.stop();
  $("conn").hidden = true; // signed out is not offline
  queue.clear();
  if (state === "login") window.setTimeout(() => $("pin").focus(), 0);
}

function signedOut(message) {
  setState("login");
  $("login-error").textContent = message || "";
}

// --- sign in / out ---

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const pin = $("pin").value.trim();
  const error = $("login-error");
  if (!/^[0-9]{1,12}$/.test(pin)) {
    error.textContent = "Enter the store PIN (digits only).";
    return;
  }
  $("login-button").disabled = true;
  try {
    const response = await fetch("/associate/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ pin }),
    });
    if (response.status === 204) {
      $("pin").value = "";
      error.textContent = "";
      setState("app");
      return;
    }
    const data = await response.json().catch(() => ({}));
    if (data.code === "locked") {
      setState("locked");
      return;
    }
    error.textContent = data.error || `Sign-in failed (HTTP ${response.status}).`;
    if (response.status === 429) {
      lockLogin(Number(response.headers.get("Retry-After")) || 60, error);
      return;
    }
    $("pin").select();
  } catch {
    error.textContent = OFFLINE_TEXT;
  } finally {
    if (loginWait === null) $("login-button").disabled = false;
  }
});

function lockLogin(seconds, error) {
  const button = $("login-button");
  let left = seconds;
  button.disabled = true;
  window.clearInterval(loginWait);
  const tick = () => {
    if (left <= 0) {
      window.clearInterval(loginWait);
      loginWait = null;
      button.disabled = false;
      button.textContent = "Sign in";
      error.textContent = "";
      return;
    }
    button.textContent = `Wait ${left} s`;
    left -= 1;
  };
  tick();
  loginWait = window.setInterval(tick, 1000);
}

$("logout").addEventListener("click", async () => {
  try {
    await fetch("/associate/logout", { method: "POST", credentials: "same-origin" });
  } catch {
    /* signed out here anyway */
  }
  signedOut("");
});

// --- the associate's name ---

function showNamePanelIfNeeded() {
  if (name) {
    $("name-panel").hidden = true;
    $("rename").textContent = name;
    return;
  }
  openNamePanel();
}

function openNamePanel() {
  $("name-panel").hidden = false;
  $("name").value = name;
  $("name-error").textContent = "";
  window.setTimeout(() => $("name").focus(), 0);
}

function validName(text) {
  // 1 to 40 printable characters (no control characters).
  return text.length >= 1 && text.length <= 40 && !/\p{Cc}/u.test(text);
}

$("name-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("name").value.trim();
  if (!validName(text)) {
    $("name-error").textContent = "Enter your name: 1 to 40 letters.";
    return;
  }
  name = text;
  store(NAME_KEY, name);
  $("name-panel").hidden = true;
  $("rename").textContent = name;
});

$("rename").addEventListener("click", openNamePanel);

// --- actions ---

async function act(id, action, button) {
  if (!name) {
    openNamePanel();
    return;
  }
  button.disabled = true;
  try {
    const response = await fetch(`/associate/api/requests/${encodeURIComponent(id)}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ name }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) {
      signedOut(SESSION_ENDED);
      return;
    }
    if (!response.ok) {
      toast(data.error || `That did not work (HTTP ${response.status}).`);
      return;
    }
    queue.apply(data);
  } catch {
    toast(OFFLINE_TEXT);
  } finally {
    button.disabled = false;
  }
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    el.hidden = true;
  }, TOAST_MS);
}

// --- start ---

window.setInterval(() => {
  if (body.dataset.state === "app" && queue.items.length) queue.render({ highlightNew: true });
}, 1000);

if (name) $("rename").textContent = name;
const notice = body.dataset.notice;
setState(body.dataset.state || "login");
if (notice) $("login-error").textContent = notice;
// PIN sign-in paused after wrong PINs on this mirror: the button counts down.
const pausedS = Number(body.dataset.retryAfter);
if (pausedS > 0) lockLogin(pausedS, $("login-error"));

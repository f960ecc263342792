// The associate app: sign in with the store PIN, then the live queue of fitting-room requests
// (one WebSocket, /associate/ws), with Acknowledge and Fulfil. Plain JS, no dependencies.
"use strict";

(function () {
  const NAME_KEY = "vitrine.associate.name";
  const SOUND_KEY = "vitrine.associate.sound";
  const KIND_WORDS = { size: "Another size", colour: "Another colour", help: "Help" };
  const SLA_WORDS = { ok: "On time", late: "Late", escalated: "Escalated" };
  const SLA_RANK = { escalated: 0, late: 1, ok: 2 };
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const PING_EVERY_MS = 20000;
  const PONG_WITHIN_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const body = document.body;

  let socket = null;
  let backoff = BACKOFF_MIN_MS;
  let reconnectTimer = null;
  let pingTimer = null;
  let pongTimer = null;
  let items = []; // the last queue the server sent, with receivedAt
  let sla = { ack_s: 60, fulfil_s: 300, escalate_s: 120 };
  let seen = null; // ids already shown (null until the first queue arrives)
  const cards = new Map(); // id -> card element
  let toastTimer = null;
  let audio = null;

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

  let name = (load(NAME_KEY) || "").trim();
  let sound = load(SOUND_KEY) === "on";

  // --- states: locked, login, app ---

  function setState(state) {
    body.dataset.state = state;
    if (state === "app") {
      showNamePanelIfNeeded();
      connect();
    } else {
      disconnect();
      clearQueue();
      if (state === "login") {
        window.setTimeout(() => $("pin").focus(), 0);
      }
    }
  }

  function signedOut(message) {
    setState("login");
    $("login-error").textContent = message || "";
  }

  // --- sign in / out ---

  let loginWait = null;

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
      error.textContent = "Cannot reach the mirror. Check the Wi-Fi and try again.";
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
    const panel = $("name-panel");
    if (name) {
      panel.hidden = true;
      $("rename").textContent = name;
      return;
    }
    openNamePanel();
  }

  function openNamePanel() {
    const panel = $("name-panel");
    panel.hidden = false;
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

  // --- alerts on a new request ---

  function renderSoundButton() {
    const button = $("sound");
    button.setAttribute("aria-pressed", sound ? "true" : "false");
    button.textContent = sound ? "Sound on" : "Sound off";
  }

  $("sound").addEventListener("click", () => {
    sound = !sound;
    store(SOUND_KEY, sound ? "on" : "off");
    renderSoundButton();
    if (sound) beep(); // also unlocks audio: browsers allow it after a tap
  });

  function beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
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

  function alertNew() {
    if (typeof navigator.vibrate === "function") {
      try {
        navigator.vibrate([200, 100, 200]);
      } catch {
        /* not allowed here */
      }
    }
    if (sound) beep();
  }

  // --- the socket ---

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}/associate/ws`;
  }

  function connect() {
    if (socket) return;
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const ws = new WebSocket(socketUrl());
    socket = ws;
    ws.addEventListener("open", () => {
      backoff = BACKOFF_MIN_MS;
      pingTimer = window.setInterval(() => ping(ws), PING_EVERY_MS);
    });
    ws.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "requests" && Array.isArray(message.items)) {
        setOnline(true);
        if (message.sla) sla = message.sla;
        receive(message.items);
      } else if (message.type === "pong") {
        window.clearTimeout(pongTimer);
        pongTimer = null;
      }
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      stopTimers();
      socket = null;
      if (event.code === 4401) {
        signedOut("Your session ended. Sign in again.");
        return;
      }
      setOnline(false);
      scheduleReconnect();
    });
  }

  function ping(ws) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "ping" }));
    window.clearTimeout(pongTimer);
    pongTimer = window.setTimeout(() => ws.close(), PONG_WITHIN_MS); // a dead link: reconnect
  }

  function stopTimers() {
    window.clearInterval(pingTimer);
    window.clearTimeout(pongTimer);
    pingTimer = null;
    pongTimer = null;
  }

  function scheduleReconnect() {
    if (body.dataset.state !== "app" || reconnectTimer !== null) return;
    const delay = Math.round(backoff * (0.75 + Math.random() * 0.5));
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    reconnectTimer = window.setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function disconnect() {
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    stopTimers();
    const ws = socket;
    socket = null;
    if (ws) ws.close();
    setOnline(true);
  }

  function setOnline(online) {
    $("conn").hidden = online;
  }

  window.addEventListener("online", () => {
    if (body.dataset.state === "app" && !socket) {
      backoff = BACKOFF_MIN_MS;
      connect();
    }
  });

  // --- the queue ---

  function receive(list) {
    const now = performance.now();
    items = list.map((item) => Object.assign({}, item, { receivedAt: now }));
    let fresh = false;
    const ids = new Set(items.map((item) => item.id));
    if (seen !== null) {
      for (const id of ids) if (!seen.has(id)) fresh = true;
    }
    const firstLoad = seen === null;
    seen = ids;
    render(firstLoad ? new Set() : null);
    if (fresh) alertNew();
  }

  function clearQueue() {
    items = [];
    seen = null;
    cards.clear();
    $("cards").replaceChildren();
    $("empty").hidden = true;
    $("count").textContent = "";
  }

  function ageOf(item) {
    return Math.max(0, (item.age_s || 0) + (performance.now() - item.receivedAt) / 1000);
  }

  function slaOf(item, age) {
    // The daemon's word when it sent the queue, moved on as time passes by the same rules:
    // escalated when still pending past escalate_s; late when pending past ack_s or open
    // past fulfil_s. A state never goes back between updates.
    let state = Object.prototype.hasOwnProperty.call(SLA_RANK, item.sla) ? item.sla : "ok";
    if (item.status === "pending" && age > sla.escalate_s) state = "escalated";
    const late = (item.status === "pending" && age > sla.ack_s) || age > sla.fulfil_s;
    if (late && state === "ok") state = "late";
    return state;
  }

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

  function render(firstLoadIds) {
    const list = $("cards");
    const rows = items.map((item) => {
      const age = ageOf(item);
      return { item, age, sla: slaOf(item, age) };
    });
    rows.sort((a, b) => SLA_RANK[a.sla] - SLA_RANK[b.sla] || b.age - a.age);
    const keep = new Set();
    rows.forEach((row, index) => {
      keep.add(row.item.id);
      let card = cards.get(row.item.id);
      if (!card) {
        card = makeCard(row.item.id);
        cards.set(row.item.id, card);
        if (firstLoadIds === null) card.classList.add("fresh");
      }
      fill(card, row);
      if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
    });
    for (const [id, card] of cards) {
      if (!keep.has(id)) {
        card.remove();
        cards.delete(id);
      }
    }
    $("empty").hidden = rows.length !== 0;
    $("count").textContent = rows.length ? `${rows.length} open` : "";
  }

  function makeCard(id) {
    const card = $("card-template").content.firstElementChild.cloneNode(true);
    card.dataset.id = id;
    card.querySelector(".ack").addEventListener("click", (e) => act(id, "acknowledge", e.currentTarget));
    card.querySelector(".fulfil").addEventListener("click", (e) => act(id, "fulfil", e.currentTarget));
    return card;
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function fill(card, row) {
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

  window.setInterval(() => {
    if (body.dataset.state === "app" && items.length) render(null);
  }, 1000);

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
        signedOut("Your session ended. Sign in again.");
        return;
      }
      if (!response.ok) {
        toast(data.error || `That did not work (HTTP ${response.status}).`);
        return;
      }
      apply(data);
    } catch {
      toast("Cannot reach the mirror. Check the Wi-Fi and try again.");
    } finally {
      button.disabled = false;
    }
  }

  function apply(updated) {
    // Show the result at once; the socket's next queue confirms it.
    if (!updated || !updated.id) return;
    const now = performance.now();
    if (updated.status === "fulfilled" || updated.status === "cancelled") {
      items = items.filter((item) => item.id !== updated.id);
    } else {
      items = items.map((item) =>
        item.id === updated.id ? Object.assign({}, item, updated, { receivedAt: now }) : item,
      );
    }
    render(null);
  }

  function toast(text) {
    const el = $("toast");
    el.textContent = text;
    el.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => {
      el.hidden = true;
    }, 5000);
  }

  // --- start ---

  renderSoundButton();
  if (name) $("rename").textContent = name;
  const notice = body.dataset.notice;
  setState(body.dataset.state || "login");
  if (notice) $("login-error").textContent = notice;
})();

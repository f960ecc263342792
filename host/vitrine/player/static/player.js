// The player: draws the screen the engine's last "state" names, sends the shopper's actions
// back, and turns the touch frame's events into DOM events. The page never changes screen on
// its own: it asks the engine ({"type": "navigate", ...}) and draws the state that comes
// back, so a restarted page or daemon shows the same screen again. Protocol: docs/player.md.

import { ReconnectingSocket } from "/static/reconnecting-socket.js";
import { CalibrationTargets } from "./calibration.js";
import { Catalog } from "./catalog.js";
import { Chrome } from "./chrome.js";
import { Glass } from "./glass.js";
import { Interactions } from "./interaction.js";
import { BrowseScreen, HomeScreen, LookScreen, ProductScreen } from "./screens-shop.js";
import { EnrolScreen, LoyaltyScreen, WishlistScreen } from "./screens-member.js";
import {
  AttractScreen,
  GreetingScreen,
  HelpScreen,
  LightingScreen,
  RatingScreen,
  ThanksScreen,
} from "./screens-visit.js";
import { UnknownMessages } from "./unknown.js";

const SCREENS = {
  attract: AttractScreen,
  greeting: GreetingScreen,
  home: HomeScreen,
  browse: BrowseScreen,
  product: ProductScreen,
  look: LookScreen,
  lighting: LightingScreen,
  help: HelpScreen,
  loyalty: LoyaltyScreen,
  enrol: EnrolScreen,
  wishlist: WishlistScreen,
  rating: RatingScreen,
  thanks: ThanksScreen,
};
const ERROR_AFTER_ACTION_MS = 3000; // an error this soon after a shopper's action is theirs
const LEAVE_MS = 450;
const FRIENDLY = {
  not_allowed: "That isn't possible right now.",
  conflict: "That's already taken care of.",
  not_found: "Sorry — we couldn't find that.",
};

// Before the first state arrives: the attract loop's look, with nothing from the engine yet.
const BOOT = { screen: { name: "attract" }, attract: null, requests: [], recommendations: [] };

const hooks = {
  state: null,
  light: null, // what the lights board's strips show (the daemon's "light" messages)
  connected: false,
  lastPointer: null,
  handled: [],
};
window.vitrine = hooks;

const stage = document.getElementById("stage");
const catalog = new Catalog();
let current = null; // {key, screen}
let lastActionAt = -Infinity;
let wasConnected = false;

const ctx = {
  catalog,
  state: () => hooks.state,
  light: () => hooks.light,
  /** Sends a message; a shopper's action (user) makes a following error theirs. */
  send(message, { user = true } = {}) {
    if (user) lastActionAt = performance.now();
    const sent = connection.send(message);
    if (!sent && user) chrome.toast("Just a moment — reconnecting…");
    return sent;
  },
  toast: (text) => chrome.toast(text),
};

const chrome = new Chrome(document.getElementById("app"), ctx);
const glass = new Glass(hooks);
const unknown = new UnknownMessages((message) => connection.send(message));
const calibration = new CalibrationTargets(document.body);
new Interactions({
  send: (message) => ctx.send(message, { user: false }),
  screen: () => hooks.state?.screen?.name ?? null,
});

function screenKey(screen) {
  return [screen?.name ?? "attract", screen?.category ?? "", screen?.sku ?? ""].join("|");
}

function render(state) {
  const key = screenKey(state.screen);
  const name = state.screen?.name ?? "attract";
  if (current && current.key === key) {
    safely(() => current.screen.update(state));
  } else {
    const Kind = SCREENS[name];
    if (!Kind) {
      console.warn(`player: no screen called ${JSON.stringify(name)}; staying on this one`);
    } else {
      const next = safely(() => new Kind(ctx, state));
      if (next) show(next, key);
    }
  }
  document.body.dataset.screen = current?.screen.el.dataset.screen ?? name;
  safely(() => chrome.update(state));
}

function show(screen, key) {
  const old = current;
  current = { key, screen };
  if (!old) {
    stage.append(screen.el);
    return;
  }
  screen.el.classList.add("is-entering");
  old.screen.el.classList.add("is-leaving");
  stage.append(screen.el);
  requestAnimationFrame(() => requestAnimationFrame(() => screen.el.classList.remove("is-entering")));
  setTimeout(() => {
    old.screen.destroy();
    old.screen.el.remove();
  }, LEAVE_MS);
}

function safely(fn) {
  try {
    return fn();
  } catch (err) {
    console.error("player:", err);
    return null;
  }
}

function onMessage(message, receivedEpochMs) {
  switch (message.type) {
    case "state":
      // The catalogue changed (an import while the daemon runs): fetch afresh from now on.
      if (hooks.state && message.catalog?.rev !== hooks.state.catalog?.rev) catalog.forget();
      hooks.state = message;
      render(message);
      break;
    case "error":
      onError(message);
      break;
    case "pong":
      break;
    case "calibration":
      safely(() => calibration.handle(message));
      break;
    case "light":
      hooks.light = message;
      safely(() => current?.screen.light?.(message));
      break;
    default:
      if (!glass.handle(message, receivedEpochMs)) unknown.note(message);
  }
}

function onError(message) {
  console.warn(`player: ${message.code}: ${message.error}${message.field ? ` (${message.field})` : ""}`);
  if (performance.now() - lastActionAt > ERROR_AFTER_ACTION_MS || message.code === "rate_limited") return;
  lastActionAt = -Infinity;
  if (safely(() => current?.screen.error(message))) return;
  chrome.toast(FRIENDLY[message.code] ?? "Sorry — that didn't work. Please try again.");
}

function onStatus(connected) {
  hooks.connected = connected;
  document.body.dataset.connection = connected ? "open" : "reconnecting";
  chrome.connection(connected);
  if (!connected) {
    glass.cancelAll();
    calibration.hide(); // whoever drew the targets may be gone with the daemon
  } else if (wasConnected) catalog.forget(); // the daemon may have restarted with a new catalogue
  wasConnected = wasConnected || connected;
}

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const connection = new ReconnectingSocket(`${scheme}//${location.host}/player/ws`, {
  name: "player socket",
  onMessage,
  onStatus,
  hello: () => (typeof hooks.state?.rev === "number" ? { type: "hello", rev: hooks.state.rev } : { type: "hello" }),
});

render(BOOT);
onStatus(false);
connection.start();

// One WebSocket to the daemon, kept open: the player (the kiosk, on the mirror itself) and the
// associate app (phones and tablets on the store's Wi-Fi) both import this file, served at
// /static/reconnecting-socket.js.
//
// Backoff, the same for both: after a close the first try comes after 250 ms, then each wait
// doubles up to 2 s, each shortened or lengthened by up to a fifth at random so that the
// kiosk and a shop's phones do not all knock at once. The wait goes back to 250 ms once the
// daemon has answered on a new socket (a message, not just the open: a socket the daemon
// accepts and closes at once must not be retried at the quickest pace), and the browser
// coming back online tries again at once. A restarted daemon is back on every page within
// 2.4 s: a shopper must not look at "Reconnecting…" longer, and an associate must not miss a
// request for longer. Tries are cheap for both: on the mirror a refused connection costs
// nothing, and on a phone a hidden page's timers are slowed by the browser anyway.
//
// Liveness: the page sends {"type": "ping"} every 5 s (the daemon answers "pong"), and a
// socket that has heard nothing for 15 s is taken for dead and replaced: a phone that walked
// out of the Wi-Fi, a daemon that hangs. Waking up (the page shown again) checks at once.

export const FIRST_DELAY_MS = 250;
export const MAX_DELAY_MS = 2000;
export const JITTER = 0.2; // each wait is multiplied by 1 ± up to this, at random
export const PING_EVERY_MS = 5000;
export const DEAD_AFTER_MS = 15000;

export class ReconnectingSocket {
  /**
   * url: ws(s)://host/path; name: how console messages call it ("player socket");
   * onMessage(message, receivedEpochMs): each JSON object the daemon sends, with when it
   * arrived (epoch milliseconds, sub-millisecond);
   * onStatus(connected): true when a socket opens, false when it closes or is found dead;
   * onClose(closeEvent): each close of a socket the daemon accepted or refused, before the
   * next try (it may call stop(): nothing is tried again, as for a session that ended);
   * hello(): the message sent on each open, or null for none.
   */
  constructor(url, { name, onMessage, onStatus = () => {}, onClose = () => {}, hello = () => null }) {
    this.url = url;
    this.name = name;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onClose = onClose;
    this.hello = hello;
    this.ws = null;
    this.delay = FIRST_DELAY_MS;
    this.connected = false;
    this.running = false;
    this.lastHeard = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.onOnline = () => this.retryNow();
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.heartbeat();
    };
  }

  /** Opens the socket and keeps it open until stop(). */
  start() {
    if (this.running) return;
    this.running = true;
    this.delay = FIRST_DELAY_MS;
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.pingTimer = setInterval(() => this.heartbeat(), PING_EVERY_MS);
    this.open();
  }

  /** Closes the socket and tries no more (start() opens it again). */
  stop() {
    if (!this.running) return;
    this.running = false;
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    this.pingTimer = null;
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    this.setConnected(false);
  }

  /** Sends a message now; false when the socket is not open (the message is dropped). */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  open() {
    this.retryTimer = null;
    if (!this.running) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.warn(`${this.name}:`, err);
      this.retry();
      return;
    }
    this.ws = ws;
    let answered = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.lastHeard = performance.now();
      const hello = this.hello();
      if (hello) ws.send(JSON.stringify(hello));
      this.setConnected(true);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      const received = performance.timeOrigin + performance.now();
      this.lastHeard = performance.now();
      if (!answered) {
        answered = true;
        this.delay = FIRST_DELAY_MS; // the daemon is serving: a later close retries quickly
      }
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        console.warn(`${this.name}: a message that is not JSON`, event.data);
        return;
      }
      if (message && typeof message === "object" && !Array.isArray(message)) {
        this.onMessage(message, received);
      } else {
        console.warn(`${this.name}: a message that is not a JSON object`, event.data);
      }
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (event.code === 1009) console.warn(`${this.name}: a message was too big:`, event.reason);
      if (event.code === 1011) console.warn(`${this.name}: the daemon failed (its log says why)`);
      this.setConnected(false);
      this.onClose(event);
      this.retry();
    };
    ws.onerror = () => {}; // a close follows
  }

  retry() {
    if (!this.running || this.retryTimer !== null) return;
    const jitter = 1 - JITTER + Math.random() * 2 * JITTER;
    const wait = Math.round(Math.min(this.delay, MAX_DELAY_MS) * jitter);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.retryTimer = setTimeout(() => this.open(), wait);
  }

  /** The browser is back online: try at once, from the shortest wait again. */
  retryNow() {
    if (!this.running || this.ws) return;
    clearTimeout(this.retryTimer);
    this.delay = FIRST_DELAY_MS;
    this.open();
  }

  heartbeat() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (performance.now() - this.lastHeard > DEAD_AFTER_MS) {
      const dead = this.ws;
      this.ws = null;
      dead.close();
      console.warn(`${this.name}: nothing heard for ${DEAD_AFTER_MS / 1000} s; reconnecting`);
      this.setConnected(false);
      this.retry();
      return;
    }
    this.send({ type: "ping" });
  }

  setConnected(connected) {
    if (connected === this.connected) return;
    this.connected = connected;
    this.onStatus(connected);
  }
}

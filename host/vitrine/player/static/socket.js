// The page's one WebSocket to the daemon, kept open: reconnects with backoff (100 ms doubling
// to 2 s, with jitter), says hello on every open, pings to notice a dead link.

import { epochMs } from "./dom.js";

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;
const PING_EVERY_MS = 5000;
const DEAD_AFTER_MS = 15000; // nothing heard for this long: the link is dead, reopen it

export class Connection {
  /**
   * url: ws(s)://host/player/ws; onMessage(message, receivedEpochMs); onStatus(connected);
   * hello(): the hello message to send on each open.
   */
  constructor(url, { onMessage, onStatus, hello }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.hello = hello;
    this.ws = null;
    this.delay = FIRST_DELAY_MS;
    this.connected = false;
    this.lastHeard = 0;
    this.retryTimer = null;
    this.pingTimer = null;
  }

  start() {
    this.open();
    this.pingTimer = setInterval(() => this.heartbeat(), PING_EVERY_MS);
  }

  open() {
    this.retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.warn("player socket:", err);
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.delay = FIRST_DELAY_MS;
      this.lastHeard = performance.now();
      ws.send(JSON.stringify(this.hello()));
      this.setConnected(true);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      const received = epochMs();
      this.lastHeard = performance.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        console.warn("player socket: a message that is not JSON", event.data);
        return;
      }
      if (message && typeof message === "object") this.onMessage(message, received);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (event.code === 1009) console.warn("player socket: a message was too big:", event.reason);
      this.setConnected(false);
      this.retry();
    };
    ws.onerror = () => {}; // a close follows
  }

  retry() {
    if (this.retryTimer !== null) return;
    const jitter = 0.8 + Math.random() * 0.4;
    const wait = Math.round(Math.min(this.delay, MAX_DELAY_MS) * jitter);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.retryTimer = setTimeout(() => this.open(), wait);
  }

  heartbeat() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (performance.now() - this.lastHeard > DEAD_AFTER_MS) {
      const dead = this.ws;
      this.ws = null;
      dead.close();
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

  /** Sends a message now; false when the socket is not open (the message is dropped). */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }
}

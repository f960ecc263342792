// Native input on the page (a mouse, a touchscreen the browser drives itself, a keyboard in
// development): the engine hears about it as {"type": "interaction", ...}, at most one every
// 500 ms. The touch frame's own events never count here (the engine sees them on the bus), nor
// touches on the calibration overlay (a technician's).
// Also: pressed feedback for every button (glass and native alike), no context menu, no text
// selection, and no cursor unless the URL says ?cursor=1.

import { isGlass } from "./glass.js";

const MIN_GAP_MS = 500;
const SWIPE_PX = 24;

export class Interactions {
  /** send(message); screen(): the current screen's name. */
  constructor({ send, screen }) {
    this.send = send;
    this.screen = screen;
    this.lastSent = -Infinity;
    this.native = new Map(); // pointerId -> {x0, y0, moved, keypad}
    this.maxDown = 0;

    const params = new URLSearchParams(location.search);
    if (params.get("cursor") !== "1") document.documentElement.classList.add("no-cursor");

    document.addEventListener("contextmenu", (event) => event.preventDefault());
    document.addEventListener("selectstart", (event) => event.preventDefault());
    document.addEventListener("dragstart", (event) => event.preventDefault());
    document.addEventListener("pointerdown", (event) => this.down(event), { capture: true });
    document.addEventListener("pointermove", (event) => this.move(event), { capture: true });
    document.addEventListener("pointerup", (event) => this.up(event), { capture: true });
    document.addEventListener("pointercancel", (event) => this.up(event, true), { capture: true });
    document.addEventListener("wheel", () => this.report("scroll"), { passive: true });
    document.addEventListener("keydown", () => this.report("key"));
  }

  down(event) {
    const pressable = event.target.closest?.("button, .pressable");
    if (pressable && !pressable.disabled) {
      pressable.classList.add("is-pressed");
      const release = () => {
        pressable.classList.remove("is-pressed");
        window.removeEventListener("pointerup", release, true);
        window.removeEventListener("pointercancel", release, true);
      };
      window.addEventListener("pointerup", release, true);
      window.addEventListener("pointercancel", release, true);
    }
    if (isGlass(event) || !event.isTrusted) return;
    if (event.target.closest?.(".calibration")) return; // a technician's, not a shopper's
    this.native.set(event.pointerId, {
      x0: event.clientX,
      y0: event.clientY,
      moved: 0,
      keypad: Boolean(event.target.closest?.(".keypad")),
    });
    this.maxDown = Math.max(this.maxDown, this.native.size);
  }

  move(event) {
    const p = this.native.get(event.pointerId);
    if (p) p.moved = Math.max(p.moved, Math.hypot(event.clientX - p.x0, event.clientY - p.y0));
  }

  up(event, cancelled = false) {
    const p = this.native.get(event.pointerId);
    if (!p) return;
    this.native.delete(event.pointerId);
    if (this.native.size > 0) return; // the gesture ends with its last pointer
    const fingers = this.maxDown;
    this.maxDown = 0;
    if (cancelled && fingers < 2) return;
    if (fingers >= 2) this.report("pinch");
    else if (p.moved > SWIPE_PX) this.report("swipe");
    else this.report(p.keypad ? "key" : "tap");
  }

  /** Tells the engine the shopper did something (throttled). */
  report(kind) {
    const now = performance.now();
    if (now - this.lastSent < MIN_GAP_MS) return;
    const screen = this.screen();
    if (!screen) return;
    this.lastSent = now;
    this.send({ type: "interaction", kind, screen });
  }
}

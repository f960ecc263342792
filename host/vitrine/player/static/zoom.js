// The product's big image: pinch to zoom (two native fingers, or the touch frame's "pinch"),
// double-tap to zoom in and out, one finger or the mouse pans a zoomed image, the mouse
// wheel zooms in development. The image moves by a CSS transform only; while a gesture runs
// it is its own compositor layer (will-change), and afterwards the browser redraws it sharp
// at the new scale.

import { h, rafThrottle } from "./dom.js";
import { isGlass } from "./glass.js";

const MIN = 1;
const MAX = 5;
const DOUBLE_TAP_ZOOM = 2.5;
const DOUBLE_TAP_MS = 320;
const DOUBLE_TAP_PX = 48;

export class Zoomable {
  /** content: the element to zoom (an <img>); onZoom(scale) when a gesture ends. */
  constructor(content, { onZoom = null } = {}) {
    this.content = content;
    this.onZoom = onZoom;
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.pointers = new Map(); // pointerId -> {x, y, glass}
    this.gesture = null; // {kind: "pan"|"pinch", ...}
    this.lastTap = null;
    this.el = h("div.zoom", { dataset: { scale: "1" } }, h("div.zoom__content", null, content));
    this.layer = this.el.firstChild;
    this.write = rafThrottle(() => this.apply());

    const el = this.el;
    el.addEventListener("pointerdown", (e) => this.down(e));
    el.addEventListener("pointermove", (e) => this.move(e));
    el.addEventListener("pointerup", (e) => this.up(e));
    el.addEventListener("pointercancel", (e) => this.up(e, true));
    el.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    el.addEventListener("vitrine:pinch", (e) => this.glassPinch(e));
    el.addEventListener("vitrine:doubletap", (e) => {
      e.stopPropagation();
      this.toggle(e.detail.x, e.detail.y);
    });
    el.addEventListener("vitrine:swipe", (e) => {
      if (this.scale > 1.01) e.stopPropagation(); // a zoomed image pans; it does not page
    });
  }

  /** Back to the whole image. */
  reset(animate = true) {
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.settle(animate);
  }

  box() {
    const r = this.el.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  }

  // Scale about a point (container coordinates) that stays where it is on screen.
  zoomAbout(scale, px, py, from = this) {
    const k = scale / from.scale;
    this.tx = px - (px - from.tx) * k;
    this.ty = py - (py - from.ty) * k;
    this.scale = scale;
  }

  clamp(rubber = false) {
    const { width, height } = this.size;
    const lo = rubber ? MIN * 0.8 : MIN;
    const hi = rubber ? MAX * 1.25 : MAX;
    if (this.scale < lo || this.scale > hi) {
      const target = Math.max(lo, Math.min(hi, this.scale));
      this.zoomAbout(target, width / 2, height / 2);
    }
    if (!rubber) {
      const s = Math.max(this.scale, 1);
      this.tx = Math.min(0, Math.max(width - width * s, this.tx));
      this.ty = Math.min(0, Math.max(height - height * s, this.ty));
      if (this.scale <= 1) {
        this.tx = 0;
        this.ty = 0;
      }
    }
  }

  apply() {
    this.layer.style.transform = `translate3d(${this.tx.toFixed(2)}px, ${this.ty.toFixed(2)}px, 0) scale(${this.scale.toFixed(4)})`;
    this.el.dataset.scale = this.scale.toFixed(3);
    this.el.classList.toggle("is-zoomed", this.scale > 1.01);
  }

  begin() {
    this.size = this.box();
    this.layer.classList.add("is-moving");
    this.layer.classList.remove("is-settling");
  }

  settle(animate = true) {
    this.size = this.size ?? this.box();
    this.clamp(false);
    this.layer.classList.remove("is-moving");
    this.layer.classList.toggle("is-settling", animate);
    this.apply();
    if (this.scale > 1.01) this.el.classList.add("was-zoomed");
    this.onZoom?.(this.scale);
  }

  toggle(clientX, clientY) {
    this.size = this.box();
    if (this.scale > 1.01) {
      this.reset(true);
    } else {
      this.zoomAbout(DOUBLE_TAP_ZOOM, clientX - this.size.left, clientY - this.size.top);
      this.settle(true);
    }
  }

  // --- pointers -----------------------------------------------------------------------------

  down(event) {
    if (event.button > 0) return;
    const glass = isGlass(event);
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY, glass });
    if (!glass) {
      try {
        this.el.setPointerCapture(event.pointerId);
      } catch {
        // not a pointer the browser tracks
      }
    }
    this.startGesture();
  }

  // What the pointers now down do: two native fingers pinch; one pointer pans a zoomed
  // image; the frame's two fingers are the frame's pinch (vitrine:pinch), not ours.
  startGesture() {
    const all = [...this.pointers.values()];
    const native = [...this.pointers.entries()].filter(([, p]) => !p.glass);
    this.begin();
    const from = { scale: this.scale, tx: this.tx, ty: this.ty };
    if (native.length >= 2) {
      const [a, b] = native.slice(0, 2).map(([, p]) => p);
      const mid = this.local((a.x + b.x) / 2, (a.y + b.y) / 2);
      this.gesture = { kind: "pinch", ids: native.slice(0, 2).map(([id]) => id), from, mid, dist: dist(a, b) };
    } else if (all.length === 1) {
      const [p] = all;
      this.gesture = { kind: "pan", from, x0: p.x, y0: p.y, moved: 0 };
    } else {
      this.gesture = null;
    }
  }

  local(x, y) {
    return { x: x - this.size.left, y: y - this.size.top };
  }

  move(event) {
    const p = this.pointers.get(event.pointerId);
    if (!p) return;
    p.x = event.clientX;
    p.y = event.clientY;
    const g = this.gesture;
    if (!g) return;
    if (g.kind === "pinch") {
      const [a, b] = g.ids.map((id) => this.pointers.get(id));
      if (!a || !b) return;
      const mid = this.local((a.x + b.x) / 2, (a.y + b.y) / 2);
      const scale = g.from.scale * (dist(a, b) / Math.max(1, g.dist));
      // The point under the fingers' first midpoint follows their midpoint now.
      const k = scale / g.from.scale;
      this.scale = scale;
      this.tx = mid.x - (g.mid.x - g.from.tx) * k;
      this.ty = mid.y - (g.mid.y - g.from.ty) * k;
      this.clamp(true);
      this.write();
    } else if (g.kind === "pan") {
      g.moved = Math.max(g.moved, Math.hypot(p.x - g.x0, p.y - g.y0));
      if (this.scale <= 1.01) return;
      this.tx = g.from.tx + (p.x - g.x0);
      this.ty = g.from.ty + (p.y - g.y0);
      this.write();
    }
  }

  up(event, cancelled = false) {
    const p = this.pointers.get(event.pointerId);
    if (!p) return;
    this.pointers.delete(event.pointerId);
    const g = this.gesture;
    if (!cancelled && !p.glass && g?.kind === "pan" && g.moved < 12) this.nativeTap(event);
    if (this.pointers.size > 0) {
      this.startGesture(); // one finger of a pinch lifted: the other pans on from here
      return;
    }
    this.gesture = null;
    this.settle(true);
  }

  nativeTap(event) {
    const now = event.timeStamp;
    const last = this.lastTap;
    if (
      last &&
      now - last.t < DOUBLE_TAP_MS &&
      Math.hypot(event.clientX - last.x, event.clientY - last.y) < DOUBLE_TAP_PX
    ) {
      this.lastTap = null;
      this.toggle(last.x, last.y);
      return;
    }
    this.lastTap = { t: now, x: event.clientX, y: event.clientY };
  }

  wheel(event) {
    event.preventDefault();
    this.begin();
    const at = this.local(event.clientX, event.clientY);
    const scale = Math.max(MIN, Math.min(MAX, this.scale * Math.exp(-event.deltaY / 400)));
    this.zoomAbout(scale, at.x, at.y);
    this.clamp(false);
    this.apply();
    clearTimeout(this.wheelTimer);
    this.wheelTimer = setTimeout(() => this.settle(false), 200);
  }

  // --- the touch frame's pinch -----------------------------------------------------------

  glassPinch(event) {
    event.stopPropagation();
    const { phase, scale, x, y } = event.detail;
    if (phase === "begin" || !this.glass) {
      this.begin();
      this.gesture = null; // the frame's fingers pan no more: the pinch moves the image now
      this.glass = { from: { scale: this.scale, tx: this.tx, ty: this.ty }, mid: this.local(x, y) };
    }
    const g = this.glass;
    const mid = this.local(x, y);
    const next = g.from.scale * Number(scale || 1);
    const k = next / g.from.scale;
    this.scale = next;
    this.tx = mid.x - (g.mid.x - g.from.tx) * k;
    this.ty = mid.y - (g.mid.y - g.from.ty) * k;
    this.clamp(true);
    if (phase === "end") {
      this.glass = null;
      this.settle(true);
    } else {
      this.write();
    }
  }
}

function dist(a, b) {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

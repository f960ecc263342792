// The touch frame's events, as they come over the socket, turned into what the page's
// handlers already understand:
// - "pointer" messages become real DOM pointer events (pointerdown / pointermove / pointerup,
//   and a click when a contact went up where it went down) at the element under (x, y), so
//   one set of handlers serves the glass, a mouse and native touch;
// - the frame's gestures ("swipe", "pinch", "double_tap") become bubbling DOM events
//   "vitrine:swipe", "vitrine:pinch", "vitrine:doubletap" at the element under the gesture,
//   for the carousels and the zoomable image. The page does not recognise gestures in glass
//   pointers itself: the frame's recogniser has done that already.
// - the camera's hand gestures ("swipe_left", "swipe_right", "open_palm", "wave"; no position)
//   act on the screen as a whole: a swipe turns the page under the screen's middle, as a
//   swipe there on the glass would, an open palm presses the screen's back button, and a
//   wave needs nothing here (the engine starts or keeps the session).

import { epochMs } from "./dom.js";

export const GLASS_POINTER_BASE = 1_000_000; // DOM pointerId = base + the frame's contact id
const CLICK_SLOP_PX = 16; // the frame's tap slop
const HANDLED_CAP = 1000;

/** True for a DOM event dispatched from the touch frame. */
export function isGlass(event) {
  return event.vitrineGlass === true;
}

export class Glass {
  /** hooks: window.vitrine (lastPointer, handled). */
  constructor(hooks) {
    this.hooks = hooks;
    this.pointers = new Map(); // contact id -> {id, target, x0, y0, x, y, primary}
    this.pinchTarget = null;
    // Measurement: the first capture listener on the window sees a glass pointerdown before
    // any handler of the page does.
    window.addEventListener("pointerdown", (event) => this.measure(event), { capture: true });
  }

  /** One touch-frame message from the socket; false when it is not one. */
  handle(message, receivedEpochMs) {
    switch (message.type) {
      case "pointer":
        this.pointer(message, receivedEpochMs);
        return true;
      case "swipe":
        this.gesture("vitrine:swipe", message, this.at(message.x, message.y));
        return true;
      case "double_tap":
        this.gesture("vitrine:doubletap", message, this.at(message.x, message.y));
        return true;
      case "pinch": {
        if (message.phase === "begin" || !this.pinchTarget?.isConnected) {
          this.pinchTarget = this.at(message.x, message.y);
        }
        const target = this.pinchTarget;
        if (message.phase === "end") this.pinchTarget = null;
        this.gesture("vitrine:pinch", message, target);
        return true;
      }
      case "swipe_left":
      case "swipe_right": {
        const direction = message.type === "swipe_left" ? "left" : "right";
        const target = this.at(window.innerWidth / 2, window.innerHeight / 2);
        this.gesture("vitrine:swipe", { ...message, direction }, target);
        return true;
      }
      case "open_palm":
        document.querySelector("button.back")?.click();
        return true;
      case "wave":
      case "tap":
      case "long_press":
      case "rotate":
        // The pointers already did what a tap does; a long press opens no menu on this page
        // and nothing turns.
        return true;
      default:
        return false;
    }
  }

  at(x, y) {
    return document.elementFromPoint(x, y) ?? document.body;
  }

  pointer(message, receivedEpochMs) {
    const { kind, id } = message;
    const x = Number(message.x);
    const y = Number(message.y);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    let contact = this.pointers.get(id);
    if (kind === "down") {
      if (contact) this.fire("pointercancel", contact, message); // a lost up
      contact = { id, target: this.at(x, y), x0: x, y0: y, x, y, primary: this.pointers.size === 0 };
      this.pointers.set(id, contact);
      this.hooks.lastPointer = { id, t_epoch_ms: receivedEpochMs, handled_epoch_ms: null };
      this.fire("pointerdown", contact, message);
      return;
    }
    if (!contact) return; // a move or up for a contact this page never saw go down
    contact.x = x;
    contact.y = y;
    if (kind === "move") {
      this.fire("pointermove", contact, message);
      return;
    }
    this.pointers.delete(id);
    this.fire("pointerup", contact, message);
    if (Math.hypot(x - contact.x0, y - contact.y0) <= CLICK_SLOP_PX && contact.target.isConnected) {
      const under = this.at(x, y);
      const target = commonAncestor(contact.target, under);
      if (target) {
        target.dispatchEvent(
          new MouseEvent("click", {
            bubbles: true,
            cancelable: true,
            composed: true,
            clientX: x,
            clientY: y,
            screenX: x,
            screenY: y,
            button: 0,
            detail: 1,
          }),
        );
      }
    }
  }

  /** Every contact still down goes up as cancelled (the socket closed under them). */
  cancelAll() {
    for (const contact of this.pointers.values()) this.fire("pointercancel", contact, {});
    this.pointers.clear();
    this.pinchTarget = null;
  }

  fire(type, contact, message) {
    const down = type === "pointerdown" || type === "pointermove";
    const diameterPx = Math.max(1, (Number(message.diameter_mm) || 9) * 4);
    const event = new PointerEvent(type, {
      bubbles: true,
      cancelable: true,
      composed: true,
      pointerId: GLASS_POINTER_BASE + contact.id,
      pointerType: "touch",
      isPrimary: contact.primary,
      clientX: contact.x,
      clientY: contact.y,
      screenX: contact.x,
      screenY: contact.y,
      button: type === "pointermove" ? -1 : 0,
      buttons: down ? 1 : 0,
      pressure: down ? 0.5 : 0,
      width: diameterPx,
      height: diameterPx,
    });
    event.vitrineGlass = true;
    event.vitrineId = contact.id;
    event.vitrineScan = message.scan;
    const target = contact.target.isConnected ? contact.target : this.at(contact.x, contact.y);
    target.dispatchEvent(event);
  }

  gesture(name, message, target) {
    target.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: message }));
  }

  measure(event) {
    if (!isGlass(event)) return;
    const handled = epochMs();
    const hooks = this.hooks;
    if (hooks.lastPointer && hooks.lastPointer.id === event.vitrineId) {
      hooks.lastPointer.handled_epoch_ms = handled;
    }
    hooks.handled.push({ id: event.vitrineId, scan: event.vitrineScan, handled_epoch_ms: handled });
    if (hooks.handled.length > HANDLED_CAP) hooks.handled.splice(0, hooks.handled.length - HANDLED_CAP);
  }
}

function commonAncestor(a, b) {
  if (!b) return null;
  for (let node = a; node; node = node.parentNode) {
    if (node.contains(b)) return node;
  }
  return null;
}

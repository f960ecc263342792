// The touch calibration's targets (`vitrine calibrate touch`, through the daemon): while a
// "calibration" message with a step is the last one, an opaque overlay above everything shows a
// large crosshair centred exactly on the target's display pixel (= CSS pixel on the kiosk), a
// pulsing ring around it, "Step 2 of 4" and what to do; the message with step null hides it.
// The overlay takes every pointer (the glass's and native ones): the daemon reads the touches
// itself, and a technician touching a target must not press the shopper's screen beneath
// (a corner target sits where the screens keep their buttons).

import { h } from "./dom.js";

export class CalibrationTargets {
  constructor(root) {
    this.target = h(
      "div.calibration__target",
      null,
      h("span.calibration__pulse"),
      h("span.calibration__ring"),
      h("span.calibration__line.calibration__line--h"),
      h("span.calibration__line.calibration__line--v"),
      h("span.calibration__dot"),
    );
    this.step = h("p.calibration__step");
    this.text = h("p.calibration__text");
    this.panel = h("div.calibration__panel", null, this.step, this.text);
    this.el = h("div.calibration", { hidden: true, role: "status" }, this.target, this.panel);
    root.append(this.el);
  }

  /** One "calibration" message from the socket. */
  handle(message) {
    const step = message.step;
    const of = message.of;
    const x = Number(message.x);
    const y = Number(message.y);
    if (
      !Number.isInteger(step) ||
      message.x === null ||
      message.y === null ||
      !Number.isFinite(x) ||
      !Number.isFinite(y)
    ) {
      this.hide();
      return;
    }
    this.target.style.left = `${x}px`;
    this.target.style.top = `${y}px`;
    this.step.textContent = Number.isInteger(of) && of > 0 ? `Step ${step} of ${of}` : `Step ${step}`;
    this.text.textContent = typeof message.text === "string" ? message.text : "";
    // The words go to the half of the screen the target is not in.
    this.panel.classList.toggle("is-top", y > window.innerHeight / 2);
    // A new step starts its pulse afresh, so the eye goes to where the target moved.
    if (this.el.dataset.step !== String(step)) {
      for (const ring of this.target.querySelectorAll(".calibration__pulse")) {
        ring.style.animation = "none";
        void ring.offsetWidth;
        ring.style.animation = "";
      }
    }
    this.el.dataset.step = String(step);
    this.el.hidden = false;
  }

  hide() {
    this.el.hidden = true;
    delete this.el.dataset.step;
  }

  get shown() {
    return !this.el.hidden;
  }
}

// Pages side by side that a swipe turns: the browse grid's pages ("pages") and the one-big-
// item carousel ("carousel", neighbours peeking at the sides). A finger or the mouse drags
// the track; the touch frame's swipe arrives as "vitrine:swipe"; big arrow buttons do the
// same. Only transform and opacity move, so turning a page never lays the page out again.

import { h } from "./dom.js";
import { isGlass } from "./glass.js";
import { icons } from "./icons.js";

const TURN_FRACTION = 0.18; // of a page's width, dragged, turns the page
const TURN_VELOCITY = 0.45; // px/ms at release turns the page
const DRAG_START_PX = 10;
const MAX_DOTS = 12; // more pages than this show "3 / 40" instead of a dot each

export class Pager {
  /**
   * items: elements, one per page (or per carousel item); onPage(index) after a turn; count: the
   * pages there will be once every item has come (append()), when they come a batch at a time.
   */
  constructor({ items, mode = "pages", label = "", onPage = null, start = 0, count = null }) {
    this.items = items;
    this.count = Math.max(count ?? 0, items.length);
    this.mode = mode;
    this.onPage = onPage;
    this.index = Math.max(0, Math.min(start, items.length - 1));
    this.width = 0;
    this.pageWidth = 0;
    this.offset = 0;
    this.drag = null;
    this.suppressClick = false;

    this.pages = items.map((item, i) => pageOf(item, i));
    this.track = h("div.pager__track", null, this.pages);
    this.viewport = h("div.pager__viewport", null, this.track);
    this.prevButton = h("button.pager__arrow.pager__arrow--prev", {
      type: "button",
      "aria-label": "Previous",
      svg: icons.back,
      onclick: () => this.turn(-1),
    });
    this.nextButton = h("button.pager__arrow.pager__arrow--next", {
      type: "button",
      "aria-label": "Next",
      svg: icons.next,
      onclick: () => this.turn(1),
    });
    this.dots = h(
      "div.pager__dots",
      { "aria-hidden": "true" },
      items.map(() => h("span.pager__dot")),
    );
    this.position = h("span.pager__position", { "aria-hidden": "true" });
    this.el = h(
      `div.pager.pager--${mode}`,
      { "aria-label": label, dataset: { page: String(this.index), pages: String(items.length) } },
      this.viewport,
      h("div.pager__nav", null, this.prevButton, this.dots, this.position, this.nextButton),
    );

    this.viewport.addEventListener("pointerdown", (e) => this.down(e));
    this.viewport.addEventListener("pointermove", (e) => this.move(e));
    this.viewport.addEventListener("pointerup", (e) => this.up(e));
    this.viewport.addEventListener("pointercancel", (e) => this.up(e, true));
    this.viewport.addEventListener("click", (e) => this.click(e), { capture: true });
    this.el.addEventListener("vitrine:swipe", (e) => this.swipe(e));
    this.resize = new ResizeObserver(() => this.layout());
    this.resize.observe(this.viewport);
    this.markActive();
  }

  destroy() {
    this.resize.disconnect();
  }

  /** More pages after the last one (a screen that loads its items as the shopper pages on). */
  append(items) {
    for (const item of items) {
      const page = pageOf(item, this.items.length);
      this.items.push(item);
      this.pages.push(page);
      this.track.append(page);
      this.dots.append(h("span.pager__dot"));
    }
    this.count = Math.max(this.count, this.items.length);
    this.el.dataset.pages = String(this.items.length);
    this.markActive();
  }

  layout() {
    const width = this.viewport.clientWidth;
    const height = this.viewport.clientHeight;
    if (!width) return;
    this.width = width;
    if (this.mode === "carousel") {
      this.pageWidth = Math.round(width * (width > height * 1.3 ? 0.4 : 0.74));
      this.offset = (width - this.pageWidth) / 2;
    } else {
      this.pageWidth = width;
      this.offset = 0;
    }
    this.track.style.setProperty("--page-w", `${this.pageWidth}px`);
    this.place(0, false);
  }

  place(dx = 0, animate = true) {
    this.track.classList.toggle("is-dragging", !animate);
    const x = this.offset - this.index * this.pageWidth + dx;
    this.track.style.transform = `translate3d(${x.toFixed(1)}px, 0, 0)`;
  }

  /** Turns by delta pages (clamped); true when the page changed. */
  turn(delta) {
    return this.goTo(this.index + delta);
  }

  goTo(index) {
    const next = Math.max(0, Math.min(index, this.items.length - 1));
    const changed = next !== this.index;
    this.index = next;
    this.place(0, true);
    this.markActive();
    if (changed) this.onPage?.(next);
    return changed;
  }

  markActive() {
    this.el.dataset.page = String(this.index);
    this.pages.forEach((page, i) => page.classList.toggle("is-active", i === this.index));
    [...this.dots.children].forEach((dot, i) => dot.classList.toggle("is-active", i === this.index));
    const many = this.count > MAX_DOTS;
    this.dots.hidden = many;
    this.position.hidden = !many;
    this.position.textContent = many ? `${this.index + 1} / ${this.count}` : "";
    this.prevButton.disabled = this.index === 0;
    this.nextButton.disabled = this.index >= this.items.length - 1;
    this.el.classList.toggle("is-single", this.items.length <= 1);
  }

  // --- a finger or the mouse drags the track (the frame's fingers swipe instead) ---------

  down(event) {
    this.suppressClick = false;
    if (isGlass(event) || !event.isPrimary || event.button > 0 || this.items.length < 2) return;
    this.drag = { id: event.pointerId, x0: event.clientX, y0: event.clientY, t0: event.timeStamp };
    this.drag.dx = 0;
    this.drag.active = false;
  }

  move(event) {
    const d = this.drag;
    if (!d || event.pointerId !== d.id) return;
    const dx = event.clientX - d.x0;
    const dy = event.clientY - d.y0;
    if (!d.active) {
      if (Math.abs(dx) < DRAG_START_PX || Math.abs(dx) < Math.abs(dy)) return;
      d.active = true;
      try {
        this.viewport.setPointerCapture(event.pointerId);
      } catch {
        // a pointer the browser does not track: the drag works without capture
      }
    }
    const atEdge = (dx > 0 && this.index === 0) || (dx < 0 && this.index === this.items.length - 1);
    d.dx = atEdge ? dx / 3 : dx; // resist past the first and the last page
    d.vx = (event.clientX - (d.lastX ?? d.x0)) / Math.max(1, event.timeStamp - (d.lastT ?? d.t0));
    d.lastX = event.clientX;
    d.lastT = event.timeStamp;
    this.place(d.dx, false);
  }

  up(event, cancelled = false) {
    const d = this.drag;
    if (!d || event.pointerId !== d.id) return;
    this.drag = null;
    if (!d.active) return;
    this.suppressClick = true;
    const velocity = d.vx ?? 0;
    let delta = 0;
    if (!cancelled) {
      if (d.dx < -this.pageWidth * TURN_FRACTION || velocity < -TURN_VELOCITY) delta = 1;
      else if (d.dx > this.pageWidth * TURN_FRACTION || velocity > TURN_VELOCITY) delta = -1;
    }
    if (!this.turn(delta)) this.place(0, true);
  }

  click(event) {
    if (!this.suppressClick) return;
    this.suppressClick = false;
    event.stopPropagation();
    event.preventDefault();
  }

  swipe(event) {
    const direction = event.detail?.direction;
    if (direction !== "left" && direction !== "right") return;
    event.stopPropagation();
    this.turn(direction === "left" ? 1 : -1);
  }
}

function pageOf(item, index) {
  return h("div.pager__page", { "aria-roledescription": "slide", dataset: { index: String(index) } }, item);
}

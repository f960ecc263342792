// What every screen has: its element, the context it draws with, and a life: built for one
// screen of the state (name, category, sku), updated by every later state for the same
// screen, destroyed when the engine moves on.

import { button, h, image, plural } from "./dom.js";
import { icons } from "./icons.js";

export class Screen {
  /** ctx: {send(action), catalog, state(), toast(text)}. */
  constructor(ctx, state, name) {
    this.ctx = ctx;
    this.state = state;
    this.alive = true;
    this.cleanups = [];
    this.el = h(`section.screen.screen--${name}`, { dataset: { screen: name } });
  }

  /** A later state for the same screen. */
  update(state) {
    this.state = state;
  }

  /** An "error" from the engine right after this screen sent something; true when the
   * screen showed it itself (otherwise the page shows a toast). */
  error(_message) {
    return false;
  }

  destroy() {
    this.alive = false;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** Runs fn(value) when the promise settles, unless the screen is gone by then. */
  when(promise, fn) {
    promise.then(
      (value) => {
        if (this.alive) fn(value);
      },
      (err) => {
        console.warn("player:", err);
        if (this.alive) this.failed?.(err);
      },
    );
  }

  /** Listens until the screen is destroyed. */
  listen(target, type, fn, options) {
    target.addEventListener(type, fn, options);
    this.cleanups.push(() => target.removeEventListener(type, fn, options));
  }

  navigate(screen, extra = {}) {
    this.ctx.send({ type: "navigate", screen, ...extra });
  }
}

/** A screen's heading: an optional back button, a title and a line under it. */
export function header(title, subtitle = null, back = null) {
  return h(
    "header.screen__header",
    null,
    back
      ? h(
          "button.back",
          { type: "button", "aria-label": "Back", onclick: back },
          h("span.back__icon", { svg: icons.back }),
          h("span", { text: "Back" }),
        )
      : null,
    h(
      "div.screen__titles",
      null,
      h("h1.title", { text: title }),
      subtitle ? h("p.subtitle", { text: subtitle }) : null,
    ),
  );
}

/** A product card: image, name, price, colours; reasons (plain words) when given. */
export function productCard(card, { onclick = null, reasons = null, extra = null, size = "" } = {}) {
  const colours = (card.colours ?? []).slice(0, 5);
  return h(
    `article.card.pressable${size ? `.card--${size}` : ""}`,
    { dataset: { sku: card.sku }, onclick, role: onclick ? "button" : null },
    h("div.card__media", null, image(card.image ?? card.images?.[0], { alt: card.name })),
    h(
      "div.card__body",
      null,
      h("p.card__brand", { text: card.brand ?? "" }),
      h("h3.card__name", { text: card.name }),
      h(
        "div.card__meta",
        null,
        h("span.card__price", { text: card.price ?? "" }),
        colours.length
          ? h(
              "span.card__colours",
              { "aria-label": colours.map((c) => c.name).join(", ") },
              colours.map((c) => h("i.swatch-dot", { style: { background: c.hex } })),
            )
          : null,
      ),
      reasons?.length
        ? h("p.card__reason", null, h("span.card__reason-icon", { svg: icons.sparkle }), reasons[0])
        : null,
      extra,
    ),
  );
}

/** A quiet line shown while a screen's data is on its way. */
export function loading(text = "One moment…") {
  return h(
    "div.loading",
    null,
    h("span.loading__dot"),
    h("span.loading__dot"),
    h("span.loading__dot"),
    h("span.sr", { text }),
  );
}

/** Shown when there is nothing to show: a line of text and an optional way on. */
export function empty(text, action = null) {
  return h(
    "div.empty",
    null,
    h("p.empty__text", { text }),
    action ? button(action.label, action.onclick, { kind: "primary" }) : null,
  );
}

export { plural };

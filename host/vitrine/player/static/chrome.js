// What stays on the glass around the screens: the bottom bar while a shopper is engaged,
// the banner with the state of their request, the "Need a hand?" offer, toasts and the
// "Reconnecting…" badge.

import { button, fill, h } from "./dom.js";
import { icons } from "./icons.js";

const BAR_SCREENS = new Set(["home", "browse", "product", "look", "lighting", "help", "loyalty", "enrol", "wishlist"]);
const FULFILLED_SHOWN_MS = 8000;
const TOAST_MS = 3200;

export class Chrome {
  constructor(root, ctx) {
    this.ctx = ctx;
    this.bar = h("nav.bar", { "aria-label": "Menu", hidden: true });
    this.banner = h("div.banner", { role: "status", "aria-live": "polite" });
    this.offer = h("div.offer", { role: "dialog", "aria-modal": "true" });
    this.toastEl = h("div.toast", { role: "alert" });
    this.badge = h("div.badge", null, h("span.badge__dot"), "Reconnecting…");
    root.append(this.banner, this.bar, this.offer, this.toastEl, this.badge);
    this.fulfilledSeen = new Map(); // request id -> when this page first saw it fulfilled
    this.dismissedOffer = null;
    this.barKey = null;
    this.bannerKey = null;
  }

  update(state) {
    this.drawBar(state);
    this.drawBanner(state);
    this.drawOffer(state);
  }

  // --- bottom bar ---------------------------------------------------------------------------

  drawBar(state) {
    const screen = state.screen?.name;
    const member = Boolean(state.session?.member);
    const show = BAR_SCREENS.has(screen);
    document.body.classList.toggle("has-bar", show);
    this.bar.hidden = !show;
    const key = `${show}|${screen}|${member}`;
    if (key === this.barKey) return;
    this.barKey = key;
    if (!show) return;
    const send = this.ctx.send;
    const item = (name, label, icon, onclick, active) =>
      h(
        "button.bar__item",
        {
          type: "button",
          class: active ? "is-active" : "",
          dataset: { bar: name },
          onclick,
          "aria-current": active ? "page" : null,
        },
        h("span.bar__icon", { svg: icon }),
        h("span.bar__label", { text: label }),
      );
    const go = (name) => () => send({ type: "navigate", screen: name });
    fill(
      this.bar,
      item("home", "Home", icons.home, go("home"), ["home", "browse", "product", "look"].includes(screen)),
      item("lighting", "Lighting", icons.light, go("lighting"), screen === "lighting"),
      item("help", "Help", icons.help, go("help"), screen === "help"),
      member
        ? item("wishlist", "Wishlist", icons.heart, go("wishlist"), screen === "wishlist")
        : item("loyalty", "Loyalty", icons.card, go("loyalty"), screen === "loyalty" || screen === "enrol"),
      item("done", "I'm done", icons.done, () => send({ type: "end" }), false),
    );
  }

  // --- request banner -----------------------------------------------------------------------

  drawBanner(state) {
    const requests = state.requests ?? [];
    const now = performance.now();
    for (const r of requests) {
      if (r.status === "fulfilled" && !this.fulfilledSeen.has(r.id)) this.fulfilledSeen.set(r.id, now);
    }
    const open = requests.filter((r) => r.status === "pending" || r.status === "acknowledged");
    let shown = open[open.length - 1];
    if (!shown) {
      shown = requests
        .filter((r) => r.status === "fulfilled" && now - this.fulfilledSeen.get(r.id) < FULFILLED_SHOWN_MS)
        .pop();
      if (shown) {
        clearTimeout(this.bannerTimer);
        this.bannerTimer = setTimeout(() => this.drawBanner(this.ctx.state() ?? state), FULFILLED_SHOWN_MS + 50);
      }
    }
    const visible = Boolean(shown) && BAR_SCREENS.has(state.screen?.name);
    const key = visible ? JSON.stringify([shown.id, shown.status, shown.associate, shown.label, open.length]) : "";
    if (key === this.bannerKey) return;
    this.bannerKey = key;
    this.banner.classList.toggle("is-shown", visible);
    document.body.classList.toggle("has-banner", visible);
    if (!visible) return;
    const help = shown.kind === "help";
    const label = shown.label || (help ? "" : "your item");
    let icon;
    let title;
    let line;
    if (shown.status === "pending") {
      icon = icons.clock;
      title = help ? "Asked for an associate" : `Asked for ${label}`;
      line = "Someone will be with you shortly.";
    } else if (shown.status === "acknowledged") {
      icon = icons.person;
      title = `${shown.associate || "An associate"} is on the way`;
      line = help ? "Coming to help you." : `Bringing ${label}.`;
    } else {
      icon = icons.check;
      title = help ? "Glad we could help" : "Here it is — enjoy!";
      line = help ? "" : label;
    }
    this.banner.dataset.status = shown.status;
    fill(
      this.banner,
      h("span.banner__icon", { svg: icon }),
      h(
        "div.banner__text",
        null,
        h("p.banner__title", { text: title }),
        line ? h("p.banner__line", { text: line }) : null,
      ),
      shown.status === "pending"
        ? button("Cancel", () => this.ctx.send({ type: "cancel_request", id: shown.id }), {
            kind: "ghost",
            cls: "btn--small banner__cancel",
          })
        : null,
    );
    // The screens make room for the banner (read once per change of the banner).
    document.body.style.setProperty("--banner-h", `${this.banner.offsetHeight}px`);
  }

  // --- "Need a hand?" -----------------------------------------------------------------------

  drawOffer(state) {
    const offer = state.offer_help ?? null;
    if (!offer) this.dismissedOffer = null;
    const engaged = BAR_SCREENS.has(state.screen?.name);
    const show = Boolean(offer) && engaged && this.dismissedOffer === null;
    if (show === this.offer.classList.contains("is-shown")) return;
    this.offer.classList.toggle("is-shown", show);
    if (!show) return;
    fill(
      this.offer,
      h(
        "div.offer__card",
        null,
        h("div.offer__icon", { svg: icons.person }),
        h("h2.offer__title", { text: "Need a hand?" }),
        h("p.offer__text", { text: "An associate can bring another size, a different colour or an honest opinion." }),
        h(
          "div.offer__actions",
          null,
          button(
            "Call an associate",
            () => {
              this.hideOffer(offer);
              this.ctx.send({ type: "request", kind: "help" });
            },
            { kind: "primary", icon: icons.person, cls: "btn--wide", attrs: { "data-offer": "call" } },
          ),
          button(
            "No thanks",
            () => {
              this.hideOffer(offer);
              const screen = this.ctx.state()?.screen?.name;
              if (screen) this.ctx.send({ type: "interaction", kind: "tap", screen }, { user: false });
            },
            { kind: "secondary", cls: "btn--wide", attrs: { "data-offer": "dismiss" } },
          ),
        ),
      ),
    );
  }

  hideOffer(offer) {
    this.dismissedOffer = offer;
    this.offer.classList.remove("is-shown");
  }

  // --- toast and badge ------------------------------------------------------------------------

  toast(text) {
    this.toastEl.textContent = text;
    this.toastEl.classList.add("is-shown");
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.toastEl.classList.remove("is-shown"), TOAST_MS);
  }

  connection(connected) {
    this.badge.classList.toggle("is-shown", !connected);
  }
}

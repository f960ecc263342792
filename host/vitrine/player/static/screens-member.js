// The loyalty screens: consent in plain words, the on-screen keypad for the loyalty ID (a
// kiosk has no keyboard), and the member's wishlist with "Forget me".

import { button, fill, h, plainDate } from "./dom.js";
import { icons } from "./icons.js";
import { Pager } from "./pager.js";
import { empty, header, loading, productCard, Screen } from "./screen.js";

const LOYALTY_ID = /^[A-Za-z0-9-]{4,32}$/;

// --- loyalty: consent ---------------------------------------------------------------------

export class LoyaltyScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "loyalty");
    this.body = h("div.consent");
    this.el.append(this.body);
    this.update(state);
  }

  update(state) {
    super.update(state);
    const member = state.session?.member;
    const key = member ? "member" : "guest";
    if (key === this.key) return;
    this.key = key;
    if (member) {
      fill(
        this.body,
        header("You're signed in", "Your wishlist and past purchases are with you on this mirror."),
        h(
          "div.consent__actions",
          null,
          button("See my wishlist", () => this.navigate("wishlist"), {
            kind: "primary",
            icon: icons.heart,
            cls: "btn--wide",
          }),
        ),
      );
      return;
    }
    const item = (icon, title, text) =>
      h(
        "li.consent__item",
        null,
        h("span.consent__icon", { svg: icon }),
        h("div", null, h("p.consent__item-title", { text: title }), h("p.consent__item-text", { text })),
      );
    fill(
      this.body,
      header("Use your loyalty card here?", "Save pieces you like and see what you've bought before."),
      h(
        "ul.consent__list",
        null,
        item(icons.card, "What we keep", "Your loyalty ID, your wishlist and your past purchases."),
        item(icons.clock, "For how long", "Until you ask us to forget you. Nothing is kept if you say no."),
        item(icons.close, "How to delete it", "Tap “Forget me” on your wishlist, any time, on any visit."),
      ),
      h(
        "div.consent__actions",
        null,
        button("Yes, use my card", () => this.ctx.send({ type: "consent", accept: true }), {
          kind: "primary",
          icon: icons.check,
          cls: "btn--wide",
          attrs: { "data-consent": "accept" },
        }),
        button("No thanks", () => this.ctx.send({ type: "consent", accept: false }), {
          kind: "secondary",
          cls: "btn--wide",
          attrs: { "data-consent": "decline" },
        }),
      ),
    );
  }
}

// --- enrol: the keypad ----------------------------------------------------------------------

const DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "0", "⌫"];
const LETTERS = "QWERTYUIOPASDFGHJKLZXCVBNM".split("");

export class EnrolScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "enrol");
    this.value = "";
    this.mode = "digits";
    this.field = h("div.keyfield", { "aria-live": "polite" });
    this.message = h("p.keyfield__message");
    this.keys = h("div.keypad");
    this.done = button("Done", () => this.submit(), {
      kind: "primary",
      icon: icons.check,
      cls: "btn--wide",
      attrs: { "data-key": "done" },
    });
    this.el.append(
      header("Type your loyalty number", "It's on your card or in the app.", () => this.navigate("loyalty")),
      this.field,
      this.message,
      this.keys,
      h("div.keypad__actions", null, this.done),
    );
    this.drawKeys();
    this.drawField();
  }

  key(label, onclick, cls = "") {
    return h(
      "button.key",
      { type: "button", class: cls, dataset: { key: label }, onclick },
      label === "⌫" ? h("span.key__icon", { svg: icons.backspace, "aria-label": "Delete" }) : label,
    );
  }

  drawKeys() {
    const type = (ch) => () => this.type(ch);
    const toggle = this.key(
      this.mode === "digits" ? "ABC" : "123",
      () => {
        this.mode = this.mode === "digits" ? "letters" : "digits";
        this.drawKeys();
      },
      "key--mode",
    );
    if (this.mode === "digits") {
      fill(
        this.keys,
        DIGITS.map((d) => (d === "⌫" ? this.key(d, () => this.erase(), "key--erase") : this.key(d, type(d)))),
        toggle,
      );
      this.keys.className = "keypad keypad--digits";
    } else {
      fill(
        this.keys,
        LETTERS.map((l) => this.key(l, type(l))),
        this.key("-", type("-")),
        this.key("⌫", () => this.erase(), "key--erase"),
        toggle,
      );
      this.keys.className = "keypad keypad--letters";
    }
  }

  type(ch) {
    if (this.value.length >= 32) return;
    this.value += ch;
    this.message.textContent = "";
    this.drawField();
  }

  erase() {
    this.value = this.value.slice(0, -1);
    this.message.textContent = "";
    this.drawField();
  }

  drawField() {
    fill(
      this.field,
      this.value
        ? h("span.keyfield__value", { text: this.value })
        : h("span.keyfield__placeholder", { text: "Loyalty number" }),
      h("span.keyfield__caret"),
    );
    this.done.disabled = !LOYALTY_ID.test(this.value);
  }

  submit() {
    if (!LOYALTY_ID.test(this.value)) {
      this.message.textContent = "4 to 32 letters, digits or dashes";
      return;
    }
    this.ctx.send({ type: "enrol", loyalty_id: this.value });
  }

  error(message) {
    this.message.textContent =
      message.code === "not_found"
        ? "We couldn't find that number. Check it and try again."
        : message.code === "not_allowed"
          ? "Please accept the terms first."
          : "That number doesn't look right. Check it and try again.";
    return true;
  }
}

// --- wishlist -------------------------------------------------------------------------------

export class WishlistScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "wishlist");
    this.confirm = null;
    this.update(state);
  }

  build(member) {
    this.pager?.destroy();
    this.pager = null;
    this.confirm = null;
    if (!member) {
      fill(
        this.el,
        header("Your wishlist", "Keep the pieces you like for your next visit."),
        empty("Join with your loyalty card to keep a wishlist.", {
          label: "Use my loyalty card",
          onclick: () => this.navigate("loyalty"),
        }),
      );
      return;
    }
    this.list = h("div.wish__list", null, loading());
    this.purchases = h("div.wish__purchases");
    fill(
      this.el,
      header("Your wishlist", "Tap a piece to see it again."),
      this.list,
      this.purchases,
      h(
        "div.wish__forget",
        null,
        button("Forget me", () => this.askForget(), { kind: "danger", attrs: { "data-action": "forget" } }),
      ),
    );
  }

  update(state) {
    super.update(state);
    const member = state.session?.member ?? null;
    if (Boolean(member) !== this.member) {
      this.member = Boolean(member);
      this.key = null;
      this.build(member);
    }
    if (!member) return;
    const key = JSON.stringify([member.wishlist, member.purchases]);
    if (key === this.key) return;
    this.key = key;
    const wish = member.wishlist ?? [];
    const bought = member.purchases ?? [];
    this.when(this.ctx.catalog.productsBySku([...new Set([...wish, ...bought.map((p) => p.sku)])]), (products) => {
      if (this.key !== key) return;
      const bySku = new Map(products.map((p) => [p.sku, p]));
      this.drawWishlist(wish.map((sku) => bySku.get(sku)).filter(Boolean));
      this.drawPurchases(bought, bySku);
    });
  }

  drawWishlist(products) {
    this.pager?.destroy();
    this.pager = null;
    if (!products.length) {
      fill(this.list, empty("Nothing saved yet. Tap “Save” on any piece."));
      return;
    }
    const perPage = 4;
    const cards = products.map((p) =>
      productCard(p, {
        onclick: () => this.navigate("product", { sku: p.sku }),
        extra: button(
          "Remove",
          (e) => {
            e.stopPropagation();
            this.ctx.send({ type: "wishlist", sku: p.sku, add: false });
          },
          { kind: "ghost", cls: "btn--small card__remove", attrs: { "data-remove": p.sku } },
        ),
      }),
    );
    const pages = [];
    for (let i = 0; i < cards.length; i += perPage)
      pages.push(h("div.grid.grid--wish", null, cards.slice(i, i + perPage)));
    this.pager = new Pager({ items: pages, label: "Wishlist" });
    fill(this.list, this.pager.el);
  }

  drawPurchases(bought, bySku) {
    if (!bought.length) {
      fill(this.purchases);
      return;
    }
    fill(
      this.purchases,
      h("h2.section-title", { text: "You bought" }),
      h(
        "ul.purchases",
        null,
        bought
          .slice(-4)
          .reverse()
          .map((b) => {
            const p = bySku.get(b.sku);
            return h(
              "li.purchase",
              null,
              h("span.purchase__name", { text: p?.name ?? b.sku }),
              h("span.purchase__date", { text: plainDate(b.at) }),
            );
          }),
      ),
    );
  }

  askForget() {
    this.confirm?.remove();
    const close = () => {
      this.confirm?.remove();
      this.confirm = null;
    };
    this.confirm = h(
      "div.dialog",
      { role: "dialog", "aria-modal": "true" },
      h(
        "div.dialog__card",
        null,
        h("h2.dialog__title", { text: "Forget me?" }),
        h("p.dialog__text", {
          text: "This mirror deletes what it keeps about you — your loyalty ID, your wishlist and your past purchases — and unlinks your visits. It cannot be undone.",
        }),
        h(
          "div.dialog__actions",
          null,
          button(
            "Yes, forget me",
            () => {
              close();
              this.ctx.send({ type: "forget" });
            },
            { kind: "danger", cls: "btn--wide", attrs: { "data-action": "forget-confirm" } },
          ),
          button("No, keep it", close, { kind: "secondary", cls: "btn--wide" }),
        ),
      ),
    );
    this.el.append(this.confirm);
  }

  destroy() {
    this.pager?.destroy();
    super.destroy();
  }
}

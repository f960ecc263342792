// The screens around a visit: attract (the loop on the glass while nobody is there),
// greeting, lighting, help, rating and thanks.

import { button, dayGreeting, fill, h, mediaUrl } from "./dom.js";
import { face, icons } from "./icons.js";
import { header, Screen } from "./screen.js";

const SLIDE_MS = 7000;

// --- attract --------------------------------------------------------------------------------

export class AttractScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "attract");
    this.layers = [h("div.kb"), h("div.kb")];
    this.title = h("h1.attract__title");
    this.subtitle = h("p.attract__subtitle");
    this.el.append(
      h("div.attract__media", null, this.layers),
      h("div.attract__scrim"),
      h(
        "div.attract__text",
        null,
        this.title,
        this.subtitle,
        h("div.attract__hint", null, h("span.attract__pulse"), "Touch to start"),
      ),
    );
    this.el.classList.add("pressable-area");
    this.listen(this.el, "click", () => this.navigate("home"));
    this.images = [];
    this.slide = 0;
    this.front = 0;
    this.timer = setInterval(() => this.next(), SLIDE_MS);
    this.cleanups.push(() => clearInterval(this.timer));
    this.update(state);
  }

  update(state) {
    super.update(state);
    const slot = state.attract ?? null;
    const key = JSON.stringify(slot);
    if (key === this.key) return;
    this.key = key;
    this.title.textContent = slot?.title || "Welcome";
    this.subtitle.textContent = slot?.subtitle || "Step closer and try something on.";
    // The slot's own picture fills the glass; product pictures stand as a poster.
    this.el.classList.toggle("attract--poster", !slot?.image);
    if (slot?.image) {
      this.setImages([slot.image]);
      return;
    }
    // No picture of its own: the slot's category (or the whole catalogue) shows its most
    // popular pieces (the first page of cards comes most popular first).
    this.when(this.ctx.catalog.page(slot?.category || null, 0, 24), ({ items }) => {
      if (this.key !== key) return;
      const names = items
        .map((p) => p.image)
        .filter(Boolean)
        .slice(0, 8);
      this.setImages(names);
    });
  }

  setImages(names) {
    this.images = names;
    this.slide = -1;
    this.next();
  }

  next() {
    if (!this.images.length) return;
    if (this.images.length === 1 && this.slide === 0) return; // one picture: it drifts on
    this.slide = (this.slide + 1) % this.images.length;
    const back = this.layers[this.front];
    this.front = 1 - this.front;
    const layer = this.layers[this.front];
    layer.style.backgroundImage = `url("${mediaUrl(this.images[this.slide])}")`;
    layer.dataset.motion = String(this.slide % 4); // a different slow drift for each picture
    layer.classList.remove("is-shown");
    void layer.offsetWidth; // restart the drift from its beginning
    layer.classList.add("is-shown");
    back.classList.remove("is-shown");
  }
}

// --- greeting -------------------------------------------------------------------------------

export class GreetingScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "greeting");
    const member = state.session?.member;
    this.el.append(
      h("div.greeting__glow", { "aria-hidden": "true" }),
      h(
        "div.greeting__text",
        null,
        h("p.greeting__hello", { text: dayGreeting() }),
        h("h1.greeting__title", { text: member ? "Welcome back" : "Welcome" }),
        h("p.greeting__line", { text: "Have a look around — touch the mirror to start." }),
      ),
    );
    this.listen(this.el, "click", () => this.navigate("home"));
  }
}

// --- lighting -------------------------------------------------------------------------------

const SCENE_LOOKS = {
  daylight: "linear-gradient(160deg, #fff8ec, #ffe9c7 55%, #f4d7a8)",
  office: "linear-gradient(160deg, #f3f6ff, #dfe7ff 55%, #c7d3f5)",
  shop: "linear-gradient(160deg, #ffe2b8, #ffc98a 55%, #d89a5c)",
  evening: "linear-gradient(160deg, #ffcf94, #f7a25e 55%, #b8643a)",
  sunset: "linear-gradient(160deg, #ffb36b, #f06c3b 55%, #9c2f3f)",
};

// Why the light on the strips may not be the scene asked for (the board's LIGHT_STATE flags).
const LIGHT_NOTES = {
  limited: "dimmed to stay within the power supply",
  clamped: "as near as the white strip can make it",
  safe: "the room's safe light: the mirror lost its lights board's link",
};

export class LightingScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "lighting");
    this.tiles = h("div.scenes");
    this.status = h("div.light-status", { "aria-live": "polite" });
    this.nowSwatch = h("span.light-now__swatch");
    this.nowText = h("span.light-now__text");
    this.now = h("div.light-now", { hidden: true }, this.nowSwatch, this.nowText);
    this.el.append(
      header("Try the light", "See how it looks in daylight, at the office or on an evening out."),
      this.tiles,
      this.now,
      this.status,
    );
    this.update(state);
    const shown = ctx.light?.();
    if (shown) this.light(shown);
  }

  /** What the strips show now (a "light" message): the colour as they give it. */
  light(shown) {
    this.now.hidden = false;
    this.now.dataset.colour = shown.colour;
    this.nowSwatch.style.background = shown.colour;
    const what = shown.kelvin ? `${shown.kelvin} K` : "a colour";
    const notes = (shown.flags ?? []).map((flag) => LIGHT_NOTES[flag]).filter(Boolean);
    const fading = (shown.flags ?? []).includes("fading") ? "changing: " : "";
    this.nowText.textContent = `The light now: ${fading}${what}${notes.length ? ` — ${notes.join("; ")}` : ""}`;
  }

  update(state) {
    super.update(state);
    const lighting = state.lighting ?? {};
    const scenes = state.scenes ?? [];
    const key = JSON.stringify([scenes, lighting.scene]);
    if (key !== this.key) {
      this.key = key;
      fill(
        this.tiles,
        scenes.map((s, i) =>
          h(
            "button.scene",
            {
              type: "button",
              class: s.name === lighting.scene ? "is-current" : "",
              dataset: { scene: s.name },
              onclick: () => this.ctx.send({ type: "light", scene: s.name }),
            },
            h("span.scene__swatch", {
              style: {
                background:
                  SCENE_LOOKS[s.name] ??
                  `linear-gradient(160deg, hsl(${(i * 67) % 360} 70% 80%), hsl(${(i * 67 + 30) % 360} 60% 55%))`,
              },
            }),
            h("span.scene__label", { text: s.label ?? s.name }),
            h("span.scene__check", { svg: icons.check }),
          ),
        ),
      );
    }
    const label = scenes.find((s) => s.name === lighting.scene)?.label ?? lighting.scene ?? "";
    const status = lighting.status ?? "";
    this.status.className = `light-status light-status--${status.replaceAll("_", "-")}`;
    const lines = {
      pending: [icons.clock, `Changing the light to ${label}…`],
      applied: [icons.check, `The light is set to ${label}`],
      no_device: [icons.light, "No lighting connected — nothing changed"],
      failed: [icons.close, `The light did not change${lighting.detail ? `: ${lighting.detail}` : ""}`],
    };
    const [icon, text] = lines[status] ?? [null, ""];
    fill(this.status, icon ? h("span.light-status__icon", { svg: icon }) : null, h("span", { text }));
  }
}

// --- help -----------------------------------------------------------------------------------

export class HelpScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "help");
    this.body = h("div.help__body");
    this.el.append(header("Need a hand?", null), this.body);
    this.update(state);
  }

  update(state) {
    super.update(state);
    const room = state.store?.fitting_room;
    const where = room ? `to fitting room ${room}` : "to this mirror";
    const open = (state.requests ?? []).find(
      (r) => r.kind === "help" && (r.status === "pending" || r.status === "acknowledged"),
    );
    const key = JSON.stringify([open?.id, open?.status, open?.associate, where]);
    if (key === this.key) return;
    this.key = key;
    if (open) {
      const on = open.status === "acknowledged";
      fill(
        this.body,
        h("div.help__icon", { svg: on ? icons.person : icons.clock }),
        h("p.help__big", {
          text: on ? `${open.associate || "An associate"} is on the way` : "We've let the team know",
        }),
        h("p.help__line", { text: on ? `They're coming ${where}.` : `Someone will come ${where} shortly.` }),
        open.status === "pending"
          ? button("Cancel the request", () => this.ctx.send({ type: "cancel_request", id: open.id }), {
              kind: "ghost",
            })
          : null,
      );
      return;
    }
    fill(
      this.body,
      h("div.help__icon", { svg: icons.person }),
      h("p.help__big", { text: "A person, not a menu" }),
      h("p.help__line", { text: `Sizes, colours, alterations or a second opinion — an associate will come ${where}.` }),
      button("Talk to a human", () => this.ctx.send({ type: "request", kind: "help" }), {
        kind: "primary",
        icon: icons.person,
        cls: "btn--wide btn--help",
      }),
    );
  }
}

// --- rating ---------------------------------------------------------------------------------

const FACES = ["Awful", "Not great", "Okay", "Good", "Loved it"];
const NPS_WAIT_MS = 12000; // a CSAT without an NPS is sent when the shopper goes quiet

export class RatingScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "rating");
    this.csat = null;
    this.sent = false;
    this.faces = h(
      "div.faces",
      { role: "group", "aria-label": "How was your visit?" },
      FACES.map((label, i) =>
        h(
          "button.face",
          { type: "button", dataset: { csat: String(i + 1) }, "aria-label": label, onclick: () => this.pick(i + 1) },
          h("span.face__icon", { svg: face(i + 1) }),
          h("span.face__label", { text: label }),
        ),
      ),
    );
    this.nps = h(
      "div.nps",
      { hidden: true },
      h("p.nps__question", { text: "How likely are you to recommend us to a friend?" }),
      h(
        "div.nps__row",
        { role: "group" },
        Array.from({ length: 11 }, (_, n) =>
          h("button.nps__n", {
            type: "button",
            dataset: { nps: String(n) },
            text: String(n),
            onclick: () => this.finish(n),
          }),
        ),
      ),
      h("div.nps__ends", null, h("span", { text: "Not likely" }), h("span", { text: "Very likely" })),
      button("Skip", () => this.finish(null), { kind: "ghost", cls: "nps__skip" }),
    );
    this.el.append(header("How was your visit?", "One tap is all it takes."), this.faces, this.nps);
    this.cleanups.push(() => clearTimeout(this.timer));
  }

  pick(csat) {
    if (this.sent) return;
    this.csat = csat;
    [...this.faces.children].forEach((f, i) => f.classList.toggle("is-selected", i + 1 === csat));
    this.el.classList.add("has-csat");
    this.nps.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(null), NPS_WAIT_MS);
  }

  finish(nps) {
    if (this.sent || this.csat === null) return;
    this.sent = true;
    clearTimeout(this.timer);
    const message = { type: "rate", csat: this.csat };
    if (nps !== null) message.nps = nps;
    this.ctx.send(message);
  }

  error(message) {
    if (message.code === "conflict") return true; // rated already: nothing to tell
    this.sent = false; // let the shopper try again
    return false;
  }
}

// --- thanks ---------------------------------------------------------------------------------

export class ThanksScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "thanks");
    this.el.append(
      h(
        "div.thanks",
        null,
        h("div.thanks__mark", { svg: icons.check }),
        h("h1.thanks__title", { text: "Thank you" }),
        h("p.thanks__line", { text: "See you again soon." }),
      ),
    );
  }
}

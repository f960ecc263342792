// The shopping screens: home (categories and picks), browse (a category as a grid or a
// carousel), product (the big zoomable image, colours, sizes, stock, "Bring me this size",
// "Complete the look") and look (the whole look on one screen).

import { button, fill, h, image, plural } from "./dom.js";
import { icons } from "./icons.js";
import { Pager } from "./pager.js";
import { empty, header, loading, productCard, Screen } from "./screen.js";
import { Zoomable } from "./zoom.js";

const landscape = () => matchMedia("(orientation: landscape)").matches;
const BATCH = 48; // cards fetched at a time while browsing: whole pages of 4 and of 6
const PREFETCH_PAGES = 2; // fetch more when the shopper is this close to the last page loaded

/** The open request for a product, if any (pending or acknowledged). */
export function openRequestFor(state, sku) {
  return (state.requests ?? []).find((r) => r.sku === sku && (r.status === "pending" || r.status === "acknowledged"));
}

/** Splits a list into pages of n. */
function chunk(list, n) {
  const pages = [];
  for (let i = 0; i < list.length; i += n) pages.push(list.slice(i, i + n));
  return pages;
}

/** Recommendation cards: product details fetched for each {sku, reasons}. */
function recommendationCards(screen, recs, container, { size = "", limit = 4 } = {}) {
  const wanted = (recs ?? []).slice(0, limit);
  const key = JSON.stringify(wanted.map((r) => [r.sku, r.reasons]));
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  if (!wanted.length) {
    fill(container);
    return;
  }
  screen.when(screen.ctx.catalog.productsBySku(wanted.map((r) => r.sku)), (products) => {
    if (container.dataset.key !== key) return;
    const bySku = new Map(products.map((p) => [p.sku, p]));
    fill(
      container,
      wanted
        .filter((r) => bySku.has(r.sku))
        .map((r) =>
          productCard(bySku.get(r.sku), {
            size,
            reasons: r.reasons,
            onclick: () => screen.navigate("product", { sku: r.sku }),
          }),
        ),
    );
  });
}

// --- home ---------------------------------------------------------------------------------

export class HomeScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "home");
    this.tiles = h("div.home__tiles", null, loading());
    this.picks = h("div.picks__row");
    this.picksBlock = h("section.picks", null, h("h2.section-title", { text: "Picked for you" }), this.picks);
    const member = state.session?.member;
    this.el.append(
      header(
        member ? "Welcome back" : "What are you looking for?",
        member ? "Your picks are ready below." : "Touch a category to see what's in store.",
      ),
      this.tiles,
      this.picksBlock,
    );
    this.when(ctx.catalog.categories(), (categories) => this.drawTiles(categories));
    this.update(state);
  }

  drawTiles(categories) {
    if (!categories.length) {
      fill(this.tiles, empty("The catalogue is empty."));
      return;
    }
    const tiles = categories.map((c) => {
      const media = h("div.tile__media");
      const tile = h(
        "button.tile",
        { type: "button", dataset: { category: c.name }, onclick: () => this.navigate("browse", { category: c.name }) },
        media,
        h("span.tile__scrim"),
        h(
          "span.tile__label",
          null,
          h("span.tile__name", { text: c.label ?? c.name }),
          h("span.tile__count", { text: plural(c.count ?? 0, "piece", "pieces") }),
        ),
      );
      if (c.cover?.image) media.append(image(c.cover.image, { alt: "" }));
      return tile;
    });
    const perPage = landscape() ? 4 : 6;
    if (tiles.length <= perPage) {
      fill(this.tiles, h("div.tiles-grid", { dataset: { count: String(tiles.length) } }, tiles));
      return;
    }
    this.pager?.destroy();
    this.pager = new Pager({
      items: chunk(tiles, perPage).map((group) =>
        h("div.tiles-grid", { dataset: { count: String(group.length) } }, group),
      ),
      label: "Categories",
    });
    fill(this.tiles, this.pager.el);
  }

  update(state) {
    super.update(state);
    const recs = state.recommendations ?? [];
    this.picksBlock.hidden = recs.length === 0;
    recommendationCards(this, recs, this.picks, { size: "small", limit: 3 });
  }

  destroy() {
    this.pager?.destroy();
    super.destroy();
  }
}

// --- browse ---------------------------------------------------------------------------------

/** The browse layout the session's experiment asks for: "grid" (default) or "carousel". */
export function browseLayout(state) {
  const experiments = Object.entries(state.experiments ?? {});
  const named = experiments.find(([name, e]) => /browse|layout/i.test(name) && e?.params?.layout);
  const any = named ?? experiments.find(([, e]) => e?.params?.layout);
  const layout = any?.[1]?.params?.layout;
  return layout === "carousel" ? "carousel" : "grid";
}

export class BrowseScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "browse");
    this.category = state.screen?.category ?? null;
    this.layout = browseLayout(state);
    this.el.dataset.layout = this.layout;
    this.title = h("h1.title", { text: " " });
    this.count = h("p.subtitle", { text: " " });
    this.body = h("div.browse__body", null, loading());
    this.el.append(
      h(
        "header.screen__header",
        null,
        h(
          "button.back",
          { type: "button", "aria-label": "Back", onclick: () => this.navigate("home") },
          h("span.back__icon", { svg: icons.back }),
          h("span", { text: "Home" }),
        ),
        h("div.screen__titles", null, this.title, this.count),
      ),
      this.body,
    );
    // The tiles of this category's label and its products.
    this.when(ctx.catalog.categories(), (categories) => {
      const c = categories.find((x) => x.name === this.category);
      this.title.textContent = c?.label ?? this.category ?? "Everything";
    });
    // The first cards now, more as the shopper pages towards the end of what is loaded.
    this.items = null;
    this.total = 0;
    this.more = null;
    this.when(ctx.catalog.page(this.category, 0, BATCH), ({ total, items }) => {
      this.items = items;
      this.total = total;
      this.draw();
    });
    this.listen(matchMedia("(orientation: landscape)"), "change", () => this.draw());
    // A swipe anywhere on the screen pages (not only on the cards).
    this.listen(this.el, "vitrine:swipe", (e) => this.pager?.swipe(e));
  }

  draw() {
    const items = this.items ?? [];
    if (!items.length) {
      this.count.textContent = "";
      fill(
        this.body,
        empty("Nothing here right now.", { label: "Back to home", onclick: () => this.navigate("home") }),
      );
      return;
    }
    const pages = this.pages(items);
    const start = Math.min(this.pager ? this.pager.index : 0, pages.length - 1);
    this.pager?.destroy();
    const perPage = this.layout === "carousel" ? 1 : landscape() ? 4 : 6;
    this.pager = new Pager({
      mode: this.layout === "carousel" ? "carousel" : "pages",
      label: "Products",
      start,
      onPage: (index) => this.nearEnd(index),
      items: pages,
      count: Math.ceil(this.total / perPage),
    });
    fill(this.body, this.pager.el);
    const more = this.total > (landscape() ? 4 : 6) ? " · swipe to see more" : "";
    this.count.textContent = `${plural(this.total, "piece", "pieces")}${more}`;
    this.nearEnd(this.pager.index);
  }

  /** The pager's pages for these cards: one card each in the carousel, a grid page else. */
  pages(cards) {
    const open = (sku) => () => this.navigate("product", { sku });
    if (this.layout === "carousel") {
      return cards.map((card) => productCard(card, { size: "hero", onclick: open(card.sku) }));
    }
    return chunk(cards, landscape() ? 4 : 6).map((group) =>
      h(
        "div.grid",
        { dataset: { count: String(group.length) } },
        group.map((card) => productCard(card, { onclick: open(card.sku) })),
      ),
    );
  }

  /** Fetch the next cards when the shopper is within PREFETCH_PAGES of the last one loaded. */
  nearEnd(index) {
    const loaded = this.items?.length ?? 0;
    if (this.more || !this.pager || loaded >= this.total) return;
    if (this.pager.items.length - 1 - index > PREFETCH_PAGES) return;
    const pager = this.pager;
    this.more = this.ctx.catalog.page(this.category, loaded, BATCH).then(
      ({ items }) => {
        this.more = null;
        if (this.pager !== pager || !items.length || !this.alive) return;
        this.items.push(...items);
        pager.append(this.pages(items));
        this.nearEnd(pager.index);
      },
      () => {
        this.more = null; // try again at the next page turn
      },
    );
  }

  destroy() {
    this.pager?.destroy();
    super.destroy();
  }
}

// --- product --------------------------------------------------------------------------------

/** [[colour name, hex]] of a product's variants, in order of first appearance. */
function coloursOf(product) {
  return [...new Map((product.variants ?? []).map((v) => [v.colour, v.colour_hex])).entries()];
}

export class ProductScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "product");
    this.sku = state.screen?.sku;
    this.colour = null;
    this.size = null;
    this.changed = "size"; // which the shopper picked last: the request asks for that
    this.imageIndex = 0;
    this.el.append(loading());
    this.when(ctx.catalog.product(this.sku), (product) => {
      if (!product) {
        fill(
          this.el,
          header("Not found"),
          empty("We couldn't find that piece.", { label: "Back to home", onclick: () => this.navigate("home") }),
        );
        return;
      }
      this.product = product;
      this.build();
    });
  }

  /** The catalogue changed while this screen is up (a stock feed): the piece afresh, with the
   * shopper's colour and size kept. A piece that is gone stays as shown; the next screen
   * says so. */
  refetch() {
    this.when(this.ctx.catalog.product(this.sku), (product) => {
      if (!product) return;
      this.product = product;
      this.colours = coloursOf(product);
      this.drawChoices();
      this.drawStock();
    });
  }

  build() {
    const p = this.product;
    const variants = p.variants ?? [];
    const colours = coloursOf(p);
    this.colours = colours;
    const inStock = variants.find((v) => (v.stock?.store ?? 0) > 0);
    this.colour = (inStock ?? variants[0])?.colour ?? null;
    const images = p.images?.length ? p.images : [p.image].filter(Boolean);
    this.images = images;

    this.zoom = new Zoomable(image(images[0], { alt: p.name, eager: true, cls: "product__img" }), {
      onZoom: () => this.zoomHint.classList.add("is-gone"),
    });
    this.zoomHint = h(
      "div.zoom-hint",
      null,
      h("span.zoom-hint__icon", { svg: icons.zoom }),
      "Pinch or double-tap to zoom",
    );
    this.thumbs =
      images.length > 1
        ? h(
            "div.thumbs",
            null,
            images.map((name, i) =>
              h(
                "button.thumb",
                { type: "button", "aria-label": `Picture ${i + 1}`, onclick: () => this.showImage(i) },
                image(name, { alt: "" }),
              ),
            ),
          )
        : null;
    const back = h(
      "button.back.back--float",
      { type: "button", "aria-label": "Back", onclick: () => this.navigate("browse", { category: p.category }) },
      h("span.back__icon", { svg: icons.back }),
      h("span", { text: "Back" }),
    );
    this.thumbs?.firstChild.classList.add("is-active");
    this.heart = h("div.product__heart");
    const stage = h("div.product__stage", null, this.zoom.el, back, this.heart, this.zoomHint, this.thumbs);
    this.listen(stage, "vitrine:swipe", (e) => {
      if (images.length < 2) return;
      if (e.detail.direction === "left") this.showImage(Math.min(images.length - 1, this.imageIndex + 1));
      if (e.detail.direction === "right") this.showImage(Math.max(0, this.imageIndex - 1));
    });

    this.colourName = h("span.choice-label__value");
    this.colourRow = h("div.choices.choices--colours", { role: "group", "aria-label": "Colour" });
    this.sizeRow = h("div.choices.choices--sizes", { role: "group", "aria-label": "Size" });
    this.stockLine = h("p.stock", { "aria-live": "polite" });
    this.price = h("p.product__price", { text: p.price ?? "" });
    this.cta = h("div.product__cta");
    this.lookRow = h("div.look-strip__row");
    this.lookBlock = h(
      "section.look-strip",
      null,
      h(
        "div.look-strip__head",
        null,
        h("h2.section-title", { text: "Complete the look" }),
        button("See the look", () => this.navigate("look", { sku: this.sku }), {
          kind: "ghost",
          icon: icons.next,
          cls: "btn--small",
        }),
      ),
      this.lookRow,
    );

    const info = h(
      "div.product__info",
      null,
      h(
        "div.product__titles",
        null,
        h("p.product__brand", { text: p.brand ?? "" }),
        h("div.product__nameline", null, h("h1.product__name", { text: p.name }), this.price),
        p.description ? h("p.product__description", { text: p.description }) : null,
      ),
      h("div.choice-block", null, h("p.choice-label", null, "Colour", this.colourName), this.colourRow),
      h("div.choice-block", null, h("p.choice-label", { text: "Size" }), this.sizeRow),
      this.stockLine,
      this.cta,
    );
    fill(this.el, h("div.product", null, stage, info, this.lookBlock));
    this.drawChoices();
    this.update(this.state);
  }

  showImage(i) {
    if (i === this.imageIndex || !this.images[i]) return;
    this.imageIndex = i;
    const img = this.zoom.content;
    img.src = `/media/${encodeURIComponent(this.images[i])}`;
    this.zoom.reset(false);
    [...(this.thumbs?.children ?? [])].forEach((t, j) => t.classList.toggle("is-active", j === i));
  }

  variantsOf(colour) {
    return (this.product.variants ?? []).filter((v) => v.colour === colour);
  }

  selected() {
    if (!this.size) return null;
    return this.variantsOf(this.colour).find((v) => v.size === this.size) ?? null;
  }

  drawChoices() {
    const p = this.product;
    fill(
      this.colourRow,
      this.colours.map(([name, hex]) =>
        h(
          "button.choice.choice--colour",
          {
            type: "button",
            class: name === this.colour ? "is-selected" : "",
            "aria-pressed": String(name === this.colour),
            "aria-label": name,
            dataset: { colour: name },
            onclick: () => {
              this.colour = name;
              this.changed = "colour";
              this.drawChoices();
              this.drawStock();
            },
          },
          h("span.choice__swatch", { style: { background: hex || "#888" } }),
        ),
      ),
    );
    this.colourName.textContent = this.colour ?? "";
    const sizes = p.sizes?.length ? p.sizes : [...new Set((p.variants ?? []).map((v) => v.size))];
    const ofColour = this.variantsOf(this.colour);
    fill(
      this.sizeRow,
      sizes.map((size) => {
        const v = ofColour.find((x) => x.size === size);
        const stock = v?.stock?.store ?? 0;
        return h(
          "button.choice.choice--size",
          {
            type: "button",
            class: [size === this.size ? "is-selected" : "", stock > 0 ? "" : "is-out"].join(" "),
            "aria-pressed": String(size === this.size),
            dataset: { size },
            onclick: () => {
              this.size = size;
              this.changed = "size";
              this.drawChoices();
              this.drawStock();
            },
          },
          h("span.choice__text", { text: size }),
        );
      }),
    );
  }

  drawStock() {
    const v = this.selected();
    const line = this.stockLine;
    line.className = "stock";
    this.price.textContent = v?.price ?? this.product.price ?? "";
    if (!this.size) {
      line.textContent = "Pick your size to see what's in store";
      line.classList.add("stock--hint");
    } else if (!v || (v.stock?.store ?? 0) <= 0) {
      line.textContent = "Out of stock in your size";
      line.classList.add("stock--out");
    } else {
      const room = v.stock.room ?? 0;
      const floor = Math.max(0, v.stock.store - room);
      const parts = [];
      if (floor > 0) parts.push(`${floor} on the floor`);
      if (room > 0) parts.push(`${room} already in your fitting room`);
      line.textContent = parts.join(" · ");
      line.classList.add("stock--in");
    }
    this.drawCta();
  }

  drawCta() {
    const state = this.state;
    const open = openRequestFor(state, this.sku);
    const v = this.selected();
    let cta;
    if (open) {
      const on = open.status === "acknowledged";
      cta = h(
        "div.cta-status",
        null,
        h("span.cta-status__icon", { svg: on ? icons.person : icons.clock }),
        h("span", {
          text: on
            ? `${open.associate || "An associate"} is bringing ${open.label || "it"}`
            : `Asked for ${open.label || "it"}`,
        }),
      );
    } else if (!v || (v.stock?.store ?? 0) <= 0) {
      cta = h(
        "div.cta-row",
        null,
        button(this.size ? "Out of stock" : "Pick a size", null, {
          kind: "primary",
          cls: "btn--wide",
          attrs: { disabled: true },
        }),
        this.size
          ? button("Ask an associate", () => this.ctx.send({ type: "request", kind: "help" }), { kind: "secondary" })
          : null,
      );
    } else {
      const kind = this.changed === "colour" ? "colour" : "size";
      cta = button(
        kind === "colour" ? "Bring me this colour" : "Bring me this size",
        () => this.ctx.send({ type: "request", kind, variant: v.sku }),
        {
          kind: "primary",
          icon: icons.hanger,
          cls: "btn--wide btn--bring",
        },
      );
    }
    fill(this.cta, cta);
  }

  drawHeart() {
    const member = this.state.session?.member;
    if (!member) {
      fill(
        this.heart,
        button("Save", () => this.navigate("loyalty"), { kind: "ghost", icon: icons.heart, cls: "btn--small" }),
      );
      return;
    }
    const saved = (member.wishlist ?? []).includes(this.sku);
    fill(
      this.heart,
      button(saved ? "Saved" : "Save", () => this.ctx.send({ type: "wishlist", sku: this.sku, add: !saved }), {
        kind: "ghost",
        icon: saved ? icons.heartFilled : icons.heart,
        cls: `btn--small${saved ? " is-saved" : ""}`,
      }),
    );
  }

  update(state) {
    const catalogChanged = this.state?.catalog?.rev !== state.catalog?.rev;
    super.update(state);
    if (!this.product) return;
    if (catalogChanged) this.refetch();
    this.drawStock();
    this.drawHeart();
    const recs = state.recommendations ?? [];
    this.lookBlock.hidden = recs.length === 0;
    recommendationCards(this, recs, this.lookRow, { size: "strip", limit: 2 });
  }
}

// --- look -----------------------------------------------------------------------------------

export class LookScreen extends Screen {
  constructor(ctx, state) {
    super(ctx, state, "look");
    this.sku = state.screen?.sku ?? null;
    this.hero = h("div.look__hero");
    this.grid = h("div.look__grid");
    this.el.append(
      header("Complete the look", "Pieces that go with it, and why.", () =>
        this.sku ? this.navigate("product", { sku: this.sku }) : this.navigate("home"),
      ),
      h("div.look", null, this.hero, h("div.look__plus", { "aria-hidden": "true", text: "+" }), this.grid),
    );
    if (this.sku) {
      this.when(ctx.catalog.product(this.sku), (p) => {
        if (p)
          fill(this.hero, productCard(p, { size: "hero", onclick: () => this.navigate("product", { sku: p.sku }) }));
      });
    }
    this.update(state);
  }

  update(state) {
    super.update(state);
    const recs = state.recommendations ?? [];
    if (!recs.length) {
      this.grid.dataset.key = "";
      fill(
        this.grid,
        empty(
          openRequestFor(state, this.sku) || (state.requests ?? []).some((r) => r.status === "pending")
            ? "More ideas once your item is here."
            : "Nothing to pair right now.",
        ),
      );
      return;
    }
    recommendationCards(this, recs, this.grid, { size: "look", limit: 4 });
  }
}

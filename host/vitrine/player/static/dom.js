// Small DOM helpers: element building, plain-words formatting and media URLs.

/**
 * h("div.card.big", {onclick, text, dataset, style, ...attributes}, ...children)
 * Children may be nodes, strings, numbers, arrays of those, or null/false (skipped).
 */
export function h(tag, props = null, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length) el.className = classes.join(" ");
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.classList.add(...String(value).split(/\s+/).filter(Boolean));
      else if (key === "text") el.textContent = value;
      else if (key === "svg")
        el.innerHTML = value; // the page's own icon markup only
      else if (key === "style") Object.assign(el.style, value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2), value);
      } else if (value === true) el.setAttribute(key, "");
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, arrays; null and false are skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A big button: {label, icon?, kind: "primary"|"secondary"|"ghost"|"danger", onclick}. */
export function button(label, onclick, { kind = "secondary", icon = null, cls = "", attrs = {} } = {}) {
  return h(
    `button.btn.btn--${kind}`,
    { type: "button", class: cls, onclick, ...attrs },
    icon ? h("span.btn__icon", { svg: icon, "aria-hidden": "true" }) : null,
    h("span.btn__label", { text: label }),
  );
}

/** The URL of a catalogue media file, or null. */
export function mediaUrl(name) {
  return name ? `/media/${encodeURIComponent(name)}` : null;
}

/** An <img> that never starts a drag or a long-press menu. */
export function image(name, { alt = "", cls = "", eager = false } = {}) {
  const url = mediaUrl(name);
  const missing = () => h("div.img-missing", { class: cls, "aria-hidden": "true" });
  if (!url) return missing();
  return h("img", {
    class: cls,
    src: url,
    alt,
    draggable: "false",
    decoding: "async",
    loading: eager ? "eager" : "lazy",
    // a picture the catalogue names but the media folder lacks: the quiet placeholder, never
    // the browser's broken-image box
    onerror: (event) => event.currentTarget.replaceWith(missing()),
  });
}

/** "Good morning" / "Good afternoon" / "Good evening" by the mirror's clock. */
export function dayGreeting(now = new Date()) {
  const hour = now.getHours();
  if (hour < 12) return "Good morning";
  if (hour < 17) return "Good afternoon";
  return "Good evening";
}

/** A date as the shopper reads it: "12 March 2025". */
export function plainDate(value) {
  const date = typeof value === "number" ? new Date(value * (value < 1e12 ? 1000 : 1)) : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleDateString(undefined, { day: "numeric", month: "long", year: "numeric" });
}

/** "1 piece" / "12 pieces". */
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Calls fn at most once per animation frame with the latest arguments. */
export function rafThrottle(fn) {
  let pending = null;
  let scheduled = false;
  return (...args) => {
    pending = args;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      fn(...pending);
    });
  };
}

/** Epoch milliseconds with sub-millisecond precision. */
export function epochMs() {
  return performance.timeOrigin + performance.now();
}

// The catalogue over HTTP (/api/catalog/*), each answer kept in memory: a screen that comes
// back draws at once. forget() drops everything (the daemon may have a new catalogue after
// it restarts).

const PAGE = 100; // the API's largest page

export class Catalog {
  constructor() {
    this.cache = new Map();
  }

  forget() {
    this.cache.clear();
  }

  get(url) {
    let entry = this.cache.get(url);
    if (!entry) {
      entry = fetch(url, { headers: { Accept: "application/json" } }).then(async (response) => {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        return response.json();
      });
      entry.catch(() => this.cache.delete(url)); // try again next time
      this.cache.set(url, entry);
    }
    return entry;
  }

  /** [{name, label, count}] */
  async categories() {
    const body = await this.get("/api/catalog/categories");
    return Array.isArray(body) ? body : (body?.items ?? body?.categories ?? []);
  }

  /** Every product card of a category (all pages), or of the whole catalogue. */
  async products(category = null) {
    const items = [];
    for (let offset = 0; ; offset += PAGE) {
      const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
      if (category) params.set("category", category);
      const body = await this.get(`/api/catalog/products?${params}`);
      const page = body?.items ?? [];
      items.push(...page);
      if (page.length < PAGE || items.length >= (body?.total ?? 0)) return items;
    }
  }

  /** The first few cards of a category (for its tile on the home screen). */
  async firstProducts(category, limit = 1) {
    const params = new URLSearchParams({ category, offset: "0", limit: String(limit) });
    const body = await this.get(`/api/catalog/products?${params}`);
    return body?.items ?? [];
  }

  /** A product's detail, or null when there is no such product. */
  product(sku) {
    return this.get(`/api/catalog/products/${encodeURIComponent(sku)}`);
  }

  /** Details of several products, in order, leaving out the unknown ones. */
  async productsBySku(skus) {
    const all = await Promise.all(skus.map((sku) => this.product(sku).catch(() => null)));
    return all.filter(Boolean);
  }
}

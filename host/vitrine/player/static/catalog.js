// The catalogue over HTTP (/api/catalog/*), each answer kept in memory: a screen that comes
// back draws at once. forget() drops everything (the daemon may have a new catalogue after
// it restarts).

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

  /** [{name, label, count, cover}]: cover is the card of the category's most popular product. */
  async categories() {
    const body = await this.get("/api/catalog/categories");
    return Array.isArray(body) ? body : (body?.items ?? body?.categories ?? []);
  }

  /**
   * One page of cards, most popular first: {total, items}. A range holds tens of thousands of
   * products, so screens ask for what they show and fetch more as the shopper pages on.
   */
  async page(category = null, offset = 0, limit = 48) {
    const params = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    if (category) params.set("category", category);
    const body = await this.get(`/api/catalog/products?${params}`);
    return { total: body?.total ?? 0, items: body?.items ?? [] };
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

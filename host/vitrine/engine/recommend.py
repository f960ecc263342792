"""Product recommendations for the mirror: which products to show next to the one the shopper
is looking at (or on the home screen), each with a score and the reasons behind it in plain
words.

A candidate's score is a weighted sum of terms (the weights are the constants below; the
table is in docs/engine.md): the product on screen's "goes with" relation, stock in the
shopper's size at this store, product tags that match the context (weather, season, events,
time), popularity, and the member's wishlist. Every term that adds to the score adds its
reason ("Goes with Linen Shirt: same linen weight", "In stock in M", "Good for rain",
"Popular this week", "On your wishlist"), so the shopper and the store see why a product is
shown.

Products out of stock at the store (every variant, every location) are never recommended.

Without a product on screen the candidates come from the catalogue's indexes, never from a
walk over it: the member's wishlist, the most popular products, and the most popular products
carrying each of the context's tags (SHORTLIST of each). The terms that need no stock look-up
rank them, and the best SHORTLIST are checked for stock and size.

The function only reads the catalogue; the engine decides when recommendations are shown
(none while a request is pending, help instead of products for a frustrated shopper) and
passes a member only with the shopper's consent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Protocol

from vitrine.engine.context import Context

GOES_WITH_WEIGHT = 3.0  # times the relation's weight, 0..1
IN_SIZE_WEIGHT = 1.5  # the shopper's size (or a one-size product) is in stock at the store
CONTEXT_TAG_WEIGHT = 1.0  # per product tag that matches the context
CONTEXT_TAG_LIMIT = 2  # matching tags counted at most
POPULARITY_WEIGHT = 1.0  # times popularity / the catalogue's highest popularity
POPULAR_FROM = 0.5  # normalised popularity below this adds nothing
WISHLIST_WEIGHT = 2.0  # on the member's wishlist
SHORTLIST = 24  # without a product on screen: candidates per source, and checked for stock
ONE_SIZE = frozenset({"", "one size", "one-size", "onesize", "os", "o/s", "u", "tu"})
ONE_SIZE_CATEGORIES = frozenset({"accessories"})
# How a context tag reads after "Good for ..."
_TAG_PHRASE = {
    "sunny": "sunny days",
    "cold": "cold days",
    "hot": "hot days",
    "weekend": "the weekend",
    "morning": "the morning",
    "afternoon": "the afternoon",
    "evening": "the evening",
}


class CatalogReader(Protocol):
    """The part of vitrine.catalog.Catalog that recommendations read."""

    def cards(self, skus: Iterable[str]) -> dict[str, dict[str, Any]]: ...

    def top_popularity(self) -> int: ...

    def most_popular(self, tags: Iterable[str] = (), limit: int = 24) -> list[str]: ...

    def goes_with(self, sku: str) -> list[dict[str, Any]]: ...

    def variant_stock(self, skus: Iterable[str], store: str) -> dict[str, list[dict[str, Any]]]: ...


def recommend(
    catalog: CatalogReader,
    context: Context,
    *,
    sku: str | None = None,
    size: str | None = None,
    member: Mapping[str, Any] | None = None,
    store: str = "store-1",
    exclude: Collection[str] = (),
    limit: int = 4,
) -> list[dict[str, Any]]:
    """Up to `limit` recommendations, [{"sku", "score", "reasons": [str]}], best first (score
    descending, then sku). With `sku`, the candidates are the products that go with it;
    without, the catalogue's products, shortlisted by the terms that need no stock lookup.
    `size` is the shopper's size, `member` a consented member ({"wishlist": [sku, ...]}),
    `store` the store whose stock counts, `exclude` skus never to recommend (the product on
    screen is never recommended either). An unknown `sku` gives no recommendations."""
    if limit < 0:
        raise ValueError(f"limit = {limit}: must be 0 or more")
    if limit == 0:
        return []
    skip = set(exclude)
    wishlist = set((member or {}).get("wishlist") or ())
    top = catalog.top_popularity()  # popularity is normalised by the highest
    cards: dict[str, dict[str, Any]] = {}
    if sku is not None:
        base = catalog.cards([sku]).get(sku)
        if base is None:
            return []
        skip.add(sku)
        candidates = _going_with(catalog, base, skip)
    else:
        wanted = max(SHORTLIST, limit * 3)
        cards = catalog.cards(catalog.most_popular(context.tags, wanted) + sorted(wishlist))
        shortlist = sorted(
            (-_cheap_terms(card, context, top, wishlist)[0], card["sku"])
            for card in cards.values()
            if card["sku"] not in skip
        )
        candidates = [(s, 0.0, []) for _, s in shortlist[:wanted]]

    cards.update(catalog.cards([c[0] for c in candidates if c[0] not in cards]))
    variants = catalog.variant_stock([c[0] for c in candidates], store)
    scored = []
    for candidate, relation_points, reasons in candidates:
        card = cards.get(candidate)
        made = variants.get(candidate, [])
        stocked = [v for v in made if v["stock"] > 0]
        if card is None or not stocked:
            continue  # gone from the catalogue, or out of stock at this store: never shown
        points = relation_points
        in_size = _in_size_reason(card, made, stocked, size)
        if in_size:
            points += IN_SIZE_WEIGHT
            reasons.append(in_size)
        more, why = _cheap_terms(card, context, top, wishlist)
        points += more
        reasons.extend(why)
        scored.append({"sku": candidate, "score": round(points, 3), "reasons": reasons})
    scored.sort(key=lambda r: (-r["score"], r["sku"]))
    return scored[:limit]


def _going_with(
    catalog: CatalogReader, base: Mapping[str, Any], skip: set[str]
) -> list[tuple[str, float, list[str]]]:
    # The products that go with the one on screen: (sku, points, [the reason]), once each.
    candidates: list[tuple[str, float, list[str]]] = []
    for relation in catalog.goes_with(base["sku"]):
        other = relation["sku"]
        if other in skip or any(other == c[0] for c in candidates):
            continue
        weight = float(relation.get("weight") or 0.0)
        why = str(relation.get("reason") or "").strip()
        reason = f"Goes with {base['name']}: {why}" if why else f"Goes with {base['name']}"
        candidates.append((other, GOES_WITH_WEIGHT * weight, [reason]))
    return candidates


def _cheap_terms(
    product: Mapping[str, Any], context: Context, top: int, wishlist: set[str]
) -> tuple[float, list[str]]:
    # The terms read from the product card alone: context tags, popularity, wishlist.
    points = 0.0
    reasons = []
    for tag in _matching_tags(product, context)[:CONTEXT_TAG_LIMIT]:
        points += CONTEXT_TAG_WEIGHT
        phrase = _TAG_PHRASE.get(tag) or tag.replace("-", " ").replace("_", " ")
        reasons.append(f"Good for {phrase}")
    popularity = int(product.get("popularity") or 0) / top if top > 0 else 0.0
    if popularity >= POPULAR_FROM:
        points += POPULARITY_WEIGHT * popularity
        reasons.append("Popular this week")
    if product["sku"] in wishlist:
        points += WISHLIST_WEIGHT
        reasons.append("On your wishlist")
    return points, reasons


def _matching_tags(product: Mapping[str, Any], context: Context) -> list[str]:
    # The context's tags the product carries: weather first, then season, then the rest in
    # alphabetical order (so the strongest signals win when the count is capped).
    tags = {str(tag).strip().lower() for tag in product.get("tags") or ()}
    matched = tags & context.tags
    first = [t for t in (context.weather, context.season) if t and t in matched]
    return first + sorted(matched - set(first))


def _in_size_reason(
    card: Mapping[str, Any],
    made: list[Mapping[str, Any]],
    stocked: list[Mapping[str, Any]],
    size: str | None,
) -> str | None:
    # "In stock in M" when a variant in the shopper's size is in stock; "In stock, one size"
    # for a one-size product (or an accessory with no variant in that size) that is in stock.
    if not size:
        return None
    wanted = size.strip().casefold()
    for variant in stocked:
        label = str(variant.get("size") or "").strip()
        if label.casefold() == wanted:
            return f"In stock in {label}"
    sizes = {str(v.get("size") or "").strip().casefold() for v in made}
    if wanted in sizes:
        return None  # made in the shopper's size, but sold out here
    if sizes <= ONE_SIZE or str(card.get("category") or "").lower() in ONE_SIZE_CATEGORIES:
        return "In stock, one size"
    return None

"""Associate requests: a shopper asks for another size or colour of a garment, or for help;
an associate acknowledges ("on the way") and fulfils it. Each request is held to the store's
service levels: late when it waits longer than ack_sla_s to be acknowledged or fulfil_sla_s
to be fulfilled, escalated (once, logged) when nobody acknowledges it within
escalate_after_s.

Times are wall clock, so a request's age and service level survive a daemon restart.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from typing import Any, Literal, Protocol

from vitrine.engine.config import AssociateConfig
from vitrine.engine.errors import ActionError
from vitrine.engine.store import EventStore

SlaState = Literal["ok", "late", "escalated"]
MAX_OPEN_PER_SESSION = 5
NAME_MAX = 40  # an associate's name as they type it

log = logging.getLogger("vitrine.engine")


class VariantReader(Protocol):
    """The part of vitrine.catalog.Catalog that requests read."""

    def variant(self, variant_sku: str) -> dict[str, Any] | None: ...


def item_label(variant: dict[str, Any]) -> str:
    """How a variant reads in the associate's queue: "Linen Shirt — M, Navy"."""
    return f"{variant['name']} — {variant['size']}, {variant['colour']}"


def sla_state(row: dict[str, Any], now: float, config: AssociateConfig) -> SlaState:
    """A request's service level at `now`: escalated while it waits unacknowledged past
    escalate_after_s; late past ack_sla_s unacknowledged or fulfil_sla_s unfulfilled (a
    fulfilled request keeps "late" when it took longer); ok otherwise."""
    status = row["status"]
    waited = now - row["created_at"]
    if status == "pending":
        if row["escalated_at"] is not None or waited > config.escalate_after_s:
            return "escalated"
        if waited > config.ack_sla_s or waited > config.fulfil_sla_s:
            return "late"
        return "ok"
    if status == "acknowledged":
        return "late" if waited > config.fulfil_sla_s else "ok"
    if status == "fulfilled" and (row["fulfil_s"] or 0.0) > config.fulfil_sla_s:
        return "late"
    return "ok"


def queue_item(row: dict[str, Any], now: float, config: AssociateConfig) -> dict[str, Any]:
    """A request as the associate app shows it: every stored field, plus its age in seconds
    (until it closed) and its service level."""
    closed_at = row["fulfilled_at"] or row["cancelled_at"]
    item = dict(row)
    item["age_s"] = round((closed_at if closed_at is not None else now) - row["created_at"], 1)
    item["sla"] = sla_state(row, now, config)
    return item


def view_item(row: dict[str, Any]) -> dict[str, Any]:
    """A request as the player shows it to the shopper."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "sku": row["sku"],
        "variant": row["variant"],
        "label": row["label"],
        "status": row["status"],
        "associate": row["fulfilled_by"] or row["acknowledged_by"],
        "created_at": row["created_at"],
        "acknowledged_at": row["acknowledged_at"],
    }


def check_name(name: Any) -> str:
    """An associate's name as given (trimmed), or ActionError("bad_message") for anything
    but 1..40 printable characters."""
    if not isinstance(name, str):
        raise ActionError("bad_message", "name: must be a string of 1 to 40 characters", "name")
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise ActionError(
            "bad_message", f"name = {name[:50]!r}: must be 1 to {NAME_MAX} characters", "name"
        )
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ActionError("bad_message", "name: control characters are not allowed", "name")
    return name


class RequestDesk:
    """Creates and moves requests through pending -> acknowledged -> fulfilled (or
    cancelled), with the rules the shopper and the associates are held to."""

    def __init__(
        self,
        store: EventStore,
        catalog: VariantReader,
        config: AssociateConfig,
        fitting_room: str,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.config = config
        self.fitting_room = fitting_room

    def check(
        self, session_id: str | None, kind: str, variant_sku: str | None
    ) -> dict[str, Any] | None:
        """Whether this session may make the request (raises ActionError if not): not_found
        for an unknown variant; conflict when the same kind and variant is already open;
        not_allowed past MAX_OPEN_PER_SESSION open requests. Returns the variant (None for
        help without one)."""
        variant = None
        if variant_sku is not None:
            variant = self.catalog.variant(variant_sku)
            if variant is None:
                raise ActionError(
                    "not_found", f"variant {variant_sku!r} is not in the catalogue", "variant"
                )
        elif kind != "help":
            raise ActionError("bad_message", f"request {kind}: variant is required", "variant")
        mine = self.store.requests(open_only=True, session_id=session_id) if session_id else []
        if any(r["kind"] == kind and r["variant"] == variant_sku for r in mine):
            what = f"{kind} request for {variant_sku}" if variant_sku else f"{kind} request"
            raise ActionError("conflict", f"a {what} is already open", "variant")
        if len(mine) >= MAX_OPEN_PER_SESSION:
            raise ActionError(
                "not_allowed",
                f"{len(mine)} requests are open; at most {MAX_OPEN_PER_SESSION} at a time "
                "(cancel one or wait for an associate)",
            )
        return variant

    def create(
        self, session_id: str, kind: str, variant_sku: str | None, now: float
    ) -> dict[str, Any]:
        """A new pending request of this session, after check()."""
        variant = self.check(session_id, kind, variant_sku)
        if variant is None:
            label = "Help"
        elif kind == "help":
            label = f"Help: {item_label(variant)}"
        else:
            label = item_label(variant)
        row = {
            "id": uuid.uuid4().hex,
            "session": session_id,
            "kind": kind,
            "sku": variant["product_sku"] if variant else None,
            "variant": variant_sku,
            "label": label,
            "fitting_room": self.fitting_room,
            "created_at": now,
        }
        self.store.add_request(row)
        return self._get(row["id"])

    def acknowledge(self, request_id: str, name: Any, now: float) -> dict[str, Any]:
        """An associate is on the way. conflict unless the request is pending."""
        name = check_name(name)
        row = self._get(request_id)
        if not self.store.acknowledge_request(request_id, name, now):
            raise ActionError(
                "conflict",
                f"request {request_id} is {row['status']}; only a pending request can be "
                "acknowledged",
            )
        return self._get(request_id)

    def fulfil(self, request_id: str, name: Any, now: float) -> dict[str, Any]:
        """The associate brought the item (or helped). conflict unless the request is open."""
        name = check_name(name)
        row = self._get(request_id)
        if not self.store.fulfil_request(request_id, name, now):
            raise ActionError(
                "conflict",
                f"request {request_id} is {row['status']}; only a pending or acknowledged "
                "request can be fulfilled",
            )
        return self._get(request_id)

    def cancel(self, request_id: str, session_id: str | None, now: float) -> dict[str, Any]:
        """The shopper withdraws one of their session's open requests."""
        row = self.store.request(request_id)
        if row is None or row["session"] != session_id:
            raise ActionError("not_found", f"no request {request_id} in this session", "id")
        if not self.store.cancel_request(request_id, now):
            raise ActionError(
                "conflict", f"request {request_id} is {row['status']}; it cannot be cancelled"
            )
        return self._get(request_id)

    def escalate_due(self, now: float) -> list[dict[str, Any]]:
        """Mark escalated (once each, with a warning in the log) the pending requests that
        have waited past escalate_after_s; returns those newly escalated."""
        escalated = []
        for row in self.store.requests(open_only=True):
            if row["status"] != "pending" or row["escalated_at"] is not None:
                continue
            waited = now - row["created_at"]
            if waited <= self.config.escalate_after_s:
                continue
            if self.store.escalate_request(row["id"], now):
                room = row["fitting_room"] or "shop floor"
                log.warning(
                    "request %s (%s, fitting room %s) not acknowledged after %.0f s: escalated",
                    row["id"],
                    row["label"],
                    room,
                    waited,
                )
                escalated.append(self._get(row["id"]))
        return escalated

    def queue(self, now: float, *, open_only: bool = True) -> list[dict[str, Any]]:
        """The associates' queue, oldest first, as queue_item()s."""
        return [queue_item(r, now, self.config) for r in self.store.requests(open_only=open_only)]

    def sla_states(self, now: float) -> dict[str, SlaState]:
        """The service level of each open request (to notice when one turns late)."""
        return {r["id"]: sla_state(r, now, self.config) for r in self.store.requests()}

    def _get(self, request_id: str) -> dict[str, Any]:
        row = self.store.request(request_id) if isinstance(request_id, str) else None
        if row is None:
            raise ActionError("not_found", f"no request {request_id!r}", "id")
        return row

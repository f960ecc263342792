"""The player's intents as the page sends them (JSON with a "type" discriminator), validated
before the engine sees them: unknown types and unknown fields are rejected, strings are
bounded, numbers ranged. `parse_action` turns a decoded message into one of these models or
raises ActionError("bad_message", ...) naming the field and what is allowed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from vitrine.engine.errors import ActionError
from vitrine.engine.screens import NavScreen, ScreenName
from vitrine.errors import shown

InteractionKind = Literal["tap", "swipe", "pinch", "scroll", "key"]
RequestKind = Literal["size", "colour", "help"]
SCREENS_WITH_SKU = ("product", "look")  # navigate needs a product sku for these

Sku = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Category = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
RequestId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
SceneName = Annotated[str, Field(min_length=1, max_length=32)]
LoyaltyId = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,32}$")]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Navigate(_Action):
    """Show a screen; product and look need the product's sku, browse may name a category."""

    type: Literal["navigate"]
    screen: NavScreen
    category: Category | None = None
    sku: Sku | None = None


class Interaction(_Action):
    """Native input on the page (mouse, the display's own touch, keyboard) on a screen."""

    type: Literal["interaction"]
    kind: InteractionKind
    screen: ScreenName


class Request(_Action):
    """Ask an associate: another size or colour (the variant to bring), or help."""

    type: Literal["request"]
    kind: RequestKind
    variant: Sku | None = None


class CancelRequest(_Action):
    """Withdraw one of this session's open requests."""

    type: Literal["cancel_request"]
    id: RequestId


class Light(_Action):
    """Set a lighting scene (a name from [lighting.scenes])."""

    type: Literal["light"]
    scene: SceneName


class Consent(_Action):
    """Accept (or decline) the loyalty consent text for this session."""

    type: Literal["consent"]
    accept: bool


class Enrol(_Action):
    """Join, or sign in to, the loyalty programme (needs consent in this session)."""

    type: Literal["enrol"]
    loyalty_id: LoyaltyId


class Wishlist(_Action):
    """Add a product to the member's wishlist, or remove it."""

    type: Literal["wishlist"]
    sku: Sku
    add: bool


class Forget(_Action):
    """Delete the member's consent, wishlist and purchases; the session goes anonymous."""

    type: Literal["forget"]


class Rate(_Action):
    """The shopper's rating of the visit: satisfaction 1-5, and optionally 0-10 to recommend."""

    type: Literal["rate"]
    csat: int = Field(ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)


class End(_Action):
    """The shopper is done: on to the rating screen."""

    type: Literal["end"]


Action = Annotated[
    Navigate
    | Interaction
    | Request
    | CancelRequest
    | Light
    | Consent
    | Enrol
    | Wishlist
    | Forget
    | Rate
    | End,
    Field(discriminator="type"),
]
ACTION_TYPES: tuple[str, ...] = tuple(
    get_args(model.model_fields["type"].annotation)[0] for model in get_args(get_args(Action)[0])
)
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Action)


def parse_action(data: Any) -> Action:
    """The action in a decoded JSON message, or ActionError("bad_message", message, field)
    for anything that is not exactly one of the actions above."""
    if not isinstance(data, dict):
        raise ActionError("bad_message", f"an action is a JSON object, not {type(data).__name__}")
    kind = data.get("type")
    if kind not in ACTION_TYPES:
        raise ActionError(
            "bad_message",
            f"type = {kind!r}: unknown action; allowed: {', '.join(ACTION_TYPES)}",
            "type",
        )
    try:
        action = _ADAPTER.validate_python(data)
    except ValidationError as err:
        raise _bad_message(kind, err) from None
    if isinstance(action, Navigate) and action.screen in SCREENS_WITH_SKU and action.sku is None:
        raise ActionError(
            "bad_message", f"navigate to {action.screen}: sku is required (the product)", "sku"
        )
    if isinstance(action, Request) and action.kind != "help" and action.variant is None:
        raise ActionError(
            "bad_message",
            f"request {action.kind}: variant is required (the variant sku to bring)",
            "variant",
        )
    return action


def _bad_message(kind: str, err: ValidationError) -> ActionError:
    # The first problem, as "action: field = value: what is allowed".
    problem = err.errors(include_url=False)[0]
    loc = [str(part) for part in problem["loc"][1:]]  # [0] is the union tag
    field = loc[0] if loc else None
    where = ".".join(loc) or "(message)"
    if problem["type"] == "extra_forbidden":
        model = _model_of(kind)
        allowed = ", ".join(model.model_fields) if model else ""
        return ActionError(
            "bad_message", f"{kind}: {where}: unknown field; allowed: {allowed}", field
        )
    if problem["type"] == "missing":
        return ActionError("bad_message", f"{kind}: {where}: required, missing", field)
    given = shown(problem.get("input"))
    return ActionError("bad_message", f"{kind}: {where} = {given}: {problem['msg']}", field)


def _model_of(kind: str) -> type[BaseModel] | None:
    for model in get_args(get_args(Action)[0]):
        if get_args(model.model_fields["type"].annotation)[0] == kind:
            return model
    return None

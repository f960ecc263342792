"""What the hostile-input tests share: the daemon's whole HTTP app (player, associate app,
catalogue, status and /ws, mounted the way vitrine.daemon does it, minus the boards) over a
data folder holding the sample catalogue and a pending shopper's request; a fingerprint of
everything stored there; and Hypothesis strategies for broken player actions derived from
the actions' JSON schema."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI
from hypothesis import strategies as st

from tests.host.engine.harness import Clock
from vitrine.associate.app import associate_router
from vitrine.associate.auth import AssociateAuth
from vitrine.associate.store import AuthStore
from vitrine.bus import EventBus
from vitrine.catalog import Catalog
from vitrine.catalog.routes import catalog_router
from vitrine.catalog.sample import install_sample
from vitrine.config import Config
from vitrine.daemon import TOUCH_TYPES
from vitrine.engine.actions import ACTION_TYPES, Action
from vitrine.engine.config import AssociateConfig
from vitrine.engine.engine import Engine
from vitrine.engine.store import EventStore
from vitrine.player.app import player_router
from vitrine.secret_key import load_or_create_secret
from vitrine.web.access import ScreenAccess
from vitrine.web.app import create_app
from vitrine.web.calibration_token import calibration_key
from vitrine.web.origins import Origins

PIN = "246810"
KIOSK_TOKEN = "kiosk-tablet-token-0123456789"
COOKIE = "vitrine_associate"
FOREIGN_ORIGIN = "http://evil.example"
# The kiosk's own origin here (the daemon's [http] host and port, as the kiosk opens it).
KIOSK_ORIGIN = "http://127.0.0.1:8080"
# A file beside the media folder that no URL may ever serve.
OUTSIDE_NAME = "outside.svg"
OUTSIDE_BODY = b"<svg xmlns='http://www.w3.org/2000/svg'><!-- not a product image --></svg>"


class FrozenClock(Clock):
    """The engine's clocks standing still (a test never advances them): no timer fires
    during a test, so anything that changes was changed by a request."""


@dataclass
class Parts:
    """The daemon's parts on one data folder, and its app."""

    data_dir: Path
    bus: EventBus
    catalog: Catalog
    store: EventStore
    engine: Engine
    auth: AssociateAuth
    auth_store: AuthStore
    calibration_key: bytes
    app: FastAPI

    def close(self) -> None:
        self.store.close()
        self.catalog.close()
        self.auth_store.close()


def status() -> dict[str, Any]:
    """A daemon status with no boards (what /api/status serves here)."""
    return {
        "version": "0.0.0",
        "uptime_s": 1.0,
        "host_build": "test",
        "boards": [],
        "player": {"unknown_messages": {}},
    }


def build(data_dir: Path, *, remote_control: bool = False) -> Parts:
    """The sample catalogue imported into data_dir, a link leading out of its media folder
    and a file beside it, and the daemon's app over a real engine, events store and auth
    (wired as Daemon.routers() and Daemon.run() wire them)."""
    install_sample(data_dir)
    media = data_dir / "media"
    (data_dir / OUTSIDE_NAME).write_bytes(OUTSIDE_BODY)
    (media / "escape.svg").symlink_to(data_dir / OUTSIDE_NAME)
    (media / ".hidden.svg").write_bytes(OUTSIDE_BODY)
    config = Config(associate=AssociateConfig(pin=PIN, tokens=[KIOSK_TOKEN]))
    clock = FrozenClock()
    bus = EventBus()
    catalog = Catalog.open(data_dir / "catalog.db", media)
    store = EventStore.open(data_dir / "events.db")
    engine = Engine(bus, catalog, store, config.engine(), (clock, clock.wall))
    secret = load_or_create_secret(data_dir / "secret.key")
    auth_store = AuthStore.open(data_dir / "auth.db")
    auth = AssociateAuth(config.associate, secret, auth_store)
    access = ScreenAccess(
        origins=Origins([KIOSK_ORIGIN]),
        remote_control=remote_control,
        calibration_key=calibration_key(secret),
    )
    routers = [
        player_router(engine, bus, TOUCH_TYPES, access=access),
        associate_router(engine, bus, auth),
        catalog_router(lambda: catalog, config.store.id, config.store.fitting_room),
    ]
    app = create_app(status, bus, TOUCH_TYPES, routers, access=access)
    return Parts(
        data_dir, bus, catalog, store, engine, auth, auth_store, calibration_key(secret), app
    )


# --- what is stored ----------------------------------------------------------------------


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"'), key=repr) for name in names}
    finally:
        conn.close()


def fingerprint(data_dir: Path) -> dict[str, Any]:
    """Every row of every table of events.db and catalog.db, the sessions auth.db keeps, and
    every other file of the data folder (SQLite's own journal files aside) with its size and
    digest. auth.db's budget of wrong PINs is left out: wrong PINs are meant to move it."""
    files = {}
    for path in sorted(data_dir.rglob("*")):
        if path.name.endswith(("-wal", "-shm", "-journal")) or path.is_dir():
            continue
        if path.name == "auth.db":
            continue
        rel = str(path.relative_to(data_dir))
        if path.is_symlink():
            files[rel] = ("link", str(path.readlink()))
        else:
            files[rel] = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return {
        "events.db": _tables(data_dir / "events.db"),
        "catalog.db": _tables(data_dir / "catalog.db"),
        "auth.db sessions": _tables(data_dir / "auth.db")["session"],
        "files": files,
    }


# --- JSON values -------------------------------------------------------------------------

JUNK_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=()) | st.sampled_from("\x00\u202e\ufeff\u0301"),
    max_size=40,
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | JUNK_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JUNK_TEXT, inner, max_size=4),
    max_leaves=12,
)
# JSON types as the schema names them, and values of each.
_OF_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "string": JUNK_TEXT,
    "integer": st.integers(min_value=-(2**70), max_value=2**70),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)),
    "boolean": st.booleans(),
    "null": st.none(),
    "array": st.lists(JSON_SCALARS, max_size=3),
    "object": st.dictionaries(JUNK_TEXT, JSON_SCALARS, max_size=3),
}


# --- the player's actions, from their schema ---------------------------------------------


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return defs[ref.rsplit("/", 1)[1]] if ref else schema


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    # A property's alternatives (anyOf), null among them for an optional field.
    return list(schema["anyOf"]) if "anyOf" in schema else [schema]


def _allowed_types(schema: dict[str, Any]) -> set[str]:
    types = set()
    for option in _options(schema):
        if "const" in option or "enum" in option:
            values = [option["const"]] if "const" in option else option["enum"]
            types.update("string" if isinstance(v, str) else type(v).__name__ for v in values)
        else:
            types.add(option["type"])
    return types


@dataclass(frozen=True)
class ActionSchema:
    """One action model as its JSON schema describes it."""

    kind: str
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...]


def action_schemas() -> list[ActionSchema]:
    """Every action of vitrine.engine.actions, read from the models' JSON schemas."""
    out = []
    for model in get_args(get_args(Action)[0]):
        schema = model.model_json_schema()
        defs = schema.get("$defs", {})
        props = {name: _resolve(p, defs) for name, p in schema["properties"].items()}
        out.append(ActionSchema(props["type"]["const"], props, tuple(schema.get("required", ()))))
    assert sorted(s.kind for s in out) == sorted(ACTION_TYPES)
    return out


SCHEMAS = action_schemas()


def _anchored(pattern: str) -> str:
    # The schema's patterns end in "$", which Python lets match before a final newline;
    # pydantic's engine does not.
    return pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern


def valid_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema allows."""
    options = []
    for option in _options(schema):
        if "const" in option:
            options.append(st.just(option["const"]))
        elif "enum" in option:
            options.append(st.sampled_from(option["enum"]))
        elif option["type"] == "string" and "pattern" in option:
            options.append(st.from_regex(_anchored(option["pattern"]), fullmatch=True))
        elif option["type"] == "string":
            options.append(
                st.text(min_size=option.get("minLength", 0), max_size=option.get("maxLength"))
            )
        elif option["type"] == "integer":
            options.append(
                st.integers(min_value=option.get("minimum"), max_value=option.get("maximum"))
            )
        elif option["type"] == "boolean":
            options.append(st.booleans())
        elif option["type"] == "null":
            options.append(st.none())
        else:
            raise AssertionError(f"a schema these strategies do not know: {option}")
    return st.one_of(options)


def valid_action(schema: ActionSchema) -> st.SearchStrategy[dict[str, Any]]:
    """Messages of one action type the schema allows (required fields always, the optional
    ones sometimes)."""
    optional = {
        name: valid_value(p) for name, p in schema.properties.items() if name not in schema.required
    }
    required = {name: valid_value(schema.properties[name]) for name in schema.required}
    return st.fixed_dictionaries(required, optional=optional)


def _invalid_strings(schema: dict[str, Any]) -> st.SearchStrategy[str] | None:
    # Strings no alternative of the property allows, or None when every string is allowed.
    options = [o for o in _options(schema) if o.get("type") == "string" or "enum" in o]
    options += [o for o in _options(schema) if isinstance(o.get("const"), str)]
    if not options:
        return None

    def allowed(text: str) -> bool:
        for o in options:
            if "const" in o and text == o["const"]:
                return True
            if "enum" in o and text in o["enum"]:
                return True
            if o.get("type") == "string" and "enum" not in o and "const" not in o:
                if not o.get("minLength", 0) <= len(text) <= o.get("maxLength", 10**9):
                    continue
                if "pattern" in o and not re.search(_anchored(o["pattern"]), text):
                    continue
                return True
        return False

    longest = max(o.get("maxLength", 64) for o in options)
    candidates = st.one_of(
        JUNK_TEXT,
        st.just(""),
        st.text(string.printable, min_size=longest + 1, max_size=longest + 3000),
        st.text(min_size=1, max_size=8).map(lambda t: "../" + t),
        st.text(min_size=1, max_size=8).map(lambda t: t + "\n"),
        st.sampled_from(["SH-101\x00", "sh 101", "<script>", "' OR 1=1 --", "\u202eevil"]),
    )
    return candidates.filter(lambda text: not allowed(text))


def _out_of_range(schema: dict[str, Any]) -> st.SearchStrategy[int] | None:
    for option in _options(schema):
        if option.get("type") == "integer":
            low, high = option.get("minimum"), option.get("maximum")
            below = (
                st.integers(max_value=low - 1, min_value=low - 2**70) if low is not None else None
            )
            above = (
                st.integers(min_value=high + 1, max_value=high + 2**70)
                if high is not None
                else None
            )
            return st.one_of([s for s in (below, above) if s is not None])
    return None


@st.composite
def broken_action(draw: st.DrawFn) -> dict[str, Any]:
    """A message of a known action type that its schema refuses: a field of the wrong type,
    a string the field's pattern or length refuses, a number out of range, an unknown
    field, or a required field missing."""
    schema = draw(st.sampled_from(SCHEMAS))
    message = dict(draw(valid_action(schema)))
    fields = [name for name in schema.properties if name != "type"]
    ways = ["extra"] + (["wrong_type", "bad_string", "out_of_range"] if fields else [])
    ways += ["missing"] if len(schema.required) > 1 else []
    way = draw(st.sampled_from(ways))
    if way == "extra":
        key = draw(JUNK_TEXT.filter(lambda k: k not in schema.properties))
        message[key] = draw(JSON_VALUES)
    elif way == "missing":
        del message[draw(st.sampled_from([r for r in schema.required if r != "type"]))]
    else:
        name = draw(st.sampled_from(fields))
        prop = schema.properties[name]
        bad = {"bad_string": _invalid_strings, "out_of_range": _out_of_range}.get(way)
        broken = bad(prop) if bad is not None else None
        if broken is not None:
            message[name] = draw(broken)
        else:
            wrong = sorted(set(_OF_TYPE) - _allowed_types(prop))
            message[name] = draw(st.sampled_from(wrong).flatmap(_OF_TYPE.__getitem__))
    return message


def unknown_type_action() -> st.SearchStrategy[dict[str, Any]]:
    """An object whose "type" is no action's (or not a string, or missing)."""
    known = set(ACTION_TYPES) | {"hello", "ping"}
    kinds = JSON_VALUES.filter(lambda v: not (isinstance(v, str) and v in known))
    with_type = st.builds(
        lambda kind, rest: {**rest, "type": kind},
        kinds,
        st.dictionaries(JUNK_TEXT, JSON_SCALARS, max_size=3),
    )
    without = st.dictionaries(JUNK_TEXT.filter(lambda k: k != "type"), JSON_SCALARS, max_size=3)
    case_games = st.sampled_from(ACTION_TYPES).map(
        lambda t: {"type": t.upper()} if t.upper() != t else {"type": " " + t}
    )
    return with_type | without | case_games


NOT_OBJECTS = JSON_VALUES.filter(lambda v: not isinstance(v, dict))


def nested(depth: int, leaf: Any = 1) -> str:
    """JSON text of arrays and objects nested `depth` deep inside an action."""
    inner = "[" * depth + json.dumps(leaf) + "]" * depth
    return '{"type": "navigate", "screen": ' + inner + "}"


def not_json() -> st.SearchStrategy[str]:
    """Text that is not a JSON document."""

    def parses(text: str) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return False
        return True

    return st.one_of(
        JUNK_TEXT,
        st.sampled_from(['{"type": "ping"', "{'type': 'ping'}", "ping", "NaN]", '{"type":}']),
        st.text(string.printable, max_size=200),
    ).filter(lambda text: not parses(text))


def cookie_safe(min_size: int = 1, max_size: int = 300) -> st.SearchStrategy[str]:
    """Text that fits in a Cookie header value."""
    chars = string.ascii_letters + string.digits + "!#$%&'()*+-./:<=>?@[]^_`{|}~"
    return st.text(chars, min_size=min_size, max_size=max_size)

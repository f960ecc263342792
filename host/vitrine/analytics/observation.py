"""The observation: one thing the mirror noticed, in the one format every part of analytics
speaks (the store on the mirror, `vitrine analytics import` / `export`, the MQTT outbox, the
fleet's collector). docs/metrics.md is its reference.

An observation is one JSON object:

    {"id": "019cec00-c7fd-7666-a983-87f51680a712", "kind": "look", "at": 1773486000.125,
     "store": "store-1", "mirror": "mirror-1", "data": {"source": "camera", "track": 17,
     "seconds": 2.4}}

`id` is a UUIDv7 (RFC 9562: its first 48 bits are the Unix time in milliseconds, so ids sort
by time); `at` is wall clock, seconds since the epoch; `data` holds the kind's fields, each
checked against KINDS below. Each kind also names which of its fields the stores keep in
their indexed columns (session, subject, label, value), so that the metrics' SQL reads
columns, not JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import uuid_utils

from vitrine.errors import VitrineError, shown

ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")  # a store or mirror id ([store])
WORD_RE = re.compile(r"^[a-z0-9][a-z0-9_:.-]{0,39}$")  # a source, zone, screen, reason...
EARLIEST_AT = 946684800.0  # 2000-01-01: an earlier time is a clock that was never set
LATEST_AT = 4102444800.0  # 2100-01-01
MAX_TEXT = 200  # characters of a free text field (an error's message, a sku)
MAX_LINE_BYTES = 4096  # one observation, as JSON


class ObservationError(VitrineError):
    """An observation that is not one: `where` names it (a file and line, a topic), `field`
    the field at fault."""

    def __init__(self, message: str, *, where: str = "", field: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.field = field
        self.reason = message


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a kind's data: its type ("str", "word", "int", "float", "bool"), whether
    it must be there, the values allowed (choices) or the range (lo..hi)."""

    type: str
    required: bool = True
    choices: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of observation: its fields, which of them fill the indexed columns, and what it
    means (one line, for docs/metrics.md)."""

    fields: Mapping[str, Field]
    means: str
    session: str | None = None  # the field that is the session id
    subject: str | None = None  # ... the thing it is about (a track, a request, a member)
    label: str | None = None  # ... the word it is grouped by (a zone, a status, a variant)
    value: str | None = None  # ... the number it sums (seconds, a rating)
    subject_with_source: bool = False  # subject = "<source>:<field>" (tracks are per source)


def _f(
    type_: str,
    required: bool = True,
    *choices: str,
    lo: float | None = None,
    hi: float | None = None,
) -> Field:
    return Field(type_, required, tuple(choices), lo, hi)


SESSION = _f("hex")  # the engine's session id (32 hex digits)
SOURCE = _f("word")  # what noticed it: presence, camera, sim, engine, ...
TRACK = _f("int", False, lo=0, hi=2**53)
ZONES = ("passing", "in_front", "at_glass")
REQUEST_STATUSES = ("created", "acknowledged", "fulfilled", "cancelled", "escalated")

KINDS: dict[str, Kind] = {
    # -- people in front of the store and the mirror --------------------------------------
    "presence": Kind(
        {"present": _f("bool"), "source": SOURCE},
        "someone is (present=true) or is no longer (false) in front of the mirror, any "
        "source (the sensors fused: present while one of them says so)",
        value="present",
    ),
    "passer_by": Kind(
        {"source": SOURCE, "track": TRACK},
        "a person passed the shopfront or the mirror (the people counter, or the nearest "
        "person's zone going from none to passing)",
        subject="track",
        subject_with_source=True,
    ),
    "entry": Kind(
        {"source": SOURCE, "track": TRACK, "how": _f("word", True, "line", "zone")},
        "a person entered: crossed the entrance line inwards (how=line) or stepped from "
        "passing into the mirror's area (how=zone)",
        subject="track",
        label="how",
        subject_with_source=True,
    ),
    "exit": Kind(
        {"source": SOURCE, "track": TRACK},
        "a person crossed the entrance line outwards",
        subject="track",
        subject_with_source=True,
    ),
    "zone_enter": Kind(
        {"zone": _f("word"), "source": SOURCE},
        "the nearest person entered a zone (passing, in_front, at_glass; a beacon's zone as "
        "beacon:NAME)",
        label="zone",
    ),
    "zone_leave": Kind(
        {"zone": _f("word"), "source": SOURCE, "dwell_s": _f("float", lo=0, hi=86400)},
        "the nearest person left a zone after dwell_s seconds in it",
        label="zone",
        value="dwell_s",
    ),
    "look": Kind(
        {
            "source": SOURCE,
            "track": _f("int", lo=0, hi=2**53),
            "seconds": _f("float", lo=0, hi=86400),
        },
        "a face track looked at the mirror without a break for `seconds`",
        subject="track",
        value="seconds",
        subject_with_source=True,
    ),
    # -- the shopper's session (the experience engine) -------------------------------------
    "session_start": Kind(
        {"session": SESSION, "phase": _f("word", True, "approached", "engaged")},
        "a session began, on approach or with a first interaction",
        session="session",
        label="phase",
    ),
    "session_engaged": Kind(
        {"session": SESSION}, "an approached session became engaged", session="session"
    ),
    "session_end": Kind(
        {
            "session": SESSION,
            "reason": _f("word", True, "timeout", "left", "ended_by_shopper"),
            "duration_s": _f("float", lo=0, hi=86400),
        },
        "a session ended after duration_s seconds",
        session="session",
        label="reason",
        value="duration_s",
    ),
    "interaction": Kind(
        {
            "session": SESSION,
            "kind": _f("word"),
            "screen": _f("word"),
            "count": _f("int", False, lo=1, hi=1_000_000),
        },
        "a deliberate interaction: a touch, a gesture (on the glass or in the air), the "
        "page's input, a navigation, a voice command (count: the same again within 2 s)",
        session="session",
        label="kind",
        value="count",
    ),
    "content_view": Kind(
        {
            "session": SESSION,
            "screen": _f("word"),
            "sku": _f("str", False),
            "category": _f("str", False),
        },
        "the session showed a screen (a product's sku, a category's browse page)",
        session="session",
        subject="sku",
        label="screen",
    ),
    "request": Kind(
        {
            "session": SESSION,
            "request": _f("hex"),
            "kind": _f("word", True, "size", "colour", "help"),
            "status": _f("word", True, *REQUEST_STATUSES),
            "sku": _f("str", False),
            "variant": _f("str", False),
            "fulfil_s": _f("float", False, lo=0, hi=86400 * 7),
        },
        "an associate request was created, acknowledged, fulfilled (fulfil_s: from its "
        "creation), cancelled or escalated",
        session="session",
        subject="sku",  # the product asked for, which a sale may then hold (the assisted fact)
        label="status",
        value="fulfil_s",
    ),
    "rating": Kind(
        {
            "session": SESSION,
            "csat": _f("int", lo=1, hi=5),
            "nps": _f("int", False, lo=0, hi=10),
        },
        "the session's end-of-session rating: csat 1-5, nps 0-10 when given",
        session="session",
        label="nps",
        value="csat",
    ),
    "exposure": Kind(
        {"session": SESSION, "experiment": _f("word"), "variant": _f("word")},
        "the session first saw an A/B experiment's screen, in its variant",
        session="session",
        subject="experiment",
        label="variant",
    ),
    "outcome": Kind(
        {
            "session": SESSION,
            "experiment": _f("word"),
            "variant": _f("word"),
            "outcome": _f("word"),
        },
        "the session first reached the experiment's outcome",
        session="session",
        subject="experiment",
        label="variant",
    ),
    "member": Kind(
        {"session": SESSION, "member": _f("str")},
        "a consenting loyalty member was recognised or signed in during the session",
        session="session",
        subject="member",
    ),
    "error": Kind(
        {"source": SOURCE, "code": _f("word"), "message": _f("str", False)},
        "something failed on the mirror (an analytics write, a board, a model)",
        label="code",
    ),
    "overflow": Kind(
        {"dropped": _f("int", lo=1, hi=2**53), "since": _f("float"), "until": _f("float")},
        "observations that did not fit the memory buffer while the disk could not be "
        "written, counted (they are lost, and this says how many and when)",
        value="dropped",
    ),
}


_DATA_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)  # made once: it is hot


@dataclass(frozen=True, slots=True)
class Observation:
    """One observation (see the module docstring); `data` holds the kind's fields."""

    id: str
    kind: str
    at: float
    store: str
    mirror: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "at": self.at,
            "store": self.store,
            "mirror": self.mirror,
            "data": dict(self.data),
        }

    def line(self) -> str:
        """The observation as one line of JSON (keys in a fixed order, no spaces)."""
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False)

    def data_text(self) -> str:
        """The data as the stores keep it: JSON with sorted keys, so equal data is equal
        text."""
        return _DATA_ENCODER.encode(dict(self.data))

    def columns(self) -> tuple[str | None, str | None, str | None, float | None]:
        """(session, subject, label, value): the indexed columns the kind fills."""
        kind = KINDS[self.kind]
        data = self.data
        session = data.get(kind.session) if kind.session else None
        subject = data.get(kind.subject) if kind.subject else None
        if subject is not None:
            subject = f"{data.get('source')}:{subject}" if kind.subject_with_source else subject
            subject = str(subject)
        label = data.get(kind.label) if kind.label else None
        if label is not None:
            label = str(label)
        value = data.get(kind.value) if kind.value else None
        if isinstance(value, bool):
            value = 1.0 if value else 0.0
        return session, subject, label, None if value is None else float(value)


def new_id(at: float | None = None) -> str:
    """A new UUIDv7, its time part from `at` (seconds since the epoch) or now."""
    if at is None:
        return str(uuid_utils.uuid7())
    return str(uuid_utils.uuid7(nanoseconds=id_ms(at) * 1_000_000))


def id_ms(at: float) -> int:
    """The milliseconds a UUIDv7 made at `at` carries (its first 48 bits)."""
    return int(at * 1000)


def make(kind: str, at: float, store: str, mirror: str, /, **data: Any) -> Observation:
    """A new observation with a fresh id; fields given as None are left out. Raises
    ObservationError when the kind or a field is not what KINDS allows."""
    clean = {k: v for k, v in data.items() if v is not None}
    obs = Observation(new_id(at), kind, float(at), store, mirror, clean)
    check(obs)
    return obs


def check(obs: Observation, where: str = "") -> None:
    """Raise ObservationError naming the field when obs is not a valid observation."""
    spec = KINDS.get(obs.kind)
    if spec is None:
        raise ObservationError(
            f"kind = {shown(obs.kind)}: unknown kind; allowed: {', '.join(KINDS)}",
            where=where,
            field="kind",
        )
    if not isinstance(obs.id, str) or not ID_RE.match(obs.id):
        raise ObservationError(
            f"id = {shown(obs.id)}: must be a UUIDv7 in lower-case hex with dashes",
            where=where,
            field="id",
        )
    if type(obs.at) not in (float, int) or not (
        math.isfinite(obs.at) and EARLIEST_AT <= obs.at < LATEST_AT
    ):
        raise ObservationError(
            f"at = {shown(obs.at)}: must be seconds since the epoch between 2000 and 2100",
            where=where,
            field="at",
        )
    id_time = int(obs.id[:8] + obs.id[9:13], 16)
    if id_time != id_ms(obs.at):
        raise ObservationError(
            f"id = {obs.id}: its time ({id_time} ms) is not at's "
            f"({id_ms(obs.at)} ms); a UUIDv7 is made from the observation's own time",
            where=where,
            field="id",
        )
    for name in ("store", "mirror"):
        value = getattr(obs, name)
        if not isinstance(value, str) or not NAME_RE.match(value):
            raise ObservationError(
                f"{name} = {shown(value)}: must be 1-40 of letters, digits, '.', '_', '-' "
                "(starting with a letter or digit)",
                where=where,
                field=name,
            )
    if type(obs.data) is not dict and not isinstance(obs.data, Mapping):
        raise ObservationError(
            f"data = {shown(obs.data)}: must be an object", where=where, field="data"
        )
    if not obs.data.keys() <= spec.fields.keys():
        unknown = sorted(set(obs.data) - set(spec.fields))
        raise ObservationError(
            f"data.{unknown[0]}: not a field of {obs.kind}; allowed: {', '.join(spec.fields)}",
            where=where,
            field=f"data.{unknown[0]}",
        )
    for name, rule in spec.fields.items():
        _check_field(obs.kind, name, rule, obs.data.get(name), where)


def _check_field(kind: str, name: str, rule: Field, value: Any, where: str) -> None:
    key = f"data.{name}"
    if value is None:
        if rule.required:
            raise ObservationError(f"{key}: required for {kind}, missing", where=where, field=key)
        return
    problem = _type_problem(rule, value)
    if problem is None and rule.choices and value not in rule.choices:
        problem = f"allowed: {', '.join(rule.choices)}"
    if problem is None and (rule.lo is not None or rule.hi is not None):
        if rule.lo is not None and value < rule.lo:
            problem = f"must be at least {rule.lo:g}"
        elif rule.hi is not None and value > rule.hi:
            problem = f"must be at most {rule.hi:g}"
    if problem is not None:
        raise ObservationError(f"{key} = {shown(value)}: {problem}", where=where, field=key)


_TYPE_RULES = {
    "bool": (lambda v: isinstance(v, bool), "must be true or false"),
    "int": (lambda v: type(v) is int, "must be an integer"),
    "float": (lambda v: type(v) in (int, float) and math.isfinite(v), "must be a number"),
    "word": (
        lambda v: isinstance(v, str) and WORD_RE.match(v) is not None,
        "must be 1-40 of a-z, 0-9, '_', ':', '.', '-'",
    ),
    "hex": (
        lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{32}", v) is not None,
        "must be 32 hex digits",
    ),
    "str": (
        lambda v: isinstance(v, str) and 1 <= len(v) <= MAX_TEXT and v.isprintable(),
        f"must be a string of 1-{MAX_TEXT} printable characters",
    ),
}


def _type_problem(rule: Field, value: Any) -> str | None:
    ok, problem = _TYPE_RULES[rule.type]
    return None if ok(value) else problem


def parse(line: str | bytes, where: str = "") -> Observation:
    """An observation from one line of JSON; raises ObservationError naming the field."""
    if len(line) > MAX_LINE_BYTES:
        raise ObservationError(
            f"{len(line)} bytes: an observation is at most {MAX_LINE_BYTES}", where=where
        )
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError) as err:
        raise ObservationError(f"not JSON: {err}", where=where) from None
    return from_json(obj, where)


TOP_KEYS = ("id", "kind", "at", "store", "mirror", "data")


def from_json(obj: Any, where: str = "") -> Observation:
    """An observation from its JSON object; raises ObservationError naming the field."""
    if not isinstance(obj, dict):
        raise ObservationError("must be a JSON object", where=where)
    unknown = sorted(set(obj) - set(TOP_KEYS))
    if unknown:
        raise ObservationError(
            f"{unknown[0]}: unknown field; allowed: {', '.join(TOP_KEYS)}",
            where=where,
            field=unknown[0],
        )
    missing = [k for k in TOP_KEYS if k not in obj]
    if missing:
        raise ObservationError(f"{missing[0]}: required, missing", where=where, field=missing[0])
    obs = Observation(obj["id"], obj["kind"], obj["at"], obj["store"], obj["mirror"], obj["data"])
    check(obs, where)
    return Observation(obs.id, obs.kind, float(obs.at), obs.store, obs.mirror, dict(obs.data))

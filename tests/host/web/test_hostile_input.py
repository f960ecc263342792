"""Hostile input to every HTTP and WebSocket endpoint of the daemon's app: each is answered
with a clean 4xx (or, on a socket, an error message or the documented close), the socket
stays usable, no other client notices, and nothing stored changes (every row of events.db
and catalog.db, every file of the data folder)."""

from __future__ import annotations

import base64
import json
import sqlite3
import string
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.host.web.hostile import (
    COOKIE,
    FOREIGN_ORIGIN,
    JSON_SCALARS,
    JSON_VALUES,
    JUNK_TEXT,
    KIOSK_TOKEN,
    NOT_OBJECTS,
    OUTSIDE_BODY,
    OUTSIDE_NAME,
    PIN,
    Parts,
    broken_action,
    build,
    cookie_safe,
    fingerprint,
    nested,
    not_json,
    unknown_type_action,
)
from vitrine.associate.api import NAME_CHARS
from vitrine.associate.http import MAX_BODY_BYTES
from vitrine.associate.live import MAX_WS_MESSAGE_BYTES
from vitrine.associate.pin_budget import FREE_FAILURES
from vitrine.devices.touch.events import PointerEvent
from vitrine.player.app import MAX_MESSAGE_BYTES
from vitrine.web.app import RATE_PER_S as EVENTS_RATE_PER_S

ANSWER_S = 3.0  # a socket that says nothing this long after a message has gone silent
FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@dataclass
class Site:
    """The app with its parts, a client of it (no cookies of its own), the signed-in
    associate's session token, and the shopper's pending request."""

    parts: Parts
    client: TestClient
    token: str
    request_id: str
    skus: frozenset[str]
    media: tuple[str, ...]
    bystanders: dict[str, WebSocketTestSession]

    def __repr__(self) -> str:
        return f"Site({self.data_dir})"

    @property
    def signed_in(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.token}"}

    @property
    def data_dir(self) -> Path:
        return self.parts.data_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    parts = build(tmp_path_factory.mktemp("data"))
    try:
        # on the mirror, as the kiosk browser and the calibration tool are
        with TestClient(
            parts.app, client=("127.0.0.1", 50000), raise_server_exceptions=False
        ) as client:
            client.portal.call(parts.engine.act, {"type": "request", "kind": "help"})
            (pending,) = client.portal.call(parts.engine.requests)
            login = client.post("/associate/login", json={"pin": PIN})
            assert login.status_code == 204
            token = login.cookies[COOKIE]
            client.cookies.clear()
            skus = {p["sku"] for p in parts.catalog.products(limit=100)["items"]}
            for sku in list(skus):
                detail = parts.catalog.product(sku)
                assert detail is not None
                skus.update(v["sku"] for v in detail["variants"])
            media = tuple(
                sorted(
                    p.name
                    for p in (parts.data_dir / "media").iterdir()
                    if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
                )
            )
            with (
                client.websocket_connect("/player/ws") as player,
                client.websocket_connect(
                    "/associate/ws", headers={"Cookie": f"{COOKIE}={token}"}
                ) as associate,
                client.websocket_connect("/ws") as events,
            ):
                assert receive(player)["type"] == "state"
                assert receive(associate)["type"] == "requests"
                bystanders = {"player": player, "associate": associate, "events": events}
                yield Site(
                    parts,
                    client,
                    token,
                    pending["id"],
                    frozenset(skus),
                    media,
                    bystanders,
                )
    finally:
        parts.close()


@pytest.fixture(autouse=True)
def nothing_changes(site: Site) -> Iterator[None]:
    """Around every test: the same rows and files, view and queue after it as before, and
    the clients that sent nothing heard of no change and still answer."""
    engine = site.parts.engine
    before = fingerprint(site.data_dir)
    rev, queue = engine.view()["rev"], site.client.portal.call(engine.requests)
    yield
    assert fingerprint(site.data_dir) == before
    assert engine.view()["rev"] == rev
    assert site.client.portal.call(engine.requests) == queue
    player, associate, events = (site.bystanders[k] for k in ("player", "associate", "events"))
    player.send_json({"type": "ping"})
    assert receive(player) == {"type": "pong"}
    associate.send_json({"type": "ping"})
    while (heard := receive(associate))["type"] == "requests":  # the 30 s refresh
        assert heard["items"] == [{k: v for k, v in i.items() if k != "session"} for i in queue]
    assert heard == {"type": "pong"}
    time.sleep(1 / EVENTS_RATE_PER_S)  # within the rate /ws holds a client to
    events.send_text("ping")
    assert receive(events)["type"] == "error"


# --- helpers -----------------------------------------------------------------------------


def receive(ws: WebSocketTestSession, timeout: float = ANSWER_S) -> dict[str, Any]:
    """The server's next message as JSON; WebSocketDisconnect if it closed the socket, a
    failure if it said nothing for `timeout` seconds."""

    async def get() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    try:
        message = ws.portal.call(get)
    except TimeoutError:
        pytest.fail(f"the socket went silent: no message and no close in {timeout} s")
    ws._raise_on_close(message)
    return json.loads(message["text"])


class DataVersion:
    """SQLite's data_version of both databases, as seen from a connection of its own: it
    moves whenever any other connection commits. Cheap enough to check after every example."""

    def __init__(self, data_dir: Path) -> None:
        self.conns = [
            sqlite3.connect(f"file:{data_dir / name}?mode=ro", uri=True)
            for name in ("events.db", "catalog.db")
        ]
        self.start = self.now()

    def now(self) -> tuple[int, ...]:
        return tuple(c.execute("PRAGMA data_version").fetchone()[0] for c in self.conns)

    def unchanged(self) -> bool:
        return self.now() == self.start


@pytest.fixture(scope="module")
def committed(site: Site) -> Iterator[DataVersion]:
    watch = DataVersion(site.data_dir)
    yield watch
    for conn in watch.conns:
        conn.close()


def assert_clean_4xx(response: Any, *, statuses: set[int] | None = None) -> dict[str, Any]:
    """A 4xx (one of `statuses` when given) with a JSON body naming the problem."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if statuses is not None:
        assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body.get("error", body.get("detail")), str), body
    assert "set-cookie" not in response.headers
    return body


def player_exchange(site: Site, text: str | None = None, data: bytes | None = None) -> dict:
    """Send one message on a fresh player socket; the answer to it, after checking that a
    ping that follows is answered and that the socket's first state had the current rev."""
    rev = site.parts.engine.view()["rev"]
    with site.client.websocket_connect("/player/ws") as ws:
        assert receive(ws)["rev"] == rev
        if text is not None:
            ws.send_text(text)
        else:
            ws.send_bytes(data or b"")
        answer = receive(ws)
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
    assert site.parts.engine.view()["rev"] == rev
    return answer


def assert_refused(answer: dict[str, Any], codes: Collection[str] = ("bad_message",)) -> None:
    """An error message with one of `codes` and a text saying what is wrong."""
    assert answer["type"] == "error", answer
    assert answer["code"] in codes, answer
    assert isinstance(answer["error"], str) and answer["error"], answer


def closed_with(site: Site, url: str, **kw: Any) -> int:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        site.client.websocket_connect(url, **kw) as ws,
    ):
        receive(ws)
    return closed.value.code


def send(ws: WebSocketTestSession, kind: str, payload: Any) -> None:
    if kind == "text":
        ws.send_text(payload)
    else:
        ws.send_bytes(payload)


def url_path(name: str, *, raw: bool) -> str:
    """`name` as a URL path segment: fully percent-encoded, or (raw) with its slashes,
    backslashes and percent signs as they are. Dots are always encoded, so that the client
    does not resolve "../" itself: the server sees them as a raw request would send them.
    A name ending in "/" is not one: the router answers such a path with a redirect to the
    path without it (which is then an ordinary request)."""
    assume(not name.endswith("/"))
    return quote(name, safe="/%\\" if raw else "").replace(".", "%2E")


# --- the player's socket -----------------------------------------------------------------


@settings(max_examples=400, **FUZZ)
@given(message=broken_action())
def test_player_ws_schema_broken_actions_get_bad_message_and_change_nothing(
    site: Site, committed: DataVersion, message: dict[str, Any]
) -> None:
    """Actions with a wrong type, bad string, out-of-range number, extra or missing field."""
    assert_refused(player_exchange(site, json.dumps(message)))
    assert committed.unchanged()


@settings(max_examples=150, **FUZZ)
@given(message=unknown_type_action() | NOT_OBJECTS)
def test_player_ws_unknown_types_and_non_objects_get_bad_message(
    site: Site, committed: DataVersion, message: Any
) -> None:
    """Objects with an unknown, odd or missing "type", and lists, numbers, strings, null."""
    assert_refused(player_exchange(site, json.dumps(message)))
    assert committed.unchanged()


@settings(max_examples=100, **FUZZ)
@given(
    raw=not_json().map(lambda t: ("text", t))
    | st.binary(max_size=300).map(lambda b: ("bytes", b))
    | JSON_VALUES.map(lambda v: ("bytes", json.dumps({"type": "ping", "x": v}).encode()))
)
def test_player_ws_invalid_json_and_binary_frames_get_bad_message(
    site: Site, committed: DataVersion, raw: tuple[str, Any]
) -> None:
    """Text that is not JSON, and binary frames (even ones holding a JSON ping)."""
    kind, payload = raw
    answer = player_exchange(site, **({"text": payload} if kind == "text" else {"data": payload}))
    assert_refused(answer)
    assert committed.unchanged()


def _semantic() -> st.SearchStrategy[dict[str, Any]]:
    # Messages the schema takes that name what does not exist, or are not allowed now.
    sku = st.from_regex(r"^[A-Z]{2}-9[0-9]{2}(-[A-Z]{4}-[A-Z]{1,2})?\Z", fullmatch=True)
    return st.one_of(
        st.builds(
            lambda s, screen: {"type": "navigate", "screen": screen, "sku": s},
            sku,
            st.sampled_from(["product", "look"]),
        ),
        st.builds(
            lambda c: {"type": "navigate", "screen": "browse", "category": c},
            st.from_regex(r"^zz[a-z0-9_-]{0,20}\Z", fullmatch=True),
        ),
        st.builds(
            lambda v, k: {"type": "request", "kind": k, "variant": v},
            sku,
            st.sampled_from(["size", "colour"]),
        ),
        st.builds(
            lambda i: {"type": "cancel_request", "id": i},
            st.from_regex(r"^[0-9a-f]{32}\Z", fullmatch=True),
        ),
        st.builds(lambda s: {"type": "light", "scene": s}, st.text(min_size=1, max_size=32)),
        st.builds(
            lambda i: {"type": "enrol", "loyalty_id": i},
            st.from_regex(r"^[A-Za-z0-9-]{4,32}\Z", fullmatch=True),
        ),
        st.builds(lambda s, a: {"type": "wishlist", "sku": s, "add": a}, sku, st.booleans()),
        st.just({"type": "forget"}),
    )


@settings(max_examples=100, **FUZZ)
@given(message=_semantic())
def test_player_ws_actions_naming_what_does_not_exist_are_refused_and_change_nothing(
    site: Site, committed: DataVersion, message: dict[str, Any]
) -> None:
    """Well-formed actions for unknown products, categories, requests, scenes, or not
    allowed without a member: the engine's error, nothing stored, the same rev."""
    assume(message.get("sku") not in site.skus and message.get("variant") not in site.skus)
    assume(message.get("id") != site.request_id)
    scenes = {s["name"] for s in site.parts.engine.view()["scenes"]}
    assume(message.get("scene") not in scenes)
    assert_refused(
        player_exchange(site, json.dumps(message)), {"not_found", "not_allowed", "bad_message"}
    )
    assert committed.unchanged()


@pytest.mark.parametrize("depth", [50, 2000, 8000])
def test_player_ws_deeply_nested_json_gets_bad_message_and_the_socket_lives(
    site: Site, depth: int
) -> None:
    """Arrays nested thousands deep (under 16 KiB) in an action."""
    text = nested(depth)
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    assert_refused(player_exchange(site, text))


@pytest.mark.parametrize(
    "frame",
    [
        ("text", json.dumps({"type": "ping", "pad": "é" * (MAX_MESSAGE_BYTES // 2 + 1)})),
        ("text", "[" * (MAX_MESSAGE_BYTES + 1)),
        ("bytes", b"\x00" * (MAX_MESSAGE_BYTES + 1)),
    ],
    ids=["utf8-text", "ascii-junk", "binary"],
)
def test_player_ws_message_over_16_kib_closes_1009_and_others_carry_on(
    site: Site, frame: tuple[str, Any]
) -> None:
    """A message over the limit closes that socket with 1009, and only that one."""
    kind, payload = frame
    with site.client.websocket_connect("/player/ws") as ws:
        receive(ws)
        send(ws, kind, payload)
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 1009


# --- the associate app over HTTP ---------------------------------------------------------

LOGIN_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/jsonp",
    "application/json-patch+json",
    "",
]


def _login_cases() -> st.SearchStrategy[tuple[dict[str, str], bytes, set[int]]]:
    # (headers, body, the statuses it may get): never 204, never 5xx.
    as_json = {"Content-Type": "application/json"}

    def pin_status(pin: str) -> set[int]:
        return {422} if not 1 <= len(pin) <= 64 else {401, 422, 429}

    return st.one_of(
        st.sampled_from(LOGIN_TYPES).map(
            lambda t: ({"Content-Type": t}, json.dumps({"pin": PIN}).encode(), {415})
        ),
        st.integers(MAX_BODY_BYTES, 3 * MAX_BODY_BYTES).map(
            lambda n: (as_json, json.dumps({"pin": PIN, "pad": "x" * n}).encode(), {413})
        ),
        not_json().map(lambda t: (as_json, t.encode(), {400})),
        NOT_OBJECTS.map(lambda v: (as_json, json.dumps(v).encode(), {422})),
        st.dictionaries(JUNK_TEXT.filter(lambda k: k != "pin"), JSON_SCALARS, max_size=3).map(
            lambda d: (as_json, json.dumps(d).encode(), {422})
        ),
        JSON_VALUES.filter(lambda v: not isinstance(v, str)).map(
            lambda v: (as_json, json.dumps({"pin": v}).encode(), {422})
        ),
        st.builds(
            lambda k, v: (as_json, json.dumps({"pin": PIN, k: v}).encode(), {422}),
            JUNK_TEXT.filter(lambda k: k != "pin"),
            JSON_SCALARS,
        ),
        st.one_of(
            JUNK_TEXT,
            st.text(string.ascii_letters + string.digits, min_size=1, max_size=12),
            st.text(string.digits, min_size=13, max_size=200),
            st.sampled_from(
                [PIN + " ", " " + PIN, PIN + "\x00", "246810" * 20, "٢٤٦٨١٠", "\ud800"]
            ),
        )
        .filter(lambda p: p != PIN)
        .map(lambda p: (as_json, json.dumps({"pin": p}).encode(), pin_status(p))),
        st.just(({**as_json, "Origin": FOREIGN_ORIGIN}, json.dumps({"pin": PIN}).encode(), {403})),
    )


@settings(max_examples=200, **FUZZ)
@given(case=_login_cases(), address=st.integers(1, 40))
def test_login_refuses_hostile_bodies_with_a_4xx_json_and_no_cookie(
    site: Site, committed: DataVersion, case: tuple[dict[str, str], bytes, set[int]], address: int
) -> None:
    """Not JSON, wrong types, huge, missing pin, pins with letters or too long, extra fields,
    a foreign Origin; from a few client addresses (so the lockout's 429 shows up too)."""
    headers, body, statuses = case
    client = TestClient(
        site.parts.app, client=(f"198.51.100.{address}", 40000), raise_server_exceptions=False
    )
    answer = client.post("/associate/login", content=body, headers=headers)
    assert_clean_4xx(answer, statuses=statuses)
    assert not client.cookies
    assert committed.unchanged()


def test_wrong_pins_from_many_addresses_pause_pin_sign_in_for_every_device(site: Site) -> None:
    """One budget of wrong PINs for the mirror, not one per address: a guesser who changes
    address at every try (as X-Forwarded-For allowed) is held up like one who does not, and
    the right PIN from a fresh address waits too. A kiosk token still gets in."""
    for n in range(FREE_FAILURES + 1):
        client = TestClient(site.parts.app, client=(f"192.0.2.{n + 1}", 1))
        client.post("/associate/login", json={"pin": f"{n:06d}"})
    fresh = TestClient(site.parts.app, client=("192.0.2.200", 1), raise_server_exceptions=False)
    paused = fresh.post("/associate/login", json={"pin": PIN})
    body = assert_clean_4xx(paused, statuses={429})
    assert "paused for every device" in body["error"]
    assert int(paused.headers["retry-after"]) >= 1
    page = fresh.get("/associate/").text
    assert 'data-retry-after="0"' not in page
    kiosk = fresh.get("/associate/", params={"token": KIOSK_TOKEN}, follow_redirects=False)
    assert kiosk.status_code == 303
    token = kiosk.cookies[COOKIE]
    cookie = {"Cookie": f"{COOKIE}={token}"}
    assert fresh.get("/associate/api/requests", headers=cookie).status_code == 200
    fresh.post("/associate/logout", headers=cookie)  # leaves auth.db's sessions as they were


def test_login_with_deeply_nested_json_is_a_4xx(site: Site) -> None:
    """Arrays nested 2000 deep: under the body limit, still refused cleanly."""
    body = ("[" * 2000 + "]" * 2000).encode()
    assert len(body) <= MAX_BODY_BYTES
    answer = site.client.post(
        "/associate/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert_clean_4xx(answer, statuses={400, 422})


ID_JUNK = st.one_of(
    JUNK_TEXT.filter(bool),
    st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=64),
    st.text(string.ascii_letters, min_size=65, max_size=5000),
    st.sampled_from(["..", "../..", "../login", "%2e%2e", "%00", "a\x00b", "*", "' OR 1=1 --"]),
    st.text(min_size=1, max_size=6).map(lambda t: "../" + t),
)


@settings(max_examples=150, **FUZZ)
@given(
    request_id=ID_JUNK,
    action=st.sampled_from(["acknowledge", "fulfil"]),
    encode=st.booleans(),
)
def test_acknowledge_and_fulfil_with_fuzzed_ids_are_404_and_change_nothing(
    site: Site, committed: DataVersion, request_id: str, action: str, encode: bool
) -> None:
    """Random ids, traversal, url-encoded junk and very long ids, signed in, valid body."""
    assume(request_id != site.request_id)
    segment = url_path(request_id, raw=not encode)
    answer = site.client.post(
        f"/associate/api/requests/{segment}/{action}",
        json={"name": "Sam"},
        headers=site.signed_in,
    )
    assert_clean_4xx(answer, statuses={404, 405})
    assert committed.unchanged()


def _bad_name(value: str) -> bool:
    value = value.strip()
    return not (1 <= len(value) <= NAME_CHARS and value.isprintable())


def _actor_bodies() -> st.SearchStrategy[tuple[dict[str, str], bytes, set[int]]]:
    as_json = {"Content-Type": "application/json"}
    names = st.one_of(
        JUNK_TEXT,
        st.text(string.printable, min_size=NAME_CHARS + 1, max_size=600),
        st.sampled_from(["", "   ", "Sam\n", "Sam\x00", "\x1b[31mSam", "Sa\u200bm\u202e", "\t"]),
        st.text(string.ascii_letters, min_size=1, max_size=10).map(lambda t: t + "\x07"),
    ).filter(_bad_name)
    return st.one_of(
        names.map(lambda n: (as_json, json.dumps({"name": n}).encode(), {422})),
        JSON_VALUES.filter(lambda v: not isinstance(v, str)).map(
            lambda v: (as_json, json.dumps({"name": v}).encode(), {422})
        ),
        st.builds(
            lambda k, v: (as_json, json.dumps({"name": "Sam", k: v}).encode(), {422}),
            JUNK_TEXT.filter(lambda k: k != "name"),
            JSON_VALUES,
        ),
        st.dictionaries(JUNK_TEXT.filter(lambda k: k != "name"), JSON_SCALARS, max_size=3).map(
            lambda d: (as_json, json.dumps(d).encode(), {422})
        ),
        NOT_OBJECTS.map(lambda v: (as_json, json.dumps(v).encode(), {422})),
        not_json().map(lambda t: (as_json, t.encode(), {400})),
        st.sampled_from(LOGIN_TYPES).map(
            lambda t: ({"Content-Type": t}, b'{"name": "Sam"}', {415})
        ),
        st.integers(MAX_BODY_BYTES, 3 * MAX_BODY_BYTES).map(
            lambda n: (as_json, json.dumps({"name": "Sam", "x": "y" * n}).encode(), {413})
        ),
        st.just(({**as_json, "Origin": FOREIGN_ORIGIN}, b'{"name": "Sam"}', {403})),
        st.just(({**as_json, "Origin": "null"}, b'{"name": "Sam"}', {403})),
    )


@settings(max_examples=200, **FUZZ)
@given(case=_actor_bodies(), action=st.sampled_from(["acknowledge", "fulfil"]))
def test_acknowledge_and_fulfil_refuse_hostile_bodies_and_the_request_stays_pending(
    site: Site, committed: DataVersion, case: tuple[dict[str, str], bytes, set[int]], action: str
) -> None:
    """On the real pending request, signed in: wrong types, unknown fields, names too long
    or with control characters, not JSON, not an object, huge, foreign Origin."""
    headers, body, statuses = case
    answer = site.client.post(
        f"/associate/api/requests/{site.request_id}/{action}",
        content=body,
        headers={**site.signed_in, **headers},
    )
    assert_clean_4xx(answer, statuses=statuses)
    assert site.client.portal.call(site.parts.engine.requests)[0]["status"] == "pending"
    assert committed.unchanged()


def test_acknowledge_with_deeply_nested_json_is_a_4xx(site: Site) -> None:
    """Arrays nested 2000 deep as the body of a signed-in acknowledge."""
    body = ("[" * 2000 + "]" * 2000).encode()
    answer = site.client.post(
        f"/associate/api/requests/{site.request_id}/acknowledge",
        content=body,
        headers={**site.signed_in, "Content-Type": "application/json"},
    )
    assert_clean_4xx(answer, statuses={400, 422})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(token: str) -> st.SearchStrategy[str]:
    # Session tokens that are not this daemon's: junk, the real one with a byte changed
    # (never in a last character, whose spare bits decode the same), a payload rewritten
    # under the old signature, no signature, too long.
    body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    b64chars = string.ascii_letters + string.digits + "-_"

    def flip(part: int, index: int, shift: int) -> str:
        parts = [body, sig]
        text = parts[part]
        i = index % (len(text) - 1)
        char = b64chars[(b64chars.index(text[i]) + shift) % len(b64chars)]
        parts[part] = text[:i] + char + text[i + 1 :]
        return ".".join(parts)

    def rewrite(key: str, value: Any) -> str:
        return _b64(json.dumps({**payload, key: value}, separators=(",", ":")).encode()) + "." + sig

    return st.one_of(
        cookie_safe(),
        st.builds(flip, st.integers(0, 1), st.integers(0, 10_000), st.integers(1, 63)),
        st.builds(
            rewrite,
            st.sampled_from(["exp", "iat", "via", "sid", "k", "v"]),
            JSON_SCALARS.filter(lambda v: not isinstance(v, str) or v.isascii()),
        ),
        st.just(body + "."),
        st.just(body),
        st.just(token + "." + sig),
        st.just(token + "="),
        st.just(token * 8),
    ).filter(lambda t: t != token)


def _credentials(token: str) -> st.SearchStrategy[dict[str, str]]:
    forged = _forged(token)
    return st.one_of(
        st.just({}),
        forged.map(lambda t: {"Cookie": f"{COOKIE}={t}"}),
        forged.map(lambda t: {"Authorization": f"Bearer {t}"}),
        st.just({"Cookie": f"other_cookie={token}"}),
        st.just({"Authorization": f"Basic {token}"}),
        st.just({"Authorization": "Bearer"}),
        st.just({"Authorization": "Bearer    "}),
    )


@settings(max_examples=150, **FUZZ)
@given(data=st.data(), path=st.sampled_from(["acknowledge", "fulfil", None]))
def test_associate_api_without_a_real_session_is_401(
    site: Site, committed: DataVersion, data: st.DataObject, path: str | None
) -> None:
    """No cookie, a forged or tampered cookie or bearer token: 401 on every route that
    needs a signed-in associate, even with a valid body for the real request."""
    headers = data.draw(_credentials(site.token))
    if path is None:
        answer = site.client.get("/associate/api/requests", headers=headers)
    else:
        answer = site.client.post(
            f"/associate/api/requests/{site.request_id}/{path}",
            json={"name": "Sam"},
            headers=headers,
        )
    body = assert_clean_4xx(answer, statuses={401})
    assert body["code"] == "unauthorized"
    assert committed.unchanged()


def kiosk_session(site: Site) -> dict[str, str]:
    """A fresh associate session's cookie header, from the kiosk link (PIN sign-in may be
    paused by the wrong PINs of the tests before)."""
    opened = site.client.get("/associate/", params={"token": KIOSK_TOKEN}, follow_redirects=False)
    token = opened.cookies[COOKIE]
    site.client.cookies.clear()
    return {"Cookie": f"{COOKIE}={token}"}


def test_logout_from_a_foreign_origin_is_refused_and_the_session_survives(site: Site) -> None:
    """A POST whose Origin is another site is refused (docs/associate.md), sign-out too."""
    cookie = kiosk_session(site)
    answer = site.client.post("/associate/logout", headers={**cookie, "Origin": FOREIGN_ORIGIN})
    assert_clean_4xx(answer, statuses={403})
    assert site.client.get("/associate/api/requests", headers=cookie).status_code == 200
    assert site.client.post("/associate/logout", headers=cookie).status_code == 204


CROSS_SITES = st.sampled_from(["cross-site", "same-site", "CROSS-SITE", " cross-site"]) | (
    JUNK_TEXT.filter(lambda t: t.strip().lower() not in ("same-origin", "none"))
)


@settings(max_examples=60, **FUZZ)
@given(
    site_header=CROSS_SITES,
    path=st.sampled_from(["login", "logout", "acknowledge", "fulfil"]),
)
def test_posts_without_an_origin_from_another_site_are_refused(
    site: Site, committed: DataVersion, site_header: str, path: str
) -> None:
    """No Origin, but Sec-Fetch-Site says another site (or something unknown): 403, for
    sign-in, sign-out and the actions alike; a signed-in associate's session survives."""
    assume(site_header.isascii() and site_header.isprintable())
    headers = {**site.signed_in, "Sec-Fetch-Site": site_header}
    if path == "login":
        answer = site.client.post("/associate/login", json={"pin": PIN}, headers=headers)
    elif path == "logout":
        answer = site.client.post("/associate/logout", headers=headers)
    else:
        url = f"/associate/api/requests/{site.request_id}/{path}"
        answer = site.client.post(url, json={"name": "Sam"}, headers=headers)
    body = assert_clean_4xx(answer, statuses={403})
    assert body["code"] == "cross_origin"
    assert site.client.get("/associate/api/requests", headers=site.signed_in).status_code == 200
    assert committed.unchanged()


@settings(max_examples=40, **FUZZ)
@given(token=cookie_safe(min_size=16))
def test_the_kiosk_link_with_a_junk_token_gives_no_cookie_and_reflects_nothing(
    site: Site, token: str
) -> None:
    """GET /associate/?token=junk: the sign-in page with a notice, no session."""
    answer = site.client.get("/associate/", params={"token": token}, follow_redirects=False)
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
    assert token not in answer.text
    assert 'data-state="login"' in answer.text


@settings(max_examples=40, **FUZZ)
@given(name=JUNK_TEXT.filter(bool) | st.sampled_from(["../associate.html", "associate.html"]))
def test_associate_static_junk_names_are_404(site: Site, name: str) -> None:
    """Only the page's script and style sheet are served from /associate/static."""
    answer = site.client.get(f"/associate/static/{url_path(name, raw=False)}")
    assert_clean_4xx(answer, statuses={404})


# --- the associate app's socket ----------------------------------------------------------


@settings(max_examples=80, **FUZZ)
@given(data=st.data(), where=st.sampled_from(["cookie", "query"]))
def test_associate_ws_without_a_real_session_closes_4401(
    site: Site, data: st.DataObject, where: str
) -> None:
    """No cookie, or a forged or tampered cookie or ?token=: closed with 4401."""
    forged = data.draw(_forged(site.token) | st.just(""))
    if where == "cookie":
        code = closed_with(site, "/associate/ws", headers={"Cookie": f"{COOKIE}={forged}"})
    else:
        code = closed_with(site, f"/associate/ws?token={quote(forged, safe='')}")
    assert code == 4401


def test_associate_ws_from_a_foreign_origin_closes_4403(site: Site) -> None:
    """Signed in, but the page is another site's."""
    headers = {**site.signed_in, "Origin": FOREIGN_ORIGIN}
    assert closed_with(site, "/associate/ws", headers=headers) == 4403


def _ws_junk() -> st.SearchStrategy[tuple[str, Any]]:
    return st.one_of(
        not_json().map(lambda t: ("text", t)),
        JSON_VALUES.filter(lambda v: v != {"type": "ping"}).map(lambda v: ("text", json.dumps(v))),
        st.dictionaries(JUNK_TEXT, JSON_SCALARS, min_size=1, max_size=3)
        .map(lambda d: ("text", json.dumps({"type": "ping", **d})))
        .filter(lambda m: json.loads(m[1]) != {"type": "ping"}),
        st.sampled_from(["acknowledge", "fulfil", "requests"]).map(
            lambda t: ("text", json.dumps({"type": t, "id": "x", "name": "Sam"}))
        ),
        st.binary(max_size=300).map(lambda b: ("bytes", b)),
        st.just(("bytes", b'{"type": "ping"}')),
    )


@settings(max_examples=150, **FUZZ)
@given(frame=_ws_junk())
def test_associate_ws_junk_messages_get_errors_and_the_socket_lives(
    site: Site, committed: DataVersion, frame: tuple[str, Any]
) -> None:
    """Anything but {"type": "ping"}: an error answer, then a ping is still answered."""
    kind, payload = frame
    with site.client.websocket_connect("/associate/ws", headers=site.signed_in) as ws:
        assert receive(ws)["type"] == "requests"
        send(ws, kind, payload)
        assert_refused(receive(ws))
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
    assert committed.unchanged()


def test_associate_ws_deeply_nested_json_gets_an_error_and_the_socket_lives(site: Site) -> None:
    """Arrays nested 2000 deep, under the 4096-byte limit."""
    text = "[" * 2000 + "]" * 2000
    with site.client.websocket_connect("/associate/ws", headers=site.signed_in) as ws:
        receive(ws)
        ws.send_text(text)
        assert_refused(receive(ws))
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}


@pytest.mark.parametrize("kind", ["text", "bytes"])
def test_associate_ws_message_over_4096_bytes_closes_1009(site: Site, kind: str) -> None:
    """A message over the limit closes the socket with 1009."""
    with site.client.websocket_connect("/associate/ws", headers=site.signed_in) as ws:
        receive(ws)
        if kind == "text":
            ws.send_text(json.dumps({"type": "ping", "pad": "ü" * MAX_WS_MESSAGE_BYTES}))
        else:
            ws.send_bytes(b"{" * (MAX_WS_MESSAGE_BYTES + 1))
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 1009


# --- the catalogue -----------------------------------------------------------------------

BAD_NUMBERS = st.one_of(
    st.sampled_from(["-1", "-0", "1e3", "0x10", " 5", "5 ", "+5", "5.0", "٣", "²", "NaN"]),
    st.sampled_from(["99999999999999999999999999", "1000000001", "101", "0 ", "\x00"]),
    JUNK_TEXT.filter(lambda t: t and not (t.isascii() and t.isdigit())),
    st.integers(min_value=10**9 + 1).map(str),
    st.integers(max_value=-1).map(str),
)


@settings(max_examples=150, **FUZZ)
@given(
    offset=st.none() | BAD_NUMBERS | st.integers(0, 50).map(str),
    limit=st.none() | BAD_NUMBERS | st.sampled_from(["0", "101", "1000"]) | st.just("5"),
    category=st.none() | JUNK_TEXT.filter(bool) | st.just("../shirts"),
)
def test_catalog_products_with_fuzzed_queries_are_422_or_404(
    site: Site,
    committed: DataVersion,
    offset: str | None,
    limit: str | None,
    category: str | None,
) -> None:
    """Non-numeric, negative or huge offset and limit: 422 naming it; junk category: 404."""
    bad_offset = offset is not None and not (offset.isascii() and offset.isdigit())
    bad_offset |= offset is not None and not bad_offset and int(offset) > 10**9
    bad_limit = limit is not None and not (
        limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 100
    )
    categories = {c["name"] for c in site.parts.catalog.categories()}
    assume(bad_offset or bad_limit or (category is not None and category not in categories))
    params = {k: v for k, v in (("offset", offset), ("limit", limit)) if v is not None}
    if category is not None:
        params["category"] = category
    answer = site.client.get("/api/catalog/products", params=params)
    body = assert_clean_4xx(answer, statuses={422} if bad_offset or bad_limit else {404})
    if answer.status_code == 422:
        assert ("offset" if bad_offset else "limit") in body["error"]
    assert committed.unchanged()


@settings(max_examples=100, **FUZZ)
@given(sku=ID_JUNK | st.sampled_from(["SH-101/../SH-102", "sh-101", "SH-101 ", "SH-101%00"]))
def test_catalog_product_with_a_fuzzed_sku_is_404(site: Site, sku: str) -> None:
    """Unknown, traversal, encoded-junk and very long SKUs: 404 with an error."""
    assume(sku not in site.skus)
    answer = site.client.get(f"/api/catalog/products/{url_path(sku, raw=False)}")
    assert_clean_4xx(answer, statuses={404})


MEDIA_TRICKS = [
    "../catalog.db",
    "../events.db",
    "../secret.key",
    f"../{OUTSIDE_NAME}",
    "..%2Fcatalog.db",
    "%2e%2e%2fsecret.key",
    "..\\secret.key",
    "....//catalog.db",
    "escape.svg",
    ".hidden.svg",
    "sample/media/sh-101-white.svg",
    "/etc/passwd",
    "x.svg%00.png",
    "x.svg\x00",
    "catalog.db",
    "media",
    ".",
    "..",
    "a.svg.exe",
    "a.html",
    "a.SVG.js",
]


@settings(max_examples=150, **FUZZ)
@given(
    name=st.sampled_from(MEDIA_TRICKS) | JUNK_TEXT.filter(bool) | ID_JUNK,
    encode=st.booleans(),
)
def test_media_traversal_hidden_odd_and_encoded_names_are_404(
    site: Site, name: str, encode: bool
) -> None:
    """Nothing but a plain image name of a file in media/: never a file outside it."""
    assume(name not in site.media)
    answer = site.client.get(f"/media/{url_path(name, raw=not encode)}")
    assert_clean_4xx(answer, statuses={404})
    secret = (site.data_dir / "secret.key").read_bytes()
    assert OUTSIDE_BODY not in answer.content and secret not in answer.content
    assert b"SQLite format 3" not in answer.content


def test_media_serves_a_real_image_but_not_the_link_leading_out(site: Site) -> None:
    """The route works (so the 404s above mean something) and a symlink is not followed."""
    real = site.client.get(f"/media/{site.media[0]}")
    assert real.status_code == 200 and real.headers["content-type"] == "image/svg+xml"
    assert_clean_4xx(site.client.get("/media/escape.svg"), statuses={404})


@settings(max_examples=80, **FUZZ)
@given(
    name=st.sampled_from(
        [
            "../app.py",
            "..%2Fapp.py",
            "%2e%2e%2f__init__.py",
            ".hidden.js",
            "..",
            "...js",
            "player.js/",
            "player.js%00",
            "player.js\x00.css",
            "app.py",
            "../../daemon.py",
            "..\\app.py",
            "index.html%2F..%2Findex.html",
            "nope.js",
            "player.JS",
        ]
    )
    | JUNK_TEXT.filter(bool),
    encode=st.booleans(),
)
def test_player_static_traversal_and_odd_names_are_404(site: Site, name: str, encode: bool) -> None:
    """Only plain file names of the player's static folder with a known type."""
    assume(
        name not in {p.name for p in resources.files("vitrine.player").joinpath("static").iterdir()}
    )
    answer = site.client.get(f"/player/static/{url_path(name, raw=not encode)}")
    assert answer.status_code == 404, (name, answer.status_code)
    assert b"import " not in answer.content and b"def " not in answer.content


@settings(max_examples=80, **FUZZ)
@given(
    name=st.sampled_from(
        [
            "../app.py",
            "..%2Ffiles.py",
            "%2e%2e%2f__init__.py",
            "status.html",
            ".hidden.js",
            "reconnecting-socket.js/",
            "reconnecting-socket.js%00",
            "../../player/static/player.js",
            "..\\app.py",
            "nope.js",
            "status.JS",
        ]
    )
    | JUNK_TEXT.filter(bool),
    encode=st.booleans(),
)
def test_shared_static_traversal_and_odd_names_are_404(site: Site, name: str, encode: bool) -> None:
    """Only the scripts and style sheets of vitrine/web/static, by plain name."""
    shared = resources.files("vitrine.web").joinpath("static").iterdir()
    assume(name not in {p.name for p in shared if p.name.endswith((".js", ".css"))})
    answer = site.client.get(f"/static/{url_path(name, raw=not encode)}")
    assert answer.status_code == 404, (name, answer.status_code)
    assert b"import " not in answer.content and b"def " not in answer.content


# --- the touch events' socket ------------------------------------------------------------


def test_events_ws_answers_every_client_message_with_an_error_and_stays_open(
    site: Site,
) -> None:
    """Text, JSON or binary sent to /ws (at the rate a client may send): an error each, and
    events still come after."""
    with site.client.websocket_connect("/ws") as ws:

        @settings(max_examples=100, **FUZZ)
        @given(
            frame=JSON_VALUES.map(lambda v: ("text", json.dumps(v)))
            | not_json().map(lambda t: ("text", t))
            | st.binary(max_size=2000).map(lambda b: ("bytes", b))
        )
        def answers(frame: tuple[str, Any]) -> None:
            kind, payload = frame
            time.sleep(1 / EVENTS_RATE_PER_S)
            send(ws, kind, payload)
            answer = receive(ws)
            assert answer["type"] == "error" and isinstance(answer["error"], str)

        answers()
        event = PointerEvent(
            kind="down",
            id=3,
            x=1.0,
            y=2.0,
            x_mm=1.0,
            y_mm=2.0,
            diameter_mm=9.0,
            board="touch",
            t_ns=1_000_000,
            scan=1,
        )

        async def publish() -> None:
            site.parts.bus.publish(event)

        site.client.portal.call(publish)
        expected = json.loads(json.dumps(event.to_json()))
        assert receive(ws) == expected
        # the clients that sent nothing hear it too
        assert receive(site.bystanders["events"]) == expected
        assert receive(site.bystanders["player"]) == expected


# --- methods and paths -------------------------------------------------------------------

ROUTES = {
    "/": "GET",
    "/player/static/player.js": "GET",
    "/static/reconnecting-socket.js": "GET",
    "/associate/": "GET",
    "/associate/static/associate.js": "GET",
    "/associate/login": "POST",
    "/associate/logout": "POST",
    "/associate/api/requests": "GET",
    "/associate/api/requests/{id}/acknowledge": "POST",
    "/associate/api/requests/{id}/fulfil": "POST",
    "/api/catalog/categories": "GET",
    "/api/catalog/products": "GET",
    "/api/catalog/products/SH-101": "GET",
    "/media/{media}": "GET",
    "/api/status": "GET",
    "/status": "GET",
}


@pytest.mark.parametrize("path", sorted(ROUTES))
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OTHER"])
def test_methods_a_route_does_not_take_are_405(site: Site, path: str, method: str) -> None:
    """PUT, DELETE, PATCH (and POST on a page, GET on an action) on each route: 405."""
    if method == "OTHER":
        method = "POST" if ROUTES[path] == "GET" else "GET"
    url = path.format(id=site.request_id, media=site.media[0])
    answer = site.client.request(
        method, url, headers=site.signed_in, json={"name": "Sam", "pin": PIN}
    )
    assert_clean_4xx(answer, statuses={405})


KNOWN_SEGMENTS = {
    "",
    "api",
    "associate",
    "player",
    "media",
    "status",
    "ws",
    "static",
    "catalog",
    "requests",
    "login",
    "logout",
    "docs",
    "openapi.json",
}


@settings(max_examples=100, **FUZZ)
@given(
    prefix=st.sampled_from(["", "/api", "/associate", "/associate/api", "/player", "/api/v2"]),
    segments=st.lists(JUNK_TEXT.filter(bool), min_size=1, max_size=4),
)
def test_unknown_paths_are_404(site: Site, prefix: str, segments: list[str]) -> None:
    """Paths no route serves."""
    first = segments[0].split("/")[0]
    assume(first not in KNOWN_SEGMENTS and not segments[-1].endswith("/"))
    url = prefix + "/" + "/".join(url_path(s, raw=False) for s in segments)
    answer = site.client.get(url, headers=site.signed_in, follow_redirects=False)
    assert_clean_4xx(answer, statuses={404})

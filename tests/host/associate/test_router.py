"""The associate app over HTTP: the page, signing in and out, the queue and the actions on a
request, against a real engine; hostile input is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.host.associate.rig import KIOSK_TOKEN, PIN, Rig, variant_skus
from tests.host.engine.harness import sample_catalog
from vitrine.associate import associate_router
from vitrine.associate.http import COOKIE, MAX_BODY_BYTES
from vitrine.engine.config import AssociateConfig
from vitrine.web.origins import Origins


@pytest.fixture
def client(rig: Rig) -> Iterator[TestClient]:
    with TestClient(rig.app) as client:
        yield client


@pytest.fixture
def signed_in(client: TestClient) -> TestClient:
    assert client.post("/associate/login", json={"pin": PIN}).status_code == 204
    return client


def make_request(rig: Rig, client: TestClient, kind: str = "size", n: int = 0) -> dict:
    variant = None if kind == "help" else variant_skus(rig.catalog, n + 1)[n]
    return client.portal.call(rig.request, kind, variant)


def state_of(page: str) -> str:
    return page.split('<body data-state="', 1)[1].split('"', 1)[0]


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_the_sign_in_form_until_signed_in(client: TestClient) -> None:
    response = client.get("/associate/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert state_of(response.text) == "login"
    assert 'id="login-form"' in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    client.post("/associate/login", json={"pin": PIN})
    assert state_of(client.get("/associate/").text) == "app"


def test_the_page_loads_only_its_own_files(client: TestClient) -> None:
    page = client.get("/associate/").text
    assert "http://" not in page and "https://" not in page
    js = client.get("/associate/static/associate.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    css = client.get("/associate/static/associate.css")
    assert css.headers["content-type"].startswith("text/css")
    for name in ("associate.html", "../app.py", "nope.js", "%2e%2e%2fapp.py"):
        assert client.get(f"/associate/static/{name}").status_code == 404


def test_with_no_pin_and_no_token_the_app_is_locked(tmp_path: Path, sample_csv: Path) -> None:
    catalog = sample_catalog(tmp_path, sample_csv)
    rig = Rig(tmp_path, catalog, associate=AssociateConfig())
    try:
        with TestClient(rig.app) as client:
            page = client.get("/associate/").text
            assert state_of(page) == "locked"
            assert "[associate]" in page and "pin = " in page
            refused = client.post("/associate/login", json={"pin": PIN})
            assert refused.status_code == 403
            assert refused.json()["code"] == "locked"
            assert "[associate] pin" in refused.json()["error"]
            listing = client.get("/associate/api/requests")
            assert listing.status_code == 401
            assert listing.json()["code"] == "locked"
    finally:
        rig.close()
        catalog.close()


# --- signing in -------------------------------------------------------------------------------


def test_the_right_pin_sets_a_strict_http_only_session_cookie(client: TestClient) -> None:
    response = client.post("/associate/login", json={"pin": PIN})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for part in ("HttpOnly", "SameSite=strict", "Path=/associate", "Max-Age=43200"):
        assert part.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on the store's network
    assert client.get("/associate/api/requests").status_code == 200


def test_a_wrong_pin_is_refused_and_five_pause_pin_sign_in(client: TestClient) -> None:
    first = client.post("/associate/login", json={"pin": "111111"})
    assert first.status_code == 401
    assert first.json()["code"] == "wrong_pin"
    assert "set-cookie" not in first.headers
    for _ in range(3):
        assert client.post("/associate/login", json={"pin": "111111"}).status_code == 401
    fifth = client.post("/associate/login", json={"pin": "111111"})
    assert fifth.status_code == 429
    assert fifth.headers["retry-after"] == "30"
    assert fifth.json()["code"] == "too_many_attempts"
    right = client.post("/associate/login", json={"pin": PIN})
    assert right.status_code == 429
    assert "set-cookie" not in right.headers


def test_the_pause_ends_and_the_page_counts_it_down(rig: Rig, client: TestClient) -> None:
    for _ in range(5):
        client.post("/associate/login", json={"pin": "111111"})
    page = client.get("/associate/").text
    assert 'data-retry-after="30"' in page
    assert "paused for every device for 30 seconds" in page
    rig.clock.advance(29)
    assert client.post("/associate/login", json={"pin": PIN}).headers["retry-after"] == "1"
    rig.clock.advance(1)
    assert 'data-retry-after="0"' in client.get("/associate/").text
    assert client.post("/associate/login", json={"pin": PIN}).status_code == 204


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b'{"pin": "246810"}', {"content-type": "text/plain"}, 415),
        (b"pin=246810", {"content-type": "application/x-www-form-urlencoded"}, 415),
        (b'{"pin": "24', {"content-type": "application/json"}, 400),
        (b'["246810"]', {"content-type": "application/json"}, 422),
        (b'{"pin": 246810}', {"content-type": "application/json"}, 422),
        (b'{"pin": null}', {"content-type": "application/json"}, 422),
        (b'{"pin": ""}', {"content-type": "application/json"}, 422),
        (b"{}", {"content-type": "application/json"}, 422),
        (b'{"pin": "246810", "admin": true}', {"content-type": "application/json"}, 422),
        (b'{"pin": "' + b"1" * MAX_BODY_BYTES + b'"}', {"content-type": "application/json"}, 413),
    ],
    ids=[
        "text",
        "form",
        "broken-json",
        "array",
        "number",
        "null",
        "empty",
        "missing",
        "unknown-field",
        "oversized",
    ],
)
def test_a_hostile_sign_in_is_refused_with_a_json_error_and_no_cookie(
    client: TestClient, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = client.post("/associate/login", content=body, headers=headers)
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)
    assert "set-cookie" not in response.headers
    # and it is not counted as a wrong PIN: five more wrong ones are needed for a pause
    for _ in range(4):
        assert client.post("/associate/login", json={"pin": "111111"}).status_code == 401


def test_an_oversized_body_without_a_length_is_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"pin": "'
        for _ in range(10):
            yield b"1" * 1024
        yield b'"}'

    response = client.post(
        "/associate/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_an_unknown_field_names_the_field_and_what_is_allowed(client: TestClient) -> None:
    response = client.post("/associate/login", json={"pin": PIN, "role": "manager"})
    assert response.json()["field"] == "role"
    assert "allowed: pin" in response.json()["error"]


def test_a_cross_site_post_is_refused(client: TestClient) -> None:
    response = client.post(
        "/associate/login", json={"pin": PIN}, headers={"origin": "http://evil.example"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "cross_origin"
    assert "http://evil.example" in response.json()["error"]
    same = client.post(
        "/associate/login", json={"pin": PIN}, headers={"origin": "http://testserver"}
    )
    assert same.status_code == 204


@pytest.mark.parametrize("site", ["cross-site", "same-site", "Cross-Site"])
def test_a_post_without_an_origin_from_another_site_is_refused(
    client: TestClient, site: str
) -> None:
    """A browser that sends no Origin still says where the request comes from."""
    response = client.post("/associate/login", json={"pin": PIN}, headers={"sec-fetch-site": site})
    assert response.status_code == 403
    assert response.json()["code"] == "cross_origin"
    assert "Sec-Fetch-Site" in response.json()["error"]
    assert "set-cookie" not in response.headers
    for own in ("same-origin", "none"):
        headers = {"sec-fetch-site": own}
        assert (
            client.post("/associate/login", json={"pin": PIN}, headers=headers).status_code == 204
        )
    # a program sends neither
    assert client.post("/associate/login", json={"pin": PIN}).status_code == 204


def test_sign_out_ends_the_session(client: TestClient) -> None:
    login = client.post("/associate/login", json={"pin": PIN})
    token = login.cookies[COOKIE]
    response = client.post("/associate/logout")
    assert response.status_code == 204
    assert f'{COOKIE}=""' in response.headers["set-cookie"]
    assert "max-age=0" in response.headers["set-cookie"].lower()
    client.cookies.set(COOKIE, token)
    stale = client.get("/associate/api/requests")
    assert stale.status_code == 401


def test_a_session_expires_after_session_hours(rig: Rig, signed_in: TestClient) -> None:
    rig.clock.advance(12 * 3600 - 1)
    assert signed_in.get("/associate/api/requests").status_code == 200
    rig.clock.advance(1)
    response = signed_in.get("/associate/api/requests")
    assert response.status_code == 401
    assert state_of(signed_in.get("/associate/").text) == "login"


def test_a_kiosk_token_works_as_a_bearer_and_trades_for_a_cookie(client: TestClient) -> None:
    bearer = {"authorization": f"Bearer {KIOSK_TOKEN}"}
    assert client.get("/associate/api/requests", headers=bearer).status_code == 200
    wrong = {"authorization": f"Bearer {KIOSK_TOKEN[:-1]}x"}
    assert client.get("/associate/api/requests", headers=wrong).status_code == 401
    basic = {"authorization": f"Basic {KIOSK_TOKEN}"}
    assert client.get("/associate/api/requests", headers=basic).status_code == 401
    bad_link = client.get("/associate/", params={"token": "not-a-kiosk-token-at-all"})
    assert state_of(bad_link.text) == "login"
    assert "not valid" in bad_link.text
    link = client.get("/associate/", params={"token": KIOSK_TOKEN}, follow_redirects=False)
    assert link.status_code == 303
    assert link.headers["location"] == "/associate/"
    assert KIOSK_TOKEN not in link.headers["set-cookie"]
    assert client.get("/associate/api/requests").status_code == 200


# --- the queue and the actions ----------------------------------------------------------------


def test_the_queue_needs_a_signed_in_associate(client: TestClient) -> None:
    response = client.get("/associate/api/requests")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert "sign in" in response.json()["error"]
    client.cookies.set(COOKIE, "forged.token")
    response = client.get("/associate/api/requests")
    assert response.status_code == 401


def test_the_queue_lists_open_requests_with_room_label_age_and_sla(
    rig: Rig, signed_in: TestClient
) -> None:
    made = make_request(rig, signed_in)
    rig.clock.advance(42)
    body = signed_in.get("/associate/api/requests").json()
    assert body["type"] == "requests"
    assert body["sla"] == {"ack_s": 60.0, "fulfil_s": 300.0, "escalate_s": 120.0}
    (item,) = body["items"]
    assert item["id"] == made["id"]
    assert item["fitting_room"] == "1"
    assert item["label"] == made["label"] and " — " in item["label"]
    assert item["kind"] == "size"
    assert item["status"] == "pending"
    assert item["age_s"] == 42.0
    assert item["sla"] == "ok"
    assert "session" not in item  # the shopper's session is not the associates' business


def test_the_queue_is_ordered_escalated_then_late_then_oldest_first(
    rig: Rig, signed_in: TestClient
) -> None:
    oldest = make_request(rig, signed_in, n=0)
    rig.clock.advance(70)
    middle = make_request(rig, signed_in, n=1)
    rig.clock.advance(65)
    signed_in.portal.call(rig.engine.tick)  # escalates the oldest (135 s unacknowledged)
    newer = make_request(rig, signed_in, n=2)
    newest = make_request(rig, signed_in, "help")
    items = signed_in.get("/associate/api/requests").json()["items"]
    assert [(i["id"], i["sla"]) for i in items] == [
        (oldest["id"], "escalated"),
        (middle["id"], "late"),
        (newer["id"], "ok"),
        (newest["id"], "ok"),
    ]


def test_acknowledge_then_fulfil(rig: Rig, signed_in: TestClient) -> None:
    made = make_request(rig, signed_in)
    rig.clock.advance(20)
    url = f"/associate/api/requests/{made['id']}"
    ack = signed_in.post(f"{url}/acknowledge", json={"name": " Sam "})
    assert ack.status_code == 200
    body = ack.json()
    assert (body["id"], body["status"], body["acknowledged_by"]) == (
        made["id"],
        "acknowledged",
        "Sam",
    )
    assert "session" not in body
    # the mirror shows who is on the way
    (shown,) = rig.engine.view()["requests"]
    assert (shown["status"], shown["associate"]) == ("acknowledged", "Sam")
    again = signed_in.post(f"{url}/acknowledge", json={"name": "Alex"})
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    done = signed_in.post(f"{url}/fulfil", json={"name": "Sam"})
    assert done.status_code == 200
    assert done.json()["status"] == "fulfilled"
    assert signed_in.get("/associate/api/requests").json()["items"] == []
    assert signed_in.post(f"{url}/fulfil", json={"name": "Sam"}).status_code == 409


def test_a_pending_request_can_be_fulfilled_straight_away(rig: Rig, signed_in: TestClient) -> None:
    made = make_request(rig, signed_in, "help")
    done = signed_in.post(f"/associate/api/requests/{made['id']}/fulfil", json={"name": "Jo"})
    assert done.status_code == 200
    assert done.json()["fulfilled_by"] == "Jo"


def test_actions_need_a_signed_in_associate(rig: Rig, client: TestClient) -> None:
    made = make_request(rig, client)
    for action in ("acknowledge", "fulfil"):
        response = client.post(
            f"/associate/api/requests/{made['id']}/{action}", json={"name": "Sam"}
        )
        assert response.status_code == 401
    assert client.portal.call(rig.engine.requests)[0]["status"] == "pending"
    bearer = {"authorization": f"Bearer {KIOSK_TOKEN}"}
    response = client.post(
        f"/associate/api/requests/{made['id']}/acknowledge", json={"name": "Kiosk"}, headers=bearer
    )
    assert response.status_code == 200


def test_an_unknown_request_is_not_found(signed_in: TestClient) -> None:
    for request_id in ("0" * 32, "nope", "x" * 65, "a%20b"):
        response = signed_in.post(
            f"/associate/api/requests/{request_id}/acknowledge", json={"name": "Sam"}
        )
        assert response.status_code == 404, request_id
        assert response.json()["code"] == "not_found"
    # a path that is no route at all
    response = signed_in.post("/associate/api/requests/..%2f..%2fx/acknowledge", json={})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "S" * 41},
        {"name": "Sam\x07"},
        {"name": "Sam\nBob"},
        {"name": 7},
        {"name": ["Sam"]},
        {"name": None},
        {},
        {"name": "Sam", "status": "fulfilled"},
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "bell",
        "newline",
        "number",
        "list",
        "null",
        "missing",
        "unknown-field",
    ],
)
def test_a_bad_name_is_refused_and_changes_nothing(
    rig: Rig, signed_in: TestClient, body: dict
) -> None:
    made = make_request(rig, signed_in)
    for action in ("acknowledge", "fulfil"):
        response = signed_in.post(f"/associate/api/requests/{made['id']}/{action}", json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "bad_message"
        assert response.json()["field"] in ("name", "status")
    (item,) = signed_in.portal.call(rig.engine.requests)
    assert (item["status"], item["acknowledged_by"]) == ("pending", None)


def test_a_forty_character_name_with_accents_is_fine(rig: Rig, signed_in: TestClient) -> None:
    made = make_request(rig, signed_in)
    name = "Zoë-Françoise " + "x" * 26
    response = signed_in.post(
        f"/associate/api/requests/{made['id']}/acknowledge", json={"name": name}
    )
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == name


def test_hostile_action_bodies_are_refused_and_change_nothing(
    rig: Rig, signed_in: TestClient
) -> None:
    made = make_request(rig, signed_in)
    url = f"/associate/api/requests/{made['id']}/acknowledge"
    json_type = {"content-type": "application/json"}
    big = b'{"name": "' + b"S" * (MAX_BODY_BYTES + 1) + b'"}'
    assert signed_in.post(url, content=big, headers=json_type).status_code == 413
    assert signed_in.post(url, content=b"Sam", headers=json_type).status_code == 400
    assert signed_in.post(url, content=b'"Sam"', headers=json_type).status_code == 422
    assert signed_in.post(url, content=b'{"name": "Sam"}').status_code == 415
    evil = signed_in.post(url, json={"name": "Sam"}, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    (item,) = signed_in.portal.call(rig.engine.requests)
    assert item["status"] == "pending"


def test_a_page_of_a_configured_origin_may_act_behind_a_proxy_that_rewrites_host(
    rig: Rig,
) -> None:
    """A reverse proxy that passes Host as 127.0.0.1:8080: the phones' pages come from the
    proxy's name, which [http] origins lists."""
    proxy_origin = "https://mirror-7.store.example"
    behind = {"host": "127.0.0.1:8080", "origin": proxy_origin}
    with TestClient(rig.app) as plain:
        refused = plain.post("/associate/login", json={"pin": PIN}, headers=behind)
        assert refused.status_code == 403
    app = FastAPI()
    app.include_router(associate_router(rig.engine, rig.bus, rig.auth, Origins([proxy_origin])))
    with TestClient(app) as proxied:
        assert (
            proxied.post("/associate/login", json={"pin": PIN}, headers=behind).status_code == 204
        )
        other = {**behind, "origin": "https://evil.example"}
        assert proxied.post("/associate/logout", headers=other).status_code == 403


def test_an_action_from_another_site_without_an_origin_changes_nothing(
    rig: Rig, signed_in: TestClient
) -> None:
    made = make_request(rig, signed_in)
    url = f"/associate/api/requests/{made['id']}/acknowledge"
    refused = signed_in.post(url, json={"name": "Sam"}, headers={"sec-fetch-site": "cross-site"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "cross_origin"
    (item,) = signed_in.portal.call(rig.engine.requests)
    assert item["status"] == "pending"

"""sd_notify: datagrams on a real AF_UNIX socket, path or abstract; silence without one."""

from __future__ import annotations

import logging
import os
import threading

import pytest

from vitrine.service.notify import Notifier, watchdog_interval_s

from .conftest import Listener


def test_a_notification_reaches_a_path_socket(path_listener: Listener) -> None:
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": path_listener.address})
    assert notifier.enabled
    assert notifier.send(READY=1, STATUS="4/4 boards up")
    assert path_listener.receive() == {"READY": "1", "STATUS": "4/4 boards up"}


def test_a_notification_reaches_an_abstract_socket(abstract_listener: Listener) -> None:
    notifier = Notifier(abstract_listener.address)
    assert notifier.send(WATCHDOG=1)
    assert abstract_listener.receive() == {"WATCHDOG": "1"}


def test_a_value_stays_on_one_line(path_listener: Listener) -> None:
    Notifier(path_listener.address).send(STATUS="touch down\nlights up", STOPPING=1)
    assert path_listener.receive() == {"STATUS": "touch down lights up", "STOPPING": "1"}


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier.from_environment({})
    assert not notifier.enabled
    assert notifier.send(READY=1) is False


def test_a_socket_nobody_listens_on_is_logged_not_raised(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    address = str(tmp_path / "gone")
    with caplog.at_level(logging.WARNING, "vitrine.service"):
        assert Notifier(address).send(READY=1) is False
    assert f"cannot notify systemd at {address}" in caplog.text


def test_an_address_that_is_neither_path_nor_abstract_is_refused_with_what_is_allowed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "vitrine.service"):
        notifier = Notifier("notify.sock")
    assert not notifier.enabled
    assert "NOTIFY_SOCKET='notify.sock'" in caplog.text
    assert "an absolute path, or @name" in caplog.text


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "10000000"}, 5.0),
        ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}, 5.0),
        ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "ten"}, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process(environ, expected) -> None:
    assert watchdog_interval_s(environ) == expected


def test_a_receiver_that_does_not_read_never_blocks_the_sender(
    path_listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(path_listener.address)
    results: list[bool] = []

    def flood() -> None:
        results.extend(notifier.send(WATCHDOG=1) for _ in range(5000))

    with caplog.at_level(logging.WARNING, "vitrine.service"):
        sender = threading.Thread(target=flood, daemon=True)
        sender.start()
        sender.join(10)
        assert not sender.is_alive(), "send() waited for a receiver that does not read"
    assert results[0] is True
    assert results[-1] is False  # the queue filled up: dropped, not waited for
    assert caplog.text.count("notifications dropped") == 1  # said once, not 5000 times
    path_listener.pending()  # systemd catches up
    assert notifier.send(READY=1) is True

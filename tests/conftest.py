"""Project-wide test options: real-hardware tests are opt-in with --device PORT."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--device",
        action="append",
        default=[],
        metavar="PORT",
        help="serial port of a real board running Vitrine firmware (repeatable); "
        "enables the tests marked 'device'",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--device"):
        return
    skip = pytest.mark.skip(reason="needs a real board: pass --device PORT")
    for item in items:
        if "device" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def device_ports(request: pytest.FixtureRequest) -> list[str]:
    """The ports given with --device."""
    return list(request.config.getoption("--device"))


@pytest.fixture(autouse=True)
def _state_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every daemon a test starts (in this process or a child) keeps its data in a folder of
    its own, never in /var/lib/vitrine: what systemd's StateDirectory= does on a mirror. So do
    the simulations and demos it starts without --state-dir, never in the user's default
    folder, where a demo of theirs may be running (and the catalogue commands would find it)."""
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("VITRINE_SIM_DIR", str(tmp_path_factory.mktemp("sim")))
    # ... and its runtime files (the console socket) too, as RuntimeDirectory= does, so that
    # a test's `vitrine console` finds that daemon's socket and no other.
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path_factory.mktemp("run")))

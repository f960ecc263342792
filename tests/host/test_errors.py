"""One exception root: every error the host package defines derives from VitrineError, so the
CLI prints any of them as a message (no traceback) and a caller can catch Vitrine's errors as
one; subclasses keep their structured fields and their messages."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import vitrine
import vitrine.cli.sim
from vitrine.associate.auth import AuthError
from vitrine.cli import main
from vitrine.errors import VitrineError
from vitrine.link.errors import CommandRejected, CommandTimeout, LinkDown, LinkError, PortError

# Modules that run something when imported: the CLI's entry point and a board process.
_SCRIPTS = {"vitrine.__main__", "vitrine.sim.boot"}


def _defined_errors() -> dict[str, type[BaseException]]:
    # Every public exception class defined in a vitrine module, by its dotted name. Private
    # ones (_Refused, _Bad) are a module's own control flow and never leave it.
    found = {}
    for info in pkgutil.walk_packages(vitrine.__path__, "vitrine."):
        if info.name in _SCRIPTS:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


ERRORS = _defined_errors()


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    # Guards the walk itself: a walk that found nothing would pass the test below.
    for name in (
        "vitrine.link.errors.LinkError",
        "vitrine.sim.errors.SimError",
        "vitrine.associate.auth.AuthError",
        "vitrine.catalog.errors.CatalogImportError",
        "vitrine.console.errors.ConsoleError",
        "vitrine.engine.errors.ActionError",
        "vitrine.engine.store.StoreError",
    ):
        assert name in ERRORS


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_every_error_derives_from_vitrine_error(name: str) -> None:
    assert issubclass(ERRORS[name], VitrineError), f"{name} stands outside VitrineError"


def test_the_link_errors_keep_their_fields_and_messages() -> None:
    rejected = CommandRejected("lights", "SET_SCENE", "bad_arg", "scene 9")
    assert isinstance(rejected, LinkError)
    assert (rejected.board, rejected.command, rejected.reason, rejected.detail) == (
        "lights",
        "SET_SCENE",
        "bad_arg",
        "scene 9",
    )
    assert str(rejected) == "board lights refused SET_SCENE: bad_arg (scene 9)"
    timeout = CommandTimeout("touch", "SELFTEST", 4, 0.25)
    assert str(timeout) == "board touch: no answer to SELFTEST after 4 attempts of 250 ms"
    assert str(LinkDown("touch", "down")) == "board touch is down"
    assert (PortError("/dev/x", "busy").url, PortError("/dev/x", "busy").reason) == (
        "/dev/x",
        "busy",
    )


def test_an_auth_error_keeps_its_http_fields() -> None:
    err = AuthError(429, "too_many_attempts", "wait", retry_after_s=30)
    assert isinstance(err, VitrineError)
    assert (err.status, err.code, err.message, err.retry_after_s) == (
        429,
        "too_many_attempts",
        "wait",
        30,
    )


def test_a_link_error_reaching_the_cli_is_printed_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Any sub-command whose link fails under it: here `vitrine sim status`'s handler.
    def fails(args: object) -> int:
        raise LinkDown("lights", "down")

    monkeypatch.setattr(vitrine.cli.sim, "cmd_status", fails)
    assert main(["sim", "status"]) == 2
    err = capsys.readouterr().err
    assert "board lights is down" in err
    assert "Traceback" not in err


def test_a_sim_error_reaches_the_cli_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", "status", "--state-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"no simulation running in {tmp_path}" in err
    assert "start one with: vitrine sim" in err

"""The config file rewritten in place (vitrine.config_file): a new touch calibration put into
the text with everything else kept, validated, and written over the file in one step."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from vitrine.config import load_config, parse_config
from vitrine.config_file import calibrated_config, write_calibration, write_config
from vitrine.devices.touch.mapping import solve_calibration
from vitrine.errors import ConfigError

W_MM, H_MM = 700.0, 400.0

PAIRS = [
    ((25.31, 14.8), (192.0, 108.0)),
    ((675.02, 19.5), (1728.0, 108.0)),
    ((671.5, 380.25), (1728.0, 972.0)),
    ((28.0, 376.0), (192.0, 972.0)),
]
NEW_CALIBRATION = """\
[[touch.calibration]]
frame_mm = [25.31, 14.8]
display_px = [192.0, 108.0]

[[touch.calibration]]
frame_mm = [675.02, 19.5]
display_px = [1728.0, 108.0]

[[touch.calibration]]
frame_mm = [671.5, 380.25]
display_px = [1728.0, 972.0]

[[touch.calibration]]
frame_mm = [28.0, 376.0]
display_px = [192.0, 972.0]
"""
HEAD = """\
# Mirror 7, shop floor by the entrance.
[http]
host = "127.0.0.1"  # the player runs on this machine
port = 8080

[touch]
frame = "32in"            # the frame model
display_width_px = 1920
display_height_px = 1080
rotation = 0

[touch.gestures]
long_press_s = 0.6  # slower for the window display

# Measured when the mirror was installed.
"""
OLD_CALIBRATION = """\
[[touch.calibration]]
frame_mm = [0.0, 0.0]
display_px = [0.0, 0.0]
[[touch.calibration]]
frame_mm = [700.0, 0.0]
display_px = [1920.0, 0.0]
[[touch.calibration]]
frame_mm = [700.0, 400.0]
display_px = [1920.0, 1080.0]
[[touch.calibration]]
frame_mm = [0.0, 400.0]
display_px = [0.0, 1080.0]
"""
TAIL = """
[link]
heartbeat_s = 1.0  # keep in step with the boards
"""


def test_rewrite_replaces_the_calibration_and_keeps_everything_else() -> None:
    text = calibrated_config(HEAD + OLD_CALIBRATION + TAIL, PAIRS)
    assert text == HEAD + NEW_CALIBRATION + TAIL
    config = parse_config(text)
    assert config.touch.calibration_pairs() == PAIRS
    assert config.touch.gestures.long_press_s == 0.6


def test_rewrite_without_a_calibration_before() -> None:
    original = HEAD + TAIL
    text = calibrated_config(original, PAIRS)
    assert text == HEAD + "\n" + NEW_CALIBRATION + TAIL
    assert parse_config(text).touch.calibration_pairs() == PAIRS


@pytest.mark.parametrize(
    "original",
    [
        "# just the port\n[http]\nport = 8081  # not 8080\n",
        "# just the port\n[http]\nport = 8081  # not 8080",  # no newline at the end
    ],
)
def test_rewrite_creates_the_touch_section(original: str) -> None:
    text = calibrated_config(original, PAIRS)
    assert text == original.rstrip("\n") + "\n\n" + NEW_CALIBRATION
    config = parse_config(text)
    assert config.http.port == 8081
    assert config.touch.calibration_pairs() == PAIRS


def test_rewrite_of_an_empty_file() -> None:
    assert parse_config(calibrated_config("", PAIRS)).touch.calibration_pairs() == PAIRS


def test_rewrite_of_an_inline_touch_table() -> None:
    text = calibrated_config('touch = { frame = "32in" }  # inline\n', PAIRS)
    assert text.endswith("  # inline\n")
    assert tomllib.loads(text)["touch"]["frame"] == "32in"
    assert parse_config(text).touch.calibration_pairs() == PAIRS


def test_rewrite_refuses_what_would_not_validate() -> None:
    collinear = [((x, 50.0), d) for (_, d), x in zip(PAIRS, (10.0, 20.0, 30.0, 40.0), strict=True)]
    with pytest.raises(ConfigError, match=r"with the new calibration.*on one line"):
        calibrated_config(HEAD + TAIL, collinear)
    with pytest.raises(ConfigError, match=r"http.port = 99999"):
        calibrated_config("[http]\nport = 99999\n", PAIRS)
    with pytest.raises(ConfigError, match="not valid TOML"):
        calibrated_config("[http\n", PAIRS)
    with pytest.raises(ConfigError, match="touch must be a table"):
        calibrated_config("touch = 3\n", PAIRS)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_keeps_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "vitrine.toml"
    path.write_text(HEAD + OLD_CALIBRATION + TAIL)
    path.chmod(0o640)
    text = write_calibration(path, PAIRS)
    assert path.read_text() == text == HEAD + NEW_CALIBRATION + TAIL
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _files(tmp_path) == ["vitrine.toml"]
    config = load_config(path)
    expected = solve_calibration(PAIRS).mapping()
    assert config.touch.mapping(W_MM, H_MM).matrix == expected.matrix


def test_write_replaces_a_symlinks_target(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    real = tmp_path / "etc" / "vitrine.toml"
    real.write_text(HEAD + TAIL)
    link = tmp_path / "vitrine.toml"
    link.symlink_to(real)
    write_calibration(link, PAIRS)
    assert link.is_symlink()
    assert load_config(real).touch.calibration_pairs() == PAIRS


@pytest.mark.parametrize(
    ("original", "pairs", "message"),
    [
        (HEAD + OLD_CALIBRATION + TAIL, [(p[0], PAIRS[0][1]) for p in PAIRS], "coincide"),
        ("[http]\nport = 99999  # wrong\n", PAIRS, "http.port"),
        ("[touch]\ndisplay_width_px = 'wide'\n", PAIRS, "display_width_px"),
    ],
)
def test_write_refuses_and_leaves_the_file_byte_identical(
    tmp_path: Path, original: str, pairs: list[Any], message: str
) -> None:
    path = tmp_path / "vitrine.toml"
    path.write_bytes(original.encode())
    before = os.stat(path)
    with pytest.raises(ConfigError, match=message):
        write_calibration(path, pairs)
    assert path.read_bytes() == original.encode()
    assert os.stat(path).st_ino == before.st_ino
    assert _files(tmp_path) == ["vitrine.toml"]


def test_write_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "vitrine.toml"
    path.write_text(HEAD + TAIL)
    new_text = calibrated_config(HEAD + TAIL, PAIRS)
    path.write_text(HEAD + TAIL + "# edited by hand\n")
    with pytest.raises(ConfigError, match="changed while calibrating"):
        write_config(path, new_text, expected=HEAD + TAIL)
    assert path.read_text() == HEAD + TAIL + "# edited by hand\n"


def test_write_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.toml: cannot read: No such file"):
        write_calibration(tmp_path / "missing.toml", PAIRS)


def test_the_devices_do_not_import_the_config() -> None:
    # The config reads the devices' sections (vitrine.config imports them); a device module
    # importing the config back, even inside a function, makes the two depend on each other.
    import ast

    import vitrine.devices

    for path in Path(vitrine.devices.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            reached = [n for n in names if n.startswith(("vitrine.config", "vitrine.config_file"))]
            assert not reached, f"{path.name} imports {reached[0]}"

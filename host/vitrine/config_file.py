"""The daemon's config file, read and rewritten in place.

- read_config(): the file's text, exactly as it is (line endings too).
- calibrated_config(): the text with its touch calibration replaced by new pairs, as
  [[touch.calibration]] tables; comments, other sections and key order stay as they were
  (tomlkit edits the document instead of writing it anew), and the result must validate.
- write_config(): the new text in place of the old file in one step (a temporary file beside
  it, renamed over it), only if the file still holds what was read.
- write_calibration(): the three in turn, for `vitrine calibrate touch`.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, InlineTable, Table

from vitrine.config import parse_config
from vitrine.devices.touch.mapping import CALIBRATION_POINTS, Pair
from vitrine.errors import ConfigError


def calibrated_config(text: str, pairs: Sequence[Pair], source: str = "config") -> str:
    """The config text with its touch calibration replaced by pairs: a [[touch.calibration]]
    table each (a [touch] section is made if there is none); comments, other sections and
    key order stay as they were. Raises ConfigError when the text is not TOML or the result
    is not a valid config (vitrine.config.parse_config); source names the file in messages."""
    if len(pairs) != CALIBRATION_POINTS:
        raise ValueError(f"calibration needs {CALIBRATION_POINTS} pairs, got {len(pairs)}")
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += newline  # so that a table added at the end starts on a line of its own
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from err
    rows = [([_num(f[0]), _num(f[1])], [_num(d[0]), _num(d[1])]) for f, d in pairs]
    _put_calibration(_touch_section(doc, source), rows)
    result = tomlkit.dumps(doc)
    if result.endswith(newline * 2) and not text.endswith(newline * 2):
        result = result[: -len(newline)]  # no blank line added at the end of the file
    config = parse_config(result, f"{source} (with the new calibration)")
    # The schema must see exactly the pairs written (not, say, a table it does not read).
    expected = [((f[0], f[1]), (d[0], d[1])) for f, d in rows]
    if config.touch.calibration_pairs() != expected:
        raise ConfigError(f"{source}: could not place the calibration under [touch]")
    return result


def _touch_section(doc: tomlkit.TOMLDocument, source: str) -> Table | InlineTable:
    # The document's [touch] table, made (at the end) if there is none.
    touch = doc.get("touch")
    if touch is None:
        touch = tomlkit.table()
        doc.append("touch", touch)
    if not isinstance(touch, Table | InlineTable):
        raise ConfigError(f"{source}: touch must be a table ([touch]), not {type(touch).__name__}")
    return touch


def _put_calibration(
    touch: Table | InlineTable, rows: list[tuple[list[float], list[float]]]
) -> None:
    # The rows in place of touch's calibration, written as the rest of [touch] is.
    old = touch.get("calibration")
    if isinstance(touch, InlineTable):  # touch = { ... }: the calibration goes inline too
        array = tomlkit.array()
        for frame_mm, display_px in rows:
            inline = tomlkit.inline_table()
            inline.update({"frame_mm": frame_mm, "display_px": display_px})
            array.append(inline)
        touch["calibration"] = array
    elif isinstance(old, AoT):
        # New tables where the old ones were: after the comments before them, and before
        # whatever followed them; a blank line after each, as tomlkit writes new ones.
        count = len(old)
        for table in _tables(rows):
            table.add(tomlkit.nl())
            old.append(table)
        for _ in range(count):
            del old[0]
    else:
        if old is not None:
            del touch["calibration"]
        aot = tomlkit.aot()
        for table in _tables(rows):
            aot.append(table)
        aot[-1].add(tomlkit.nl())  # a blank line before whatever comes next
        touch["calibration"] = aot


def _tables(rows: list[tuple[list[float], list[float]]]) -> list[Table]:
    tables = []
    for frame_mm, display_px in rows:
        table = tomlkit.table()
        table.update({"frame_mm": frame_mm, "display_px": display_px})
        tables.append(table)
    return tables


def _num(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"calibration value {value!r}: allowed a finite number")
    return round(value, 2) + 0.0  # + 0.0: no -0.0 in the file


def read_config(path: Path) -> str:
    """The config file's text, exactly (line endings too); raises ConfigError naming it."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err})") from err


def write_calibration(path: Path, pairs: Sequence[Pair]) -> str:
    """Put the calibration into the config file (calibrated_config, then write_config);
    returns the new text. Raises ConfigError, and leaves the file as it was, when the file
    cannot be read or the result would not be a valid config."""
    text = read_config(path)
    new_text = calibrated_config(text, pairs, str(path))
    write_config(path, new_text, expected=text)
    return new_text


def write_config(path: Path, text: str, *, expected: str | None = None) -> None:
    """Replace the config file's content with text in one step: a temporary file next to it,
    with its mode (and owner, where allowed), renamed over it; a symlink's target is
    replaced, not the link. The text must be a valid config, and the file must still hold
    expected when that is given; otherwise ConfigError, and nothing is written."""
    parse_config(text, f"{path} (new version)")
    real = path.resolve()
    try:
        current = real.read_bytes().decode("utf-8")
        st = real.stat()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {getattr(err, 'strerror', err)}") from err
    if expected is not None and current != expected:
        raise ConfigError(
            f"{path}: changed while calibrating, so nothing was written; calibrate again"
        )
    try:
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot write a new version next to it in {real.parent}: {err.strerror}"
        ) from err
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        with contextlib.suppress(OSError):
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, real)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise ConfigError(f"{path}: cannot write: {err.strerror}") from err
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a power cut
        dir_fd = os.open(real.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

"""A CSV import file read without holding it whole: its encoding judged from its first bytes
(UTF-8 expected; UTF-16 with or without a byte-order mark, and binary files, named), its lines
decoded one at a time for the csv module (at most LINE_LIMIT_BYTES each), and a field longer than
the csv module accepts found again by streaming, so that the importer can say where it is and
how long it is. Memory stays in the order of one line, whatever the file holds.

The csv module parses (it is the well-kept parser of this format); this module only feeds it
and explains what it refuses."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SAMPLE_BYTES = 4096  # the start of a file its encoding is judged on
LINE_LIMIT_BYTES = 1 << 20  # a line longer than this is not read (a catalogue row is < 10 kB)
_CHUNK_BYTES = 1 << 16  # what the field scan reads at a time
_UTF16_SHARE = 0.9  # of the bytes in one position that are NUL, for text without a BOM
_BOM_UTF8 = codecs.BOM_UTF8
_BOMS_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SPECIAL = re.compile(r'[",\n]')  # what the field scan stops at (the csv module's defaults)
BINARY = "a binary file, not text (a spreadsheet?): export it as CSV or JSON, UTF-8"


def encoding_problem(sample: bytes, name: str) -> str | None:
    """Why a file starting with sample is not UTF-8 text, in words that say what to do; None
    when it may be. UTF-16 without a byte-order mark is told from other binary data by its
    NUL bytes: mostly ASCII text in UTF-16 has a NUL in every other byte."""
    if sample.startswith(_BOMS_UTF16):
        return f"UTF-16 text: save the file as UTF-8 ({_iconv(sample, name)})"
    if b"\x00" not in sample:
        return None
    order = _utf16_without_bom(sample)
    if order is not None:
        return (
            f"UTF-16 text ({order}, without a byte-order mark), not UTF-8: save the file as "
            f"UTF-8 ({_iconv(sample, name, order)})"
        )
    return BINARY


def _utf16_without_bom(sample: bytes) -> str | None:
    # "little-endian" when the odd bytes are (nearly) all NUL and the even ones are not,
    # "big-endian" the other way round, else None.
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 2:  # noqa: PLR2004 - two characters at least to judge by
        return None

    def nul_share(part: bytes) -> float:
        return part.count(0) / len(part)

    if nul_share(odd) >= _UTF16_SHARE and nul_share(even) <= 1 - _UTF16_SHARE:
        return "little-endian"
    if nul_share(even) >= _UTF16_SHARE and nul_share(odd) <= 1 - _UTF16_SHARE:
        return "big-endian"
    return None


def _iconv(sample: bytes, name: str, order: str | None = None) -> str:
    # The command that converts the file, for the message.
    if order is None:
        order = "little-endian" if sample.startswith(codecs.BOM_UTF16_LE) else "big-endian"
        source = "UTF-16"  # iconv reads the byte-order mark
    else:
        source = "UTF-16LE" if order == "little-endian" else "UTF-16BE"
    stem = name.rsplit(".", 1)[0]
    return f"e.g. iconv -f {source} -t UTF-8 {name} > {stem}-utf8.csv"


@dataclass(slots=True)
class Stop:
    """Why the lines stopped before the end of the file: the 1-based line, and either a
    message (the line cannot be read as text) or overlong (it is longer than the limit)."""

    line: int
    message: str | None = None
    overlong: bool = False


class Lines:
    """The lines of a UTF-8 CSV file as text, one at a time, for csv.reader: the byte-order
    mark dropped, each line decoded on its own. Iteration ends early at a line that is not
    UTF-8, holds a NUL byte, or is longer than LINE_LIMIT_BYTES; `stop` says which. `mark(n)`
    keeps where line n starts (the record the csv module is reading), for find_long_field."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.stop: Stop | None = None
        self._starts: dict[int, int] = {}  # line -> byte offset, from the marked line on
        self._mark = 1

    def mark(self, line: int) -> None:
        """The record being read starts at line; forget where earlier lines started."""
        self._mark = line
        for old in [n for n in self._starts if n < line]:
            del self._starts[old]

    def start_of(self, line: int) -> int:
        """Byte offset of a line at or after the mark."""
        return self._starts[line]

    def __iter__(self) -> Iterator[str]:
        offset, number = 0, 0
        while True:
            raw = self._file.readline(LINE_LIMIT_BYTES + 1)
            if not raw:
                return
            number += 1
            if number >= self._mark:
                self._starts[number] = offset
            if len(raw) > LINE_LIMIT_BYTES:
                self.stop = Stop(number, overlong=True)
                return
            body = raw[len(_BOM_UTF8) :] if number == 1 and raw.startswith(_BOM_UTF8) else raw
            if b"\x00" in body:
                self.stop = Stop(number, BINARY)
                return
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as err:
                at = offset + len(raw) - len(body) + err.start
                self.stop = Stop(
                    number,
                    f"not UTF-8 text (byte 0x{body[err.start]:02x} at offset {at}); "
                    "save the file as UTF-8",
                )
                return
            offset += len(raw)
            yield text


@dataclass(frozen=True, slots=True)
class LongField:
    """A field longer than the limit: the line it starts on, its 0-based position in its
    record, its length in characters (quotes not counted), and whether a quote opened in it
    is never closed (so it runs to the end of the file)."""

    line: int
    index: int
    chars: int
    unclosed: bool


def find_long_field(path: Path, offset: int, line: int, limit: int) -> LongField | None:
    """The first field longer than limit characters in the record that starts at byte offset
    (on line) of path, read a chunk at a time; None when the record has none. Quoting is the
    csv module's default: '"' opens and closes a quoted field, '""' inside one is a quote."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    quoted = False
    index = chars = 0
    start_line = line
    closed_at = -1  # where in the chunk the last quote closed
    with path.open("rb") as file:
        file.seek(offset)
        while chunk := file.read(_CHUNK_BYTES):
            text = decoder.decode(chunk)
            at = 0
            for match in _SPECIAL.finditer(text):
                char = match.group()
                chars += match.start() - at
                at = match.end()
                if char == '"':
                    # '""' in a quoted field closes and opens again: one quote character
                    chars += not quoted and match.start() == closed_at
                    quoted = not quoted
                    closed_at = -1 if quoted else match.end()
                    continue
                if char == "\n":
                    line += 1
                if quoted:
                    chars += 1
                    continue
                if chars > limit:
                    return LongField(start_line, index, chars, unclosed=False)
                if char == "\n":
                    return None  # the end of the record
                index, chars, start_line = index + 1, 0, line
            chars += len(text) - at
            closed_at = 0 if closed_at == len(text) else -1  # a quote closed at the very end
    if chars > limit:
        return LongField(start_line, index, chars, unclosed=quoted)
    return None


def field_limit() -> int:
    """The most characters the csv module accepts in one field (csv.field_size_limit)."""
    return csv.field_size_limit()

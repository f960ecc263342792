"""The catalogue's errors: one for a database that cannot be used, one for an import that was
refused, carrying every problem found, each naming the file, the line and the column."""

from __future__ import annotations

from dataclasses import dataclass

from vitrine.errors import VitrineError

SHOWN_ERRORS = 50  # problems listed in an import error's text; the rest are counted


class CatalogError(VitrineError):
    """The catalogue database cannot be opened or used."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an import file. line: 1-based line of a CSV file (the header is line 1),
    None for a JSON file and for problems with the file as a whole. column: the CSV column,
    or for JSON the item's path ("products[3].price_cents"); None for the file as a whole."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class CatalogImportError(CatalogError):
    """An import was refused and nothing was changed; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(self._text())

    def _text(self) -> str:
        count = len(self.errors)
        head = f"catalogue import refused, nothing changed: {count} problem{'s' * (count != 1)}"
        lines = [head] + [f"  {e}" for e in self.errors[:SHOWN_ERRORS]]
        if count > SHOWN_ERRORS:
            lines.append(f"  and {count - SHOWN_ERRORS} more")
        return "\n".join(lines)

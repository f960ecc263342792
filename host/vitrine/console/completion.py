"""Tab completion of console commands and their arguments, learned from the board's `help`.

`help` lists one command per line: two spaces, the name, its arguments, two or more spaces,
what it does. In the arguments, [a|b] is an optional choice, {a|b} a required one, an
UPPERCASE word a value (not completed), and --yes a confirmation. So the board, not this
file, says which commands and arguments exist (a touch board lists its frame's beam
families, a lighting board its scenes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

_HELP_LINE = re.compile(r"^  (\S+)((?: \S+)*?)\s{2,}(\S.*)$")


@dataclass(frozen=True)
class CommandSpec:
    """One command from `help`: its name, the choices of each argument (an empty tuple for a
    free value), and what it does."""

    name: str
    args: tuple[tuple[str, ...], ...]
    what: str


def _choices(token: str) -> tuple[str, ...]:
    if token[:1] in "[{" and token[-1:] in "]}":
        token = token[1:-1]
    if token.isupper():
        return ()  # a value the board does not list
    return tuple(choice for choice in token.split("|") if choice)


def parse_help(text: str) -> list[CommandSpec]:
    """The commands of a `help` answer (lines of another shape are skipped)."""
    specs = []
    for line in text.splitlines():
        match = _HELP_LINE.match(line)
        if match:
            name, args, what = match.groups()
            specs.append(CommandSpec(name, tuple(_choices(t) for t in args.split()), what))
    return specs


class ConsoleCompleter(Completer):
    """Completes a command's name, then its arguments by position; `--yes` wherever the
    command takes it."""

    def __init__(self, specs: Iterable[CommandSpec], local: Iterable[str] = ()) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.local = tuple(local)  # the console's own words, e.g. exit

    def candidates(self, words: list[str]) -> list[str]:
        """What may come as the last word of `words` (the word being typed, possibly "")."""
        if len(words) <= 1:
            return sorted([*self.specs, *self.local])
        spec = self.specs.get(words[0])
        if spec is None:
            return []
        typed = words[1:-1]
        position = len([w for w in typed if w != "--yes"])
        out: list[str] = []
        if position < len(spec.args):
            out += [c for c in spec.args[position] if c != "--yes"]
        if any("--yes" in choices for choices in spec.args) and "--yes" not in typed:
            out.append("--yes")
        return out

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        words = text.split()
        if not words or text[-1:].isspace():
            words.append("")
        current = words[-1]
        for candidate in self.candidates(words):
            if candidate.startswith(current):
                yield Completion(candidate, start_position=-len(current))

"""Errors that carry their place: which file, line, column and field went wrong.

The engine never prints. It raises `InvalidAnswerFile` holding every `AnswerFileError` it
found; the faces (CLI, TUI) decide how to show them. `str(error)` is the one-line form
`site.yaml:14:7: nodes[2].address: '10.0.0.300' is not an IPv4 address`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

Loc = tuple[str | int, ...]
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_./-]+")


def format_loc(loc: Sequence[str | int]) -> str:
    """`('nodes', 2, 'address')` -> `nodes[2].address`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            out += f"[{part!r}]"  # a key with spaces or control characters stays on one line
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True)
class AnswerFileError:
    """One problem in one file, at one place."""

    path: str
    line: int | None
    column: int | None
    field: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class InvalidAnswerFile(Exception):
    """Raised with every error found, sorted by position, never only the first."""

    def __init__(self, errors: Iterable[AnswerFileError]):
        self.errors = sorted(errors, key=lambda e: (e.path, e.line or 0, e.column or 0, e.field, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))


class Refused(Exception):
    """The engine will not start (or go on with) a run, and has touched no host: bad options, a
    busy site or host, a missing or damaged bundle, a secret that cannot be read, nothing to
    resume. One family, so a face maps all of them to one outcome (the CLI: exit 2)."""

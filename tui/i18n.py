"""Message catalogues: every text the wizard shows comes from `locales/<locale>.json` by key.

The locale is chosen from LC_ALL / LC_MESSAGES / LANG (the first one set wins, as in POSIX);
anything starting with `zh` selects Simplified Chinese. A key missing from a catalogue falls
back to English, then to the key itself, so a gap is visible rather than a crash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).parent / "locales"
LOCALES: tuple[str, ...] = ("en", "zh_CN")


def locale_from_env(environ: Mapping[str, str] = os.environ) -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


@cache
def messages(locale: str) -> dict[str, str]:
    return json.loads((LOCALES_DIR / f"{locale}.json").read_text(encoding="utf-8"))


class Catalog:
    """`catalog("key", name=...)` -> the text in this locale, formatted with the arguments."""

    def __init__(self, locale: str = "en"):
        if locale not in LOCALES:
            locale = "en"
        self.locale = locale
        self._texts = messages(locale)
        self._fallback = messages("en")

    def __call__(self, key: str, **args: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key) or key
        return text.format(**args) if args else text

    def has(self, key: str) -> bool:
        return key in self._fallback

    def other(self) -> Catalog:
        """The next locale, for the switch-language binding."""
        return Catalog(LOCALES[(LOCALES.index(self.locale) + 1) % len(LOCALES)])


def problem_text(t: Callable[..., str], error: Any, message: str | None = None, with_line: bool = False) -> str:
    """An engine error (`AnswerFileError`) framed in the catalogue's language.

    The frame ("line 12, field nodes[2].address: ...") is translated; the message is the
    engine's (English) unless the wizard has its own (`message`).
    """
    key = "problem.line" if with_line and error.line else "problem"
    if not error.field:
        key += ".file"
    return t(key, line=error.line, field=error.field, message=message or error.message)

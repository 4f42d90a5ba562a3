"""Random and mutated YAML into the loader: only clean validation errors come out, never a traceback."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.errors import AnswerFileError, InvalidAnswerFile
from installer.site import load_site_text
from tests.sitedata import ROOT

VALID = (ROOT / "inventory-examples" / "lab.yaml").read_text()
YAML_BITS = [
    ":",
    "- ",
    "  ",
    "\n",
    "{",
    "}",
    "[",
    "]",
    "&a",
    "*a",
    "!!",
    "<<: ",
    "'",
    '"',
    "#",
    "|",
    ">",
    "---",
    "?",
    "%YAML 1.1\n",
    "\t",
    "null",
    "~",
    "10.0.0.300",
    "0x1F",
    "1e3",
    "yes",
    "\x00",
    "\ufeff",
]


def _assert_clean(text: str) -> None:
    try:
        load_site_text(text, "fuzz.yaml")
    except InvalidAnswerFile as exc:
        assert exc.errors
        for error in exc.errors:
            assert isinstance(error, AnswerFileError)
            line = str(error)
            assert line.startswith("fuzz.yaml") and "\n" not in line, line
            assert error.line is None or error.line >= 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable + "机房", max_size=400))
def test_random_text_gives_only_clean_errors(text):
    _assert_clean(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 8), st.sampled_from(YAML_BITS)), max_size=6))
def test_mutated_valid_file_gives_only_clean_errors(edits):
    text = VALID
    for position, cut, insert in edits:
        position = min(position, len(text))
        text = text[:position] + insert + text[position + cut :]
    _assert_clean(text)


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
        max_leaves=30,
    )
)
def test_random_structures_in_place_of_sections_give_only_clean_errors(value):
    import yaml

    for section in ("nodes", "network", "ssh", "fabric", "metadata"):
        data = yaml.safe_load(VALID)
        data[section] = value
        _assert_clean(yaml.safe_dump(data, allow_unicode=True))

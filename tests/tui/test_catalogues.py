"""The message catalogues: same keys in every language, every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from tui.i18n import LOCALES, Catalog, locale_from_env, messages

TUI = Path(__file__).resolve().parents[2] / "tui"
LITERAL_KEY = re.compile(r"""\bt\(\s*"([a-z_A-Z.]+)"|"(key\.[a-z_]+)\"""")


def test_every_language_has_the_same_keys():
    english = set(messages("en"))
    for locale in LOCALES:
        assert set(messages(locale)) == english, locale


def test_every_key_used_in_the_code_is_in_the_catalogue():
    used = {a or b for f in TUI.rglob("*.py") for a, b in LITERAL_KEY.findall(f.read_text())}
    assert used, "the pattern found no keys"
    assert sorted(used - set(messages("en"))) == []


def test_placeholders_match_across_languages():
    field = re.compile(r"\{(\w+)\}")
    for key, text in messages("en").items():
        assert set(field.findall(text)) == set(field.findall(messages("zh_CN")[key])), key


def test_the_locale_comes_from_the_environment():
    assert locale_from_env({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert locale_from_env({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert locale_from_env({}) == "en"
    assert Catalog("zh_CN").other().locale == "en"


def test_discovered_facts_fill_the_node_table_columns():
    from installer.discovery import Accelerator, HostError, NodeFacts
    from installer.discovery.model import MemoryInfo, OsInfo
    from installer.vendors import Vendor
    from tui.engine import host_facts

    gpu = Accelerator(Vendor.NVIDIA, "H100 SXM5 80GB", "0000:1a:00.0")
    facts = NodeFacts(
        host="gpu01",
        address="10.0.0.11",
        os=OsInfo("debian", "12"),
        memory=MemoryInfo(total_bytes=512 * 2**30),
        accelerators=(gpu,) * 8,
    )
    row = host_facts("gpu01", facts)
    assert (row.reachable, row.os, row.ram, row.gpus) == (True, "debian 12", "512G", "8x H100 SXM5 80GB")
    assert row.accelerators == ("nvidia", "H100 SXM5 80GB", 8)
    down = host_facts("gpu02", HostError("gpu02", "10.0.0.12", "unreachable", "timed out"))
    assert not down.reachable and "timed out" in down.error


def test_every_key_the_code_builds_is_in_the_catalogue():
    """Keys made at run time: log lines, syntax hints, preflight results, error frames."""
    english = set(messages("en"))
    progress = (TUI / "progress.py").read_text()
    built = {f"log.{key}" for key in re.findall(r'_log\(\s*"\w+",\s*"(\w+)"', progress)}
    built |= {"log.failed", "log.unreachable", "log.phase_ok", "log.phase_failed", "log.run_failed"}
    built |= set(re.findall(r'"(syntax\.\w+)"', (TUI / "widgets" / "entries.py").read_text()))
    built |= {f"preflight.mark.{severity}" for severity in ("pass", "warn", "fail")}
    built |= {"problem", "problem.file", "problem.line", "problem.line.file"}
    assert len(built) > 20
    assert sorted(built - english) == []


def test_an_engine_error_is_framed_in_the_language_and_keeps_the_engines_words():
    from installer.errors import AnswerFileError
    from tui.i18n import problem_text

    error = AnswerFileError("site.yaml", 14, 7, "nodes[2].address", "'10.0.0.300' is not an IPv4 address")
    assert problem_text(Catalog("en"), error, with_line=True) == (
        "line 14, field nodes[2].address: '10.0.0.300' is not an IPv4 address"
    )
    assert problem_text(Catalog("zh_CN"), error, with_line=True) == (
        "第 14 行,字段 nodes[2].address:'10.0.0.300' is not an IPv4 address"
    )
    assert problem_text(Catalog("zh_CN"), error) == "字段 nodes[2].address:'10.0.0.300' is not an IPv4 address"
    whole = AnswerFileError("site.yaml", 3, 1, "", "duplicate key 'nodes'")
    assert problem_text(Catalog("zh_CN"), whole, with_line=True) == "第 3 行:duplicate key 'nodes'"

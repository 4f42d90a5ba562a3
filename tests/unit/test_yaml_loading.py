"""The YAML loader: positions, and a one-line error for every kind of bad file."""

from __future__ import annotations

import pytest

from installer.errors import InvalidAnswerFile
from installer.yamlpos import MAX_FILE_BYTES, Mark, load_yaml_file, parse_text


def _one_error(excinfo) -> str:
    errors = excinfo.value.errors
    assert len(errors) == 1, errors
    text = str(errors[0])
    assert "\n" not in text and "Traceback" not in text
    return text


def test_positions_of_values_and_keys_are_recorded():
    doc = parse_text("s.yaml", "a: 1\nnodes:\n  - name: x\n    address: 10.0.0.1\n")
    assert doc.mark_for(("nodes", 0, "address")) == Mark(4, 14)
    assert doc.key_mark_for(("nodes", 0, "address")) == Mark(4, 5)
    assert doc.mark_for(("nodes", 0, "missing")).line == 3  # falls back to the parent mapping


def test_duplicate_keys_are_refused_with_both_lines():
    doc = parse_text("s.yaml", "a: 1\nb: 2\na: 3\n")
    assert doc.data == {"a": 1, "b": 2}
    assert [str(e) for e in doc.problems] == ["s.yaml:3:1: a: duplicate key 'a' (first given at line 1)"]


def test_keys_stay_text_as_written():
    doc = parse_text("s.yaml", "on: 1\nyes: 2\n'3': x\n")
    assert set(doc.data) == {"on", "yes", "3"}


def test_dates_stay_text():
    assert parse_text("s.yaml", "d: 2026-11-22\n").data == {"d": "2026-11-22"}


def test_empty_file(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("# only a comment\n")
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_yaml_file(path)
    assert "is empty" in _one_error(excinfo)


def test_non_mapping_document():
    with pytest.raises(InvalidAnswerFile) as excinfo:
        parse_text("s.yaml", "- a\n- b\n")
    assert _one_error(excinfo) == "s.yaml:1:1: expected a mapping at the top, found a list"


def test_scalar_document():
    with pytest.raises(InvalidAnswerFile) as excinfo:
        parse_text("s.yaml", "just text\n")
    assert "expected a mapping at the top" in _one_error(excinfo)


def test_binary_file(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00binary")
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_yaml_file(path)
    assert "binary file (NUL byte at offset 7)" in _one_error(excinfo)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_bytes("name: 机房".encode("gbk"))
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_yaml_file(path)
    assert "not UTF-8" in _one_error(excinfo)


def test_chinese_text_is_fine():
    assert parse_text("s.yaml", "description: 北京一号机房\n").data == {"description": "北京一号机房"}


def test_fifty_megabyte_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    assert path.stat().st_size > MAX_FILE_BYTES
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_yaml_file(path)
    assert "file is 52.4 MB" in _one_error(excinfo)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_yaml_file(tmp_path / "nope.yaml")
    assert "no such file" in _one_error(excinfo)
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_yaml_file(tmp_path)
    assert "is a directory" in _one_error(excinfo)


BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_is_refused_quickly():
    with pytest.raises(InvalidAnswerFile) as excinfo:
        parse_text("s.yaml", BILLION_LAUGHS)
    assert "alias bomb" in _one_error(excinfo)


def test_modest_aliases_and_merge_keys_work():
    text = "defaults: &d {roles: [worker], labels: {a: b}}\nnode: {<<: *d, name: n1, roles: [deploy]}\n"
    doc = parse_text("s.yaml", text)
    assert doc.data["node"] == {"name": "n1", "roles": ["deploy"], "labels": {"a": "b"}}
    assert doc.mark_for(("node", "labels")).line == 1


def test_syntax_error_has_a_position():
    with pytest.raises(InvalidAnswerFile) as excinfo:
        parse_text("s.yaml", "a: [1, 2\nb: 3\n")
    text = _one_error(excinfo)
    assert text.startswith("s.yaml:") and "invalid YAML" in text


def test_python_tags_are_refused():
    doc = parse_text("s.yaml", "a: !!python/object/apply:os.system ['true']\n")
    assert doc.problems and "not allowed" in doc.problems[0].message


def test_multiple_documents_are_refused():
    with pytest.raises(InvalidAnswerFile) as excinfo:
        parse_text("s.yaml", "a: 1\n---\nb: 2\n")
    assert "invalid YAML" in _one_error(excinfo)


def test_deep_nesting_is_one_error():
    with pytest.raises(InvalidAnswerFile) as excinfo:
        parse_text("s.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert _one_error(excinfo)

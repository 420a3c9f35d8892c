"""Codebooks: validation messages, the shipped CSF-POF codebook, versions in a project."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qualcode.codebook.model import Codebook
from qualcode.codebook.versions import current_codebook
from qualcode.codebook.yaml_io import codebook_to_yaml, load_yaml_codebook, parse_yaml_codebook
from qualcode.codebook_files import load_codebook
from qualcode.errors import InputError
from qualcode.store import Project

from .conftest import REPO_ROOT, rows

CSF_POF = REPO_ROOT / "codebook" / "csf-pof.yaml"

SMALL = """
name: Small
version: 1
codes:
  - id: g
    label: Group
    codable: false
    definition: A group.
  - id: a
    parent: g
    label: Code A
    definition: First code.
    include: when A
    examples: [one example, another example]
    color: "#112233"
  - id: b
    parent: g
    label: Code B
    definition: Second code.
"""


def write(tmp_path: Path, text: str, name: str = "cb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_codebook_has_the_contract_groups_and_complete_codes() -> None:
    codebook = load_yaml_codebook(CSF_POF)
    top = [c.id for c in codebook.codes if c.parent is None]
    assert top == ["art2", "art3", "art6", "art12", "barriers"]
    assert all(not c.codable for c in codebook.codes if c.parent is None)
    codable = codebook.codable()
    assert 20 <= len(codable) <= 30
    for code in codable:
        for field in ("definition", "full_definition", "include", "exclude", "provenance"):
            assert getattr(code, field), f"{code.id} lacks {field}"
        assert len(code.examples) >= 3, code.id
        assert code.color and code.color.startswith("#"), code.id
    assert {codebook.top_level(c.id) for c in codable} == set(top)
    assert codebook.top_level("physical_safety") == "art6"
    assert codebook.ancestors("physical_safety") == ["safety", "art6"]
    ids = {c.id for c in codable}
    assert {
        "interpreters",
        "legal_advice",
        "being_believed",
        "immigration_procedures",
        "disbelief_age_disputes",
        "repeating_story",
        "transitions_adulthood",
    } <= ids


def test_yaml_round_trip_keeps_every_field(tmp_path: Path) -> None:
    codebook = parse_yaml_codebook(SMALL, "small.yaml")
    again = parse_yaml_codebook(codebook_to_yaml(codebook), "again.yaml")
    assert again == codebook
    assert again.by_id()["a"].examples == ["one example", "another example"]
    assert again.by_id()["g"].codable is False


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["codes"][1].pop("label"), "cb.yaml: code 'a': missing required field 'label'"),
        (
            lambda d: d["codes"][1].pop("definition"),
            "cb.yaml: code 'a': missing required field 'definition'",
        ),
        (lambda d: d["codes"][2].update(id="a"), "cb.yaml: code 'a': duplicate id"),
        (
            lambda d: d["codes"][1].update(parent="nope"),
            "cb.yaml: code 'a': parent 'nope' is not a code",
        ),
        (
            lambda d: d["codes"][0].update(parent="a"),
            "cb.yaml: code 'g': parent chain forms a cycle",
        ),
        (
            lambda d: d["codes"][1].update(color="red"),
            "cb.yaml: code 'a': field 'color' must look like #1f77b4",
        ),
        (
            lambda d: d["codes"][1].update(codable="yes"),
            "cb.yaml: code 'a': field 'codable' must be true or false",
        ),
        (lambda d: d["codes"][1].pop("id"), "cb.yaml: code #2: missing required field 'id'"),
        (lambda d: d.update(codes=[]), "cb.yaml: not a codebook: 'codes' must be a non-empty list"),
        (lambda d: d["codes"][2].update(id="b c"), "cb.yaml: code 'b c': field 'id' must start"),
    ],
)
def test_malformed_codebook_names_code_and_field(tmp_path: Path, mutate, message) -> None:
    data = yaml.safe_load(SMALL)
    mutate(data)
    path = write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(InputError) as caught:
        load_yaml_codebook(path)
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(message)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ncodes:\n  - id: a\n    label: [unclosed\n")
    with pytest.raises(InputError, match=r"cb.yaml: invalid YAML at line \d+"):
        load_yaml_codebook(path)


def test_unsupported_codebook_format(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "x", name="cb.json")
    with pytest.raises(InputError, match="unsupported codebook format '.json'"):
        load_codebook(project, path)


def test_malformed_codebook_leaves_project_unchanged(project: Project, tmp_path: Path) -> None:
    load_codebook(project, write(tmp_path, SMALL))
    bad = write(
        tmp_path,
        SMALL.replace("parent: g\n    label: Code B", "parent: zz\n    label: B"),
        name="bad.yaml",
    )
    with pytest.raises(InputError):
        load_codebook(project, bad)
    assert rows(project, "SELECT count(*) FROM codebook_versions") == [(1,)]
    assert rows(project, "SELECT count(*) FROM codes") == [(3,)]


def test_versions_unchanged_changed_and_retired(project: Project, tmp_path: Path) -> None:
    first = load_codebook(project, write(tmp_path, SMALL))
    assert (first.version, first.created, first.added) == (1, True, ["g", "a", "b"])
    again = load_codebook(project, write(tmp_path, SMALL))
    assert (again.version, again.created) == (1, False)

    edited = SMALL.replace("definition: Second code.", "definition: Second code, sharper.")
    second = load_codebook(project, write(tmp_path, edited))
    assert (second.version, second.created, second.changed, second.added) == (2, True, ["b"], [])

    without_a = yaml.safe_load(edited)
    without_a["codes"] = [c for c in without_a["codes"] if c["id"] != "a"]
    third = load_codebook(project, write(tmp_path, yaml.safe_dump(without_a)))
    assert (third.version, third.retired) == (3, ["a"])

    current = current_codebook(project)
    assert isinstance(current, Codebook) and current.version == 3
    assert current.by_id()["a"].retired is True
    assert [c.id for c in current.codable()] == ["b"]
    # earlier versions are kept whole
    assert rows(
        project, "SELECT definition FROM codes WHERE codebook_version = 1 AND id = 'b'"
    ) == [("Second code.",)]
    actions = rows(project, "SELECT action FROM action_log ORDER BY id")
    assert actions == [("codebook.load",)] * 3


def test_shipped_codebook_loads_into_a_project(project: Project) -> None:
    result = load_codebook(project, CSF_POF)
    assert result.created and result.version == 1
    stored = current_codebook(project)
    assert stored.codes == load_yaml_codebook(CSF_POF).codes

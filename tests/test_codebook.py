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
    assert len(codable) == 39
    assert codebook.name.startswith("CSF-POF working coding frame") and codebook.version == 2
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


# Every id of version 1 of the shipped codebook: ids are a contract (stored codings, the
# gold file and scripts use them), so a revision may narrow a code but never drop its id.
CSF_POF_V1_IDS = """
art2 interpreters equality freedom art3 legal_advice guardians_advocates
specialist_practitioners protection art6 safety physical_safety psychological_safety
trust_professionals stability_peace trusting_relationships being_believed education
health_wellbeing art12 asked_listened participation_decisions contributing_society barriers
immigration_procedures disbelief_age_disputes discriminatory_attitudes transitions_adulthood
repeating_story resource_gaps not_listened justice_system
""".split()


def test_shipped_codebook_keeps_every_earlier_id_and_its_place() -> None:
    codebook = load_yaml_codebook(CSF_POF)
    index = codebook.by_id()
    assert all(index[i].codable == (i not in {"art2", "art3", "art6", "art12", "barriers"})
               for i in CSF_POF_V1_IDS)  # fmt: skip
    assert not [i for i in CSF_POF_V1_IDS if index[i].retired]
    new = [c.id for c in codebook.codes if c.id not in CSF_POF_V1_IDS]
    assert new == [
        "supported_transition", "mistrust_protective", "belonging_community", "agency_control",
        "identity", "resilience_strengths", "system_trauma", "age_disputes", "delay_responses",
        "agency_coordination", "identification_failures", "family_support_gaps",
    ]  # fmt: skip
    assert [codebook.top_level(i) for i in new] == ["art3"] + ["art6"] * 5 + ["barriers"] * 6


def test_priorities_are_read_checked_and_round_tripped(tmp_path: Path) -> None:
    data = yaml.safe_load(SMALL)
    data["codes"][1]["priorities"] = ["Recovery", "participation", "recovery"]
    data["codes"][2]["priorities"] = "protection"
    codebook = load_yaml_codebook(write(tmp_path, yaml.safe_dump(data)))
    assert codebook.by_id()["a"].priorities == ["recovery", "participation"]
    assert codebook.by_id()["b"].priorities == ["protection"]
    assert codebook.by_id()["g"].priorities == []
    again = parse_yaml_codebook(codebook_to_yaml(codebook), "again.yaml")
    assert again == codebook
    assert "priorities" not in codebook_to_yaml(parse_yaml_codebook(SMALL, "s.yaml"))
    for bad, message in (
        (["recovery", "hope"], "field 'priorities' has 'hope', which is not one of "
         "participation, inclusion, protection, empowerment, recovery"),
        ({"a": 1}, "field 'priorities' must be a list of text"),
        ([1], "field 'priorities' must be a list of text"),
    ):  # fmt: skip
        data["codes"][1]["priorities"] = bad
        with pytest.raises(InputError) as caught:
            load_yaml_codebook(write(tmp_path, yaml.safe_dump(data)))
        assert str(caught.value) == f"{tmp_path / 'cb.yaml'}: code 'a': {message}"


def test_priorities_are_stored_and_a_codebook_without_them_keeps_its_version(
    project: Project, tmp_path: Path
) -> None:
    load_codebook(project, write(tmp_path, SMALL))
    data = yaml.safe_load(SMALL)
    data["codes"][1]["priorities"] = ["inclusion"]
    changed = load_codebook(project, write(tmp_path, yaml.safe_dump(data)))
    assert (changed.version, changed.changed) == (2, ["a"])
    assert current_codebook(project).by_id()["a"].priorities == ["inclusion"]
    assert rows(project, "SELECT id, priorities FROM codes WHERE codebook_version = 2") == [
        ("g", []), ("a", ["inclusion"]), ("b", []),
    ]  # fmt: skip
    # a codebook without priorities hashes as it did before they existed (value from then)
    from qualcode.codebook.versions import _content_hash

    assert _content_hash(parse_yaml_codebook(SMALL, "s.yaml")) == (
        "80dd5f3ff8a42bb6454b96bea2152b5e6e5eabf6728ab451981db4548c9c60c4"
    )


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

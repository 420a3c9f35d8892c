"""The shipped CSF-POF codebook's coding rules do not contradict each other.

Two coders who follow a codebook can only agree if its rules send a passage to one
place. These tests read `codebook/csf-pof.yaml` clause by clause (include and exclude
are `; `-separated clauses; an exclude clause ends with `(use <id>)`) and fail when:

- two codes' include clauses share a phrase (two consecutive content words, after
  normalising: lower case, no punctuation, a plural `s` dropped, stop words and the
  names of actors removed, since "a social worker" can be trusted, trained, racist or
  changing and says nothing about which code applies);
- an exclude clause shares a phrase with the include of a code it does not send the
  passage to (the rules then point two ways), or with its own code's include;
- an exclude clause names no codable code to use instead;

unless the pair is listed in ALLOWED with the reason the overlap is intended. An
allowance that no longer matches anything fails too, so the list cannot go stale.
"""

from __future__ import annotations

import re
from itertools import combinations

import pytest

from qualcode.codebook.model import PRIORITIES
from qualcode.codebook.yaml_io import load_yaml_codebook, parse_yaml_codebook

from .conftest import REPO_ROOT

CSF_POF = REPO_ROOT / "codebook" / "csf-pof.yaml"
SOURCES = (
    "research-summary.md",
    "scottish-government-briefing.md",
    "ofsted-briefing.md",
    "stirling-study.md",
    "training-pack.md",
)

STOP_WORDS = frozenset(
    """a an the and or but of to in on at for with by from as is are was were be been being
    am i me my mine we us our you your he she him her his they them their it its this that
    these those there here so if do does did have has had can could will would should about
    like just only all any every some what when where who how why than then too very own one
    get got young people person someone somebody other everyone everything anyone really
    want""".split()
)
"""Words that carry no coding meaning; "no" and "not" are kept (an absence is a meaning)."""
ACTORS = (
    "leaving care worker", "social worker", "foster carer", "key worker", "home office",
    "police officer", "personal adviser", "support worker",
)  # fmt: skip
"""Who a clause is about; they break phrases instead of forming them."""
BREAK = "|"

ALLOWED: dict[tuple[str, str], str] = {}
"""(code, code) -> why their clauses may share a phrase. Empty: no overlap is needed."""


def words(clause: str) -> list[str]:
    """Normalised content words of a clause; an actor name becomes a phrase break."""
    text = clause.lower().replace("\u2019", "'")
    for actor in ACTORS:
        text = text.replace(actor, f" {BREAK} ")
    out = []
    for word in re.findall(r"[a-z0-9'|]+", text):
        word = word.strip("'")
        word = word.removesuffix("'s")
        if not word or word in STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def phrases(clause: str) -> set[tuple[str, ...]]:
    """Pairs of consecutive content words in either order ("church or mosque" is "mosque or
    church"), never across an actor name."""
    w = words(clause)
    return {tuple(sorted((a, b))) for a, b in zip(w, w[1:], strict=False) if BREAK not in (a, b)}


def clauses(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


_USE = re.compile(r"\(use ([^)]*)\)")


def exclude_rules(text: str, ids: set[str]) -> list[tuple[str, set[str], str]]:
    """(what is excluded, the codes named to use instead, the whole clause); a clause may
    send two parts to two codes: "x (use a) or y (use b)"."""
    rules = []
    for clause in clauses(text):
        named = " ".join(match.group(1) for match in _USE.finditer(clause))
        targets = set(re.findall(r"[a-z0-9_]+", named)) & ids
        rules.append((_USE.sub(" ", clause), targets, clause))
    return rules


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


@pytest.fixture(scope="module")
def codebook():
    return load_yaml_codebook(CSF_POF)


def overlaps(codebook) -> dict[tuple[str, str], list[str]]:
    """Every pair of codes whose rules overlap, with a line saying where."""
    codable = codebook.codable()
    ids = {code.id for code in codable}
    include = {code.id: [(c, phrases(c)) for c in clauses(code.include)] for code in codable}
    found: dict[tuple[str, str], list[str]] = {}
    for a, b in combinations(include, 2):
        for x, px in include[a]:
            for y, py in include[b]:
                if px & py:
                    found.setdefault(pair(a, b), []).append(
                        f"include of {a} ({x!r}) and include of {b} ({y!r}) share {sorted(px & py)}"
                    )
    for code in codable:
        for text, targets, whole in exclude_rules(code.exclude, ids):
            excluded = phrases(text)
            for other, rules in include.items():
                if other in targets:
                    continue
                for y, py in rules:
                    if excluded & py:
                        found.setdefault(pair(code.id, other), []).append(
                            f"exclude of {code.id} ({whole!r}) matches include of {other} "
                            f"({y!r}) but does not send it there"
                        )
    return found


def test_no_two_codes_claim_the_same_phrase(codebook) -> None:
    found = overlaps(codebook)
    unexplained = [line for key, lines in found.items() if key not in ALLOWED for line in lines]
    assert unexplained == []
    stale = sorted(set(ALLOWED) - set(found))
    assert stale == [], f"allowed overlaps that no longer occur: {stale}"


def test_every_exclude_clause_names_another_codable_code(codebook) -> None:
    ids = {code.id for code in codebook.codable()}
    for code in codebook.codable():
        for _, targets, whole in exclude_rules(code.exclude, ids):
            assert targets, f"{code.id}: exclude clause names no code: {whole!r}"
            assert code.id not in targets, f"{code.id}: exclude clause names itself: {whole!r}"


def test_the_overlap_check_catches_what_it_is_for() -> None:
    """The normalisation finds the contradictions the pilot found, and not actor names."""
    assert phrases("no interpreter available") & phrases("there was no interpreter")
    assert (phrases("staff should get more training") & phrases("more training for staff")) == {
        ("more", "training")}  # fmt: skip
    assert phrases("Staff should get more training.") == phrases("staff should get more training")
    assert phrases("interpreters who explain") & phrases("an interpreter who explains")
    assert not phrases("my social worker is kind") & phrases("a racist social worker")
    assert phrases("a church or mosque where I belong") & phrases("going to the mosque or church")
    rules = exclude_rules("being heard (use asked_listened); x (use a or asked_listened)", {
        "asked_listened", "a"})  # fmt: skip
    assert [targets for _, targets, _ in rules] == [{"asked_listened"}, {"a", "asked_listened"}]
    assert rules[0][0].strip() == "being heard"


def test_the_check_fails_on_the_pilot_contradictions() -> None:
    """The codebook before its revision: "no interpreter" in two includes, and training
    included in one code and excluded to another that does not include it."""
    pilot = parse_yaml_codebook(
        """
name: pilot
codes:
  - {id: g, label: G, codable: false}
  - {id: interpreters, parent: g, label: I, definition: d,
     include: "needing an interpreter, no interpreter there", exclude: "x (use resource_gaps)"}
  - {id: resource_gaps, parent: g, label: R, definition: d,
     include: "no interpreter available; staff too busy", exclude: "x (use interpreters)"}
  - {id: specialist, parent: g, label: S, definition: d,
     include: "staff should get more training",
     exclude: "more training as a gap in provision (use resource_gaps)"}
""",
        "pilot.yaml",
    )
    found = overlaps(pilot)
    assert sorted(found) == [("interpreters", "resource_gaps"), ("specialist", "specialist")]
    assert "share [('interpreter', 'no')]" in found[("interpreters", "resource_gaps")][0]
    assert found[("specialist", "specialist")] == [
        "exclude of specialist ('more training as a gap in provision (use resource_gaps)') "
        "matches include of specialist ('staff should get more training') but does not send "
        "it there"
    ]


def test_every_code_names_its_source_documents_and_sections(codebook) -> None:
    for code in codebook.codes:
        assert code.provenance, code.id
        for part in code.provenance.split(";"):
            document, _, section = part.strip().partition(", ")
            assert document in SOURCES, f"{code.id}: {part!r} names no source document"
            assert section.strip(), f"{code.id}: {part!r} names no section"
    cited = {
        part.strip().partition(", ")[0] for c in codebook.codes for part in c.provenance.split(";")
    }
    assert cited == set(SOURCES)


def test_every_codable_code_serves_at_least_one_thematic_priority(codebook) -> None:
    by_priority = {name: [] for name in PRIORITIES}
    for code in codebook.codable():
        assert code.priorities, code.id
        for name in code.priorities:
            by_priority[name].append(code.id)
    assert all(by_priority.values()), by_priority
    assert [c.id for c in codebook.codes if not c.codable and c.priorities] == []


def test_the_readme_tables_match_the_codebook(codebook) -> None:
    """The codebook README's structure and priorities tables list what the file holds."""
    readme = (REPO_ROOT / "codebook" / "README.md").read_text(encoding="utf-8")
    for name in PRIORITIES:
        row = re.search(rf"^\| {name} \| (.*) \|$", readme, re.MULTILINE)
        assert row, name
        listed = re.findall(r"`([a-z0-9_]+)`", row.group(1))
        assert listed == [c.id for c in codebook.codable() if name in c.priorities], name
    structure = readme.split("## Structure", 1)[1].split("Placements", 1)[0]
    listed = re.findall(r"`([a-z0-9_]+)` ", structure)
    assert set(listed) == {c.id for c in codebook.codes}
    assert f"and {len(codebook.codable())} codable codes" in structure

"""Themes: the catalogue, the framework's themes, candidate themes, quotes and their
attribution, and the Framework Method matrix. The project is the one described in
test_tracking; expected values are worked out by hand in the comments."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from qualcode.coding.layers import parse_layer
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes import code_vectors as code_vectors_module
from qualcode.themes.attribution import DEFAULT_TEMPLATE, attribute, check_template, month_year
from qualcode.themes.candidates import accept_proposal, propose_themes
from qualcode.themes.catalog import (
    add_codes,
    create_theme,
    delete_theme,
    get_theme,
    list_themes,
    remove_codes,
    update_theme,
)
from qualcode.themes.cooccurrence import cooccurrence
from qualcode.themes.framework import create_framework_themes
from qualcode.themes.matrix import framework_matrix, set_summary, summary_history
from qualcode.themes.quotes import illustrative_quotes, pin_quote, unpin_quote

from .conftest import rows
from .test_tracking import coded_project, seg


@pytest.fixture
def coded(tmp_path: Path) -> Project:
    return coded_project(tmp_path)


def log(project: Project, action: str) -> list[tuple[str, dict]]:
    return [
        (actor, json.loads(detail))
        for actor, detail in rows(
            project, "SELECT actor, detail FROM action_log WHERE action = ? ORDER BY id", [action]
        )
    ]


# --- the catalogue --------------------------------------------------------------------


def test_create_edit_and_delete_a_theme_with_a_logged_history(coded: Project) -> None:
    theme = create_theme(
        coded,
        "Feeling safe",
        "alice",
        definition="Safety as the ground of everything else.",
        central_concept="Safety first",
        codes=["psychological_safety", "physical_safety"],
    )
    # codes come back in codebook order, whatever order they were given in
    assert theme.codes == ["physical_safety", "psychological_safety"]
    assert (theme.status, theme.origin, theme.created_by) == ("candidate", "manual", "alice")
    sub = create_theme(
        coded, "Safe with people", "bob", parent=theme.id, codes=["guardians_advocates"]
    )
    assert get_theme(coded, theme.id).subthemes == [sub.id]
    assert get_theme(coded, "feeling SAFE").id == theme.id  # by name, any case

    changed = update_theme(coded, theme.id, "bob", status="reviewed", memo="checked with team")
    assert (changed.status, changed.memo) == ("reviewed", "checked with team")
    assert log(coded, "theme.update")[-1] == (
        "bob",
        {"id": theme.id, "before": {"status": "candidate", "memo": ""},
         "after": {"status": "reviewed", "memo": "checked with team"}},
    )  # fmt: skip
    assert add_codes(coded, theme.id, ["safety", "physical_safety"], "alice").codes == [
        "safety", "physical_safety", "psychological_safety",
    ]  # fmt: skip
    assert remove_codes(coded, theme.id, ["safety"], "alice").codes == [
        "physical_safety", "psychological_safety",
    ]  # fmt: skip
    assert log(coded, "theme.codes.add")[-1] == ("alice", {"id": theme.id, "codes": ["safety"]})

    with pytest.raises(QualcodeError, match="has subthemes"):
        delete_theme(coded, theme.id, "alice")
    delete_theme(coded, sub.id, "alice")
    delete_theme(coded, theme.id, "alice")
    assert [t.name for t in list_themes(coded)][
        -1
    ] == "Structural, systemic and discriminatory barriers"
    assert rows(
        coded, "SELECT count(*) FROM theme_codes WHERE theme_id IN (?, ?)", [theme.id, sub.id]
    ) == [(0,)]
    assert log(coded, "theme.delete")[-1][1]["name"] == "Feeling safe"


def test_bad_theme_input_changes_nothing(coded: Project) -> None:
    before = rows(coded, "SELECT count(*) FROM action_log")
    theme = get_theme(coded, 3)
    for call, message in (
        (lambda: create_theme(coded, "  ", "alice"), "needs a name"),
        (lambda: create_theme(coded, "life, SURVIVAL and development (uncrc article 6)", "a"),
         "already exists"),
        (lambda: create_theme(coded, "X", "alice", status="done"), "status must be one of"),
        (lambda: create_theme(coded, "X", "alice", codes=["nope"]), "no code 'nope'"),
        (lambda: create_theme(coded, "X", "alice", codes=["art6"]), "'art6' is a group"),
        (lambda: create_theme(coded, "X", "alice", parent=99), "no theme 99"),
        (lambda: create_theme(coded, "X", ""), "needs who made it"),
        (lambda: update_theme(coded, 3, "alice", parent=3), "its own parent"),
        (lambda: update_theme(coded, 3, "alice", origin="manual"), "cannot edit 'origin'"),
        (lambda: remove_codes(coded, 3, ["legal_advice"], "alice"), "has no code 'legal_advice'"),
        (lambda: get_theme(coded, "Nonexistent"), "no theme 'Nonexistent'"),
    ):  # fmt: skip
        with pytest.raises(QualcodeError, match=message):
            call()
    sub = create_theme(coded, "Sub", "alice", parent=3)
    with pytest.raises(QualcodeError, match="subtheme of its subtheme"):
        update_theme(coded, 3, "alice", parent=sub.id)
    assert get_theme(coded, 3) == get_theme(coded, theme.id)
    assert rows(coded, "SELECT count(*) FROM action_log")[0][0] == before[0][0] + 1


def test_framework_themes_are_created_once(coded: Project) -> None:
    themes = list_themes(coded)
    assert [(t.framework_group, t.origin, len(t.codes)) for t in themes] == [
        ("art2", "framework", 3), ("art3", "framework", 5), ("art6", "framework", 14),
        ("art12", "framework", 3), ("barriers", "framework", 14),
    ]  # fmt: skip
    art6 = themes[2]
    assert art6.codes[:3] == ["safety", "physical_safety", "psychological_safety"]
    assert art6.definition.startswith("Outcomes young people linked to the right to life")
    assert log(coded, "theme.create")[0][0] == "tester"
    update_theme(coded, art6.id, "alice", name="Safety and development")
    again = create_framework_themes(coded, "alice")
    assert (again.created, again.existing) == ([], [1, 2, 3, 4, 5])
    assert [t.name for t in again.themes][2] == "Safety and development"
    assert len(list_themes(coded)) == 5


def test_framework_themes_need_a_codebook(project: Project) -> None:
    with pytest.raises(QualcodeError, match="no codebook loaded"):
        create_framework_themes(project, "alice")


def test_a_retired_code_keeps_its_codings_in_a_framework_theme_made_later(
    tmp_path: Path,
) -> None:
    """not_listened (bob on b2: Location 1 YP3, session 2) is retired before the
    framework themes exist; resource_gaps, never applied, is retired too."""
    from qualcode.codebook.edit import retire_code
    from qualcode.codebook.versions import current_codebook
    from qualcode.exports.api import build_table

    from .test_tracking import build_coded

    project = build_coded(Project.init(tmp_path / "p.duckdb"), tmp_path, framework=False)
    retire_code(project, "not_listened", "alice")
    retire_code(project, "resource_gaps", "alice")
    create_framework_themes(project, "alice")
    barriers = next(t for t in list_themes(project) if t.framework_group == "barriers")
    assert "not_listened" in barriers.codes and "resource_gaps" not in barriers.codes
    book = current_codebook(project)
    under_barriers = {c.id for c in book.codes if c.codable and book.top_level(c.id) == "barriers"}
    assert set(barriers.codes) == under_barriers - {"resource_gaps"}  # less the unapplied one
    table = build_table(project, "themes", "all")
    row = next(r for r in table.rows if r[0] == barriers.name)
    assert "Not feeling listened to (retired)" in row[1].split("; ")
    assert row[3:6] == ["1/5", 1, "Location 1 (session 2)"]
    assert (
        row[6]
        == "\u201cNobody listens to us.\u201d (young person, location 1, session 2, March 2022)"
    )
    assert any(n.startswith("(retired): a code retired") for n in table.notes)
    with pytest.raises(QualcodeError, match="'resource_gaps' is retired"):
        add_codes(project, barriers.id, ["resource_gaps"], "alice")


# --- candidate themes -------------------------------------------------------------------


def test_cooccurrence_by_hand(coded: Project) -> None:
    with coded.connect(read_only=True) as con:
        same = cooccurrence(con, parse_layer("all"), window=0)
        near = cooccurrence(con, parse_layer("all"), window=1)
    sim = same.similarity()
    i = {c: k for k, c in enumerate(same.codes)}
    # window 0: physical {a1}, psychological {a1, b1, c2}: 1 / sqrt(1 * 3)
    assert sim[i["physical_safety"], i["psychological_safety"]] == pytest.approx(1 / math.sqrt(3))
    # psychological {a1, b1, c2} and guardians {c1, c2}: 1 / sqrt(3 * 2)
    assert sim[i["psychological_safety"], i["guardians_advocates"]] == pytest.approx(
        1 / math.sqrt(6)
    )
    assert same.counts[i["legal_advice"], i["asked_listened"]] == 0
    assert same.segments == {
        "physical_safety": 1, "psychological_safety": 3, "legal_advice": 1,
        "asked_listened": 1, "education": 2, "not_listened": 1, "guardians_advocates": 2,
    }  # fmt: skip
    # window 1: legal (a2) is in the windows of a1, a2, a3; asked (a3) in those of a2, a3:
    # both in 2 windows of 3 and 2: 2 / sqrt(3 * 2)
    j = {c: k for k, c in enumerate(near.codes)}
    assert near.counts[j["legal_advice"], j["legal_advice"]] == 3
    assert near.similarity()[j["legal_advice"], j["asked_listened"]] == pytest.approx(
        2 / math.sqrt(6)
    )


def test_proposals_from_cooccurrence_alone_write_nothing(coded: Project) -> None:
    before = rows(coded, "SELECT count(*) FROM action_log")
    found = propose_themes(coded, "all", window=0, threshold=0.5)
    assert found.basis == "co-occurrence" and found.model is None
    assert found.note == (
        "co-occurrence only: no coded segment has a cached embedding (suggesting codes makes them)"
    )
    # only physical/psychological are nearer than 0.5 (distance 1 - 0.577); merged, the pair
    # is on average 0.796 from education and guardians and 1 from everything else
    assert [p.codes for p in found.proposals] == [["physical_safety", "psychological_safety"]]
    proposal = found.proposals[0]
    assert proposal.cooccurrence == pytest.approx(0.5774) == proposal.cohesion
    assert proposal.segments == 3  # a1, b1, c2
    assert proposal.embedding_similarity is None and proposal.groups == ["art6"]
    assert proposal.name == "Psychological safety / Physical safety and safe accommodation"
    assert rows(coded, "SELECT count(*) FROM action_log") == before
    assert len(list_themes(coded)) == 5


def test_without_the_suggestion_engine_it_says_so(coded: Project, monkeypatch) -> None:
    monkeypatch.setattr(code_vectors_module, "_hash_function", lambda: None)
    found = propose_themes(coded, "all")
    assert found.note == "co-occurrence only: the suggestion engine is not installed"


def put_vectors(project: Project, by_text: dict[str, list[float]], model: str = "test-model"):
    """Vectors in the suggestion engine's cache, keyed as the engine keys them."""
    text_hash = pytest.importorskip("qualcode.suggest.text").text_hash
    with project.transaction() as con:
        for text, vector in by_text.items():
            unit = np.asarray(vector, dtype=np.float32) / np.linalg.norm(vector)
            con.execute(
                "INSERT INTO embeddings (model, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
                [model, text_hash(text), len(vector), unit.tolist()],
            )


def test_proposals_with_cached_embeddings(coded: Project) -> None:
    # consensus layer: physical a1, legal a2, education b1, guardians c1, psychological c2;
    # one code per segment, so no co-occurrence at window 0
    put_vectors(
        coded,
        {
            "I feel safe in my room now.": [1, 0, 0],
            "I feel safe with my guardian.": [1, 0, 0],
            "My solicitor explained my case.": [0, 1, 0],
            "My guardian helps me with everything.": [0, 1, 0],
            "College is good and I feel safe there.": [0, 0, 1],
        },
    )
    found = propose_themes(coded, "consensus", window=0)
    assert found.basis == "co-occurrence and embeddings" and found.model == "test-model"
    assert found.note == "embeddings: test-model, cached for 5 of 5 coded segments"
    # cosines: physical-psychological 1, legal-guardians 1, the other 8 pairs 0; median 0,
    # so rescaled they stay; similarity = (0 + 1) / 2 for the two pairs, distance 0.5 < 0.75
    assert [(p.codes, p.cohesion, p.cooccurrence, p.embedding_similarity, p.segments)
            for p in found.proposals] == [
        (["legal_advice", "guardians_advocates"], 0.5, 0.0, 1.0, 2),
        (["physical_safety", "psychological_safety"], 0.5, 0.0, 1.0, 2),
    ]  # fmt: skip
    assert found.proposals[0].name == "Quality legal advice / Independent guardians and advocates"
    assert found.proposals[0].key == "guardians_advocates+legal_advice"
    without = propose_themes(coded, "consensus", window=0)
    assert without.proposals == found.proposals  # reading vectors never changes anything


def test_accepting_a_proposal_as_offered_or_edited(coded: Project) -> None:
    proposal = propose_themes(coded, "all", window=0, threshold=0.5).proposals[0]
    theme = accept_proposal(coded, proposal, "alice")
    assert (theme.name, theme.origin, theme.status) == (proposal.name, "suggestion", "candidate")
    assert theme.codes == ["physical_safety", "psychological_safety"]
    assert theme.memo == (
        "Accepted from a candidate proposal (physical_safety+psychological_safety): mean "
        "co-occurrence 0.58; 3 coded segments."
    )
    edited = accept_proposal(
        coded, proposal, "bob", name="Safe places", codes=["physical_safety", "safety"],
        definition="Where young people feel safe.",
    )  # fmt: skip
    assert (edited.name, edited.codes, edited.created_by) == (
        "Safe places", ["safety", "physical_safety"], "bob",
    )  # fmt: skip
    with pytest.raises(QualcodeError, match="at least one code"):
        accept_proposal(coded, proposal, "bob", name="Empty", codes=[])
    assert [entry[0] for entry in log(coded, "theme.create")][-2:] == ["alice", "bob"]


def test_proposal_input_is_checked(coded: Project) -> None:
    with pytest.raises(QualcodeError, match="window"):
        propose_themes(coded, window=-1)
    with pytest.raises(QualcodeError, match="threshold"):
        propose_themes(coded, threshold=0)
    with pytest.raises(QualcodeError, match="unknown coder"):
        propose_themes(coded, "coder:zed")


# --- quotes and attribution -------------------------------------------------------------


def test_default_quotes_by_agreement_then_length_never_facilitators(coded: Project) -> None:
    # art6, all layer: a0 is a facilitator's; a1, b1, c2 each have 2 coders; 7, 8 and 6
    # words, so closest to 25 words first: b1, a1, c2
    quotes = illustrative_quotes(coded, "theme", 3, "all")
    assert [(q.text, q.coders, q.pinned) for q in quotes] == [
        ("College is good and I feel safe there.", 2, False),
        ("I feel safe in my room now.", 2, False),
        ("I feel safe with my guardian.", 2, False),
    ]
    assert quotes[0].attribution == "(young person, location 1, session 2, March 2022)"
    assert quotes[2].attribution == "(young person, location 2, session 1, May 2022)"
    # art3: c1 and a2 have 2 coders (6 and 5 words), c2 only alice's guardians_advocates
    assert [(q.text, q.coders) for q in illustrative_quotes(coded, "theme", 2, "all")] == [
        ("My guardian helps me with everything.", 2),
        ("My solicitor explained my case.", 2),
        ("I feel safe with my guardian.", 1),
    ]
    # a code: psychological_safety: c2 by both, then b1 (8 words) before a1 (7)
    assert [
        q.text for q in illustrative_quotes(coded, "code", "psychological_safety", "all", n=2)
    ] == [
        "I feel safe with my guardian.",
        "College is good and I feel safe there.",
    ]
    # the consensus layer only offers its own segments; agreement still counts the coders
    consensus = illustrative_quotes(coded, "theme", 3, "consensus", n=1)
    assert [(q.text, q.coders) for q in consensus] == [
        ("College is good and I feel safe there.", 2)
    ]


def test_pinned_quotes_replace_the_default_choice(coded: Project) -> None:
    a0, a1, b2 = seg(coded, "a.txt", 0), seg(coded, "a.txt", 1), seg(coded, "b.txt", 2)
    assert pin_quote(coded, "theme", 3, a1, "alice", "all") == 1
    # a researcher may pin anything coded in the layer, a facilitator's words too
    assert pin_quote(coded, "theme", "3", a0, "alice", "all") == 2
    quotes = illustrative_quotes(coded, "theme", 3, "all")
    assert [(q.segment_id, q.pinned) for q in quotes] == [(a1, True), (a0, True)]
    assert quotes[1].attribution == "(facilitator, location 1, session 1, March 2022)"
    # pins belong to their layer: the consensus layer keeps its default choice
    assert not any(q.pinned for q in illustrative_quotes(coded, "theme", 3, "consensus"))
    with pytest.raises(QualcodeError, match="not coded with a code of theme .* in layer all"):
        pin_quote(coded, "theme", 3, b2, "alice", "all")
    # a0 is coded by alice only: not in the consensus layer
    with pytest.raises(QualcodeError, match="in layer consensus"):
        pin_quote(coded, "theme", 3, a0, "alice")
    with pytest.raises(QualcodeError, match="already pinned"):
        pin_quote(coded, "theme", 3, a1, "alice", "all")
    pin_quote(coded, "theme", 3, seg(coded, "c.txt", 2), "alice", "all")
    with pytest.raises(QualcodeError, match="already has 3 pinned quotes in layer all"):
        pin_quote(coded, "theme", 3, seg(coded, "b.txt", 1), "alice", "all")
    assert pin_quote(coded, "theme", 3, seg(coded, "b.txt", 1), "alice") == 1  # consensus
    unpin_quote(coded, "theme", 3, a1, "bob", "all")
    assert rows(
        coded, "SELECT layer, segment_id, position FROM pinned_quotes ORDER BY layer, position"
    ) == [("all", a0, 1), ("all", seg(coded, "c.txt", 2), 2),
          ("consensus", seg(coded, "b.txt", 1), 1)]  # fmt: skip
    with pytest.raises(QualcodeError, match="is not pinned"):
        unpin_quote(coded, "theme", 3, a1, "bob", "all")
    assert pin_quote(coded, "code", "physical_safety", a1, "alice", "all") == 1
    assert [q.pinned for q in illustrative_quotes(coded, "code", "physical_safety", "all")] == [
        True
    ]
    with pytest.raises(QualcodeError, match="no code 'art6'"):
        pin_quote(coded, "code", "art6", a1, "alice", "all")
    assert [a for a, _ in log(coded, "quote.pin")] == ["alice"] * 5
    assert log(coded, "quote.unpin") == [
        ("bob", {"target_type": "theme", "target_id": "3", "layer": "all", "segment_id": a1})
    ]


def test_attribution_template() -> None:
    fill = {"speaker": "YP2", "location": "Location 3", "session": "2", "date": "2022-05-24"}
    assert attribute(DEFAULT_TEMPLATE, **fill) == "(young person, location 3, session 2, May 2022)"
    assert attribute("({speaker}, {location}, {year})", **fill) == "(YP2, location 3, 2022)"
    assert attribute(DEFAULT_TEMPLATE, speaker="YP1", location="Location 1", session="1",
                     date=None) == "(young person, location 1, session 1)"  # fmt: skip
    assert attribute(DEFAULT_TEMPLATE, speaker="YP1", location="Location A", session=None,
                     date="June 2021") == "(young person, location A, June 2021)"  # fmt: skip
    assert month_year("2022-11-03") == ("November", "2022")
    assert month_year("spring 2020") == ("", "2020") and month_year(None) == ("", "")
    with pytest.raises(QualcodeError, match=r"unknown field '\{name\}'"):
        check_template("({name})")
    with pytest.raises(QualcodeError, match="attribution template"):
        check_template("({location")


# --- the framework matrix ---------------------------------------------------------------


def test_participant_matrix_by_theme(coded: Project) -> None:
    matrix = framework_matrix(coded, "participant", "theme", "all")
    assert [key for key, _ in matrix.rows] == [
        "Location 1 / YP1", "Location 1 / YP2", "Location 1 / YP3",
        "Location 2 / YP1", "Location 2 / YP2",
    ]  # fmt: skip
    assert [key for key, _ in matrix.columns] == ["1", "2", "3", "4", "5"]
    cell = matrix.cell("Location 1 / YP1", "3")
    assert [(e.text, e.attribution) for e in cell.excerpts] == [
        ("I feel safe in my room now.", "(young person, location 1, session 1, March 2022)"),
        ("College is good and I feel safe there.",
         "(young person, location 1, session 2, March 2022)"),
    ]  # fmt: skip
    assert [e.text for e in matrix.cell("Location 2 / YP2", "2").excerpts] == [
        "I feel safe with my guardian."
    ]
    assert matrix.cell("Location 1 / YP3", "3").excerpts == []


def test_session_and_location_rows_include_facilitators(coded: Project) -> None:
    sessions = framework_matrix(coded, "session", "code", "coder:alice")
    assert [key for key, _ in sessions.rows] == [
        "Location 1 / session 1", "Location 1 / session 2", "Location 2 / session 1",
    ]  # fmt: skip
    assert [
        (e.speaker, e.attribution)
        for e in sessions.cell("Location 1 / session 1", "education").excerpts
    ] == [("Facilitator", "(facilitator, location 1, session 1, March 2022)")]
    places = framework_matrix(coded, "location", "theme", "consensus")
    assert [key for key, _ in places.rows] == ["Location 1", "Location 2"]
    assert [e.text for e in places.cell("Location 2", "2").excerpts] == [
        "My guardian helps me with everything."
    ]


def test_summaries_are_versioned_and_logged(coded: Project) -> None:
    assert (
        set_summary(
            coded,
            "participant",
            "Location 1 / YP1",
            "theme",
            "3",
            "Safe at home.",
            "alice",
            "all",
        )
        == 1
    )
    assert (
        set_summary(
            coded,
            "participant",
            "Location 1 / YP1",
            "theme",
            "3",
            "Safe at home and college.",
            "bob",
            "all",
        )
        == 2
    )
    cell = framework_matrix(coded, "participant", "theme", "all").cell("Location 1 / YP1", "3")
    assert (cell.summary, cell.summary_version, cell.summary_author) == (
        "Safe at home and college.", 2, "bob",
    )  # fmt: skip
    history = summary_history(coded, "participant", "Location 1 / YP1", "theme", "3", "all")
    assert [(h["version"], h["text"], h["author"]) for h in history] == [
        (1, "Safe at home.", "alice"), (2, "Safe at home and college.", "bob"),
    ]  # fmt: skip
    assert [(a, d["version"]) for a, d in log(coded, "matrix.summary")] == [
        ("alice", 1),
        ("bob", 2),
    ]
    # a summary of a session matrix is another cell
    assert (
        framework_matrix(coded, "session", "theme", "all")
        .cell("Location 1 / session 1", "3")
        .summary
        is None
    )
    for call, message in (
        (lambda: set_summary(coded, "participant", "Location 9 / YP1", "theme", "3", "x", "a"),
         "no participant 'Location 9 / YP1'"),
        (lambda: set_summary(coded, "participant", "Location 1 / YP1", "theme", "99", "x", "a"),
         "no theme '99'"),
        (lambda: set_summary(coded, "people", "Location 1 / YP1", "theme", "3", "x", "a"),
         "rows must be one of"),
        (lambda: set_summary(coded, "participant", "Location 1 / YP1", "theme", "3", "x", " "),
         "needs its author"),
    ):  # fmt: skip
        with pytest.raises(QualcodeError, match=message):
            call()
    assert rows(coded, "SELECT count(*) FROM matrix_summaries") == [(2,)]


def test_matrix_of_themes_needs_themes(tmp_path: Path, project: Project) -> None:
    from .test_tracking import build_coded

    build_coded(project, tmp_path, framework=False)
    with pytest.raises(QualcodeError, match="no themes yet"):
        framework_matrix(project, "participant", "theme", "all")
    assert len(framework_matrix(project, "participant", "code", "all").columns) == 39

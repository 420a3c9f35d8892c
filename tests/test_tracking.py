"""Tracking themes and codes across locations and sessions, the layers, participants,
and the materialised coding state. Expected values are worked out by hand below.

The small project (`build_coded`) used here and by the other theme/export tests:

  a.txt  Location 1, session 1, 2022-03-08       all = alice or bob     consensus
    a0 Facilitator: What makes a good day?         education (alice)      -
    a1 YP1: I feel safe in my room now.            physical_safety (a, b; bob also a span)
                                                   psychological_safety (b)  physical_safety
    a2 YP2: My solicitor explained my case.        legal_advice (a, b)    legal_advice
    a3 YP1: The police listened to me.             asked_listened (a)     -
  b.txt  Location 1, session 2, 2022-03-22
    b0 Facilitator: Tell us about college.         -
    b1 YP1: College is good and I feel safe there. education (a, b), psychological_safety (a)
                                                                          education
    b2 YP3: Nobody listens to us.                  not_listened (b)       -
  c.txt  Location 2, session 1, 2022-05-10
    c0 Facilitator 2: Who helps you?               -
    c1 YP1: My guardian helps me with everything.  guardians_advocates (a, b)
                                                   (bob's trusting_relationships removed)
                                                                          guardians_advocates
    c2 YP2: I feel safe with my guardian.          psychological_safety (a, b),
                                                   guardians_advocates (a)  psychological_safety

Participants: Location 1 YP1, YP2, YP3 and Location 2 YP1, YP2 (YP1 twice: N = 5).
Framework themes: 1 art2, 2 art3, 3 art6, 4 art12, 5 barriers.
"""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
from pathlib import Path

import pytest

from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.coding.layers import Layer, parse_layer
from qualcode.coding.state import applied_sql, mask_bits, positions, refresh_coding_state
from qualcode.errors import QualcodeError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.store import Project
from qualcode.themes.catalog import create_theme
from qualcode.themes.framework import create_framework_themes
from qualcode.themes.ordering import natural_key
from qualcode.themes.people import is_facilitator, is_participant, role
from qualcode.themes.targets import read_targets
from qualcode.themes.tracking import track, track_with

from .conftest import REPO_ROOT, rows

FILES = {
    "a.txt": (
        "Location 1", "1", "2022-03-08",
        "Facilitator: What makes a good day?\n"
        "YP1: I feel safe in my room now.\n"
        "YP2: My solicitor explained my case.\n"
        "YP1: The police listened to me.\n",
    ),
    "b.txt": (
        "Location 1", "2", "2022-03-22",
        "Facilitator: Tell us about college.\n"
        "YP1: College is good and I feel safe there.\n"
        "YP3: Nobody listens to us.\n",
    ),
    "c.txt": (
        "Location 2", "1", "2022-05-10",
        "Facilitator 2: Who helps you?\n"
        "YP1: My guardian helps me with everything.\n"
        "YP2: I feel safe with my guardian.\n",
    ),
}  # fmt: skip


def seg(project: Project, title: str, ordinal: int) -> int:
    """The id of a document's segment by title and ordinal."""
    return rows(
        project,
        "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
        "WHERE d.title = ? AND s.ordinal = ?",
        [title, ordinal],
    )[0][0]


def build_coded(project: Project, directory: Path, framework: bool = True) -> Project:
    """The small project of the module docstring."""
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    lines = ["file,location,session,date"]
    for name, (location, session, date, text) in FILES.items():
        (directory / name).write_text(text, encoding="utf-8")
        lines.append(f"{name},{location},{session},{date}")
    (directory / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest_paths(project, [directory / n for n in FILES], manifest=directory / "manifest.csv")
    s = {
        f"{name[0]}{i}": seg(project, name, i)
        for name in FILES
        for i in range(4 if name == "a.txt" else 3)
    }
    a1_start = rows(project, "SELECT start_offset FROM segments WHERE id = ?", [s["a1"]])[0][0]
    d = Decision
    record_decisions(
        project,
        [
            d(s["a0"], "education", "alice", "add"),
            d(s["a1"], "physical_safety", "alice", "add"),
            d(s["a1"], "physical_safety", "bob", "accept", "suggestion", 0.8),
            d(s["a1"], "psychological_safety", "bob", "add"),
            # "in my room" within "YP1: I feel safe in my room now." (segment text after "YP1: ")
            d(s["a1"], "physical_safety", "bob", "add", start=a1_start + 12, end=a1_start + 22),
            d(s["a2"], "legal_advice", "alice", "add"),
            d(s["a2"], "legal_advice", "bob", "add"),
            d(s["a3"], "asked_listened", "alice", "add"),
            d(s["a3"], "asked_listened", "bob", "reject"),
            d(s["b1"], "education", "alice", "add"),
            d(s["b1"], "psychological_safety", "alice", "add"),
            d(s["b1"], "education", "bob", "add"),
            d(s["b2"], "not_listened", "bob", "add"),
            d(s["c1"], "guardians_advocates", "alice", "add"),
            d(s["c1"], "guardians_advocates", "bob", "add"),
            d(s["c1"], "trusting_relationships", "bob", "add"),
            d(s["c1"], "trusting_relationships", "bob", "remove"),
            d(s["c2"], "psychological_safety", "alice", "add"),
            d(s["c2"], "guardians_advocates", "alice", "add"),
            d(s["c2"], "psychological_safety", "bob", "add"),
            d(s["a1"], "physical_safety", "consensus", "add", "adjudication"),
            d(s["a2"], "legal_advice", "consensus", "add", "adjudication"),
            d(s["b1"], "education", "consensus", "add", "adjudication"),
            d(s["c1"], "guardians_advocates", "consensus", "add", "adjudication"),
            d(s["c2"], "psychological_safety", "consensus", "add", "adjudication"),
        ],
    )
    add_coder(project, "carol")  # registered, never coded
    if framework:
        create_framework_themes(project, "tester")
    return project


_TEMPLATE: list[Path] = []


def coded_project(tmp_path: Path) -> Project:
    """A fresh copy of the small project (built once per test run, then copied)."""
    if not _TEMPLATE:
        base = Path(tempfile.mkdtemp(prefix="qualcode-themes-"))
        atexit.register(shutil.rmtree, base, True)
        build_coded(Project.init(base / "template.duckdb"), base)
        _TEMPLATE.append(base / "template.duckdb")
    target = tmp_path / "coded.duckdb"
    shutil.copy(_TEMPLATE[0], target)
    wal = _TEMPLATE[0].with_name("template.duckdb.wal")
    if wal.exists():
        shutil.copy(wal, target.with_name("coded.duckdb.wal"))
    return Project.open(target)


@pytest.fixture
def coded(tmp_path: Path) -> Project:
    return coded_project(tmp_path)


def test_the_fixture_is_what_the_docstring_says(coded: Project) -> None:
    texts = [r[0] for r in rows(coded, "SELECT text FROM segments ORDER BY id")]
    assert texts[:2] == ["What makes a good day?", "I feel safe in my room now."]
    assert [r[0] for r in rows(coded, "SELECT name FROM themes ORDER BY id")] == [
        "Non-discrimination (UNCRC Article 2)",
        "Best interests of the child (UNCRC Article 3)",
        "Life, survival and development (UNCRC Article 6)",
        "Participation, the right to be heard (UNCRC Article 12)",
        "Structural, systemic and discriminatory barriers",
    ]


def counts(tracking, kind: str, target: str, scope: str = "total", location=None, session=None):
    row = tracking.get(kind, target, scope, location, session)
    return row.segments, row.participants, row.documents


def test_all_layer_by_hand(coded: Project) -> None:
    t = track(coded, "all")
    assert t.layer == "all"
    assert (t.participants_total, t.documents_total) == (5, 3)
    assert t.cases == [("Location 1", "1"), ("Location 1", "2"), ("Location 2", "1")]
    # art6: a0 (facilitator: a segment, not a participant), a1, b1, c2;
    # participants Location 1 YP1 (a1, b1) and Location 2 YP2 (c2); documents a, b, c
    assert counts(t, "theme", "3") == (4, 2, 3)
    assert counts(t, "theme", "3", "cell", "Location 1", "1") == (2, 1, 1)
    assert counts(t, "theme", "3", "cell", "Location 1", "2") == (1, 1, 1)
    assert counts(t, "theme", "3", "cell", "Location 2", "1") == (1, 1, 1)
    assert counts(t, "theme", "3", "location", "Location 1") == (3, 1, 2)
    # art3: a2 (L1 YP2), c1 (L2 YP1), c2 (L2 YP2): YP1 of Location 2 is not YP1 of Location 1
    assert counts(t, "theme", "2") == (3, 3, 2)
    assert counts(t, "theme", "4") == (1, 1, 1)  # asked_listened on a3 (alice)
    assert counts(t, "theme", "5") == (1, 1, 1)  # not_listened on b2
    assert counts(t, "theme", "1") == (0, 0, 0)
    # a code: psychological_safety on a1 (bob), b1 (alice), c2 (both)
    assert counts(t, "code", "psychological_safety") == (3, 2, 3)
    # bob's span and whole-segment physical_safety on a1 are one segment
    assert counts(t, "code", "physical_safety") == (1, 1, 1)
    # added then removed: not a current coding
    assert counts(t, "code", "trusting_relationships") == (0, 0, 0)
    # the education codings: facilitator a0 and YP1 b1
    assert counts(t, "code", "education") == (2, 1, 2)


def test_consensus_and_coder_layers(coded: Project) -> None:
    consensus = track(coded, "consensus")
    assert counts(consensus, "theme", "3") == (3, 2, 3)  # a1, b1, c2
    assert counts(consensus, "theme", "2") == (2, 2, 2)  # a2, c1
    assert counts(consensus, "theme", "4") == (0, 0, 0)
    bob = track(coded, "coder:bob")
    assert counts(bob, "theme", "3") == (3, 2, 3)  # a1, b1, c2 (no facilitator coding)
    assert counts(bob, "theme", "5") == (1, 1, 1)
    alice = track(coded, "coder:alice")
    assert counts(alice, "theme", "3") == (4, 2, 3)
    assert counts(alice, "theme", "5") == (0, 0, 0)


def test_rows_are_ordered_and_cover_every_target(coded: Project) -> None:
    t = track(coded, "all")
    totals = [(r.kind, r.id) for r in t.rows if r.scope == "total"]
    assert totals[:5] == [("theme", str(i)) for i in range(1, 6)]
    assert ("code", "interpreters") in totals  # zero rows for targets nobody coded
    first = [(r.scope, r.location, r.session) for r in t.rows if r.id == "3"]
    assert first == [
        ("total", None, None),
        ("location", "Location 1", None),
        ("location", "Location 2", None),
        ("cell", "Location 1", "1"),
        ("cell", "Location 1", "2"),
        ("cell", "Location 2", "1"),
    ]


def test_subthemes_count_with_their_parent(coded: Project) -> None:
    parent = create_theme(coded, "Feeling safe", "alice", codes=["physical_safety"])
    create_theme(
        coded, "Safe with people", "alice", parent=parent.id, codes=["guardians_advocates"]
    )
    t = track(coded, "all", codes=False)
    # physical_safety: a1; guardians_advocates: c1, c2
    assert counts(t, "theme", str(parent.id)) == (3, 3, 2)


def test_every_mask_path_gives_the_same_rows(coded: Project) -> None:
    refresh_coding_state(coded)
    with coded.connect(read_only=True) as con:
        assert mask_bits(con) is not None  # fresh state: stored per-(coder, segment) masks
        targets = read_targets(con)
        for layer in ("all", "consensus", "coder:bob"):
            stored = track_with(con, parse_layer(layer), targets)
            assert stored == track_with(con, parse_layer(layer), targets, stored=False)
            assert stored == track_with(con, parse_layer(layer), targets, wide=True)
    # code bits in order of first coding: education (a0, alice) first
    assert rows(coded, "SELECT code_id, bit FROM code_bits ORDER BY bit")[:2] == [
        ("education", 0), ("physical_safety", 1),
    ]  # fmt: skip
    a1 = seg(coded, "a.txt", 1)
    # bob on a1: physical (bit 1), psychological (bit 2); the span adds nothing new
    assert rows(coded, "SELECT mask FROM segment_masks WHERE coder = 'bob' AND segment_id = ?",
                [a1]) == [(0b110,)]  # fmt: skip


def test_more_codes_than_a_mask_holds(project: Project, tmp_path: Path) -> None:
    codes = "\n".join(
        f"  - id: c{i}\n    label: Code {i}\n    definition: code number {i}" for i in range(130)
    )
    (tmp_path / "big.yaml").write_text(f"name: Big\ncodes:\n{codes}\n")
    load_codebook(project, tmp_path / "big.yaml")
    (tmp_path / "t.txt").write_text("YP1: One.\nYP2: Two.\n")
    ingest_paths(project, [tmp_path / "t.txt"], location="Location 1", session="1")
    record_decisions(
        project,
        [Decision(1 + i % 2, f"c{i}", "alice", "add") for i in range(130)]
        + [Decision(2, "c129", "alice", "remove")],
    )
    create_theme(project, "Last ones", "alice", codes=["c128", "c129"])
    t = track(project, "all")
    with project.connect(read_only=True) as con:
        assert mask_bits(con) is None  # bits 128 and 129 do not fit: the state is read
    # code i goes on segment 1 + i % 2: c128 on segment 1; c129 on segment 2, then removed
    assert counts(t, "code", "c128") == (1, 1, 1)
    assert counts(t, "code", "c129") == (0, 0, 0)
    assert counts(t, "theme", "1") == (1, 1, 1)
    assert counts(t, "code", "c1") == (1, 1, 1)


def test_state_matches_the_codings_view_stale_or_fresh(coded: Project) -> None:
    def current() -> set[tuple]:
        with coded.connect(read_only=True) as con:
            return set(con.execute(f"SELECT * FROM {applied_sql(con)}").fetchall())

    view = set(
        rows(coded, "SELECT segment_id, start_offset, end_offset, code_id, coder FROM codings")
    )
    with coded.connect(read_only=True) as con:
        assert positions(con) == (0, 25)  # nothing folded yet: all merged in the query
    assert current() == view and len(view) == 22
    assert refresh_coding_state(coded) == 25
    assert refresh_coding_state(coded) == 0
    assert current() == view
    stale = track(coded, "all", refresh=False)
    # new events after the fold: a removal, a re-add, a new coding
    a1 = seg(coded, "a.txt", 1)
    record_decisions(
        coded,
        [
            Decision(a1, "psychological_safety", "bob", "remove"),
            Decision(a1, "physical_safety", "alice", "remove"),
            Decision(a1, "physical_safety", "alice", "add"),
            Decision(seg(coded, "b.txt", 2), "equality", "alice", "add"),
        ],
    )
    view = set(
        rows(coded, "SELECT segment_id, start_offset, end_offset, code_id, coder FROM codings")
    )
    assert current() == view and len(view) == 22  # merged: one gone, one new
    merged = track(coded, "all", refresh=False)
    assert counts(merged, "code", "psychological_safety") == (2, 2, 2)
    assert counts(merged, "code", "equality") == (1, 1, 1)
    assert merged.rows != stale.rows
    assert track(coded, "all").rows == merged.rows  # folds, then reads the stored state
    with coded.connect(read_only=True) as con:
        assert positions(con) == (29, 29)
    assert current() == view


def test_layers_parse_and_check(coded: Project, project: Project) -> None:
    assert parse_layer("consensus") == Layer("consensus")
    assert parse_layer("coder:bob") == Layer("coder", "bob")
    assert parse_layer("coder:consensus") == Layer("consensus")
    assert parse_layer("all").name == "all" and Layer("coder", "bob").name == "coder:bob"
    for bad, message in (
        ("everyone", "unknown layer 'everyone'"),
        ("coder:", "needs a coder name"),
        ("", "unknown layer"),
    ):
        with pytest.raises(QualcodeError, match=message):
            parse_layer(bad)
    with pytest.raises(QualcodeError, match="unknown coder 'dave' in layer 'coder:dave'"):
        track(coded, "coder:dave")
    with pytest.raises(QualcodeError, match="layer 'coder:carol' has no codings yet"):
        track(coded, "coder:carol")


def test_empty_project_and_empty_consensus(project: Project, tmp_path: Path) -> None:
    with pytest.raises(QualcodeError, match="no codebook loaded"):
        track(project, "all")
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    with pytest.raises(QualcodeError, match="no documents yet"):
        track(project, "all")
    (tmp_path / "t.txt").write_text("YP1: Hello there.\n")
    ingest_paths(project, [tmp_path / "t.txt"], location="Location 1", session="1")
    with pytest.raises(QualcodeError, match="layer 'all' has no codings yet"):
        track(project, "all")
    record_decisions(project, [Decision(1, "safety", "alice", "add")])
    with pytest.raises(QualcodeError, match="'consensus' has no codings yet.*layer 'all'"):
        track(project, "consensus")
    assert counts(track(project, "all"), "code", "safety") == (1, 1, 1)


def test_participant_rules() -> None:
    for speaker in ("Facilitator", "Facilitator 2", "facilitator", "Interviewer", "Researcher A"):
        assert is_facilitator(speaker) and not is_participant(speaker)
        assert role(speaker) == "facilitator"
    for speaker in ("YP1", "Young person 3", "Amira"):
        assert is_participant(speaker) and not is_facilitator(speaker)
        assert role(speaker) == "young person"
    assert not is_participant(None) and not is_participant("  ") and not is_facilitator(None)


def test_natural_order() -> None:
    values = ["Location 10", "Location 2", None, "Location 1"]
    assert sorted(values, key=natural_key) == ["Location 1", "Location 2", "Location 10", None]
    assert sorted(["10", "9", "1"], key=natural_key) == ["1", "9", "10"]


def test_segments_without_location_or_session_are_counted(project: Project, tmp_path) -> None:
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    (tmp_path / "t.txt").write_text("YP1: I feel safe.\nYP2: Me too.\n")
    ingest_paths(project, [tmp_path / "t.txt"])
    record_decisions(
        project, [Decision(1, "safety", "alice", "add"), Decision(2, "safety", "alice", "add")]
    )
    t = track(project, "all")
    assert t.cases == [(None, None)]
    assert counts(t, "code", "safety") == (2, 2, 1)
    assert counts(t, "code", "safety", "cell", None, None) == (2, 2, 1)
    assert not math.isnan(t.participants_total) and t.participants_total == 2


def test_a_state_ahead_of_its_events_is_rebuilt(coded: Project) -> None:
    refresh_coding_state(coded)
    # against the design (events are never deleted), e.g. a file restored from a backup
    with coded.transaction() as con:
        con.execute("DELETE FROM coding_events WHERE id > 20")
    view = set(rows(coded, "SELECT segment_id, code_id, coder FROM codings"))
    stale = track(coded, "all", refresh=False)
    assert track(coded, "all").rows == stale.rows
    with coded.connect(read_only=True) as con:
        assert positions(con) == (20, 20)
        assert (
            set(
                con.execute(f"SELECT segment_id, code_id, coder FROM {applied_sql(con)}").fetchall()
            )
            == view
        )

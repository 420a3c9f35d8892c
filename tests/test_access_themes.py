"""Access on the analysis built over coding layers: pinned quotes, quote counts, matrix
summaries and themes. A coder learns nothing of another coder's codings from any of them,
and changes only what is theirs; supervisors read every layer.

The project is test_tracking's small one (coders alice and bob, a consensus layer);
sue is a supervisor. Expected values are worked out by hand from its docstring.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode import accounts, store
from qualcode.cli import app as cli_app
from qualcode.coders import add_coder
from qualcode.errors import QualcodeError
from qualcode.exports.api import build_table
from qualcode.store import Project
from qualcode.themes.catalog import (
    add_codes,
    create_theme,
    delete_theme,
    get_theme,
    list_themes,
    remove_codes,
    update_theme,
)
from qualcode.themes.matrix import framework_matrix, set_summary, summary_history
from qualcode.themes.quotes import illustrative_quotes, pin_quote, unpin_quote

from .conftest import load_codebook_at_old_schema, rows
from .suggest_helpers import add_document, write_codebook
from .test_tracking import coded_project, seg

CELL = ("participant", "Location 1 / YP1", "theme", "3")  # art6 for YP1 of Location 1
OWN_ONLY = "a coder sees only their own layer"


@pytest.fixture
def coded(tmp_path: Path) -> Project:
    project = coded_project(tmp_path)
    add_coder(project, "alice")
    add_coder(project, "bob")
    add_coder(project, "sue", "supervisor")
    return project


def segments(project: Project) -> dict[str, int]:
    """a0 .. c2 as in test_tracking's docstring."""
    counts = {"a": 4, "b": 3, "c": 3}
    return {f"{d}{i}": seg(project, f"{d}.txt", i) for d, n in counts.items() for i in range(n)}


def attempt(project: Project, code: str, segment: int, layer: str) -> str:
    """'pinned' (then unpinned again), or the refusal with the segment id blanked."""
    try:
        pin_quote(project, "code", code, segment, "x", layer)
    except QualcodeError as exc:
        return str(exc).replace(f"segment {segment} ", "segment N ")
    unpin_quote(project, "code", code, segment, "x", layer)
    return "pinned"


# alice's current codings of three codes (test_tracking's docstring): bob alone coded
# psychological_safety at a1 and not_listened at b2; both coded guardians_advocates at c1
ALICE = {
    "psychological_safety": {"b1", "c2"},
    "not_listened": set(),
    "guardians_advocates": {"c1", "c2"},
}


def test_a_coder_trying_every_segment_learns_nothing(coded: Project) -> None:
    """Pinning is not an oracle: a segment only bob coded, one nobody coded and one that
    does not exist are refused in the same words; only alice's own codings pin."""
    alice = coded.as_user("alice")
    s = segments(coded)
    by_id = {v: k for k, v in s.items()}
    tried = [*s.values(), max(s.values()) + 1000]
    labels = {code: rows(coded, "SELECT label FROM codes WHERE id = ? LIMIT 1", [code])[0][0]
              for code in ALICE}  # fmt: skip
    for code, own in ALICE.items():
        outcomes = {segment: attempt(alice, code, segment, "coder:alice") for segment in tried}
        assert {by_id[k] for k, v in outcomes.items() if v == "pinned"} == own, code
        refusals = {v for v in outcomes.values() if v != "pinned"}
        assert refusals == {
            f"segment N is not coded with a code of code '{labels[code]}' in layer coder:alice"
        }, code
    # bob coded not_listened at b2 and psychological_safety at a1; alice never did: no trace
    assert attempt(alice, "not_listened", s["b2"], "coder:alice") == attempt(
        alice, "not_listened", s["b0"], "coder:alice"
    )
    # another layer is refused before any segment is looked at
    probes = [s["a1"], s["a0"], tried[-1]]  # bob's, nobody's, none
    for layer in ("coder:bob", "all", "consensus"):
        refusals = {attempt(alice, "psychological_safety", segment, layer) for segment in probes}
        assert len(refusals) == 1 and OWN_ONLY in refusals.pop()
    assert rows(coded, "SELECT count(*) FROM pinned_quotes") == [(0,)]


def quotes(project: Project, layer: str, code: str = "psychological_safety") -> list[tuple]:
    found = illustrative_quotes(project, "code", code, layer)
    return [(q.segment_id, q.coders, q.pinned) for q in found]


def test_quote_counts_and_order_count_only_the_readers_layers(coded: Project) -> None:
    """psychological_safety: alice b1 (8 words), c2 (6); bob a1 (7), c2. Counts first,
    then length closest to 25 words."""
    s = segments(coded)
    alice, bob, sue = (coded.as_user(n) for n in ("alice", "bob", "sue"))
    # a coder counts only herself: 1 each, so length decides (b1 before c2); had bob's c2
    # been counted, c2 (2 coders) would come first and tell her bob coded it
    assert quotes(alice, "coder:alice") == [(s["b1"], 1, False), (s["c2"], 1, False)]
    assert quotes(bob, "coder:bob") == [(s["a1"], 1, False), (s["c2"], 1, False)]
    # a supervisor (and the file's holder) reads every coder: c2 has two
    for reader in (sue, coded):
        assert quotes(reader, "coder:alice") == [(s["c2"], 2, False), (s["b1"], 1, False)]
        assert quotes(reader, "coder:bob") == [(s["c2"], 2, False), (s["a1"], 1, False)]
    # a pinned quote's count narrows the same way
    pin_quote(alice, "code", "psychological_safety", s["c2"], "alice", "coder:alice")
    assert quotes(alice, "coder:alice") == [(s["c2"], 1, True)]
    assert quotes(sue, "coder:alice") == [(s["c2"], 2, True)]


def test_a_supervisors_pins_stay_out_of_a_coders_layer(coded: Project) -> None:
    s = segments(coded)
    alice, sue = coded.as_user("alice"), coded.as_user("sue")
    for layer in ("consensus", "all"):
        assert pin_quote(sue, "theme", 3, s["c2"], "sue", layer) == 1
    with pytest.raises(QualcodeError, match="coder:alice is another coder's layer"):
        pin_quote(sue, "theme", 3, s["c2"], "sue", "coder:alice")
    # alice's theme table: her own default choice for art6 (a1, b1, c2 one coder each;
    # b1 the longest), not sue's pinned c2
    table = build_table(alice, "themes", "coder:alice", quotes=1)
    assert table.rows[2][0].startswith("Life, survival and development")
    assert table.rows[2][6].startswith("\u201cCollege is good and I feel safe there.\u201d")
    assert not any(q.pinned for q in illustrative_quotes(alice, "theme", 3, "coder:alice"))
    # alice's pin is hers: in her layer, which sue reads, and in no other
    assert pin_quote(alice, "theme", 3, s["a1"], "alice", "coder:alice") == 1
    mine = build_table(alice, "themes", "coder:alice", quotes=1)
    assert mine.rows[2][6].startswith("\u201cI feel safe in my room now.\u201d")
    assert [q.segment_id for q in illustrative_quotes(sue, "theme", 3, "coder:alice")] == [s["a1"]]
    assert [q.segment_id for q in illustrative_quotes(sue, "theme", 3, "consensus")] == [s["c2"]]
    with pytest.raises(QualcodeError, match=OWN_ONLY):
        unpin_quote(alice, "theme", 3, s["c2"], "alice", "consensus")
    with pytest.raises(QualcodeError, match="another coder's layer"):
        unpin_quote(sue, "theme", 3, s["a1"], "sue", "coder:alice")
    assert rows(coded, "SELECT layer, segment_id, pinned_by FROM pinned_quotes ORDER BY layer") == [
        ("all", s["c2"], "sue"), ("coder:alice", s["a1"], "alice"), ("consensus", s["c2"], "sue"),
    ]  # fmt: skip


def test_a_summary_stays_in_the_layer_it_was_written_on(coded: Project) -> None:
    alice, bob, sue = (coded.as_user(n) for n in ("alice", "bob", "sue"))
    assert set_summary(alice, *CELL, "Alice's reading.", "alice", "coder:alice") == 1
    with pytest.raises(QualcodeError, match=OWN_ONLY):
        set_summary(alice, *CELL, "On the consensus.", "alice")
    # bob: not in his matrix, his export or his history; alice's history is refused
    assert (
        framework_matrix(bob, "participant", "theme", "coder:bob").cell(*CELL[1::2]).summary is None
    )
    table = build_table(bob, "matrix", "coder:bob", rows="participant", columns="theme")
    assert "Alice's reading." not in repr(table.rows)
    assert summary_history(bob, *CELL, "coder:bob") == []
    with pytest.raises(QualcodeError, match=OWN_ONLY):
        summary_history(bob, *CELL, "coder:alice")
    with pytest.raises(QualcodeError, match=OWN_ONLY):
        set_summary(bob, *CELL, "Over hers.", "bob", "coder:alice")
    assert set_summary(bob, *CELL, "Bob's reading.", "bob", "coder:bob") == 1  # his own v1
    # sue reads alice's layer, and writes on the consensus, never on a coder's layer
    cell = framework_matrix(sue, "participant", "theme", "coder:alice").cell(*CELL[1::2])
    assert (cell.summary, cell.summary_version, cell.summary_author) == (
        "Alice's reading.", 1, "alice",
    )  # fmt: skip
    assert [(h["text"], h["author"]) for h in summary_history(sue, *CELL, "coder:alice")] == [
        ("Alice's reading.", "alice")
    ]
    with pytest.raises(QualcodeError, match="another coder's layer"):
        set_summary(sue, *CELL, "Over hers.", "sue", "coder:alice")
    assert set_summary(sue, *CELL, "Settled reading.", "sue") == 1
    assert framework_matrix(sue, "participant", "theme").cell(*CELL[1::2]).summary == (
        "Settled reading."
    )
    assert framework_matrix(sue, "participant", "theme", "all").cell(*CELL[1::2]).summary is None
    assert rows(coded, "SELECT layer, author FROM matrix_summaries ORDER BY id") == [
        ("coder:alice", "alice"), ("coder:bob", "bob"), ("consensus", "sue"),
    ]  # fmt: skip


def test_the_cli_export_of_a_coders_matrix_has_only_their_summaries(
    coded: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_account(coded, "root", "a long passphrase", "admin")
    accounts.add_account(coded, "bob", "bob's passphrase", "coder", by="root")
    set_summary(coded, *CELL, "Alice's reading.", "alice", "coder:alice")
    set_summary(coded, *CELL, "Bob's reading.", "bob", "coder:bob")
    monkeypatch.setenv("QUALCODE_PASSWORD", "bob's passphrase")
    out = tmp_path / "matrix.csv"
    base = ["--db", str(coded.path), "--user", "bob", "export", "matrix", "-o", str(out)]
    result = CliRunner().invoke(cli_app, [*base, "--rows", "participant", "--layer", "coder:bob"])
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "Summary: Bob's reading." in text and "Alice's reading." not in text
    refused = CliRunner().invoke(cli_app, [*base, "--layer", "coder:alice"])
    assert refused.exit_code == 1 and OWN_ONLY in refused.stderr
    pinned = CliRunner().invoke(
        cli_app,
        ["--db", str(coded.path), "--user", "bob", "themes", "pin", "--code",
         "psychological_safety", str(seg(coded, "b.txt", 1)), "--layer", "coder:bob"],
    )  # fmt: skip
    assert pinned.exit_code == 1
    assert pinned.stderr.endswith("is not coded with a code of code 'Psychological safety' "
                                  "in layer coder:bob\n")  # fmt: skip


def test_a_coder_changes_only_the_themes_they_created(coded: Project) -> None:
    alice, bob, sue = (coded.as_user(n) for n in ("alice", "bob", "sue"))
    theme = create_theme(alice, "Alice's theme", "alice", codes=["education"])
    before = list_themes(coded)
    refused = "'bob' is a coder: only a supervisor or admin can"
    for call, doing in (
        (lambda: update_theme(bob, theme.id, "bob", memo="mine now"), "change"),
        (lambda: add_codes(bob, theme.id, ["housing"], "bob"), "change"),
        (lambda: remove_codes(bob, theme.id, ["education"], "bob"), "change"),
        (lambda: delete_theme(bob, theme.id, "bob"), "delete"),
        (lambda: create_theme(bob, "Bob's sub", "bob", parent=theme.id), "add a subtheme to"),
        (lambda: update_theme(bob, 1, "bob", status="final"), "change"),  # the framework's
    ):  # fmt: skip
        with pytest.raises(QualcodeError, match=f"{refused} {doing} theme '"):
            call()
    assert list_themes(coded) == before
    own = create_theme(bob, "Bob's theme", "bob", codes=["education"])
    with pytest.raises(QualcodeError, match="add a subtheme to theme 'Alice's theme'"):
        update_theme(bob, own.id, "bob", parent=theme.id)
    assert update_theme(bob, own.id, "bob", memo="his").memo == "his"
    assert update_theme(alice, theme.id, "alice", status="reviewed").status == "reviewed"
    # a supervisor changes and deletes anyone's
    assert set(add_codes(sue, theme.id, ["legal_advice"], "sue").codes) == {
        "education", "legal_advice",
    }  # fmt: skip
    assert update_theme(sue, own.id, "sue", parent=theme.id).parent == theme.id
    assert update_theme(sue, own.id, "sue", parent=None).parent is None
    delete_theme(sue, own.id, "sue")
    assert get_theme(coded, theme.id).status == "reviewed"
    assert [t.name for t in list_themes(coded)][-1] == "Alice's theme"


def test_migration_places_earlier_pins_and_summaries_in_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schema 5 had no layer on pins or summaries: a coder's go to their own layer, anyone
    else's to both consensus and all, positions renumbered and versions per layer."""
    full = store.migrations()
    monkeypatch.setattr(store, "migrations", lambda: [m for m in full if m[0] <= 5])
    project = Project.init(tmp_path / "old.duckdb")
    add_coder(project, "alice")
    add_coder(project, "sue", "supervisor")

    load_codebook_at_old_schema(project, write_codebook(tmp_path))
    s0, s1, s2 = add_document(project, ["One.", "Two.", "Three."])
    with project.transaction() as con:
        con.executemany(
            "INSERT INTO pinned_quotes (target_type, target_id, segment_id, position, pinned_by)"
            " VALUES (?, ?, ?, ?, ?)",
            [["theme", "1", s0, 1, "sue"], ["theme", "1", s1, 2, "alice"],
             ["theme", "1", s2, 3, "cli"], ["code", "housing", s1, 1, "alice"]],
        )  # fmt: skip
        con.executemany(
            "INSERT INTO matrix_summaries (row_kind, row_key, column_kind, column_key, text, "
            "author) VALUES ('participant', 'L / YP', 'theme', '1', ?, ?)",
            [["A1", "alice"], ["S1", "sue"], ["A2", "alice"], ["C1", "cli"]],
        )
    monkeypatch.setattr(store, "migrations", lambda: full)
    migrated = Project.open(project.path)
    assert migrated.schema_version() == store.latest_schema_version()
    assert rows(
        migrated,
        "SELECT target_type, target_id, layer, segment_id, position, pinned_by FROM pinned_quotes "
        "ORDER BY target_type, layer, position",
    ) == [
        ("code", "housing", "coder:alice", s1, 1, "alice"),
        ("theme", "1", "all", s0, 1, "sue"), ("theme", "1", "all", s2, 2, "cli"),
        ("theme", "1", "coder:alice", s1, 1, "alice"),
        ("theme", "1", "consensus", s0, 1, "sue"), ("theme", "1", "consensus", s2, 2, "cli"),
    ]  # fmt: skip
    history = {
        layer: [(h["version"], h["text"], h["author"])
                for h in summary_history(migrated, "participant", "L / YP", "theme", "1", layer)]
        for layer in ("coder:alice", "consensus", "all")
    }  # fmt: skip
    assert history == {
        "coder:alice": [(1, "A1", "alice"), (2, "A2", "alice")],
        "consensus": [(1, "S1", "sue"), (2, "C1", "cli")],
        "all": [(1, "S1", "sue"), (2, "C1", "cli")],
    }
    assert rows(
        migrated, "SELECT layer, text, version FROM current_matrix_summaries ORDER BY layer"
    ) == [("all", "C1", 2), ("coder:alice", "A2", 2), ("consensus", "C1", 2)]

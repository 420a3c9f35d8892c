"""Speakers' roles and the preamble: what is offered for coding and counts in agreement.

A transcript with a header note, two facilitators (one a Moderator) and three young
people's turns; expected values are worked out by hand in the comments."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qualcode.agreement.report import agreement_report
from qualcode.agreement.sampling import create_sample, sample_segment_ids
from qualcode.cli import app
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.card import next_segment, segment_card
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.coding.progress import review_progress
from qualcode.errors import ArgumentError, QualcodeError
from qualcode.ingest.pipeline import ingest_paths, insert_segments
from qualcode.ingest.readers import read_document
from qualcode.ingest.segment import segment_document
from qualcode.settings import change_setting, read_setting
from qualcode.speakers import detect_role, list_speakers, set_speaker_role
from qualcode.store import Project, migrations
from qualcode.suggest import review_queue, suggest
from qualcode.themes.people import is_participant, role

from .conftest import rows
from .suggest_helpers import HashEmbedder, write_codebook

HEADER = "Interview notes, Location 1, session 2. Recorded with consent."
TRANSCRIPT = (
    f"{HEADER}\n\n"
    "Facilitator 2: So what would a good interpreter be like?\n"
    "YP1: I go to college and my teacher helps me with English classes.\n"
    "Facilitator 2: And where do you live now?\n"
    "YP1: Now I have my own room in a flat.\n"
    "Moderator: What about your friends?\n"
    "YP2: My friends are like a family to me.\n"
)
SPEAKERS = ["Facilitator 2", "YP1", "Facilitator 2", "YP1", "Moderator", "YP2"]


def _ingest(project: Project, directory: Path, name: str = "t.txt", text: str = TRANSCRIPT):
    path = directory / name
    path.write_text(text, encoding="utf-8")
    report = ingest_paths(project, [path], location="Location 1", session="2")
    assert report.failed == []
    return report


@pytest.fixture
def transcript(project: Project, tmp_path: Path) -> Project:
    load_codebook(project, write_codebook(tmp_path))
    _ingest(project, tmp_path)
    return project


def _ids_by_speaker(project: Project) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for segment_id, speaker in rows(project, "SELECT id, speaker FROM segments ORDER BY id"):
        found.setdefault(speaker, []).append(segment_id)
    return found


def _queued(project: Project) -> list[str]:
    items = review_queue(project, "ana", limit=50)
    return sorted(i.speaker for i in items)


def _walk(project: Project) -> list[int]:
    found, after = [], None
    while (after := next_segment(project, "ana", after=after)) is not None:
        found.append(after)
    return found


def test_the_preamble_is_the_documents_header_not_a_segment(transcript: Project) -> None:
    assert [r[0] for r in rows(transcript, "SELECT speaker FROM segments ORDER BY ordinal")] == (
        SPEAKERS
    )
    assert rows(transcript, "SELECT min(ordinal), max(ordinal) FROM segments") == [(0, 5)]
    ((text, end),) = rows(transcript, "SELECT text, preamble_end FROM documents")
    assert end == len(HEADER) and text[:end] == HEADER  # kept, nothing lost
    assert not rows(transcript, "SELECT 1 FROM segments WHERE text LIKE 'Interview notes%'")


def test_a_write_up_without_speakers_has_no_preamble(project: Project, tmp_path: Path) -> None:
    _ingest(project, tmp_path, "notes.txt", "First paragraph of notes.\n\nSecond one.\n")
    assert rows(project, "SELECT preamble_end FROM documents") == [(0,)]
    assert rows(project, "SELECT count(*) FROM segments") == [(2,)]


def test_roles_are_detected_from_names() -> None:
    assert detect_role("Facilitator 2") == detect_role("MODERATOR") == "facilitator"
    assert detect_role("Interviewer (Sam)") == detect_role("researcher") == "facilitator"
    assert detect_role("Interpreter") == "other"
    assert detect_role("YP1") == detect_role("Interviewee") == "participant"
    assert detect_role(None) is None and detect_role("  ") is None
    assert role("Moderator") == "facilitator" and role("YP1") == "young person"
    assert is_participant("YP1") and not is_participant("Moderator")
    assert not is_participant("YP1", "facilitator") and is_participant("Sam", "participant")


def test_the_queue_offers_only_participants_turns(transcript: Project) -> None:
    suggest(transcript, top_k=3, embedder=HashEmbedder())
    # 6 segments, 3 of them facilitators' (Facilitator 2 twice, Moderator once)
    assert rows(transcript, "SELECT count(DISTINCT segment_id) FROM suggestions") == [(6,)]
    assert _queued(transcript) == ["YP1", "YP1", "YP2"]
    ids = _ids_by_speaker(transcript)
    assert _walk(transcript) == sorted(ids["YP1"] + ids["YP2"])
    # a facilitator's question is shown around the young person's answer, as context
    card = segment_card(transcript, "ana", ids["YP1"][0], context=1)
    assert [t.speaker for t in card.context] == ["Facilitator 2", "YP1", "Facilitator 2"]


def test_a_stored_role_moves_a_speakers_turns_in_and_out(transcript: Project) -> None:
    suggest(transcript, top_k=3, embedder=HashEmbedder())
    listed = [(s.speaker, s.role, s.stored, s.segments) for s in list_speakers(transcript)]
    assert listed == [
        ("Facilitator 2", "facilitator", None, 2),
        ("YP1", "participant", None, 2),
        ("Moderator", "facilitator", None, 1),
        ("YP2", "participant", None, 1),
    ]
    set_speaker_role(transcript, "moderator", "participant")  # any case names the speaker
    set_speaker_role(transcript, "YP2", "other")
    assert _queued(transcript) == ["Moderator", "YP1", "YP1"]
    moderator = next(s for s in list_speakers(transcript) if s.speaker == "Moderator")
    assert (moderator.role, moderator.detected, moderator.set_by) == (
        "participant",
        "facilitator",
        "cli",
    )
    set_speaker_role(transcript, "Moderator", "detected")
    set_speaker_role(transcript, "YP2", "detected")
    assert _queued(transcript) == ["YP1", "YP1", "YP2"]
    logged = [
        json.loads(r[0])
        for r in rows(transcript, "SELECT detail FROM action_log WHERE action = 'speakers.role'")
    ]
    assert logged[0] == {"speaker": "moderator", "from": None, "to": "participant"}
    assert logged[2] == {"speaker": "Moderator", "from": "participant", "to": None}
    with pytest.raises(ArgumentError, match="role"):
        set_speaker_role(transcript, "YP1", "boss")


def test_coding_all_speakers_and_back(transcript: Project) -> None:
    suggest(transcript, top_k=3, embedder=HashEmbedder())
    change_setting(transcript, "coding_speakers", "all")
    assert _queued(transcript) == sorted(SPEAKERS)
    change_setting(transcript, "coding_speakers", "participants")
    assert _queued(transcript) == ["YP1", "YP1", "YP2"]


def test_preamble_as_segments_and_back(project: Project, tmp_path: Path) -> None:
    assert read_setting(project, "preamble") == "context"
    change_setting(project, "preamble", "segment")
    _ingest(project, tmp_path)
    texts = [r[0] for r in rows(project, "SELECT text FROM segments ORDER BY ordinal")]
    assert texts[0] == HEADER and len(texts) == 7
    preamble_id = rows(project, "SELECT id FROM segments WHERE ordinal = 0")[0][0]
    assert preamble_id in _walk(project)
    # the setting back: the stored preamble segment stays, but is no unit of coding
    change_setting(project, "preamble", "context")
    assert preamble_id not in _walk(project) and len(_walk(project)) == 3
    assert rows(project, "SELECT count(*) FROM segments") == [(7,)]


def test_samples_draw_only_units_of_coding(transcript: Project) -> None:
    create_sample(transcript, "all", 1.0)
    ids = _ids_by_speaker(transcript)
    assert sample_segment_ids(transcript, "all") == sorted(ids["YP1"] + ids["YP2"])


AGREEMENT = (
    "Facilitator: Where do you go in the day?\n"
    "YP1: I go to college now.\n"
    "Facilitator: And your English?\n"
    "YP2: My flat is far from everything.\n"
    "YP3: My teacher is kind.\n"
)


@pytest.fixture
def two_coders(project: Project, tmp_path: Path) -> Project:
    """alice and bob review all five segments; education:

    segment:  F  YP1 F  YP2 YP3
    alice:    1  1   0  0   1
    bob:      0  1   0  0   0
    """
    load_codebook(project, write_codebook(tmp_path))
    _ingest(project, tmp_path, "a.txt", AGREEMENT)
    s = [r[0] for r in rows(project, "SELECT id FROM segments ORDER BY ordinal")]
    record_decisions(
        project,
        [
            Decision(s[0], "education", "alice", "add"),
            Decision(s[1], "education", "alice", "add"),
            Decision(s[4], "education", "alice", "add"),
            Decision(s[1], "education", "bob", "add"),
        ],
    )
    mark_reviewed(project, [s[2], s[3]], "alice")
    mark_reviewed(project, [s[0], s[2], s[3], s[4]], "bob")
    return project


def _education(project: Project) -> tuple[int, float, float]:
    report = agreement_report(project, ci=False)
    code = report["per_code"]["education"]
    return report["n_units"], code["percent_agreement"], code["cohen_kappa"]


def test_agreement_counts_participants_turns_only(two_coders: Project) -> None:
    # both reviewed all five; three are units: the young people's turns
    progress = [(p["coder"], p["reviewed"], p["segments"]) for p in review_progress(two_coders)]
    assert progress == [("alice", 3, 3), ("bob", 3, 3)]
    # YP1 YP2 YP3: alice 1 0 1, bob 1 0 0: po = 2/3, pe = 2/3*1/3 + 1/3*2/3 = 4/9,
    # kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4
    n, po, kappa = _education(two_coders)
    assert (n, po, kappa) == (3, pytest.approx(2 / 3), pytest.approx(0.4))
    # all five: alice 1 1 0 0 1, bob 0 1 0 0 0: po = 3/5, pe = 3/5*1/5 + 2/5*4/5 = 11/25,
    # kappa = (15/25 - 11/25) / (14/25) = 2/7
    change_setting(two_coders, "coding_speakers", "all")
    n, po, kappa = _education(two_coders)
    assert (n, po, kappa) == (5, pytest.approx(3 / 5), pytest.approx(2 / 7))
    change_setting(two_coders, "coding_speakers", "participants")
    # YP3 as another role: YP1 YP2 only, alice 1 0, bob 1 0: po = 1, pe = 1/2, kappa = 1
    set_speaker_role(two_coders, "YP3", "other")
    n, po, kappa = _education(two_coders)
    assert (n, po, kappa) == (2, pytest.approx(1.0), pytest.approx(1.0))
    # the Facilitator as a participant: back to all five but YP3's
    set_speaker_role(two_coders, "YP3", "detected")
    set_speaker_role(two_coders, "Facilitator", "participant")
    assert _education(two_coders)[0] == 5


def test_only_a_supervisor_sets_roles_and_settings(transcript: Project) -> None:
    add_coder(transcript, "ana", "coder")
    add_coder(transcript, "sue", "supervisor")
    with pytest.raises(QualcodeError, match="only a supervisor"):
        set_speaker_role(transcript.as_user("ana"), "YP1", "facilitator")
    with pytest.raises(QualcodeError, match="only a supervisor"):
        change_setting(transcript.as_user("ana"), "coding_speakers", "all")
    found = set_speaker_role(transcript.as_user("sue"), "YP1", "facilitator")
    assert (found.role, found.set_by) == ("facilitator", "sue")


def _cli(project: Project, *args: str):
    return CliRunner().invoke(app, ["--db", str(project.path), *args])


def test_cli_lists_and_sets_speakers_and_settings(transcript: Project) -> None:
    listed = json.loads(_cli(transcript, "speakers", "--json").stdout)["speakers"]
    assert [(s["speaker"], s["role"]) for s in listed][:2] == [
        ("Facilitator 2", "facilitator"),
        ("YP1", "participant"),
    ]
    result = _cli(transcript, "speakers", "set", "YP2", "--role", "facilitator")
    assert result.exit_code == 0 and result.stdout.strip() == "YP2: facilitator"
    assert "YP2" in _cli(transcript, "speakers").stdout
    bad = _cli(transcript, "speakers", "set", "YP2", "--role", "boss")
    assert bad.exit_code == 1 and "--role must be one of" in bad.stderr
    settings = json.loads(_cli(transcript, "settings", "--json").stdout)["settings"]
    values = {s["key"]: s["value"] for s in settings}
    assert (values["coding_speakers"], values["preamble"]) == ("participants", "context")
    assert _cli(transcript, "settings", "set", "coding_speakers", "all").exit_code == 0
    assert read_setting(transcript, "coding_speakers") == "all"
    wrong = _cli(transcript, "settings", "set", "coding_speakers", "everyone")
    assert wrong.exit_code == 1 and "must be one of participants, all" in wrong.stderr


def test_a_project_from_before_schema_8_keeps_its_preamble_segments(tmp_path: Path) -> None:
    """Schema 7 stored the header note as a segment; migrating marks it as the preamble
    and keeps it, out of the units of coding (here the reading-order walk) until the
    preamble setting is segment."""
    path = tmp_path / "old.duckdb"
    (tmp_path / "t.txt").write_text(TRANSCRIPT, encoding="utf-8")
    parsed = read_document(tmp_path / "t.txt")
    segments = segment_document(parsed)  # the header is segment 0, as before schema 8
    con = duckdb.connect(str(path))
    for number, sql in migrations():
        if number < 8:
            con.execute(sql)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(number)])
    document_id = con.execute(
        "INSERT INTO documents (title, format, content_hash, text) VALUES "
        "('t.txt', 'txt', 'x', ?) RETURNING id",
        [parsed.text],
    ).fetchone()[0]
    insert_segments(con, document_id, segments)
    con.close()
    project = Project.open(path)
    assert project.schema_version() >= 8
    assert rows(project, "SELECT preamble_end FROM documents") == [(len(HEADER),)]
    assert rows(project, "SELECT text FROM segments WHERE ordinal = 0") == [(HEADER,)]
    load_codebook(project, write_codebook(tmp_path))
    ids = [r[0] for r in rows(project, "SELECT id FROM segments ORDER BY ordinal")]
    assert _walk(project) == [ids[2], ids[4], ids[6]]  # YP1, YP1, YP2
    change_setting(project, "preamble", "segment")
    assert _walk(project) == [ids[0], ids[2], ids[4], ids[6]]

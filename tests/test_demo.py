"""The demo project built from the bundled synthetic sample corpus."""

from __future__ import annotations

import csv
from pathlib import Path

from qualcode.demo import build_demo
from qualcode.store import Project

from .conftest import REPO_ROOT, rows

SAMPLE = REPO_ROOT / "corpora" / "sample"


def test_demo_ingests_every_sample_file_with_its_attributes(tmp_path: Path) -> None:
    summary = build_demo(tmp_path / "demo", with_suggestions=False)
    with (SAMPLE / "manifest.csv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    assert summary["ingest"]["failed"] == []
    assert summary["documents"] == len(manifest) >= 12
    assert summary["codes"] == 39 and summary["codebook_version"] == 1
    assert summary["documents_without_location_session"] == 0
    expected = {(r["location"], r["session"]) for r in manifest}
    assert {(r["location"], r["session"]) for r in summary["documents_by_location_session"]} == (
        expected
    )
    assert len({loc for loc, _ in expected}) == 3
    project = Project.open(summary["db"])
    formats = {r[0] for r in rows(project, "SELECT DISTINCT format FROM documents")}
    assert {"txt", "md", "docx", "vtt", "srt", "csv", "xlsx"} <= formats
    # every segment's offsets point at its text
    assert rows(
        project,
        "SELECT count(*) FROM segments s JOIN documents d ON d.id = s.document_id "
        "WHERE substr(d.text, s.start_offset + 1, s.end_offset - s.start_offset) <> s.text",
    ) == [(0,)]
    # the cp1252 transcript was decoded as cp1252
    text = rows(project, "SELECT text FROM documents WHERE title LIKE 'loc3_s1_circles%'")[0][0]
    assert "\ufffd" not in text and "é" in text

    again = build_demo(tmp_path / "demo", with_suggestions=False)
    assert again["ingest"]["documents_added"] == 0
    assert len(again["ingest"]["skipped"]) == len(manifest)
    assert again["segments"] == summary["segments"]


def test_demo_transcripts_keep_their_header_note_as_preamble(tmp_path: Path) -> None:
    """Each prose transcript opens with a note saying it is synthetic: that note is the
    document's preamble, not a segment, and facilitators' turns are no units of coding."""
    from qualcode.speakers import coding_unit_sql

    summary = build_demo(tmp_path / "demo", with_suggestions=False)
    project = Project.open(summary["db"])
    documents = rows(project, "SELECT format, text, preamble_end FROM documents")
    for fmt, text, end in documents:
        if fmt in ("txt", "md", "docx"):
            assert "Synthetic sample transcript" in text[:end]
        else:
            assert end == 0
    assert rows(project, "SELECT count(*) FROM segments WHERE text LIKE '%Synthetic sample%'") == [
        (0,)
    ]
    with project.connect(read_only=True) as con:
        left_out = con.execute(
            f"SELECT DISTINCT s.speaker FROM segments s WHERE NOT {coding_unit_sql(con)}"
        ).fetchall()
    assert sorted(r[0] for r in left_out) == ["Facilitator", "Facilitator 2"]

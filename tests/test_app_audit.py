"""The Audit page (filters, newest first, CSV download) and the Export page's
REFI-QDA project download, on a small project with two coders' decisions."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from qualcode.audit import audit_trail
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.errors import QualcodeError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.refi.project_export import export_qdpx, qdpx_bytes
from qualcode.refi.project_import import import_qdpx
from qualcode.resources import csf_pof_codebook
from qualcode.store import Project
from qualcode.ui.audit import COLUMNS

from .conftest import rows
from .test_app_pages import click, open_page, page_text

TRANSCRIPT = (
    "Facilitator: How did the week go?\n"
    "YP1: I felt safe at the youth centre this week.\n"
    "YP2: The worker listened to me and helped with my housing forms.\n"
)


@pytest.fixture
def small(tmp_path: Path) -> Project:
    """One transcript, the shipped codebook, a supervisor and two coders who each
    coded one segment."""
    project = Project.init(tmp_path / "small.duckdb")
    load_codebook(project, csf_pof_codebook())
    source = tmp_path / "week.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    ingest_paths(project, [source], actor="ana")
    add_coder(project, "ana", "supervisor")
    for name in ("ben", "cleo"):
        add_coder(project, name, "coder")
    segments = [s for (s,) in rows(project, "SELECT id FROM segments ORDER BY ordinal")]
    record_decisions(
        project,
        [
            Decision(segments[1], "safety", "ben", "add"),
            Decision(segments[2], "safety", "cleo", "add"),
            Decision(segments[1], "safety", "cleo", "reject"),
        ],
    )
    return project


def captured_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The data each st.download_button was given, by key (AppTest keeps only a URL)."""
    given: dict[str, Any] = {}
    real = st.download_button

    def recording(label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        given[kwargs.get("key", label)] = data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    return given


def shown(at: AppTest) -> list[list[str]]:
    return at.dataframe[0].value[COLUMNS].values.tolist()


def logged(project: Project, actor: str) -> int:
    """What one person did, counted in the tables themselves (the oracle)."""
    return rows(
        project,
        "SELECT (SELECT count(*) FROM action_log WHERE actor = ?) "
        "+ (SELECT count(*) FROM coding_events WHERE coder = ?)",
        [actor, actor],
    )[0][0]


def test_audit_page_shows_actions_newest_first_filters_and_downloads(
    monkeypatch: pytest.MonkeyPatch, small: Project
) -> None:
    downloads = captured_downloads(monkeypatch)
    at = open_page(monkeypatch, small, "audit", coder="ana", role="supervisor")
    before = shown(at)
    segment = rows(small, "SELECT max(id) FROM segments")[0][0]
    memo = "<b>also</b> [safe](http://example.org)"
    record_decisions(small, [Decision(segment, "safety", "ben", "add", memo=memo)])
    at.run()
    table = shown(at)
    assert (
        len(table)
        == len(before) + 1
        == len(audit_trail(small))
        == rows(
            small, "SELECT (SELECT count(*) FROM action_log) + (SELECT count(*) FROM coding_events)"
        )[0][0]
    )
    assert table[0][1:3] == ["ben", "coding.add"]  # the newest first
    event = rows(small, "SELECT max(id) FROM coding_events")[0][0]
    assert table[0][3] == (  # fields to read, in the order logged; no empty start and end
        f"event: {event} · segment: {segment} · code: safety · source: manual · memo: {memo}"
        " · recorded_by: ben"
    )
    assert [r[0] for r in table] == sorted((r[0] for r in table), reverse=True)
    ingest = next(r for r in table if r[2] == "ingest")
    assert ingest[1] == "ana" and "week.txt" in ingest[3]
    assert f"{len(table)} of {len(table)} entries" in page_text(at)

    at.selectbox(key="audit_person").set_value("ben").run()
    table = shown(at)
    assert len(table) == logged(small, "ben") == 2
    assert {r[1] for r in table} == {"ben"} and [r[2] for r in table] == ["coding.add"] * 2
    assert f"2 of {len(before) + 1} entries" in page_text(at)
    parsed = list(csv.reader(io.StringIO(downloads["audit_download"].decode("utf-8"))))
    assert parsed[0] == COLUMNS
    assert [r[:3] for r in parsed[1:]] == [r[:3] for r in table]
    detail = json.loads(parsed[1][3])  # the file keeps the details as JSON, for tools
    assert (detail["segment"], detail["code"]) == (segment, "safety")

    at.selectbox(key="audit_person").set_value(None)
    at.selectbox(key="audit_kind").set_value("coding").run()
    table = shown(at)
    assert len(table) == 4 and all(r[2].startswith("coding.") for r in table)
    assert [r[1] for r in table] == ["ben", "cleo", "cleo", "ben"]
    parsed = list(csv.reader(io.StringIO(downloads["audit_download"].decode("utf-8"))))
    assert len(parsed) - 1 == len(table)

    at.date_input(key="audit_since").set_value(date.today() + timedelta(days=1)).run()
    assert not at.dataframe and "Nothing recorded" in page_text(at)
    at.date_input(key="audit_since").set_value(date.today()).run()
    assert len(shown(at)) == 4
    assert not at.exception and not at.error


def test_audit_page_tells_a_coder_they_see_their_own_actions(
    monkeypatch: pytest.MonkeyPatch, small: Project
) -> None:
    at = open_page(monkeypatch, small, "audit", coder="ben", role="coder")
    assert "You see your own actions" in page_text(at)
    table = shown(at)
    assert [r[1:3] for r in table] == [["ben", "coding.add"]]
    assert len(table) == logged(small, "ben")
    at = open_page(monkeypatch, small, "audit", coder="ana", role="supervisor")
    assert "You see your own actions" not in page_text(at)


def test_export_page_offers_the_qdpx_to_supervisors_only(
    monkeypatch: pytest.MonkeyPatch, small: Project, tmp_path: Path
) -> None:
    at = open_page(monkeypatch, small, "export", coder="ben", role="coder")
    assert "export_qdpx_prepare" not in {b.key for b in at.button}
    assert "REFI-QDA" not in page_text(at)

    downloads = captured_downloads(monkeypatch)
    at = open_page(monkeypatch, small, "export", coder="ana", role="supervisor")
    assert not at.get("download_button")
    click(at, "export_qdpx_prepare")
    assert [b.proto.id for b in at.get("download_button")]
    data = downloads["export_qdpx_download"]
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0] == "project.qde"
    (detail,) = [
        json.loads(d)
        for (d,) in rows(
            small, "SELECT detail FROM action_log WHERE action = 'export.qdpx' AND actor = 'ana'"
        )
    ]
    assert (detail["documents"], detail["codings"], detail["path"]) == (1, 2, None)
    target = Project.init(tmp_path / "target.duckdb")
    archive = tmp_path / "download.qdpx"
    archive.write_bytes(data)
    assert import_qdpx(target, archive).codings == 2


def test_qdpx_bytes_are_the_exported_file_and_import_back(small: Project, tmp_path: Path) -> None:
    data, report = qdpx_bytes(small, actor="ana")
    written = export_qdpx(small, tmp_path / "file.qdpx", actor="ana")
    with zipfile.ZipFile(io.BytesIO(data)) as a, zipfile.ZipFile(written.path) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist())
    assert (report.documents, report.codings, report.coders) == (1, 2, 3)
    assert rows(
        small, "SELECT actor, detail->>'path' FROM action_log WHERE action = 'export.qdpx' "
        "ORDER BY id"
    ) == [("ana", None), ("ana", str(tmp_path / "file.qdpx"))]  # fmt: skip

    with pytest.raises(QualcodeError, match="only a supervisor or admin can export"):
        qdpx_bytes(small.as_user("ben"))
    qdpx_bytes(small.as_user("ana"), actor="app")
    assert rows(small, "SELECT actor FROM action_log WHERE action = 'export.qdpx'")[-1] == ("ana",)

    archive = tmp_path / "bytes.qdpx"
    archive.write_bytes(data)
    target = Project.init(tmp_path / "target.duckdb")
    imported = import_qdpx(target, archive)
    assert (imported.documents, imported.codings) == (1, 2)
    count = (
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM segments), "
        "(SELECT count(*) FROM codings)"
    )
    assert rows(target, count) == rows(small, count)
    coded = (
        "SELECT s.text, c.code_id, c.coder FROM codings c "
        "JOIN segments s ON s.id = c.segment_id ORDER BY ALL"
    )
    assert rows(target, coded) == rows(small, coded)


def test_details_read_as_fields_in_the_order_logged() -> None:
    from qualcode.audit import detail_fields

    detail = {
        "segment": 3,
        "code": "safety",
        "start": None,
        "memo": "",
        "adopted": True,
        "files": ["a.txt", "b.txt"],
        "counts": {"b": 2, "a": 1},
    }
    assert detail_fields(detail) == (
        'segment: 3 · code: safety · adopted: true · files: ["a.txt", "b.txt"] · '
        'counts: {"a": 1, "b": 2}'
    )
    assert detail_fields({}) == detail_fields(None) == ""

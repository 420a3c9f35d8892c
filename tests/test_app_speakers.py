"""The Import page's speakers section and the Document page's header, with AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.codebook_files import load_codebook
from qualcode.ingest.pipeline import ingest_paths
from qualcode.settings import read_setting
from qualcode.speakers import list_speakers
from qualcode.store import Project
from qualcode.ui.common import PAGES
from qualcode.ui.speakers import role_key

from .suggest_helpers import write_codebook
from .test_app_pages import open_page, page_text
from .test_speakers import HEADER, TRANSCRIPT


@pytest.fixture
def transcript(tmp_path: Path) -> Project:
    project = Project.init(tmp_path / "speakers.duckdb")
    load_codebook(project, write_codebook(tmp_path))
    path = tmp_path / "t.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    ingest_paths(project, [path], location="Location 1", session="2")
    return project


def _roles(project: Project) -> dict[str, tuple[str, str | None]]:
    return {s.speaker: (s.role, s.set_by) for s in list_speakers(project)}


def test_a_supervisor_sets_roles_and_settings_on_the_import_page(
    monkeypatch: pytest.MonkeyPatch, transcript: Project
) -> None:
    at = open_page(monkeypatch, transcript, "import", coder="sue", role="supervisor")
    assert at.selectbox(key=role_key("Moderator")).value == "facilitator"
    assert at.selectbox(key=role_key("YP1")).value == "participant"
    at.selectbox(key=role_key("Moderator")).set_value("participant")
    at.selectbox(key="speakers_coding").set_value("all")
    next(b for b in at.button if b.label == "Save roles and settings").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _roles(transcript)["Moderator"] == ("participant", "sue")
    assert _roles(transcript)["YP1"] == ("participant", None)  # untouched: still detected
    assert read_setting(transcript, "coding_speakers") == "all"
    assert "Saved: coding_speakers = all; Moderator: participant" in page_text(at)
    # choosing the detected role again forgets the stored one
    at.selectbox(key=role_key("Moderator")).set_value("facilitator")
    next(b for b in at.button if b.label == "Save roles and settings").click().run()
    assert _roles(transcript)["Moderator"] == ("facilitator", None)


def test_a_coder_sees_the_roles_but_cannot_change_them(
    monkeypatch: pytest.MonkeyPatch, transcript: Project
) -> None:
    at = open_page(monkeypatch, transcript, "import", coder="ana", role="coder")
    assert not [s for s in at.selectbox if s.key and s.key.startswith("speaker_role__")]
    table = at.dataframe[0].value
    assert list(table["speaker"]) == ["Facilitator 2", "YP1", "Moderator", "YP2"]
    assert list(table["role"]) == ["facilitator", "participant", "facilitator", "participant"]
    assert "Participants' turns (facilitators' turns shown as context)" in page_text(at)


def test_the_document_page_shows_the_preamble_as_its_header(
    monkeypatch: pytest.MonkeyPatch, transcript: Project
) -> None:
    at = open_page(monkeypatch, transcript, "import", coder="ana", role="coder")
    at.switch_page(PAGES["document"]).run()
    assert not at.exception
    shown = page_text(at)
    assert "Header: the note above the first speaker turn (not coded)" in shown
    assert HEADER in shown and "6 segments" in shown

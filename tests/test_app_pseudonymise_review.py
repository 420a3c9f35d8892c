"""The Import page's pseudonymisation review: nothing is stored until the researcher
confirms; un-ticked detections stay as written, added names are replaced in every
file, and the replacement log (outside the project) records exactly what was done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.coders import add_coder
from qualcode.coding.retrieve import document_view, list_documents
from qualcode.privacy import Pseudonymiser
from qualcode.privacy.pseudonyms import PSEUDONYM
from qualcode.store import Project
from qualcode.uploads import (
    ReviewedPseudonymiser,
    Upload,
    ingest_uploads,
    plan_uploads,
    review_uploads,
)

from .test_app_pages import click, open_page, page_text, plain

FILE_A = (
    b"YP1: I told lwam about Primark. We go to Primark on Saturday.\n"
    b"YP2: Kidane is my brother, he lives in Leeds.\n"
)
FILE_B = b"YP3: Lwam met Kidane in Leeds. Mail me at ana@example.org please.\n"
SUBMIT = "FormSubmitter:import_form-Import"
ADD = "FormSubmitter:import_review_add-Add"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project.init(tmp_path / "project" / "review.duckdb")
    add_coder(project, "ana", "supervisor")
    return project


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    secure = tmp_path / "secure"
    secure.mkdir()
    return secure / "pseudonyms.json"


def start_review(
    monkeypatch: pytest.MonkeyPatch, project: Project, log: Path, files: list[tuple]
) -> AppTest:
    """Upload files with pseudonymisation on and press Import: the review step."""
    at = open_page(monkeypatch, project, "import", coder="ana")
    at.get("file_uploader")[0].set_value(files)
    at.checkbox(key="import_pseudonymise").check()
    at.text_input(key="import_pseudonym_log").set_value(str(log))
    at.button(key=SUBMIT).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def review_boxes(at: AppTest) -> list:
    return [c for c in at.checkbox if c.key and c.key.startswith("import_review_")]


def box(at: AppTest, label: str) -> object:
    found = [c for c in review_boxes(at) if plain(c.label) == label]
    assert len(found) == 1, [plain(c.label) for c in review_boxes(at)]
    return found[0]


def stored_texts(project: Project) -> dict[str, str]:
    return {d.title: document_view(project, d.id).text for d in list_documents(project)}


def test_review_keeps_unticked_adds_missed_and_stores_only_on_confirm(
    monkeypatch: pytest.MonkeyPatch, project: Project, log_path: Path
) -> None:
    at = start_review(
        monkeypatch,
        project,
        log_path,
        [("a.txt", FILE_A, "text/plain"), ("b.txt", FILE_B, "text/plain")],
    )
    # the review lists the detections; nothing is stored or logged yet
    assert list_documents(project) == [] and not log_path.exists()
    labels = [plain(c.label) for c in review_boxes(at)]
    assert {"Primark", "Kidane", "Leeds", "ana@example.org"} <= set(labels)
    assert "lwam" not in labels  # in lower case in a.txt: missed ("Lwam met" in b.txt is found)
    assert all(c.value for c in review_boxes(at))
    text = page_text(at)
    assert "a.txt" in text and "b.txt" in text
    assert [h.value for h in at.subheader][0] == "Review the pseudonyms before import"
    assert "[Person 1]" in text and "Person" in text and "Email" in text
    assert "<mark>Primark</mark>" in text  # the context, escaped html with the match marked

    # (a) a false detection: Primark is a shop; (b) a missed name, written in lower case
    box(at, "Primark").uncheck().run()
    assert not at.exception
    at.text_input(key="import_review_add_text").set_value("Lwam")
    at.selectbox(key="import_review_add_kind").set_value("person")
    at.button(key=ADD).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not box(at, "Primark").value and "kept as written" in page_text(at)
    added = [c for c in review_boxes(at) if plain(c.label).casefold() == "lwam"]
    assert len(added) == 2 and all(c.disabled for c in added)  # one per file, not un-tickable
    assert list_documents(project) == [] and not log_path.exists()

    # (c) import with these replacements
    click(at, "import_review_confirm")
    assert not at.error, [e.value for e in at.error]
    stored = stored_texts(project)
    assert set(stored) == {"a.txt", "b.txt"}
    log = json.loads(log_path.read_text(encoding="utf-8"))
    pseudonyms = {p["original"].casefold(): p["pseudonym"] for p in log["pseudonyms"]}
    lwam = pseudonyms["lwam"]
    assert PSEUDONYM.fullmatch(lwam) and lwam.startswith("[Person")
    assert stored["a.txt"].startswith(f"YP1: I told {lwam} about Primark. We go to Primark ")
    assert stored["b.txt"].startswith(f"YP3: {lwam} met ")  # the same pseudonym in both files
    for text in stored.values():
        assert "lwam" not in text.casefold()
        assert "Kidane" not in text and "Leeds" not in text and "ana@example.org" not in text
    originals = {r["original"].casefold() for r in log["replacements"]}
    assert "lwam" in originals and "kidane" in originals
    assert "primark" not in originals and "primark" not in pseudonyms
    assert log_path.parent != Path(project.path).parent  # outside the project
    assert any("Pseudonymised 2 documents" in plain(i.value) for i in at.info)
    assert list(at.dataframe[0].value["result"]) == ["added", "added"]
    assert "import_review" not in at.session_state and not review_boxes(at)


def test_cancel_stores_nothing(
    monkeypatch: pytest.MonkeyPatch, project: Project, log_path: Path
) -> None:
    at = start_review(monkeypatch, project, log_path, [("a.txt", FILE_A, "text/plain")])
    assert review_boxes(at)
    click(at, "import_review_cancel")
    assert any("nothing was stored" in plain(i.value) for i in at.info)
    assert "import_review" not in at.session_state and not review_boxes(at)
    at.run()  # a later rerun brings nothing back
    assert not review_boxes(at)
    assert list_documents(project) == [] and not log_path.exists()


def test_removing_an_added_name_and_reticking_restore_the_plan(
    monkeypatch: pytest.MonkeyPatch, project: Project, log_path: Path
) -> None:
    at = start_review(monkeypatch, project, log_path, [("a.txt", FILE_A, "text/plain")])
    at.text_input(key="import_review_add_text").set_value("Saturday")
    at.selectbox(key="import_review_add_kind").set_value("person")
    at.button(key=ADD).click().run()
    assert "Saturday" in [plain(c.label) for c in review_boxes(at)]
    remove = [b for b in at.button if b.key and b.key.startswith("import_review_remove_")]
    assert len(remove) == 1
    remove[0].click().run()
    assert "Saturday" not in [plain(c.label) for c in review_boxes(at)]
    box(at, "Leeds").uncheck().run()
    box(at, "Leeds").check().run()
    click(at, "import_review_confirm")
    stored = stored_texts(project)["a.txt"]
    assert "Saturday" in stored and "Leeds" not in stored and "Primark" not in stored


def test_an_added_string_found_nowhere_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, project: Project, log_path: Path
) -> None:
    at = start_review(monkeypatch, project, log_path, [("a.txt", FILE_A, "text/plain")])
    at.text_input(key="import_review_add_text").set_value("Mebrat")
    at.button(key=ADD).click().run()
    assert [plain(e.value) for e in at.error] == [
        "'Mebrat' does not occur (as whole words) in any of these files"
    ]
    at.text_input(key="import_review_add_text").set_value("YP1")
    at.button(key=ADD).click().run()
    assert len(at.error) == 1 and "never replaced" in plain(at.error[0].value)
    assert list_documents(project) == [] and not log_path.exists()


def test_a_log_path_the_library_refuses_is_one_line_and_nothing_is_pending(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    at = open_page(monkeypatch, project, "import", coder="ana")
    at.get("file_uploader")[0].set_value(("a.txt", FILE_A, "text/plain"))
    at.checkbox(key="import_pseudonymise").check()
    at.text_input(key="import_pseudonym_log").set_value(str(project.path))
    at.button(key=SUBMIT).click().run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [
        f"{project.path}: is the project file; the log must be a separate file"
    ]
    assert "import_review" not in at.session_state and not review_boxes(at)
    assert list_documents(project) == []


def test_transcript_text_in_the_review_stays_text(
    monkeypatch: pytest.MonkeyPatch, project: Project, log_path: Path
) -> None:
    hostile = (
        b"YP1: Kidane said <script>alert('x')</script> and <b>hi</b> "
        b"[a link](http://example.org) near Leeds.\n"
    )
    at = start_review(monkeypatch, project, log_path, [("<b>x.txt", hostile, "text/plain")])
    bodies = "\n".join(e.proto.body for e in at.get("html"))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in bodies
    assert "<script>" not in bodies and "<b>hi" not in bodies
    markdown = "\n".join(str(m.value) for m in at.markdown)
    assert "alert" not in markdown and "<b>x" not in markdown


def test_a_reviewed_batch_is_stored_exactly_as_previewed(project: Project, log_path: Path) -> None:
    """The library path the page takes: plans made once, amended, then applied on ingest."""
    uploads = [Upload("a.txt", FILE_A), Upload("b.txt", FILE_B), Upload("c.docx", b"junk")]
    planned = plan_uploads(uploads, Pseudonymiser.open(log_path, project.path))
    reviews = review_uploads(
        planned, Pseudonymiser.open(log_path, project.path).mapping,
        added=[("Lwam", "person")], kept={0: {"primark", "leeds"}},
    )  # fmt: skip
    assert reviews[2].error and reviews[2].document is None
    previews = {r.name: r.document.text for r in reviews if r.document is not None}
    assert "Leeds" in previews["a.txt"] and "Leeds" not in previews["b.txt"]  # kept in a only
    assert list_documents(project) == [] and not log_path.exists()
    report = ingest_uploads(
        project,
        uploads,
        pseudonymise=ReviewedPseudonymiser(
            Pseudonymiser.open(log_path, project.path), [r.plan for r in reviews if r.plan]
        ),
    )
    assert [f["path"] for f in report.failed] == ["c.docx"]
    assert stored_texts(project) == previews


def test_a_kind_changed_in_the_review_table_applies_and_the_file_name_is_checked(
    monkeypatch: pytest.MonkeyPatch, project: Project, log_path: Path
) -> None:
    """NER calls Manchester a person; the researcher makes it a place in its row, in one
    file, and both files store [Place 1]. Kidane_notes.txt is stored under its pseudonym."""
    file_a = b"YP1: Kidane is my brother. After Manchester we moved. Manchester is big.\n"
    file_b = b"YP2: I like Manchester.\n"
    at = start_review(
        monkeypatch,
        project,
        log_path,
        [("Kidane_notes.txt", file_a, "text/plain"), ("b.txt", file_b, "text/plain")],
    )
    kinds = [s for s in at.selectbox if s.key and s.key.endswith("_kind")]
    manchester = [s for s in kinds if plain(s.label) == "Kind of Manchester"]
    assert len(manchester) == 2 and [s.value for s in manchester] == ["person", "person"]
    text = page_text(at)
    assert "The file's name holds Kidane (person): stored as [Person 1]_notes.txt" in text

    manchester[0].set_value("place").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    manchester = [s for s in at.selectbox if plain(s.label) == "Kind of Manchester"]
    assert [s.value for s in manchester] == ["place", "place"]  # the other file's row too
    assert "[Place 1]" in page_text(at)
    assert list_documents(project) == [] and not log_path.exists()

    click(at, "import_review_confirm")
    assert not at.error, [e.value for e in at.error]
    assert stored_texts(project) == {
        "[Person 1]_notes.txt": (
            "YP1: [Person 1] is my brother. After [Place 1] we moved. [Place 1] is big.\n"
        ),
        "b.txt": "YP2: I like [Place 1].\n",
    }
    log = json.loads(log_path.read_text(encoding="utf-8"))
    kinds_logged = {p["original"]: p["kind"] for p in log["pseudonyms"]}
    assert kinds_logged["Manchester"] == "place" and kinds_logged["Kidane"] == "person"

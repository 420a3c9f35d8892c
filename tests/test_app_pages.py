"""The Streamlit app, page by page, with streamlit.testing.v1.AppTest.

One demo project (with TF-IDF suggestions, which are fast) is shared by the module;
tests that change it sign in as their own coder, so they do not see each other's
decisions (coding is blind) and can run in any order.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.demo import build_demo
from qualcode.resources import csf_pof_codebook
from qualcode.store import Project
from qualcode.suggest import configure_model, suggest
from qualcode.ui import cache
from qualcode.ui.common import PAGES
from qualcode.ui.identity import SESSION_KEY

from .conftest import rows

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 30
ALL_PAGES = list(PAGES)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The demo project with suggestions (TF-IDF: no model to load)."""
    directory = tmp_path_factory.mktemp("demo")
    build_demo(directory)
    project = Project.open(directory / "qualcode.duckdb")
    configure_model(project, str(directory / "no-model-here"))
    suggest(project)
    return project


@pytest.fixture
def empty(tmp_path: Path) -> Project:
    project = Project.init(tmp_path / "empty.duckdb")
    add_coder(project, "ana", "supervisor")
    return project


def open_page(
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
    page: str,
    coder: str | None = None,
    role: str = "coder",
    state: dict | None = None,
) -> AppTest:
    """The app on a project, signed in as `coder` (registered with `role`), on a page."""
    monkeypatch.setenv("QUALCODE_DB", str(project.path))
    if coder is not None:
        add_coder(project, coder, role)
    cache.forget()  # the test changed the project behind the app's back
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if coder is not None:
        at.session_state[SESSION_KEY] = coder
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    if page != "signin":
        at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def events(project: Project, coder: str) -> list[tuple]:
    return rows(
        project,
        "SELECT segment_id, code_id, action, source, start_offset, end_offset, memo "
        "FROM coding_events WHERE coder = ? ORDER BY id",
        [coder],
    )


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def accept_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("accept__")]


def plain(text: str) -> str:
    """A message as the reader sees it: the app escapes markdown with backslashes."""
    return re.sub(r"\\(.)", r"\1", text)


def page_text(at: AppTest) -> str:
    """Every text the page shows (markdown, html, captions, messages, labels)."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title"):
        parts += [plain(str(e.value)) for e in at.get(kind)]
    parts += [e.proto.body for e in at.get("html")]
    parts += [b.label for b in at.button]
    return "\n".join(parts)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_renders_on_an_empty_project(
    monkeypatch: pytest.MonkeyPatch, empty: Project, page: str
) -> None:
    at = open_page(monkeypatch, empty, page, coder="ana", role="supervisor")
    assert at.title, "each page has a title"


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_renders_on_the_demo_project(
    monkeypatch: pytest.MonkeyPatch, demo: Project, page: str
) -> None:
    at = open_page(monkeypatch, demo, page, coder="supervisor", role="supervisor")
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert elapsed < 3.0, f"{page} took {elapsed:.2f} s"  # about 0.1-0.8 s here


def test_pages_other_than_sign_in_need_a_coder(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "code")
    assert "Choose who you are first" in plain(at.info[0].value)
    assert not accept_keys(at)


def test_registering_signs_in_and_refuses_a_taken_name(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "signin")
    at.text_input(key="register_name").set_value("rosa")
    at.radio(key="register_role").set_value("coder")
    at.button(key="FormSubmitter:register_form-Register and sign in").click().run()
    assert at.session_state[SESSION_KEY] == "rosa"
    assert rows(demo, "SELECT role FROM coders WHERE name = 'rosa'") == [("coder",)]
    at.text_input(key="register_name").set_value("supervisor")
    at.radio(key="register_role").set_value("coder")
    at.button(key="FormSubmitter:register_form-Register and sign in").click().run()
    assert "registered already" in plain(at.error[0].value)
    assert rows(demo, "SELECT role FROM coders WHERE name = 'supervisor'") == [("supervisor",)]


def test_accept_writes_a_coding_event_at_once(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "code", coder="acc")
    top = accept_keys(at)[0]
    segment = at.session_state["code_current"]
    click(at, top)
    code = top.removeprefix("accept__")
    assert events(demo, "acc") == [(segment, code, "accept", "suggestion", None, None, None)]
    assert rows(demo, "SELECT score IS NOT NULL, model FROM coding_events WHERE coder = 'acc'")[0][
        0
    ]
    assert f"Accepted {code}." in plain(at.success[0].value)
    assert top not in accept_keys(at)  # decided: no longer offered
    assert any(b.key and b.key.startswith("remove__") for b in at.button)


def test_suggestions_below_the_threshold_say_so(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "code", coder="weak")
    segment = at.session_state["code_current"]
    scores = rows(
        demo,
        "SELECT code_id, score FROM suggestions WHERE segment_id = ? "
        "AND run_id = (SELECT max(id) FROM suggestion_runs)",
        [segment],
    )
    shown = "\n".join(h.proto.body for h in at.get("html"))
    for code, score in scores:
        line = next(line for line in shown.splitlines() if f"({code}) score {score:.2f}" in line)
        assert ("below the threshold" in line) == (score < 0.5), (code, score)


def test_only_a_suggestion_at_the_threshold_gets_the_primary_accept_and_a(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "code", coder="weak_a")
    segment = at.session_state["code_current"]
    scores = dict(
        rows(
            demo,
            "SELECT code_id, score FROM suggestions WHERE segment_id = ? "
            "AND run_id = (SELECT max(id) FROM suggestion_runs)",
            [segment],
        )
    )
    first, second, *_ = accept_keys(at)
    assert scores[first[8:]] >= 0.5 > scores[second[8:]]  # the demo: 1.00, then 0.00s
    top = at.button(key=first).proto
    assert (top.type, top.shortcut) == ("primary", "a")
    assert "code_no_accept" not in [b.key for b in at.button]
    click(at, first)
    assert at.session_state["code_current"] == segment
    weak = at.button(key=second).proto
    assert (weak.type, weak.shortcut) == ("secondary", "1")  # chosen, not one key away
    assert all(at.button(key=k).proto.type == "secondary" for k in accept_keys(at))
    assert "reaches the threshold (0.50), so A accepts nothing" in page_text(at)
    assert at.button(key="code_no_accept").proto.shortcut == "a"
    click(at, "code_no_accept")  # what A does here: says so, decides nothing
    assert "A accepts nothing" in plain(at.info[0].value)
    assert [e[1:3] for e in events(demo, "weak_a")] == [(first[8:], "accept")]
    left = len(accept_keys(at))
    assert f"N records a rejection of each of the {left} suggestions left" in page_text(at)
    click(at, "code_skip")  # S: on, leaving them open
    assert at.session_state["code_current"] != segment
    assert [e[1:3] for e in events(demo, "weak_a")] == [(first[8:], "accept")]


def test_inputs_for_a_segment_are_cleared_on_the_next(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "code", coder="fresh")
    first = at.session_state["code_current"]
    at.selectbox(key="code_add_code").set_value("safety")
    at.text_input(key="code_add_excerpt").set_value("some words")
    at.selectbox(key="code_memo_target").set_value("safety")
    at.text_area(key="code_memo_text").set_value("half a thought")
    click(at, "code_skip")
    assert at.session_state["code_current"] != first
    assert at.selectbox(key="code_add_code").value is None
    assert at.text_input(key="code_add_excerpt").value == ""
    assert at.selectbox(key="code_memo_target").value == "segment"
    assert at.text_area(key="code_memo_text").value == ""
    at.selectbox(key="code_add_code").set_value("safety")
    click(at, "code_back")
    assert at.session_state["code_current"] == first
    assert at.selectbox(key="code_add_code").value is None  # Back is a new segment too
    click(at, "code_add")  # so Add code has nothing to add
    assert "choose a code to add" in plain(at.error[0].value)
    assert events(demo, "fresh") == []


def test_reject_then_done_rejects_the_rest_and_moves_on(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "code", coder="rej")
    segment = at.session_state["code_current"]
    first, *rest = accept_keys(at)
    click(at, "reject__" + first.removeprefix("accept__"))
    assert events(demo, "rej")[0][:4] == (segment, first[8:], "reject", "suggestion")
    click(at, "code_next")
    decided = {(s, c, a) for s, c, a, *_ in events(demo, "rej")}
    assert decided == {(segment, k[8:], "reject") for k in [first, *rest]}
    assert at.session_state["code_current"] != segment


def test_manual_code_and_span_code(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    at = open_page(monkeypatch, demo, "code", coder="man")
    segment = at.session_state["code_current"]
    text, start = rows(demo, "SELECT text, start_offset FROM segments WHERE id = ?", [segment])[0]
    at.selectbox(key="code_add_code").set_value("safety")
    click(at, "code_add")
    assert events(demo, "man") == [(segment, "safety", "add", "manual", None, None, None)]
    words = " ".join(text.split()[:2])
    at.selectbox(key="code_add_code").set_value("trusting_relationships")
    at.text_input(key="code_add_excerpt").set_value(words)
    click(at, "code_add")
    offset = start + text.index(words)
    assert events(demo, "man")[-1] == (
        segment, "trusting_relationships", "add", "manual", offset, offset + len(words), None,
    )  # fmt: skip
    document = rows(
        demo,
        "SELECT d.text FROM documents d JOIN segments s ON s.document_id = d.id WHERE s.id = ?",
        [segment],
    )[0][0]
    assert document[offset : offset + len(words)] == words
    at.selectbox(key="code_add_code").set_value("trusting_relationships")
    at.text_input(key="code_add_excerpt").set_value("words that are not in this segment")
    click(at, "code_add")
    assert "does not occur in this segment" in plain(at.error[0].value)
    assert len(events(demo, "man")) == 2


def test_memo_on_segment_and_on_code(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    at = open_page(monkeypatch, demo, "code", coder="mem")
    segment = at.session_state["code_current"]
    at.text_area(key="code_memo_text").set_value("Says the hotel felt unsafe.")
    click(at, "code_memo_save")
    at.selectbox(key="code_memo_target").set_value("safety")
    at.text_area(key="code_memo_text").set_value("Safety also covers feeling safe.")
    click(at, "code_memo_save")
    assert rows(
        demo, "SELECT target_type, target_id, text FROM memos WHERE coder = 'mem' ORDER BY id"
    ) == [
        ("segment", str(segment), "Says the hotel felt unsafe."),
        ("code", "safety", "Safety also covers feeling safe."),
    ]
    assert "Says the hotel felt unsafe." in page_text(at)


def test_undo_brings_the_suggestion_back(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    at = open_page(monkeypatch, demo, "code", coder="und")
    segment = at.session_state["code_current"]
    top = accept_keys(at)[0]
    click(at, top)
    assert top not in accept_keys(at)
    click(at, "code_undo")
    accept_id = rows(demo, "SELECT min(id) FROM coding_events WHERE coder = 'und'")[0][0]
    assert events(demo, "und")[-1] == (
        segment, top[8:], "remove", "manual", None, None, f"undo of event {accept_id}",
    )  # fmt: skip
    assert rows(demo, "SELECT count(*) FROM codings WHERE coder = 'und'") == [(0,)]
    assert top in accept_keys(at) and at.session_state["code_current"] == segment
    assert "Undone" in plain(at.success[0].value)


def test_a_coder_never_sees_another_coders_decisions(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    first = open_page(monkeypatch, demo, "code", coder="blind_a")
    segment = first.session_state["code_current"]
    top = accept_keys(first)[0]
    click(first, top)
    first.text_area(key="code_memo_text").set_value("blind_a's private note")
    click(first, "code_memo_save")
    second = open_page(monkeypatch, demo, "code", coder="blind_b")
    assert second.session_state["code_current"] == segment  # same queue, same segment
    assert top in accept_keys(second)  # still open for blind_b
    assert not any(b.key and b.key.startswith("remove__") for b in second.button)
    shown = page_text(second)
    assert "blind_a" not in shown and "private note" not in shown


def test_walking_all_segments_in_reading_order(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(
        monkeypatch, demo, "code", coder="walker",
        state={"code_mode": "All segments, in reading order"},
    )  # fmt: skip
    first = at.session_state["code_current"]
    click(at, "code_skip")
    second = at.session_state["code_current"]
    assert second != first
    click(at, "code_back")
    assert at.session_state["code_current"] == first


def test_agreement_refuses_a_coder_and_serves_a_supervisor(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    refused = open_page(monkeypatch, demo, "agreement", coder="nosy", role="coder")
    refusal = "is a coder: only a supervisor or admin can compare coders' decisions"
    assert refusal in plain(refused.error[0].value)
    assert not refused.metric and not refused.dataframe
    allowed = open_page(monkeypatch, demo, "agreement", coder="supervisor", role="supervisor")
    labels = [m.label for m in allowed.metric]
    assert "Krippendorff's alpha" in labels and "Percent agreement" in labels


def test_settling_a_disagreement_adopts_a_coders_decision(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "agreement", coder="supervisor", role="supervisor")
    before = rows(demo, "SELECT count(*) FROM coding_events WHERE coder = 'consensus'")[0][0]
    form = next(f for f in at.form if f.proto.form.form_id.startswith("settle_"))
    choice = form.radio[0]
    adopted = plain(choice.options[0]).removeprefix("Adopt ").split("'s decision")[0]
    choice.set_value(f"adopt:{adopted}")
    form.button[0].click().run()
    assert not at.exception
    after = rows(
        demo,
        "SELECT source, memo FROM coding_events WHERE coder = 'consensus' ORDER BY id DESC",
    )
    assert len(after) == before + 1
    assert after[0][0] == "adjudication"
    assert after[0][1].startswith(f"adopted {adopted}'s decision; settled by supervisor")
    assert "Settled" in plain(at.success[0].value)


def test_settling_shows_the_context_and_moves_to_the_next_open_disagreement(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    from qualcode.agreement import agreement_report, disagreements, next_open
    from qualcode.ui.markup import esc

    at = open_page(monkeypatch, demo, "agreement", coder="supervisor", role="supervisor")
    found = disagreements(demo)
    keys = [(d.segment_id, d.code_id) for d in found]
    first = keys[next_open(found)]
    assert at.selectbox(key="agr_pick").value == first
    d = found[keys.index(first)]
    neighbours = rows(
        demo,
        "SELECT text FROM segments WHERE document_id = (SELECT document_id FROM segments "
        "WHERE id = ?) AND ordinal BETWEEN ? AND ? ORDER BY ordinal",
        [d.segment_id, d.ordinal - 2, d.ordinal + 2],
    )
    shown = "\n".join(h.proto.body for h in at.get("html"))
    assert len(neighbours) > 1 and all(esc(text) in shown for (text,) in neighbours)
    share = agreement_report(demo, ci=False)["overall"]["joint_absence_share"]
    assert f"counts a code both coders left off a segment as agreement ({share:.0%}" in (
        page_text(at)
    )
    labels = [m.label for m in at.metric]
    assert labels.index("Percent agreement") == len(labels) - 1  # after kappa, alpha, AC1
    form = next(f for f in at.form if f.proto.form.form_id == f"settle_{first[0]}_{first[1]}")
    form.radio[0].set_value(f"adopt:{sorted(d.decisions)[0]}")
    form.button[0].click().run()
    assert not at.exception
    after = disagreements(demo)
    following = keys[next_open(after, first)]
    assert following != first and at.selectbox(key="agr_pick").value == following
    assert "Settled" in plain(at.success[0].value)


def test_codebook_counts_and_examples_come_from_a_readable_layer(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    from qualcode.coding import code_counts

    at = open_page(monkeypatch, demo, "codebook", coder="supervisor", role="supervisor")
    assert at.selectbox(key="codebook_layer").value == "all"  # a supervisor's default
    counts = code_counts(demo, "all")
    busiest = max(counts, key=counts.get)
    tree = next(h.proto.body for h in at.get("html") if "coded segments" in h.proto.body)
    assert f"<b title='coded segments'>{counts[busiest]}</b>" in tree
    at.selectbox(key="codebook_code").set_value(busiest).run()
    offered = at.selectbox(key=f"example_pick_{busiest}").options
    assert len(offered) == min(counts[busiest], 100)  # every coder's segments, not only mine
    at.selectbox(key="codebook_layer").set_value("coder:supervisor").run()
    assert "title='coded segments'" not in "".join(h.proto.body for h in at.get("html"))
    assert "No segment is coded with this code in ‘My codings’ yet" in page_text(at)


def _hostile_project(tmp_path: Path) -> Project:
    from qualcode.ingest.pipeline import ingest_paths

    project = Project.init(tmp_path / "hostile.duckdb")
    load_codebook(project, csf_pof_codebook())
    transcript = tmp_path / "hostile.txt"
    transcript.write_text(
        "YP1: <script>alert('x')</script> I felt **safe** at <b>home</b>.\n"
        "YP2: # not a heading [a link](http://example.org) :red[not red]\n",
        encoding="utf-8",
    )
    ingest_paths(project, [transcript], location="L1", session="1")
    return project


def test_hostile_transcript_text_is_shown_escaped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = _hostile_project(tmp_path)
    first = rows(project, "SELECT min(id) FROM segments")[0][0]
    at = open_page(
        monkeypatch, project, "code", coder="ana",
        state={"code_mode": "All segments, in reading order"},
    )  # fmt: skip
    assert at.session_state["code_current"] == first
    _assert_escaped(at)
    at.selectbox(key="code_add_code").set_value("safety")
    at.text_input(key="code_add_excerpt").set_value("<script>alert('x')</script>")
    click(at, "code_add")
    message = at.success[0].value  # quotes the excerpt: markdown must not render it
    assert "<script>" not in message and "\\<script\\>" in message
    at.selectbox(key="code_add_code").set_value("safety")
    click(at, "code_add")
    at.switch_page(PAGES["document"]).run()
    assert not at.exception
    _assert_escaped(at)
    assert "<mark" in "".join(h.proto.body for h in at.get("html"))  # the coding is shown


def _assert_escaped(at: AppTest) -> None:
    bodies = "\n".join(h.proto.body for h in at.get("html"))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in bodies
    assert "<script>" not in bodies and "<b>home" not in bodies
    assert "**safe**" in bodies
    assert "# not a heading [a link](http://example.org) :red[not red]" in bodies
    markdown = "\n".join(str(m.value) for m in at.markdown)
    assert "alert" not in markdown  # transcript text never goes through markdown


def test_import_page_ingests_uploads_with_attributes(
    monkeypatch: pytest.MonkeyPatch, empty: Project
) -> None:
    at = open_page(monkeypatch, empty, "import", coder="ana")
    at.get("file_uploader")[0].set_value(
        [
            ("workshop.txt", b"YP1: I feel safe now.\nFacilitator: Thank you.\n", "text/plain"),
            ("broken.docx", b"not a zip file", "application/octet-stream"),
        ]
    )
    at.text_input(key="import_location").set_value("Location 9")
    at.text_input(key="import_session").set_value("4")
    at.text_input(key="import_date").set_value("2022-05-14")
    at.text_area(key="import_other").set_value("activity = body map")
    at.button(key="FormSubmitter:import_form-Import").click().run()
    assert not at.exception
    assert rows(
        empty,
        "SELECT d.title, c.location, c.session, c.date FROM documents d "
        "JOIN cases c ON c.id = d.case_id",
    ) == [("workshop.txt", "Location 9", "4", "2022-05-14")]
    assert rows(empty, "SELECT name, value FROM document_attributes") == [("activity", "body map")]
    results = at.dataframe[0].value
    assert list(results["result"]) == ["added", "failed"]
    assert results["file"].tolist() == ["workshop.txt", "broken.docx"]
    assert "1 files failed" in plain(at.warning[0].value)


def test_import_page_can_pseudonymise(
    monkeypatch: pytest.MonkeyPatch, empty: Project, tmp_path: Path
) -> None:
    log = tmp_path / "apart" / "pseudonyms.json"
    log.parent.mkdir()
    at = open_page(monkeypatch, empty, "import", coder="ana")
    at.get("file_uploader")[0].set_value(
        ("call.txt", b"YP1: Ring me on 07700 900123, my email is ana@example.org.\n", "text/plain")
    )
    at.checkbox(key="import_pseudonymise").check()
    at.text_input(key="import_pseudonym_log").set_value(str(log))
    at.button(key="FormSubmitter:import_form-Import").click().run()
    assert rows(empty, "SELECT count(*) FROM documents") == [(0,)]  # reviewed first
    at.button(key="import_review_confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    stored = rows(empty, "SELECT text FROM documents")[0][0]
    assert "07700 900123" not in stored and "ana@example.org" not in stored
    assert log.exists() and any("Pseudonymised 1 documents" in plain(i.value) for i in at.info)


def test_codebook_edit_example_and_retire_make_new_versions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = Project.init(tmp_path / "cb.duckdb")
    load_codebook(project, csf_pof_codebook())
    at = open_page(monkeypatch, project, "codebook", coder="ana", role="supervisor")
    at.selectbox(key="codebook_code").set_value("safety")
    at.run()
    form = at.form("edit_safety")
    form.text_area[0].set_value("Being and feeling safe, now and later.")
    form.button[0].click().run()
    assert not at.exception
    assert rows(
        project, "SELECT definition FROM codes WHERE id = 'safety' AND codebook_version = 2"
    ) == [("Being and feeling safe, now and later.",)]
    assert "codebook version 2" in plain(at.success[0].value)
    at.checkbox(key="retire_sure_safety").check().run()
    click(at, "retire_safety")
    assert rows(
        project, "SELECT retired FROM codes WHERE id = 'safety' AND codebook_version = 3"
    ) == [(True,)]
    assert rows(project, "SELECT max(version) FROM codebook_versions") == [(3,)]


def test_codebook_upload_loads_a_new_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = Project.init(tmp_path / "up.duckdb")
    at = open_page(monkeypatch, project, "codebook", coder="ana", role="supervisor")
    data = Path(csf_pof_codebook()).read_bytes()
    at.get("file_uploader")[0].set_value(("csf-pof.yaml", data, "application/yaml"))
    at.run()
    click(at, "codebook_load")
    assert rows(project, "SELECT version FROM codebook_versions") == [(1,)]
    assert "codebook version 1" in plain(at.success[0].value)
    assert {b.key for b in at.get("download_button")} >= {
        "codebook_download_yaml", "codebook_download_qdc",
    }  # fmt: skip


def test_a_coder_reads_the_codebook_but_cannot_change_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = Project.init(tmp_path / "read.duckdb")
    load_codebook(project, csf_pof_codebook())
    at = open_page(monkeypatch, project, "codebook", coder="cody", role="coder")
    assert "Supervisors and admins change the codebook" in page_text(at)
    assert not at.get("file_uploader") and not at.get("form")
    assert not [b for b in at.button if b.key and b.key.startswith("retire_")]
    assert {b.key for b in at.get("download_button")} == {
        "codebook_download_yaml", "codebook_download_qdc",
    }  # fmt: skip


def test_themes_page_framework_themes_and_cell_segments(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(
        monkeypatch, demo, "themes", coder="supervisor", role="supervisor",
        state={"themes_layer": "all"},
    )  # fmt: skip
    if any(b.key == "themes_framework" for b in at.button):
        click(at, "themes_framework")
    assert rows(demo, "SELECT count(*) FROM themes WHERE origin = 'framework'")[0][0] >= 5
    overview = at.dataframe[0].value
    assert "theme" in set(overview["kind"]) and "participants" in overview.columns
    at.selectbox(key="themes_target").set_value("code:physical_safety")
    at.selectbox(key="themes_loc").set_value("Location 1")
    at.selectbox(key="themes_ses").set_value("1")
    at.run()
    assert not at.exception
    shown = "\n".join(h.proto.body for h in at.get("html"))
    expected = rows(
        demo,
        "SELECT DISTINCT s.text FROM codings k JOIN segments s ON s.id = k.segment_id "
        "JOIN documents d ON d.id = s.document_id JOIN cases c ON c.id = d.case_id "
        "WHERE k.code_id = 'physical_safety' AND c.location = 'Location 1' "
        "AND c.session = '1'",
    )
    assert expected and all(_escaped(text) in shown for (text,) in expected)


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_a_locked_project_shows_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = Project.init(tmp_path / "locked.duckdb")
    add_coder(project, "ana")
    monkeypatch.setenv("QUALCODE_LOCK_TIMEOUT", "0.2")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(60)", str(project.path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok"
        at = open_page(monkeypatch, project, "progress", coder=None)
        at.session_state[SESSION_KEY] = "ana"
        at.run()
        assert not at.exception
        assert "project file is in use by PID" in plain(at.error[0].value)
    finally:
        holder.kill()
        holder.wait()


def test_page_files_are_distinct_and_exist() -> None:
    root = APP.parent
    paths = list(PAGES.values())
    assert len(set(paths)) == len(paths)
    digests = {hashlib.sha256((root / p).read_bytes()).hexdigest() for p in paths}
    assert len(digests) == len(paths)

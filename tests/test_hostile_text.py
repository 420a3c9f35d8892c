"""Hostile text on every app page: shown literally, never run, never fetched.

Transcripts, file names, codebooks, coder names and memos are untrusted: a transcript
can hold HTML or markdown (pasted from a chat), an imported codebook or .qdpx can name
codes and users anything. Here every one of them carries script tags, event handlers,
markdown images and links to a remote host (198.51.100.7, a documentation address), a
javascript: link, Streamlit directives and math, right-to-left overrides, zero-width and
combining characters, emoji and a 20,000-character line; every page of the app is then
rendered with streamlit.testing's AppTest, signed in as a supervisor whose own name is
hostile. For every page:

- it renders without an exception;
- no text that Streamlit renders as markdown (titles, captions, messages, markdown,
  expander labels, radio options) holds an unescaped image or link: an image there
  would make the browser fetch the remote address, breaking "no network calls";
- no `st.html` body holds a tag or attribute from the data (only escaped text), and the
  hostile text is shown, escaped, where the page shows that text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from qualcode.codebook.versions import current_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.coding.memos import add_memo
from qualcode.ingest.pipeline import ingest_paths
from qualcode.store import Project
from qualcode.suggest import configure_model, suggest
from qualcode.ui import cache
from qualcode.ui.common import PAGES
from qualcode.ui.identity import SESSION_KEY

from .conftest import REPO_ROOT, rows

APP = REPO_ROOT / "app.py"
HOST = "198.51.100.7"
IMG = f"![pixel](http://{HOST}/p.png)"
LINK = "[click here](javascript:alert(1))"
HTML = f'<script>alert(1)</script><img src=x onerror=alert(1)><iframe src="http://{HOST}/">'
ODD = ":red[red] $\\frac{1}{0}$ \u202etxet desrever\u202c zero\u200bwidth e\u0301 👩‍👩‍👧"
HOSTILE = f"{IMG} {LINK} {HTML} {ODD}"
SUPERVISOR = f"Sup {IMG} <b>boss</b>"
CODER = f"Mallory {LINK} <i>x</i>"

# unescaped markdown image or link (a backslash before "!", "[" or "(" disarms it)
ACTIVE_MARKDOWN = re.compile(
    r"(?<!\\)!\[[^\]]*(?<!\\)\]\((?!\\)|(?<!\\)\[[^\]]*(?<!\\)\]\((?!\\)\s*(?:https?|javascript):"
)
RAW_MARKUP = ("<b>boss</b>", "<i>x</i>", "<b>cb</b>", "<b>s</b>", "<script", "<img", "<iframe")


class _Tags(HTMLParser):
    """The tags and attributes of an HTML body, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def live_html(body: str) -> list[str]:
    """What in an st.html body could run or fetch: script-like tags, event handlers,
    links or sources, and markup from the data left unescaped."""
    parser = _Tags()
    parser.feed(body)
    found = [f"<{tag}>" for tag, _ in parser.tags if tag in ("script", "img", "iframe", "a")]
    for tag, attrs in parser.tags:
        for name, value in attrs:
            fetches = name in ("src", "href", "srcset", "action", "formaction", "poster")
            styled = name == "style" and ("url(" in (value or "") or HOST in (value or ""))
            if name.startswith("on") or fetches or styled:  # a title="..." tooltip is text
                found.append(f"<{tag} {name}={value!r}>")
    return found + [raw for raw in RAW_MARKUP if raw in body]


def transcript() -> str:
    return (
        f"Facilitator: What makes a good day? {HTML}\n"
        f"YP1: Feeling safe at home. {IMG} and {LINK} **bold** `code`\n"
        f"YP2: {ODD}\n"
        f"YP3: {'x' * 20_000}\n"
        f"YP4: {HOSTILE}\n"
    )


def codebook() -> dict:
    return {
        "name": f"Codebook {IMG} <b>cb</b>",
        "codes": [
            {"id": "grp", "label": f"Group {IMG} {HTML}", "codable": False, "definition": "g"},
            {
                "id": "safe",
                "label": f"Safety {IMG} {HTML}",
                "parent": "grp",
                "definition": f"Feeling safe at home. {HOSTILE}",
                "include": f"Include {LINK} {ODD}",
                "exclude": f"Exclude {HTML}",
                "examples": [f"Feeling safe {IMG}", HTML],
            },
            {
                "id": "friends",
                "label": f"Friends {LINK}",
                "parent": "grp",
                "definition": f"Having friends nearby {IMG}",
            },
        ],
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project where everything a user or an imported file can name is hostile."""
    folder = tmp_path_factory.mktemp("hostile")
    project = Project.init(folder / "hostile.duckdb")
    book = folder / "codebook.yaml"
    book.write_text(yaml.safe_dump(codebook(), allow_unicode=True), encoding="utf-8")
    load_codebook(project, book)
    source = folder / f"{LINK} <img src=x onerror=alert(1)> notes.txt"
    source.write_text(transcript(), encoding="utf-8")
    report = ingest_paths(project, [source], location=f"Loc {IMG}", session="1 <b>s</b>")
    assert report.documents_added == 1, report.failed
    add_coder(project, SUPERVISOR, "supervisor")
    add_coder(project, CODER, "coder")
    segments = [r[0] for r in rows(project, "SELECT id FROM segments ORDER BY ordinal")]
    decisions = [Decision(s, "safe", SUPERVISOR, "add", memo=HOSTILE) for s in segments[:3]]
    decisions += [Decision(s, "friends", CODER, "add", memo=f"memo {HTML}") for s in segments]
    record_decisions(project, decisions)
    mark_reviewed(project, segments, CODER)
    add_memo(project, "segment", segments[0], SUPERVISOR, f"Memo {HOSTILE}")
    add_memo(project, "project", None, CODER, f"Project memo {HOSTILE}")
    configure_model(project, str(folder / "no-model-here"))  # TF-IDF: fast, offline
    suggest(project)
    assert current_codebook(project).name.startswith("Codebook ![pixel]")
    return project


def open_page(monkeypatch: pytest.MonkeyPatch, project: Project, page: str) -> AppTest:
    monkeypatch.setenv("QUALCODE_DB", str(project.path))
    cache.forget()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[SESSION_KEY] = SUPERVISOR
    at.run()
    if page != "signin":
        at.switch_page(PAGES[page]).run()
    return at


def markdown_texts(at: AppTest) -> list[str]:
    """Every string the page hands Streamlit to render as markdown."""
    texts: list[str] = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title"):
        texts += [str(e.value) for e in at.get(kind)]
    for kind in ("header", "subheader", "toast"):
        texts += [str(e.value) for e in at.get(kind)]
    texts += [e.label for e in at.get("expander")]
    for radio in at.radio:
        texts += [radio.label, *map(str, radio.options)]
    texts += [b.label for b in at.button]
    texts += [c.label for c in at.checkbox]
    return texts


@pytest.mark.parametrize("page", list(PAGES))
def test_hostile_text_is_shown_literally_on_every_page(
    monkeypatch: pytest.MonkeyPatch, hostile: Project, page: str
) -> None:
    at = open_page(monkeypatch, hostile, page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    for text in markdown_texts(at):
        assert not ACTIVE_MARKDOWN.search(text), f"active markdown on {page}: {text[:300]!r}"
    for element in at.get("markdown"):
        if element.proto.allow_html:
            assert not live_html(element.value), (page, live_html(element.value))
    bodies = [e.proto.body for e in at.get("html")]
    for body in bodies:
        assert not live_html(body), (page, live_html(body))
    shown = "\n".join(bodies)
    if page == "document":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown  # the transcript, escaped
        assert "\u202etxet desrever\u202c" in shown and "x" * 20_000 in shown
    if page == "codebook":
        assert "Safety ![pixel](http://198.51.100.7/p.png) &lt;script&gt;" in shown
    if page == "code":
        assert "onerror=alert(1)&gt;" in shown  # the segment in its context, escaped

"""The app end to end: `qualcode app` on 127.0.0.1, driven in headless Debian Chromium.

Registers a coder, opens the Code page, accepts the top suggestion with the mouse and
the next one with the keyboard, reloads, and checks both decisions are in the project
file. Every request the page makes must go to the app itself (no CDN, no telemetry).
A screenshot of the Code page goes to test-artifacts/code-page.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.demo import build_demo
from qualcode.store import Project
from qualcode.suggest import configure_model, suggest

from .app_server import BROWSER_ARGS, CHROMIUM, leaves_app, needs_chromium, running_app
from .conftest import rows

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    directory = tmp_path_factory.mktemp("e2e")
    build_demo(directory)
    project = Project.open(directory / "qualcode.duckdb")
    configure_model(project, str(directory / "no-model-here"))  # TF-IDF: fast
    suggest(project)
    return project


@pytest.fixture
def server(demo: Project, tmp_path: Path):
    """`qualcode app` on a free loopback port; always terminated."""
    with running_app(demo.path, tmp_path) as url:
        yield url


def _accept_button_codes(page) -> list[str]:
    classes = page.locator('[class*="st-key-accept__"]').evaluate_all(
        "els => els.map(e => e.className)"
    )
    found = []
    for names in classes:
        for name in names.split():
            if name.startswith("st-key-accept__"):
                found.append(name.removeprefix("st-key-accept__"))
    return found


def test_accepting_in_the_browser_is_stored(demo: Project, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    foreign: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2200})
            page.on(
                "request", lambda r: foreign.append(r.url) if leaves_app(r.url, server) else None
            )
            page.goto(server)
            page.get_by_label("Name").fill("e2e")
            page.get_by_role("button", name="Register and sign in").click()
            expect(page.get_by_text("Signed in as e2e (coder).")).to_be_visible(timeout=30_000)

            page.get_by_role("link", name="Code", exact=True).click()
            first_accept = page.locator('[class*="st-key-accept__"] button').first
            expect(first_accept).to_be_visible(timeout=30_000)
            segment_text = page.locator(".qc-current").inner_text()
            codes = _accept_button_codes(page)
            first_accept.click()
            expect(page.get_by_text(f"Accepted {codes[0]}.")).to_be_visible(timeout=30_000)

            page.locator("h1").first.click()  # focus leaves any field; keys go to the page
            page.keyboard.press("a")  # the keyboard path: accept the (new) top suggestion
            expect(page.get_by_text(f"Accepted {codes[1]}.")).to_be_visible(timeout=30_000)
            expect(page.locator(f".st-key-accept__{codes[1]}")).to_have_count(0)  # rerun done
            expect(page.locator('[data-testid="stAppDeployButton"]')).to_have_count(0)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "code-page.png"), full_page=True)

            page.reload()  # a new session: signed out, and the decisions already stored
            expect(page.get_by_text("Choose who you are first")).to_be_visible(timeout=30_000)
        finally:
            browser.close()

    stored = rows(
        demo,
        "SELECT e.code_id, e.action, e.source, s.text FROM coding_events e "
        "JOIN segments s ON s.id = e.segment_id WHERE e.coder = 'e2e' ORDER BY e.id",
    )
    assert [(c, a, src) for c, a, src, _ in stored] == [
        (codes[0], "accept", "suggestion"),
        (codes[1], "accept", "suggestion"),
    ]
    assert " ".join(stored[0][3].split()) in " ".join(segment_text.split())
    assert rows(demo, "SELECT count(*) FROM codings WHERE coder = 'e2e'") == [(2,)]
    assert foreign == [], f"the page reached beyond the app: {foreign}"

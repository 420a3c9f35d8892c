"""The app end to end: `qualcode app` on 127.0.0.1, driven in headless Debian Chromium.

Registers a coder, opens the Code page, accepts the top suggestion with the mouse and
the next one with the keyboard (below the threshold A only says so; its number key
accepts it), reloads, and checks both decisions are in the project file. The keys
also work right after a choice in the sidebar, and Back, Back, Next returns to the
segments stepped back from. Every request the page makes must go to the app itself (no
CDN, no telemetry). A screenshot of the Code page goes to test-artifacts/code-page.png.
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
            # the new top suggestion scores 0.00 in the demo: below the threshold, A
            # accepts nothing and says so; its number key accepts it
            weak_primary = '[class*="st-key-accept__"] [data-testid="stBaseButton-primary"]'
            expect(page.locator(weak_primary)).to_have_count(0)
            page.keyboard.press("a")
            expect(page.get_by_text("so A accepts nothing").last).to_be_visible(timeout=30_000)
            expect(page.locator('[data-testid="stAlertContentInfo"]')).to_be_visible()
            page.keyboard.press("1")  # the keyboard path: accept the (new) top suggestion
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


def _current_text(page) -> str:
    return " ".join(page.locator(".qc-current").inner_text().split())


def _settled_text(page) -> str:
    """The current segment's text once the app has finished rerunning: no running
    indicator, and the text unchanged for a second (a sidebar choice can rerun twice)."""
    from playwright.sync_api import expect

    text = _current_text(page)
    for _ in range(30):
        expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=30_000)
        page.wait_for_timeout(1000)
        now = _current_text(page)
        if now == text:
            return now
        text = now
    raise AssertionError("the Code page kept changing its segment for 30 s")


def test_keys_after_a_sidebar_choice_and_back_back_next(demo: Project, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2200})
            page.goto(server)
            page.get_by_label("Name").fill("e2e_keys")
            page.get_by_role("button", name="Register and sign in").click()
            expect(page.get_by_text("Signed in as e2e_keys (coder).")).to_be_visible(timeout=30_000)
            page.get_by_role("link", name="Code", exact=True).click()
            expect(page.locator(".qc-current")).to_be_visible(timeout=30_000)

            # a choice in the sidebar leaves the focus in its selectbox; the page takes
            # it back, so the next key works without a click
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.locator(".st-key-code_document").click()
            page.get_by_role("option").nth(1).click()  # the first document ("All" is 0)
            page.wait_for_function(
                "() => !document.activeElement"
                " || !document.activeElement.closest('[data-testid=\"stSidebar\"]')",
                timeout=30_000,
            )
            seen = [_settled_text(page)]
            for _ in range(2):  # S, S: three segments seen
                page.keyboard.press("s")
                expect(page.locator(".qc-current")).not_to_have_text(seen[-1], timeout=30_000)
                seen.append(_settled_text(page))
            assert len(set(seen)) == 3
            for back in (seen[1], seen[0]):  # B, B
                page.keyboard.press("b")
                expect(page.locator(".qc-current")).to_have_text(back, timeout=30_000)
            page.keyboard.press("n")  # N: to the segment stepped back from, not past it
            expect(page.locator(".qc-current")).to_have_text(seen[1], timeout=30_000)
            page.keyboard.press("n")
            expect(page.locator(".qc-current")).to_have_text(seen[2], timeout=30_000)
        finally:
            browser.close()
    # N on the first recorded a rejection of each suggestion left there; nothing else
    assert rows(demo, "SELECT DISTINCT action FROM coding_events WHERE coder = 'e2e_keys'") == [
        ("reject",)
    ]

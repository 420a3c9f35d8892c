"""Two app sessions and the CLI writing at the same time for a minute, end to end.

One real `qualcode app` on 127.0.0.1 and one headless Chromium with two browser contexts
(two app sessions), signed in as two coders who decide suggestions on the Code page:
accept with the A key, a digit key or a click, reject with the X key or a click, and go
on to the next segment (N or "Done, next", which rejects what is left). Both sessions run
at once (two asyncio tasks) and each action is confirmed from the page after its rerun:
the decided code's buttons are gone from the same segment, or the segment changed. At
the same time a thread runs `qualcode codings import` again and again, each time a small
CSV of a third coder's decisions that no other import repeats.

Afterwards (server stopped) the project file holds, per app coder, exactly the decisions
the page confirmed (none lost, none unconfirmed), every row of every import that exited 0
and nothing of an import refused with the one-line lock message. Every request the pages
make goes to the app on 127.0.0.1. QUALCODE_E2E_SECONDS (default 60) sets how long.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import random
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.codebook.versions import current_codebook
from qualcode.coding.undo import UNDO_OPEN, UNDO_RESTORE
from qualcode.demo import build_demo
from qualcode.store import LOCK_TIMEOUT_ENV, Project
from qualcode.suggest import configure_model, suggest

from .app_server import BROWSER_ARGS, CHROMIUM, QUALCODE, leaves_app, needs_chromium, running_app
from .conftest import rows

pytestmark = needs_chromium

SECONDS = float(os.environ.get("QUALCODE_E2E_SECONDS", "60"))
APP_CODERS = ("session-one", "session-two")
CLI_CODER = "cli-importer"
CLI_ROWS = 4  # rows per imported CSV
ACTION_TIMEOUT_MS = 60_000  # one action's rerun, lock waits included (the app waits 5 s)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

# Counts script runs that start (the app leaves 'notRunning'), so a wait after an action
# only ends once a run begun by that action has finished.
WATCH_RUNS = """() => {
  if (window.__qcStarted !== undefined) return;
  window.__qcStarted = 0;
  new MutationObserver(records => {
    for (const r of records) if (r.oldValue === 'notRunning') window.__qcStarted += 1;
  }).observe(document.body, {subtree: true, attributes: true, attributeOldValue: true,
                             attributeFilter: ['data-test-script-state']});
}"""

# The Code page as shown: the segment's "title · location · session · turn N" line and
# the open suggestions' codes, top first, and whether the top one is the primary accept
# (A; otherwise key 1: below the threshold) (false until the line is drawn: st.html
# content can appear a moment after the run has finished).
PAGE_STATE = """() => {
  const where = [...document.querySelectorAll('p.qc-meta')]
    .map(p => p.textContent.trim()).find(t => /turn \\d+$/.test(t)) || null;
  const codes = [];
  for (const el of document.querySelectorAll('[class*="st-key-accept__"]'))
    for (const name of el.classList)
      if (name.startsWith('st-key-accept__')) {
        const code = name.slice('st-key-accept__'.length);
        if (!codes.includes(code)) codes.push(code);
      }
  const primary = !!document.querySelector(
    '[class*="st-key-accept__"] [data-testid="stBaseButton-primary"]');
  return where ? {where, codes, primary} : false;
}"""

# After an action: false until a run started by it has finished and left no stale
# element; then what the page shows. A decision is confirmed by its message ("Accepted
# CODE.") on the same segment, the code's buttons gone; "Done, next" by a new segment.
SETTLED = """([kind, where, code, message, before]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || window.__qcStarted <= before) return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stException"]')) return 'exception';
  if (document.querySelector('[data-testid="stAlertContentError"]')) return 'refused';
  if (document.body.innerText.includes('Nothing left to review')) return 'end';
  const line = [...document.querySelectorAll('p.qc-meta')]
    .map(p => p.textContent.trim()).find(t => /turn \\d+$/.test(t));
  if (kind === 'next') return line && line !== where ? 'ok' : false;
  const said = [...document.querySelectorAll('[data-testid="stAlertContentSuccess"]')]
    .some(a => a.textContent.trim() === message);
  return said && line === where && !document.querySelector('.st-key-accept__' + code)
    ? 'ok' : false;
}"""

READY = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')
    && !!document.querySelector('[class*="st-key-accept__"]');
}"""


@dataclass
class Session:
    coder: str
    confirmed: list[tuple[str, int, str, str]] = field(default_factory=list)
    """(document title, segment ordinal, code, action) of every decision the page confirmed."""
    actions: int = 0
    refused: int = 0  # actions the page answered with an error line (nothing written)
    keys: int = 0
    clicks: int = 0


@dataclass
class CliRuns:
    ok: list[list[tuple[str, int, str, str]]] = field(default_factory=list)
    refused: list[list[tuple[str, int, str, str]]] = field(default_factory=list)
    problems: list[object] = field(default_factory=list)


def _segment(where: str) -> tuple[str, int]:
    """(document title, ordinal) from the page's "title · ... · turn N" line."""
    title = where.split(" · ")[0]
    return title, int(where.rsplit("turn ", 1)[1]) - 1


async def _press(page, key: str) -> None:
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    await page.keyboard.press(key)


async def _decide_loop(page, session: Session, deadline: float, rnd: random.Random) -> None:
    while time.monotonic() < deadline:
        state = await (
            await page.wait_for_function(PAGE_STATE, timeout=ACTION_TIMEOUT_MS, polling=100)
        ).json_value()
        where, codes = state["where"], state["codes"]
        title, ordinal = _segment(where)
        roll, by_key = rnd.random(), rnd.random() < 0.6
        i = 0
        if not codes or roll < 0.15:  # go on: "Done, next" rejects what is left
            kind, code, verb = "next", "", "reject"
            decided = [(c, "reject") for c in codes]
        else:
            kind, verb = "decide", ("accept" if roll < 0.6 else "reject")
            if not by_key:
                i = rnd.randrange(min(3, len(codes)))
            elif verb == "accept" and len(codes) > 1 and rnd.random() < 0.3:
                i = rnd.randrange(1, min(9, len(codes)))  # digit key i+1 accepts that one
            code = codes[i]
            decided = [(code, verb)]
        before = await page.evaluate("() => window.__qcStarted")
        if by_key:
            if kind == "next":
                key = "n"
            else:
                top = "a" if state["primary"] else "1"  # A only at the threshold
                key = "x" if verb == "reject" else (top if i == 0 else str(i + 1))
            await _press(page, key)
            session.keys += 1
        else:
            if kind == "next":
                button = page.locator(".st-key-code_next button")
            else:
                button = page.locator(f".st-key-{verb}__{code} button")
            await button.filter(visible=True).first.click()  # "Done" has a hidden twin
            session.clicks += 1
        session.actions += 1
        outcome = await (
            await page.wait_for_function(
                SETTLED,
                arg=[kind, where, code, f"{verb.title()}ed {code}.", before],
                timeout=ACTION_TIMEOUT_MS,
                polling=100,
            )
        ).json_value()
        if outcome == "exception":
            raise AssertionError(f"{session.coder}: the app raised an exception")
        if outcome == "refused":
            session.refused += 1  # the one-line error: this action wrote nothing
            continue
        session.confirmed.extend((title, ordinal, c, action) for c, action in decided)
        if outcome == "end":
            return


async def _sign_in(context, server: str, coder: str, foreign: list[str]):
    from playwright.async_api import expect

    page = await context.new_page()
    page.on("request", lambda r: foreign.append(r.url) if leaves_app(r.url, server) else None)
    page.on("websocket", lambda w: foreign.append(w.url) if leaves_app(w.url, server) else None)
    await page.goto(server)
    await page.get_by_label("Name").fill(coder)
    await page.get_by_role("button", name="Register and sign in").click()
    await expect(page.get_by_text(f"Signed in as {coder} (coder).")).to_be_visible(timeout=60_000)
    await page.get_by_role("link", name="Code", exact=True).click()
    await page.wait_for_function(READY, timeout=60_000, polling=100)
    await page.evaluate(WATCH_RUNS)
    return page


async def _drive_sessions(
    server: str, sessions: list[Session], foreign: list[str], start_cli
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            contexts = [
                await browser.new_context(viewport={"width": 1400, "height": 2200})
                for _ in sessions
            ]
            pages = await asyncio.gather(
                *(
                    _sign_in(c, server, s.coder, foreign)
                    for c, s in zip(contexts, sessions, strict=True)
                )
            )
            deadline = start_cli()
            try:
                await asyncio.gather(
                    *(
                        _decide_loop(page, s, deadline, random.Random(s.coder))
                        for page, s in zip(pages, sessions, strict=True)
                    )
                )
            except BaseException:
                ARTIFACTS.mkdir(exist_ok=True)
                for page, s in zip(pages, sessions, strict=True):
                    with contextlib.suppress(Exception):  # keep the original failure
                        await page.screenshot(path=str(ARTIFACTS / f"concurrency-{s.coder}.png"))
                raise
        finally:
            await browser.close()


def _cli_imports(
    db: Path, workdir: Path, deadline: float, targets: list[tuple[str, int, str]], out: CliRuns
) -> None:
    """`qualcode codings import` of a fresh CSV after another until the deadline."""
    env = {**os.environ, "QUALCODE_DB": str(db), LOCK_TIMEOUT_ENV: "2"}
    env.pop("COVERAGE_PROCESS_START", None)
    in_use = re.compile(
        rf"error: project file is in use by (PID \d+ \(.*\)|another process): "
        rf"{re.escape(str(db))}\n"
    )
    n = 0
    try:
        while time.monotonic() < deadline:
            batch = [
                (title, ordinal, code, "add" if (n + k) % 2 else "reject")
                for k, (title, ordinal, code) in enumerate(
                    targets[n * CLI_ROWS : (n + 1) * CLI_ROWS]
                )
            ]
            path = workdir / f"cli-{n:04d}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["coder", "document", "segment", "code", "decision"])
                writer.writerows((CLI_CODER, *row) for row in batch)
            n += 1
            result = subprocess.run(
                [str(QUALCODE), "codings", "import", str(path), "--json"],
                capture_output=True, text=True, timeout=120, env=env, cwd=workdir,
            )  # fmt: skip
            if result.returncode == 0 and json.loads(result.stdout)["events"] == len(batch):
                out.ok.append(batch)
            elif result.returncode == 1 and in_use.fullmatch(result.stderr):
                out.refused.append(batch)
            else:
                out.problems.append((result.returncode, result.stdout, result.stderr))
    except Exception as exc:  # reported by the test: a dead loop must not pass silently
        out.problems.append(repr(exc))


def _imports_logged(project: Project) -> int:
    return rows(project, "SELECT count(*) FROM action_log WHERE action = 'codings.import'")[0][0]


def test_two_app_sessions_and_the_cli_for_a_minute_lose_nothing(tmp_path: Path) -> None:
    build_demo(tmp_path)
    db = (tmp_path / "qualcode.duckdb").resolve()
    project = Project.open(db)
    configure_model(project, str(tmp_path / "no-model-here"))  # TF-IDF: fast
    suggest(project)
    segments = {
        (title, ordinal): segment_id
        for segment_id, title, ordinal in rows(
            project,
            "SELECT s.id, d.title, s.ordinal FROM segments s "
            "JOIN current_documents d ON d.id = s.document_id",
        )
    }
    codes = [c.id for c in current_codebook(project).codable()]
    targets = [(title, ordinal, code) for (title, ordinal) in sorted(segments) for code in codes]
    random.Random(11).shuffle(targets)  # every CLI row a (segment, code) no other row has
    imports_before = _imports_logged(project)

    sessions = [Session(coder) for coder in APP_CODERS]
    cli = CliRuns()
    foreign: list[str] = []
    threads: list[threading.Thread] = []
    started: list[float] = []

    def start_cli() -> float:
        deadline = time.monotonic() + SECONDS
        started.append(time.monotonic())
        thread = threading.Thread(
            target=_cli_imports, args=(db, tmp_path, deadline, targets, cli), daemon=True
        )
        thread.start()
        threads.append(thread)
        return deadline

    with running_app(db, tmp_path) as server:
        try:
            asyncio.run(_drive_sessions(server, sessions, foreign, start_cli))
        finally:
            for thread in threads:
                thread.join(timeout=180)
        elapsed = time.monotonic() - started[0]
    assert not any(t.is_alive() for t in threads), "the CLI loop did not finish"

    # The server is stopped: the file now holds everything that will ever be in it.
    not_undo = (
        f"NOT starts_with(coalesce(memo, ''), '{UNDO_OPEN}') "
        f"AND NOT starts_with(coalesce(memo, ''), '{UNDO_RESTORE}')"
    )
    figures = []
    total = 0
    for s in sessions:
        stored = rows(
            project,
            f"SELECT segment_id, code_id, action, source FROM coding_events "
            f"WHERE coder = ? AND {not_undo}",
            [s.coder],
        )
        assert {source for *_, source in stored} <= {"suggestion"}
        in_file = Counter((seg, code, action) for seg, code, action, _ in stored)
        confirmed = Counter(
            (segments[(title, ordinal)], code, action)
            for title, ordinal, code, action in s.confirmed
        )
        assert len(stored) >= len(s.confirmed) > 0, s.coder
        assert confirmed - in_file == Counter(), f"{s.coder}: confirmed but not stored"
        assert in_file - confirmed == Counter(), f"{s.coder}: stored but never confirmed"
        accepted = sum(1 for *_, action in s.confirmed if action == "accept")
        figures.append(
            f"{s.coder}: {len(s.confirmed)} decisions ({accepted} accepted, "
            f"{len(s.confirmed) - accepted} rejected) in {s.actions} actions "
            f"({s.keys} by key, {s.clicks} by click), {s.refused} refused"
        )
        total += len(s.confirmed)

    assert cli.problems == [], cli.problems
    assert cli.ok, "no CLI import went through"
    stored_cli = Counter(
        rows(
            project,
            "SELECT segment_id, code_id, action, source FROM coding_events WHERE coder = ?",
            [CLI_CODER],
        )
    )
    imported = Counter(
        (segments[(title, ordinal)], code, action, "import")
        for batch in cli.ok
        for title, ordinal, code, action in batch
    )
    refused_rows = {
        (segments[(title, ordinal)], code, action, "import")
        for batch in cli.refused
        for title, ordinal, code, action in batch
    }
    assert imported - stored_cli == Counter(), "an import that exited 0 lost rows"
    assert not refused_rows & set(stored_cli), "a refused import wrote rows"
    assert stored_cli == imported, "CLI rows stored that no successful import had"
    assert _imports_logged(project) - imports_before == len(cli.ok)
    cli_rows = sum(imported.values())
    total += cli_rows
    assert foreign == [], f"the pages reached beyond the app: {foreign}"
    print(
        f"\napp + cli e2e, {elapsed:.0f} s on 127.0.0.1: "
        + "; ".join(figures)
        + f"; cli {CLI_CODER}: {len(cli.ok)} imports ok ({cli_rows} rows), "
        f"{len(cli.refused)} refused (lock, nothing written); "
        f"total {total} decisions stored, lost 0"
    )

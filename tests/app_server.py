"""The real app for browser tests: `qualcode app` on a free loopback port, and the
headless Debian Chromium (never Playwright's own download) that drives it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
QUALCODE = Path(sys.executable).with_name("qualcode")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the app exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"no answer from {url} in {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_app(db: Path, workdir: Path) -> Iterator[str]:
    """`qualcode app` on the project `db`, on a free 127.0.0.1 port; yields its URL.
    Its output goes to workdir/app.log; it is always stopped on leaving."""
    port = free_port()
    log = workdir / "app.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(QUALCODE), "--db", str(db), "app", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def leaves_app(url: str, server: str) -> bool:
    """Whether a request the page makes goes anywhere but the app at `server`
    (http://127.0.0.1:PORT): its pages, its websocket and inline data are the app's own."""
    parts, app = urlsplit(url), urlsplit(server)
    if parts.scheme in ("data", "blob", "about"):
        return False
    return not (
        parts.scheme in ("http", "ws") and parts.hostname == "127.0.0.1" and parts.port == app.port
    )

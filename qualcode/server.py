"""Starting the Streamlit app: loopback only unless asked, no usage statistics, and
stopped with the command that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qualcode.errors import NextStep, QualcodeError
from qualcode.resources import app_script
from qualcode.store import Project

LOOPBACK = ("127.0.0.1", "::1", "localhost")
ALLOWED_HOSTS_ENV = "QUALCODE_ALLOWED_HOSTS"
"""Comma-separated host names the app answers to besides loopback (the `--host` it was
asked to serve on is added): `qualcode.ui.host_guard` refuses every other."""
STOP_GRACE_SECONDS = 4.0
"""How long Streamlit gets to shut down after SIGTERM before it is killed."""
_STOP_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK")
    if hasattr(signal, name)
)


def streamlit_command(app: Path, host: str, port: int) -> list[str]:
    """The command line that serves `app`; telemetry off whatever the config says."""
    return [
        sys.executable,
        "-m",
        "qualcode.ui.launch",  # streamlit run, with the host guard first
        "run",
        str(app),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


def serve(project: Project, host: str = "127.0.0.1", port: int = 8501) -> int:
    """Run the app on a project until it is stopped; return Streamlit's exit code (0 when
    stopped by a signal).

    Anything but a loopback address is refused while the project has no password
    accounts: without them anyone on the network could sign in as anyone."""
    from qualcode.accounts import accounts_exist

    if host.lower() not in LOOPBACK and not accounts_exist(project):
        raise QualcodeError(
            f"refusing to serve on {host}: the project has no accounts",
            next_step=NextStep.ADD_ADMIN,
        )
    app = app_script()
    env = {
        **os.environ,
        "QUALCODE_DB": str(project.path.resolve()),
        ALLOWED_HOSTS_ENV: ",".join(h for h in (os.environ.get(ALLOWED_HOSTS_ENV), host) if h),
    }
    print(f"qualcode app on http://{host}:{port} (project {project.path})", file=sys.stderr)
    return run_until_stopped(streamlit_command(app, host, port), env=env, cwd=app.parent)


def run_until_stopped(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """Run `command` until it exits, or until this process is asked to stop (SIGTERM,
    SIGINT, SIGHUP): then stop the child too, so no server outlives its command and
    keeps serving the project file. Returns the child's exit code, 0 when stopped.

    The stop signals are caught before the child starts and only set a flag, so a signal
    at any moment (before the child exists, or while its end is awaited) stops both."""
    stopping: list[int] = []
    with _catching_stop_signals(stopping):
        if stopping:
            return 0
        child = subprocess.Popen(command, env=env, cwd=cwd)
        try:
            while child.poll() is None and not stopping:
                try:
                    child.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if child.poll() is None:
                _stop(child)
        return 0 if stopping else child.returncode


def _stop(child: subprocess.Popen) -> None:
    child.terminate()
    try:
        child.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


@contextmanager
def _catching_stop_signals(stopping: list[int]) -> Iterator[None]:
    """While the block runs, a stop signal is appended to `stopping` instead of ending
    the process (handlers can only be set from the main thread; elsewhere the block runs
    as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        number: signal.signal(number, lambda n, _: stopping.append(n)) for number in _STOP_SIGNALS
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)

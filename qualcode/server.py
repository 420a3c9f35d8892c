"""Starting the Streamlit app: loopback only unless asked, no usage statistics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from qualcode.errors import QualcodeError
from qualcode.store import Project

APP = Path(__file__).resolve().parents[1] / "app.py"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def streamlit_command(host: str, port: int) -> list[str]:
    """The command line that serves app.py; telemetry off whatever the config says."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
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
    """Run the app on a project until it is stopped; return Streamlit's exit code.

    Anything but a loopback address is refused while the project has no password
    accounts: without them anyone on the network could sign in as anyone."""
    from qualcode.accounts import accounts_exist

    if host.lower() not in LOOPBACK and not accounts_exist(project):
        raise QualcodeError(
            f"refusing to serve on {host}: the project has no accounts "
            "(create an admin with 'qualcode accounts add NAME --role admin' first)"
        )
    if not APP.exists():
        raise QualcodeError(f"{APP}: the app is not installed beside the package")
    env = {**os.environ, "QUALCODE_DB": str(project.path.resolve())}
    print(f"qualcode app on http://{host}:{port} (project {project.path})", file=sys.stderr)
    try:
        return subprocess.call(streamlit_command(host, port), env=env, cwd=APP.parent)
    except KeyboardInterrupt:
        return 0

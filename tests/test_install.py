"""qualcode installed from its wheel, away from any checkout: the demo builds, the app
serves from package data, and stopping the command stops the app.

The wheel is built from this checkout and unpacked into a folder of its own
(`pip install --no-deps --target`), whose qualcode the child processes import instead
of the checkout's (asserted); the dependencies are this environment's. Every command
runs in an empty working folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from qualcode import __version__

from .app_server import free_port
from .conftest import REPO_ROOT

SHIPPED = [
    "app.py",
    ".streamlit/config.toml",
    "codebook/csf-pof.yaml",
    "codebook/README.md",
    *(
        f"corpora/sample/{p.name}"
        for p in sorted((REPO_ROOT / "corpora" / "sample").iterdir())
        if p.is_file()
    ),
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--wheel-dir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("qualcode-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile"]
        + ["--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


def _env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QUALCODE_DB"}
    return {**env, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _qualcode(site: Path, cwd: Path, *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "qualcode", *args],
        env=_env(site),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_wheel_carries_the_app_codebook_and_sample(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"qualcode/shipped/{name}" for name in SHIPPED} <= names
    for name in SHIPPED:  # the wheel's copy is the repository's file, byte for byte
        assert zipfile.ZipFile(wheel).read(f"qualcode/shipped/{name}") == (
            (REPO_ROOT / name).read_bytes()
        )
    assert {n for n in names if n.startswith("qualcode/migrations/0")} == {
        f"qualcode/migrations/{p.name}"
        for p in (REPO_ROOT / "qualcode" / "migrations").glob("*.sql")
    }
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]
    assert wheel.name == f"qualcode-{__version__}-py3-none-any.whl"


def test_installed_qualcode_is_the_wheels_and_knows_its_version(
    installed: Path, tmp_path: Path
) -> None:
    code = "import qualcode, qualcode.resources as r; print(qualcode.__file__, r.shipped_root())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(installed),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(out[0]).is_relative_to(installed)
    assert Path(out[1]) == installed / "qualcode" / "shipped"
    assert _qualcode(installed, tmp_path, "--version").strip() == f"qualcode {__version__}"


@pytest.fixture(scope="module")
def demo_dir(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`qualcode demo --no-app` from an empty folder, with the installed package."""
    cwd = tmp_path_factory.mktemp("empty")
    out = _qualcode(installed, cwd, "demo", "--directory", "demo", "--no-app")
    assert "demo project:" in out and "suggestions" in out
    assert sorted(p.name for p in cwd.iterdir()) == ["demo"]  # nothing else written here
    return cwd / "demo"


def test_demo_builds_from_the_installed_package(demo_dir: Path) -> None:
    from qualcode.status import project_status
    from qualcode.store import Project

    status = project_status(Project.open(demo_dir / "qualcode.duckdb"))
    sample = REPO_ROOT / "corpora" / "sample"
    manifest_rows = (sample / "manifest.csv").read_text(encoding="utf-8").strip().splitlines()
    assert status["documents"] == len(manifest_rows) - 1
    assert status["codes"] == 39


PAGES_RUN = r"""
import sys
from streamlit.testing.v1 import AppTest
from qualcode.ui.common import PAGES

at = AppTest.from_file(sys.argv[1], default_timeout=60).run()
assert not at.exception, [e.value for e in at.exception]
for name, page in PAGES.items():
    at.switch_page(page).run()
    assert not at.exception, (name, [e.value for e in at.exception])
print(sorted(PAGES), at.title[0].value if at.title else "")
"""


def test_every_page_runs_from_the_installed_package(installed: Path, demo_dir: Path) -> None:
    """The shipped app script and every page it navigates to run from package data
    (what the health check of a served app cannot tell)."""
    app_script = installed / "qualcode" / "shipped" / "app.py"
    env = {**_env(installed), "QUALCODE_DB": str(demo_dir / "qualcode.duckdb")}
    out = subprocess.run(
        [sys.executable, "-c", PAGES_RUN, str(app_script)],
        env=env,
        cwd=demo_dir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "'signin'" in out.stdout and "'accounts'" in out.stdout


def _app_processes(app_script: Path) -> list[int]:
    """Ids of running processes whose command line serves `app_script` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(app_script).encode() in cmdline:
                found.append(int(entry.name))
    return found


def _port_free(port: int) -> bool:
    """Whether a server can listen on `port` again (as servers do, with SO_REUSEADDR: the
    connections the test made may linger in TIME_WAIT, which is no process)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_serving(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"no answer from {url} in {timeout} s")


@contextmanager
def _serving(installed: Path, cwd: Path, args: list[str]) -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qualcode", *args, "--port", str(port)],
        env=_env(installed),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a failed test can stop the app with its command
    )
    try:
        _wait_serving(f"http://127.0.0.1:{port}/_stcore/health", process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
        yield process, port
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # Streamlit too, whatever happened
        process.wait()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize(
    ("command", "stop"),
    [("app", signal.SIGTERM), ("demo", signal.SIGINT)],
)
def test_the_app_serves_and_stops_with_its_command(
    installed: Path, demo_dir: Path, tmp_path: Path, command: str, stop: signal.Signals
) -> None:
    """`qualcode app` (any project) and `qualcode demo` (built, then served) from package
    data; SIGTERM or SIGINT to the command stops Streamlit too, within 5 s, leaving no
    process and a free port."""
    args = (
        ["--db", str(demo_dir / "qualcode.duckdb"), "app"]
        if command == "app"
        else ["demo", "--directory", str(demo_dir)]
    )
    app_script = installed / "qualcode" / "shipped" / "app.py"
    with _serving(installed, tmp_path, args) as (process, port):
        children = _app_processes(app_script)
        assert children and process.pid not in children  # Streamlit runs as a child
        process.send_signal(stop)
        started = time.monotonic()
        process.wait(timeout=5)
        while _app_processes(app_script) and time.monotonic() - started < 5:
            time.sleep(0.1)
        assert time.monotonic() - started < 5
        assert _app_processes(app_script) == []
        assert process.returncode == 0
        assert _port_free(port)

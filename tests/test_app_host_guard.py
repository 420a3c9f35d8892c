"""DNS rebinding: the running app answers only requests addressed to its own host name.
A page whose name resolves to 127.0.0.1 sends `Host` (and `Origin`) of that name; its
HTTP requests get 403 and its websocket is refused before it opens."""

from __future__ import annotations

import base64
import http.client
import os
from pathlib import Path

import pytest

from qualcode.coders import add_coder
from qualcode.store import Project
from qualcode.ui.host_guard import allowed_hosts, host_name

from .app_server import running_app


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8501", "127.0.0.1"),
        ("LocalHost.:80", "localhost"),
        ("[::1]:8501", "::1"),
        ("[::1]", "::1"),
        ("evil.example", "evil.example"),
        ("127.0.0.1.nip.io:8501", "127.0.0.1.nip.io"),
    ],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


def test_allowed_hosts_are_loopback_and_the_configured_address(monkeypatch) -> None:
    monkeypatch.delenv("QUALCODE_ALLOWED_HOSTS", raising=False)
    assert allowed_hosts() == {"127.0.0.1", "localhost", "::1"}
    monkeypatch.setenv("QUALCODE_ALLOWED_HOSTS", "lab.example.org,,10.1.2.3")
    assert allowed_hosts() == {"127.0.0.1", "localhost", "::1", "lab.example.org", "10.1.2.3"}


def _request(port: int, path: str, host: str, websocket: bool = False) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": host, "Origin": f"http://{host}"}
    if websocket:
        headers |= {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        }
    connection.request("GET", path, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def test_the_app_refuses_other_host_names(project: Project, tmp_path: Path) -> None:
    add_coder(project, "ana")
    with running_app(project.path, tmp_path) as url:
        port = int(url.rsplit(":", 1)[1])
        own = f"127.0.0.1:{port}"
        assert _request(port, "/", own) == 200
        assert _request(port, "/", f"localhost:{port}") == 200
        assert _request(port, "/_stcore/stream", own, websocket=True) == 101
        for rebound in (f"evil.example:{port}", f"127.0.0.1.nip.io:{port}", "attacker"):
            assert _request(port, "/", rebound) == 403
            assert _request(port, "/_stcore/health", rebound) == 403
            assert _request(port, "/_stcore/stream", rebound, websocket=True) == 403

"""Refusing requests addressed to any host name but the app's own (DNS rebinding).

A web page from anywhere can make its own host name resolve to 127.0.0.1 and then be
"same origin" with the app: its requests and websocket carry `Host` and `Origin` of
that name, which Streamlit's origin check accepts. Refusing every request whose
`Host` is not a loopback name (or the address the app was asked to serve on) keeps
such pages out: HTTP gets 403, a websocket is closed before it opens (uvicorn then
answers the handshake with 403).

`install` puts the guard first in Streamlit's middleware; it runs in the Streamlit
process before the server starts (`qualcode.ui.launch`)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from qualcode.server import ALLOWED_HOSTS_ENV, LOOPBACK

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


def host_name(header: str) -> str:
    """The host name of a `Host` header, without port or brackets, lower case:
    '[::1]:8501' -> '::1', 'LocalHost.:80' -> 'localhost'."""
    value = header.strip().lower()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def allowed_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    """Loopback names, the names in $QUALCODE_ALLOWED_HOSTS, and `extra`."""
    configured = os.environ.get(ALLOWED_HOSTS_ENV, "").split(",")
    return frozenset(LOOPBACK) | {host_name(h) for h in [*configured, *extra] if h.strip()}


class HostGuard:
    """ASGI middleware: only requests for an allowed host name reach the app."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and not self._allowed(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = b"403: this app answers only to its own address\n"
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        hosts = [v for k, v in scope.get("headers", []) if k == b"host"]
        return len(hosts) == 1 and host_name(hosts[0].decode("latin-1")) in self.allowed


def install() -> None:
    """Put `HostGuard` first in Streamlit's middleware, for the app about to start.

    Streamlit builds its middleware in `create_streamlit_middleware`; a Streamlit
    without it (not served by Starlette) cannot be guarded, and the app refuses to
    start rather than serve unguarded."""
    from starlette.middleware import Middleware
    from streamlit.web.server.starlette import starlette_app

    original = getattr(starlette_app, "create_streamlit_middleware", None)
    if original is None:
        raise SystemExit("qualcode: this Streamlit has no middleware hook; install streamlit 1.67")

    def guarded() -> list[Middleware]:
        return [Middleware(HostGuard, allowed=allowed_hosts()), *original()]

    starlette_app.create_streamlit_middleware = guarded

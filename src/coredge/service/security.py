"""Bearer tokens, the request-body limit and response headers of ``coredge serve``."""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from coredge.errors import InputError

MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted [bytes] (1 MiB: a scenario with every option set is under 20 KiB)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """True if `host` (a name or an address) only listens on this machine."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, token: str | None) -> tuple[str, bool]:
    """The token to require and whether it was generated.

    A non-loopback `host` without a token is refused (`InputError`); on loopback a random token
    is generated when none is given.
    """
    if token is not None and token.strip():
        token = token.strip()
        if len(token) < 16:
            raise InputError.of("--token", "(hidden)", "at least 16 characters")
        return token, False
    if not is_loopback(host):
        raise InputError.of(
            "--token", None,
            f"a token (--token or COREDGE_TOKEN) to listen on {host}, which is not a loopback address",
        )
    return secrets.token_urlsafe(24), True


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


async def _reply(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes gets 413, whether it declares its length
    (refused before it is read) or arrives in chunks (refused once the limit is passed, before
    the application sees any of it)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = {"detail": f"request body over {self.limit} bytes"}
        for k, v in scope.get("headers") or []:
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    await _reply(send, 400, {"detail": "bad Content-Length"})
                    return
                if n > self.limit:
                    await _reply(send, 413, detail)
                    return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # read the whole body first (at most `limit` bytes), then hand it on in one message
        body = bytearray()
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body += msg.get("body", b"")
            if len(body) > self.limit:
                await _reply(send, 413, detail)
                return
            if not msg.get("more_body", False):
                break
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
"""Content-Security-Policy of the dashboard's pages: nothing is loaded from anywhere else."""

REPORT_CSP = (
    "sandbox allow-scripts allow-popups allow-downloads; default-src 'none'; "
    "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; connect-src 'none'; frame-ancestors 'self'"
)
"""Content-Security-Policy of a served ``report.html`` (self-contained): it runs its own inline
scripts in a sandbox (no access to the dashboard's origin) and may fetch nothing."""


class SecurityHeaders:
    """ASGI middleware adding ``nosniff``, ``no-referrer`` and a CSP to every response that
    does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"content-security-policy", PAGE_CSP.encode()),
                         (b"x-frame-options", b"SAMEORIGIN")]
                headers += [(k, v) for k, v in extra if k not in names]
                msg["headers"] = headers
            await send(msg)

        await self.app(scope, receive, with_headers)


__all__ = ["MAX_BODY_BYTES", "PAGE_CSP", "REPORT_CSP", "BodyLimit", "SecurityHeaders", "is_loopback",
           "resolve_token", "token_matches"]

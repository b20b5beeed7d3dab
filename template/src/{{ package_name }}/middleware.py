"""ASGI middleware every response goes through: security headers and a
request body limit. Plain ASGI (not `BaseHTTPMiddleware`), so they cost a
dictionary lookup per request, not a task."""

import json

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# For responses that carry a credential (RFC 6749 §5.1): no cache keeps them.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# Set on every response unless the route set its own.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (name.lower().encode(), value.encode())
            for name, value in SECURITY_HEADERS.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in self.headers if pair[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """413 for a request body over `max_bytes`: at once when `Content-Length`
    says so, and as soon as a body sent without one grows past it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is None or declared < 0:
            await _reply(send, status.HTTP_400_BAD_REQUEST, "Invalid Content-Length")
            return
        if declared > self.max_bytes:
            await _reply(send, status.HTTP_413_CONTENT_TOO_LARGE, self._detail)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI turns this into the response while it reads the body.
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE, detail=self._detail
                    )
            return message

        await self.app(scope, counting_receive, send)

    @property
    def _detail(self) -> str:
        return f"Request body too large (at most {self.max_bytes} bytes)"


def _content_length(scope: Scope) -> int | None:
    """The declared body length (0 when there is none), or None if garbled."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return 0


async def _reply(send: Send, status_code: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

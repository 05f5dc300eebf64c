"""A raw-socket HTTP server for the hostile corpus: every byte on the wire is the route's choice.

tests/support/httpserver.py (``BaseHTTPRequestHandler``) always writes a well-formed status line
and its own Content-Length; the hostile cases need what it cannot send: a status line trickled a
byte at a time, a megabyte header, a Content-Length that lies, a body that never ends, a peer
that never answers. Each route gets the connected socket and writes whatever it wants.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

STOP = threading.Event()
"""Set when the server shuts down: endless and trickling routes stop writing."""


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]


Route = Callable[[socket.socket, Request], None]


def head(status: int, headers: dict[str, str] | None = None, *, reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reply(
    body: bytes = b"",
    status: int = 200,
    *,
    length: int | None = None,
    content_type: str | None = "application/rss+xml",
    extra: dict[str, str] | None = None,
    **headers: str,
) -> Route:
    """A complete answer; ``length`` declares another Content-Length than the body's (a lie).
    Header names are given as keywords (``Content_Encoding``) or in ``extra``."""
    h = {k.replace("_", "-"): v for k, v in headers.items()} | (extra or {})
    if content_type:
        h.setdefault("Content-Type", content_type)
    h.setdefault("Content-Length", str(len(body) if length is None else length))
    h["Connection"] = "close"
    data = head(status, h) + body

    def route(sock: socket.socket, _req: Request) -> None:
        sock.sendall(data)

    return route


def redirect(status: int, location: str) -> Route:
    return reply(b"", status, Location=location, content_type=None)


def stream(chunks: Callable[[], Iterator[bytes]], *, chunked: bool, **headers: str) -> Route:
    """A body written from ``chunks`` until the client hangs up (or the generator ends)."""
    h = {"Content-Type": "application/rss+xml", "Connection": "close", **headers}
    if chunked:
        h["Transfer-Encoding"] = "chunked"

    def route(sock: socket.socket, _req: Request) -> None:
        sock.sendall(head(200, h))
        for part in chunks():
            if STOP.is_set():
                return
            sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part)
        if chunked:
            sock.sendall(b"0\r\n\r\n")

    return route


def trickle(prefix: bytes, byte: bytes = b"a", every_s: float = 0.2) -> Route:
    """``prefix`` at once, then one byte every ``every_s`` for ever: no recv ever times out."""

    def route(sock: socket.socket, _req: Request) -> None:
        sock.sendall(prefix)
        while not STOP.is_set():
            sock.sendall(byte)
            time.sleep(every_s)

    return route


def silent(sock: socket.socket, _req: Request) -> None:
    """Accepts the request and never answers."""
    while not STOP.is_set():
        time.sleep(0.1)
        with contextlib.suppress(TimeoutError, BlockingIOError):
            if sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                return  # the client gave up


def hang_up(sock: socket.socket, _req: Request) -> None:
    """Closes the connection without a byte of answer."""


def reset(sock: socket.socket, _req: Request) -> None:
    """Closes with an RST (SO_LINGER 0) instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def sequence(*routes: Route) -> Route:
    """The first request gets the first route, the second the second...; the last one repeats."""
    calls = itertools.count()

    def route(sock: socket.socket, req: Request) -> None:
        routes[min(next(calls), len(routes) - 1)](sock, req)

    return route


class HostileServer:
    """Threaded, one connection per request (every answer says Connection: close)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="hostile-http")

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> HostileServer:
        STOP.clear()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        STOP.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not STOP.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                part = conn.recv(4096)
                if not part:
                    return
                data += part
            lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            self.hits.append(path)
            route = self.routes.get(path) or reply(b"not found", 404, content_type="text/plain")
            route(conn, Request(path, headers))

"""A local threaded HTTP server whose routes misbehave on purpose, recording every hit.

The server itself is the runtime's (diplowire.sampleserver.LoopbackServer); this module adds
only what tests need: routes, replies that dribble, truncate or switch encodings, and a record
of each request.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from diplowire.sampleserver import LoopbackServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    dribble_s: float = 0.0
    """Seconds between single bytes of the body (a slow server)."""
    truncate_at: int | None = None
    """Close the connection after this many body bytes, with the full Content-Length declared."""
    chunked: bool = False


Route = Callable[[BaseHTTPRequestHandler], Reply]


def static(
    body: bytes, *, etag: bool = True, last_modified: str | None = None, **headers: str
) -> Route:
    """200 with an ETag (and Last-Modified), 304 when the client's validator matches."""
    tag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'

    def route(req: BaseHTTPRequestHandler) -> Reply:
        h = dict(headers)
        if etag:
            h["ETag"] = tag
        if last_modified:
            h["Last-Modified"] = last_modified
        if etag and req.headers.get("If-None-Match") == tag:
            return Reply(304, headers=h)
        if not etag and last_modified and req.headers.get("If-Modified-Since") == last_modified:
            return Reply(304, headers=h)
        return Reply(200, body, {"Content-Type": "application/rss+xml", **h})

    return route


class DeltaFeed:
    """One feed in successive versions (lists of item numbers), with RFC 3229 feed deltas.

    Version ``v`` has the ETag ``"v<v>"``. A request whose If-None-Match names the current version
    gets a 304; one that names an older version and carries ``A-IM: feed`` gets ``226 IM Used``
    with only the items that version lacked (unless ``honour`` is False: then, like a server that
    ignores A-IM, the whole feed with a 200).
    """

    def __init__(
        self, render: Callable[[list[int]], bytes], items: list[int], *, honour: bool = True
    ) -> None:
        self.render = render
        self.versions = [list(items)]
        self.honour = honour
        self.statuses: list[int] = []

    @staticmethod
    def etag(version: int) -> str:
        return f'"v{version}"'

    def publish(self, items: list[int]) -> None:
        self.versions.append(list(items))

    def __call__(self, req: BaseHTTPRequestHandler) -> Reply:
        current = len(self.versions) - 1
        headers = {"ETag": self.etag(current), "Content-Type": "application/rss+xml"}
        inm = req.headers.get("If-None-Match")
        asked = [t.strip().lower() for t in (req.headers.get("A-IM") or "").split(",")]
        base = next((v for v in range(current) if self.etag(v) == inm), None)
        if inm == self.etag(current):
            reply = Reply(304, headers={"ETag": self.etag(current)})
        elif self.honour and "feed" in asked and base is not None:
            old = set(self.versions[base])
            new = [i for i in self.versions[current] if i not in old]
            reply = Reply(226, self.render(new), {**headers, "IM": "feed"})
        else:
            reply = Reply(200, self.render(self.versions[current]), headers)
        self.statuses.append(reply.status)
        return reply


def redirect(status: int, location: str) -> Route:
    return lambda _req: Reply(status, headers={"Location": location})


def gzipped(body: bytes) -> Route:
    packed = gzip.compress(body)
    return lambda _req: Reply(200, packed, {"Content-Encoding": "gzip"})


class TestServer:
    __test__ = False  # not a pytest class

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.request_headers: dict[str, list[dict[str, str]]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.hits.append(self.path)
                server.request_headers.setdefault(self.path, []).append(dict(self.headers))
                route = server.routes.get(self.path)
                reply = route(self) if route else Reply(404, b"not found")
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._reply(reply)

            def _reply(self, r: Reply) -> None:
                self.send_response(r.status)
                for k, v in r.headers.items():
                    self.send_header(k, v)
                if r.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(len(r.body)))
                if r.truncate_at is not None or r.dribble_s:
                    self.send_header("Connection", "close")
                self.end_headers()
                if r.chunked:
                    for i in range(0, len(r.body), 65536):
                        part = r.body[i : i + 65536]
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                elif r.truncate_at is not None:
                    self.wfile.write(r.body[: r.truncate_at])
                    self.wfile.flush()
                    self.close_connection = True
                elif r.dribble_s:
                    for byte in r.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(r.dribble_s)
                else:
                    self.wfile.write(r.body)

        self.server = LoopbackServer(Handler, host=host)
        self.httpd = self.server.httpd

    def url(self, path: str) -> str:
        return self.server.url(path)

    def __enter__(self) -> TestServer:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

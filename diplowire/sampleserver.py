"""A local HTTP server for the bundled sample feeds, so the demo and tests run offline.

``LoopbackServer`` is the one "threaded HTTP server on 127.0.0.1 in a background thread" of the
project: ``FeedServer`` serves files with it, and the tests' misbehaving feed server
(tests/support/httpserver.py) gives it a handler of routes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from diplowire import resources

# data/sample-feeds, shipped in the package (diplowire/resources.py).
SAMPLE_DIR = resources.sample_feeds_dir(check=False)


class LoopbackServer:
    """Runs ``handler`` on ``host`` (127.0.0.1, random port by default) while in a ``with`` block.

    Request threads are daemons (ThreadingHTTPServer's default), so a client stuck on a slow
    reply never keeps the process alive.
    """

    def __init__(
        self,
        handler: Callable[..., BaseHTTPRequestHandler],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        host = self.httpd.server_address[0]
        return f"http://{host!s}:{self.port}{path}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def guess_type(self, path: Any) -> str:
        return "application/xml" if str(path).endswith(".xml") else super().guess_type(path)


class FeedServer:
    """Serves ``directory`` on 127.0.0.1 (random port); Last-Modified/304 come from the stdlib."""

    def __init__(self, directory: Path = SAMPLE_DIR, port: int = 0) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = LoopbackServer(handler, port=port)

    @property
    def base_url(self) -> str:
        return self.server.url("/")

    def __enter__(self) -> FeedServer:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

"""A local HTTP server for the bundled sample feeds, so the demo and tests run offline."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample-feeds"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def guess_type(self, path: Any) -> str:
        return "application/xml" if str(path).endswith(".xml") else super().guess_type(path)


class FeedServer:
    """Serves ``directory`` on 127.0.0.1 (random port); Last-Modified/304 come from the stdlib."""

    def __init__(self, directory: Path = SAMPLE_DIR, port: int = 0) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

"""A server that trickles its status line and headers cannot hold a worker past the timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from diplowire.ingest.address import policy_for
from diplowire.ingest.fetch import FetchError, fetch
from tests.ingest.feedfiles import LOCAL_SERVER


@pytest.fixture
def trickling_server() -> Iterator[str]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(4096)
                # One header byte every 0.2 s: each recv succeeds well within a socket timeout.
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    while not stop.is_set():
                        conn.sendall(b"a")
                        time.sleep(0.2)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/feed.xml"
    stop.set()
    thread.join(timeout=5)
    srv.close()


def test_trickled_headers_end_in_a_timeout_at_the_deadline(trickling_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(trickling_server, timeout_s=1.5, policy=policy_for(LOCAL_SERVER))
    elapsed = time.monotonic() - started
    assert info.value.kind == "timeout"
    assert elapsed < 3.0, f"held for {elapsed:.1f}s"

"""A server that trickles its status line and headers cannot hold a worker past the timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from diplowire.ingest import connect as connect_module
from diplowire.ingest import fetch as fetch_module
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
    # At the 1.5 s deadline, not before; the server trickles until the test ends, so the
    # upper bound only needs to tell "cut off" from "held": 5 s of slack for a loaded machine.
    assert 1.4 <= elapsed < 6.5, f"held for {elapsed:.1f}s"


def test_headers_cut_off_by_the_watchdog_are_a_timeout_not_an_empty_200(
    trickling_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The watchdog shuts the socket at the deadline; http.client reads that end of file as the
    # end of the headers, and a body read to its (immediate) end. When the watchdog's timer
    # went off a little before the deadline the body read checks, the fetch returned a
    # complete-looking empty 200 (one run in a few of the test above, on a loaded machine).
    # The timer is made to go off at a third of the timeout, so that order is certain here.
    real_timer = fetch_module.threading.Timer

    def early_timer(interval: float, function: Callable[[], None]) -> threading.Timer:
        return real_timer(interval / 3, function)

    monkeypatch.setattr(fetch_module.threading, "Timer", early_timer)
    with pytest.raises(FetchError) as info:
        fetch(trickling_server, timeout_s=1.5, policy=policy_for(LOCAL_SERVER))
    assert info.value.kind == "timeout"


def test_a_lookup_past_the_deadline_is_a_timeout_that_names_the_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stalled resolver cannot be cut off by the watchdog (no socket yet): the fetch ends when
    # the lookup returns, as a timeout whose message says no connection was open.
    real = socket.getaddrinfo

    def slow_lookup(*args: object, **kwargs: object) -> object:
        time.sleep(1.0)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(connect_module.socket, "getaddrinfo", slow_lookup)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        with pytest.raises(FetchError) as info:
            url = f"http://127.0.0.1:{srv.getsockname()[1]}/feed.xml"
            fetch(url, timeout_s=0.3, policy=policy_for(LOCAL_SERVER))
    finally:
        srv.close()
    assert info.value.kind == "timeout"
    assert "no connection open at the deadline" in str(info.value), info.value


def test_a_server_past_the_deadline_is_not_blamed_on_the_lookup(trickling_server: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(trickling_server, timeout_s=0.5, policy=policy_for(LOCAL_SERVER))
    assert "no connection open" not in str(info.value), info.value

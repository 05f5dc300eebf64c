"""HTTP fetching with hard limits (connections only to allowed addresses: ingest.connect).

The check that runs before any XML parser sees a byte is ingest.xmlcheck, called by ingest.parse."""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from diplowire.ingest.address import DEFAULT_POLICY, AddressPolicy
from diplowire.ingest.connect import checked_create_connection, policy_in_force
from diplowire.ingest.errors import FetchError, FetchKind, ForbiddenAddress

# FetchError and its kinds live in ingest.errors (the connection check raises them too); they are
# imported from here by the poller and the tests.
__all__ = ["FetchError", "FetchKind", "ForbiddenAddress", "Response", "fetch"]

MAX_REDIRECTS = 5
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    url: str
    """Final URL after redirects."""
    body: bytes
    etag: str | None
    last_modified: str | None
    permanent_redirect: str | None
    """Set when a 301/308 moved the feed: the stored URL should follow."""
    wire_bytes: int
    content_type: str | None = None
    max_age_s: float | None = None
    """Freshness lifetime the server granted (Cache-Control max-age, else Expires)."""

    @property
    def delta(self) -> bool:
        """A ``226 IM Used`` answer to ``A-IM: feed``: only the entries new since our ETag."""
        return self.status == 226


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Redirects are followed by hand so that permanence and the limit are ours to decide.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _Watchdog:
    """Shuts the sockets of one fetch when its deadline passes, whatever phase it is in.

    Socket timeouts bound each recv, not the whole exchange: a server that trickles its status
    line and headers a byte at a time would otherwise hold a worker far past the fetch timeout.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.expired = False
        self.opened = False
        """A socket was open when the deadline passed: the time went to the server, not to the
        name lookup or the TCP connect (which the message then names: an operator's first
        question about a timeout on a server that answers at once when asked by hand)."""
        self.delta_response = False
        """A 226 came back: whatever fails from here on is a failed delta."""

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            self.opened = bool(self._socks)
            for sock in self._socks:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_watch = threading.local()


class _WatchedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # http.client's one hook for how the TCP connection is made (a private attribute, set
        # in HTTPConnection.__init__ and used by connect()): the address check goes there, so
        # HTTPS still wraps the socket with SNI and certificate checks on the host name.
        self._create_connection = checked_create_connection

    def connect(self) -> None:
        super().connect()
        dog = getattr(_watch, "dog", None)
        if dog is not None:
            dog.add(self.sock)


class _WatchedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = checked_create_connection  # as in _WatchedHTTPConnection

    def connect(self) -> None:
        super().connect()
        dog = getattr(_watch, "dog", None)
        if dog is not None:
            dog.add(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_WatchedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(
            _WatchedHTTPSConnection,
            req,
            context=self._context,  # type: ignore[attr-defined]
            check_hostname=self._check_hostname,  # type: ignore[attr-defined]
        )


# ProxyHandler({}): no proxy, whatever HTTP(S)_PROXY says. Through a proxy the connection made
# (and checked) would be to the proxy, and the proxy would reach any internal address for us.
_opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), _NoRedirect, _HTTPHandler, _HTTPSHandler
)


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = "diplowire",
    accept: str = FEED_ACCEPT,
    delta: bool = False,
    policy: AddressPolicy = DEFAULT_POLICY,
) -> Response:
    """GET ``url`` (conditional when validators are given) within size and time limits.

    ``delta`` (with an ``etag``) also asks for RFC 3229 feed deltas (``A-IM: feed``): a server
    that supports them answers ``226 IM Used`` with only the entries new since that ETag.
    Every connection, redirect hops included, goes only to addresses ``policy`` allows; a refusal
    raises :class:`ForbiddenAddress` (kind ``forbidden_address``).
    """
    dog = _Watchdog()
    started = time.monotonic()
    timer = threading.Timer(timeout_s, dog.expire)
    timer.daemon = True
    _watch.dog = dog
    timer.start()
    try:
        with policy_in_force(policy):
            resp = _fetch(url, etag, last_modified, timeout_s, max_bytes, user_agent, accept, delta)
        if dog.expired:
            # The watchdog shut the socket: http.client reads that end of file as the end of
            # the headers and of a body without Content-Length, so a response cut off mid-header
            # can come back as a complete-looking (empty) one.
            raise _timed_out(dog, timeout_s, started)
        return resp
    except (OSError, http.client.HTTPException) as exc:
        delta = dog.delta_response
        if dog.expired:
            raise _timed_out(dog, timeout_s, started) from None
        raise FetchError("unreachable", f"connection failed: {exc}", delta=delta) from None
    except FetchError as exc:
        if dog.expired and exc.kind in ("truncated", "unreachable"):
            raise _timed_out(dog, timeout_s, started) from None
        if dog.delta_response and not exc.delta:
            raise exc.with_delta() from None
        raise
    finally:
        timer.cancel()
        _watch.dog = None


def _timed_out(dog: _Watchdog, timeout_s: float, started: float) -> FetchError:
    msg = f"no complete response within {timeout_s:.0f} s"
    if not dog.opened:
        # A blocked getaddrinfo cannot be cut off (no socket yet): the fetch returns when the
        # resolver gives up, and how long that took is part of the diagnosis (in CI two feeds
        # of the compose test timed out after 41 s on a 20 s timeout while containers started).
        took = time.monotonic() - started
        msg += f" (no connection open at the deadline: name lookup or connect; {took:.0f} s)"
    return FetchError("timeout", msg, delta=dog.delta_response)


def _fetch(
    url: str,
    etag: str | None,
    last_modified: str | None,
    timeout_s: float,
    max_bytes: int,
    user_agent: str,
    accept: str,
    delta: bool,
) -> Response:
    # A delta is relative to the instance our ETag names: without one there is nothing to ask.
    delta = delta and bool(etag)
    deadline = time.monotonic() + timeout_s
    all_permanent = True
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        headers = {
            "User-Agent": user_agent,
            "Accept": accept,
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
            if delta:
                headers["A-IM"] = "feed"
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        # urllib would also open file://, ftp:// and data: URLs: a feed link or a redirect
        # must never make the poller read a local file.
        if urllib.parse.urlsplit(current).scheme.lower() not in ("http", "https"):
            raise FetchError("bad_url", f"not an http(s) URL: {current[:200]}")
        req = urllib.request.Request(current, headers=headers)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("timeout", f"no complete response within {timeout_s:.0f} s")
        try:
            resp = _opener.open(req, timeout=remaining)
        except urllib.error.HTTPError as err:
            err.close()
            if err.code in (301, 302, 303, 307, 308):
                location = err.headers.get("Location")
                if not location:
                    raise FetchError("http_error", f"HTTP {err.code} without Location") from None
                nxt = urllib.parse.urljoin(current, location)
                all_permanent = all_permanent and err.code in (301, 308)
                current = nxt
                continue
            if err.code == 304:
                return Response(
                    304,
                    current,
                    b"",
                    err.headers.get("ETag") or etag,
                    err.headers.get("Last-Modified") or last_modified,
                    _moved(url, current, all_permanent),
                    0,
                    max_age_s=_max_age(err.headers),
                )
            retry_after = _retry_after(err.headers.get("Retry-After"))
            kind = {404: "not_found", 410: "gone", 429: "rate_limited", 503: "unavailable"}.get(
                err.code, "http_error"
            )
            raise FetchError(
                kind, f"HTTP {err.code} {err.reason}", retry_after_s=retry_after
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, TimeoutError | socket.timeout):
                raise FetchError("timeout", f"timed out: {reason}") from None
            raise FetchError("unreachable", f"cannot connect: {reason}") from None
        with resp:
            if resp.status == 226:
                dog = getattr(_watch, "dog", None)
                if dog is not None:
                    dog.delta_response = True
                _check_delta(resp.headers, delta)
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError("oversized", f"declared {declared} bytes, limit {max_bytes}")
            raw = _read_limited(resp, max_bytes, deadline, timeout_s)
            if declared and declared.isdigit() and len(raw) < int(declared):
                # read1 reports a connection closed early as a short body, not as an error.
                raise FetchError("truncated", f"body ended at {len(raw)} of {declared} bytes")
            encoding = (resp.headers.get("Content-Encoding") or "").lower()
            body = _decode_body(raw, encoding, max_bytes)
            return Response(
                status=resp.status,
                url=current,
                body=body,
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
                permanent_redirect=_moved(url, current, all_permanent),
                wire_bytes=len(raw),
                content_type=resp.headers.get("Content-Type"),
                max_age_s=_max_age(resp.headers),
            )
    raise FetchError("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")


def _check_delta(headers: Any, asked: bool) -> None:
    # A 226 body is a partial feed: taken for the whole feed it would look like every other
    # entry had gone. Only the manipulation we offered ("feed") is understood.
    if not asked:
        raise FetchError("bad_delta", "226 IM Used to a request that did not ask for a delta")
    used = [t.strip().lower() for t in (headers.get("IM") or "").split(",") if t.strip()]
    if used != ["feed"]:
        raise FetchError("bad_delta", f"226 IM Used with IM {headers.get('IM')!r}, not 'feed'")


def _moved(original: str, final: str, all_permanent: bool) -> str | None:
    return final if all_permanent and final != original else None


def _read_limited(resp: object, max_bytes: int, deadline: float, timeout_s: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError("timeout", f"body not complete within {timeout_s:.0f} s")
        try:
            # read1 returns what one recv brought: a server dribbling bytes cannot keep a
            # worker past the deadline (read(n) would loop until n bytes arrived).
            _socket_timeout(resp, deadline)
            chunk = resp.read1(65536)  # type: ignore[attr-defined]
        except TimeoutError:
            raise FetchError("timeout", "body stalled") from None
        except (ConnectionError, urllib.error.URLError, ValueError) as exc:
            raise FetchError("truncated", f"connection broken mid-body: {exc}") from None
        except Exception as exc:  # http.client.IncompleteRead and friends
            raise FetchError("truncated", f"body truncated: {exc.__class__.__name__}") from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("oversized", f"body over the limit of {max_bytes} bytes")
        chunks.append(chunk)


def _socket_timeout(resp: object, deadline: float) -> None:
    sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(0.05, deadline - time.monotonic()))


def _decode_body(raw: bytes, encoding: str, max_bytes: int) -> bytes:
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return raw
    # gzip, then zlib-wrapped deflate, then the raw deflate some servers send as "deflate".
    wbits = (16 + zlib.MAX_WBITS,) if encoding != "deflate" else (zlib.MAX_WBITS, -zlib.MAX_WBITS)
    for bits in wbits:
        try:
            dec = zlib.decompressobj(bits)
            # max_length bounds a decompression bomb before it is in memory.
            out = dec.decompress(raw, max_bytes + 1)
        except zlib.error:
            continue
        if len(out) > max_bytes:
            raise FetchError("oversized", f"decompressed body over the limit of {max_bytes} bytes")
        return out
    raise FetchError("bad_encoding", f"cannot decompress {encoding} body")


_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)")


def _max_age(headers: Any) -> float | None:
    cc = (headers.get("Cache-Control") or "").lower()
    if "no-store" in cc or "no-cache" in cc:
        return 0.0
    m = _MAX_AGE.search(cc)
    if m:
        return float(m.group(1))
    expires = headers.get("Expires")
    if not expires:
        return None
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        return 0.0  # RFC 9111: an invalid Expires means "already expired"
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

"""HTTP fetching with hard limits, and the check that runs before any XML parser sees a byte."""

from __future__ import annotations

import gzip
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

MAX_REDIRECTS = 5


class FetchError(Exception):
    """A feed could not be fetched or was refused; ``kind`` is a stable, countable label."""

    def __init__(self, kind: str, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after_s = retry_after_s


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Redirects are followed by hand so that permanence and the limit are ours to decide.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = "diplowire",
) -> Response:
    """GET ``url`` (conditional when validators are given) within size and time limits."""
    deadline = time.monotonic() + timeout_s
    all_permanent = True
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        headers = {
            "User-Agent": user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        req = urllib.request.Request(current, headers=headers)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("timeout", f"no complete response within {timeout_s:.0f} s")
        try:
            resp = _opener.open(req, timeout=remaining)
        except urllib.error.HTTPError as err:
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
                    304, current, b"", etag, last_modified, _moved(url, current, all_permanent), 0
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
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError("oversized", f"declared {declared} bytes, limit {max_bytes}")
            raw = _read_limited(resp, max_bytes, deadline, timeout_s)
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
            )
    raise FetchError("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")


def _moved(original: str, final: str, all_permanent: bool) -> str | None:
    return final if all_permanent and final != original else None


def _read_limited(resp: object, max_bytes: int, deadline: float, timeout_s: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError("timeout", f"body not complete within {timeout_s:.0f} s")
        try:
            chunk = resp.read(65536)  # type: ignore[attr-defined]
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


def _decode_body(raw: bytes, encoding: str, max_bytes: int) -> bytes:
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return raw
    try:
        if encoding == "deflate":
            dec = zlib.decompressobj()
        else:
            dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
        # max_length bounds a decompression bomb before it is in memory.
        out = dec.decompress(raw, max_bytes + 1)
    except zlib.error:
        try:
            return gzip.decompress(raw)[: max_bytes + 1]
        except (OSError, EOFError) as exc:
            raise FetchError("bad_encoding", f"cannot decompress {encoding}: {exc}") from None
    if len(out) > max_bytes:
        raise FetchError("oversized", f"decompressed body over the limit of {max_bytes} bytes")
    return out


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


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def check_xml(body: bytes) -> None:
    """Refuse what an XML parser could be tricked with before any parser sees it.

    News feeds have no business declaring entities: a DTD with ``<!ENTITY`` is how billion-laughs
    expansion and external entities (local files, SSRF) get in, so such documents are refused
    outright rather than parsed carefully.
    """
    head = body[:65536]
    if _DOCTYPE.search(head) and _ENTITY.search(body):
        raise FetchError("hostile_xml", "document declares XML entities (<!ENTITY>): refused")
    if not body.strip():
        raise FetchError("empty", "empty response body")

"""A steady stream of articles: local RSS feeds that grow with time, with RFC 3229 deltas.

Item texts are real sentences from the bundled sample feeds (English and French), two per item,
plus a unique dispatch number, so the enricher does real work at the cost of a short article.
Item ``n`` of feed ``f`` is the stream's ``n * feeds + f``-th article and appears at
``start + (n * feeds + f) / rate``. A feed answers with everything released so far (200), a
``304`` when nothing is new, or, to a poller that sends ``A-IM: feed`` with an older ETag, a
``226 IM Used`` with only the new items: a poll costs the new items, not the whole history.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import Counter
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import feedparser
import yaml

from diplowire.ingest.normalize import html_to_text
from diplowire.sampleserver import SAMPLE_DIR, LoopbackServer

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«\"])")
_ETAG = re.compile(r'^"c(\d+)"$')


def sentences(lang: str) -> tuple[list[str], list[str]]:
    """(titles, sentences) of the bundled sample feeds in ``lang``, in file order."""
    titles: list[str] = []
    found: list[str] = []
    for doc in yaml.safe_load((SAMPLE_DIR / "feeds.yaml").read_text())["feeds"]:
        if doc.get("lang") != lang:
            continue
        parsed = feedparser.parse((SAMPLE_DIR / doc["url"]).read_bytes())
        for entry in parsed.entries:
            if entry.get("title"):
                titles.append(" ".join(entry.title.split()))
            text = html_to_text(entry.get("summary") or "")
            found.extend(s for s in _SENTENCE.split(text) if 30 <= len(s) <= 400)
    if not titles or len(found) < 20:
        raise RuntimeError(f"too few {lang} sentences in {SAMPLE_DIR}")
    return titles, found


class FeedStream:
    """``total`` articles over ``seconds``, spread round-robin over ``feeds`` feeds."""

    def __init__(self, total: int, seconds: float, feeds: int = 20) -> None:
        self.total, self.seconds, self.feeds = total, seconds, feeds
        self.rate = total / seconds
        self.langs = ["en" if f % 3 else "fr" for f in range(feeds)]
        self.texts = {lang: sentences(lang) for lang in set(self.langs)}
        self.started_at: float | None = None
        self.wall_start = time.time()
        self.statuses: Counter[int] = Counter()
        self.hit = threading.Event()
        """Set on every request: the fault driver kills the poller in the middle of a pass."""
        stream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, body = stream.answer(self.path, self.headers)
                stream.statuses[status] += 1
                stream.hit.set()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self.server = LoopbackServer(Handler)

    @property
    def base_url(self) -> str:
        return self.server.url("")

    def size(self, f: int) -> int:
        return len(range(f, self.total, self.feeds))

    def link(self, f: int, n: int) -> str:
        return f"{self.base_url}/a/{f}/{n}"

    def expected_links(self) -> set[str]:
        return {self.link(f, n) for f in range(self.feeds) for n in range(self.size(f))}

    def released(self, f: int, now: float | None = None) -> int:
        """How many items feed ``f`` holds at ``now``."""
        if self.started_at is None:
            return 0
        due = ((now or time.monotonic()) - self.started_at) * self.rate
        if due < f:
            return 0
        return min(self.size(f), int((due - f) // self.feeds) + 1)

    def done(self) -> bool:
        return all(self.released(f) == self.size(f) for f in range(self.feeds))

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.wall_start = time.time()

    def write_feed_list(self, path: Path) -> Path:
        feeds = [
            {"url": f"{self.base_url}/feed/{f}.xml", "name": f"Fault feed {f}", "lang": lang}
            for f, lang in enumerate(self.langs)
        ]
        path.write_text(yaml.safe_dump({"feeds": feeds}, allow_unicode=True))
        return path

    def answer(self, path: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        m = re.fullmatch(r"/feed/(\d+)\.xml", path)
        if m is None or int(m.group(1)) >= self.feeds:
            return 404, {}, b"not found"
        f = int(m.group(1))
        count = self.released(f)
        etag = f'"c{count}"'
        known = _ETAG.match((headers.get("If-None-Match") or "").strip())
        delta = "feed" in (headers.get("A-IM") or "").lower()
        if known and int(known.group(1)) == count:
            return 304, {"ETag": etag}, b""
        base = {"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"}
        if known and delta and int(known.group(1)) < count:
            return 226, {**base, "IM": "feed"}, self.render(f, int(known.group(1)), count)
        return 200, base, self.render(f, 0, count)

    def item(self, f: int, n: int) -> tuple[str, str]:
        titles, pool = self.texts[self.langs[f]]
        g = n * self.feeds + f
        title = f"{titles[g % len(titles)]} [{g}]"
        # Consecutive sentences of one source read like one story; the number keeps every
        # text distinct (one fingerprint per article).
        i = (g * 7) % len(pool)
        text = f"{pool[i]} {pool[(i + 1) % len(pool)]} Dispatch {g}."
        return title, text

    def render(self, f: int, first: int, last: int) -> bytes:
        assert self.started_at is not None or last == 0
        items = []
        for n in reversed(range(first, last)):
            title, text = self.item(f, n)
            # Fixed per item: a refetched item must read the same as the first time.
            at = self.wall_start + (n * self.feeds + f) / self.rate
            items.append(
                "<item>"
                f"<title>{escape(title)}</title>"
                f"<link>{self.link(f, n)}</link>"
                f'<guid isPermaLink="false">fault-{f}-{n}</guid>'
                f"<pubDate>{formatdate(at, usegmt=True)}</pubDate>"
                f"<description>{escape(text)}</description>"
                "</item>"
            )
        lang = self.langs[f]
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Fault feed {f}</title><link>{self.base_url}/</link>"
            f"<description>diplowire fault stream</description><language>{lang}</language>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()

    def __enter__(self) -> FeedStream:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

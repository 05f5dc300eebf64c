"""The worker-thread half of a poll: fetch, parse and full text of one feed.

Workers only read the poller state (through a :class:`Snapshot` and read-only lookups); the
calling thread alone applies what they return (ingest.publish).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field

from diplowire.ingest.address import policy_for
from diplowire.ingest.feeds import Feed
from diplowire.ingest.fetch import FetchError, Response, fetch
from diplowire.ingest.fulltext import ExtractionError, fetch_full_text
from diplowire.ingest.identity import resolve
from diplowire.ingest.parse import Item, ParseNotes, parse_feed
from diplowire.ingest.politeness import HostBlocked, HostLimiter, host_of
from diplowire.ingest.state import Seen
from diplowire.ingest.transitions import MAX_RETRY_AFTER_S
from diplowire.wire.article import replace
from diplowire.wire.settings import PollSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedResult:
    feed: Feed
    response: Response | None
    """Without its body: the body is parsed in the worker and dropped there."""
    items: tuple[Item, ...] = ()
    notes: ParseNotes = field(default_factory=ParseNotes)
    error: FetchError | None = None
    body_hash: str | None = None
    body_unchanged: bool = False
    hint_s: float = 0.0
    fulltext_ok: int = 0
    fulltext_failures: Mapping[str, int] = field(default_factory=dict)
    sent_validators: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a worker needs to know of a feed's state, copied before the worker starts."""

    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    delta: bool = False
    """Ask for an RFC 3229 feed delta (``A-IM: feed``) along with the ETag."""


Known = Callable[[str], Seen | None]
"""article id -> what was last published for it, or None (read-only view of the state)."""


def _unknown(_key: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Workers:
    """What every worker of a pass shares: settings, the host limiter, read-only lookups into
    the state and the parse processes."""

    settings: PollSettings
    limiter: HostLimiter
    known: Known = _unknown
    guids: Callable[[str], str | None] = _unknown
    """feed GUID key -> article id (read-only view of the state)."""
    parse_pool: Executor | None = None


def fetch_and_parse(feed: Feed, snap: Snapshot, env: Workers) -> FeedResult:
    """Network, parsing and full text for one feed; never raises, never writes state."""
    try:
        return _fetch_and_parse(feed, snap, env)
    except FetchError as exc:
        return FeedResult(feed, None, error=exc)
    except Exception as exc:  # a bug on one feed's odd input must not stop the other feeds
        log.exception("feed %s: unexpected error", feed.url)
        return FeedResult(feed, None, error=FetchError("internal", f"{exc.__class__.__name__}"))


def _fetch_and_parse(feed: Feed, snap: Snapshot, env: Workers) -> FeedResult:
    settings, limiter = env.settings, env.limiter
    host = host_of(snap.url)
    try:
        with limiter.slot(snap.url):
            resp = fetch(
                snap.url,
                etag=snap.etag,
                last_modified=snap.last_modified,
                timeout_s=settings.fetch_timeout_s,
                max_bytes=settings.max_feed_bytes,
                user_agent=settings.user_agent,
                delta=snap.delta,
                policy=policy_for(settings.allow_addresses),
            )
    except HostBlocked as exc:
        err = FetchError("deferred", str(exc), retry_after_s=exc.until - time.time())
        return FeedResult(feed, None, error=err)
    except FetchError as exc:
        if exc.kind in ("rate_limited", "unavailable"):
            # The whole host is told to wait, not only this feed.
            limiter.block(host, min(exc.retry_after_s or 60.0, MAX_RETRY_AFTER_S))
        raise
    sent = bool(snap.etag or snap.last_modified)
    if resp.status == 304:
        return FeedResult(feed, resp, sent_validators=sent)
    try:
        return _parsed(feed, snap, env, resp, sent)
    except Exception as exc:
        if not resp.delta:
            raise
        # The server answered the delta request but its delta is unusable: the feed goes back to
        # plain conditional GETs, or every poll would ask for the same broken delta again.
        if not isinstance(exc, FetchError):
            log.exception("feed %s: unexpected error on a 226 delta", feed.url)
            exc = FetchError("internal", f"{exc.__class__.__name__}")
        raise exc.with_delta() from None


def _parsed(feed: Feed, snap: Snapshot, env: Workers, resp: Response, sent: bool) -> FeedResult:
    settings = env.settings
    bare = replace_body(resp)
    # A delta is not the whole feed: its hash says nothing about the next full body.
    body_hash = None if resp.delta else hashlib.sha1(resp.body).hexdigest()[:20]
    if body_hash is not None and body_hash == snap.body_hash:
        return FeedResult(
            feed, bare, body_hash=body_hash, body_unchanged=True, sent_validators=sent
        )
    if env.parse_pool is not None:
        # Parsing is CPU: in other processes it runs beside this process's GIL-bound work.
        fut = env.parse_pool.submit(
            parse_feed, resp.body, feed, settings, content_type=resp.content_type
        )
        items, notes, hint = fut.result()
    else:
        items, notes, hint = parse_feed(resp.body, feed, settings, content_type=resp.content_type)
    ok, failures = 0, dict[str, int]()
    if feed.full_text:
        items, ok, failures = _with_full_text(items, env)
    return FeedResult(
        feed,
        bare,
        tuple(items),
        notes,
        body_hash=body_hash,
        hint_s=hint,
        fulltext_ok=ok,
        fulltext_failures=failures,
        sent_validators=sent,
    )


def replace_body(resp: Response) -> Response:
    return Response(
        resp.status,
        resp.url,
        b"",
        resp.etag,
        resp.last_modified,
        resp.permanent_redirect,
        resp.wire_bytes,
        resp.content_type,
        resp.max_age_s,
    )


def _with_full_text(items: list[Item], env: Workers) -> tuple[list[Item], int, dict[str, int]]:
    settings, limiter, known = env.settings, env.limiter, env.known
    out: list[Item] = []
    ok, failures = 0, defaultdict[str, int](int)
    # The ids _handle will give the items (it decides again, on the state as it is then).
    ids = {
        (p.article.canonical_url, p.digest): p.article.id
        for p in resolve(items, env.guids, known).items
    }
    for item in items:
        art = item.article
        seen = known(ids.get((art.canonical_url, item.digest), art.id))
        if seen is not None and seen.content_hash == item.digest:
            out.append(item)  # already published as is: no page fetch
            continue
        try:
            with limiter.slot(art.url):
                text = fetch_full_text(
                    art.url,
                    fetch,
                    timeout_s=settings.page_timeout_s,
                    max_bytes=settings.max_page_bytes,
                    user_agent=settings.user_agent,
                    policy=policy_for(settings.allow_addresses),
                )
        except (ExtractionError, HostBlocked) as exc:
            kind = exc.kind if isinstance(exc, ExtractionError) else "page_deferred"
            failures[kind] += 1
            log.info("full text of %s not extracted, keeping the summary: %s", art.url, exc)
            out.append(item)
            continue
        if len(text) > len(art.text):
            art = replace(art, text=text[: settings.max_article_chars])
        ok += 1
        out.append(Item(art, item.digest, item.guid_key))
    return out, ok, dict(failures)

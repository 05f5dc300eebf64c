"""RFC 3229 feed deltas (``A-IM: feed``, ``226 IM Used``) against real Kafka and a local server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from diplowire.ingest.feeds import Feed
from diplowire.ingest.poller import poll_once
from diplowire.ingest.report import PollReport
from diplowire.ingest.state import FileStateStore
from diplowire.wire.article import decode
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings
from tests.ingest import feedfiles as ff
from tests.ingest.feedfiles import poll_settings
from tests.support import read_topic
from tests.support.httpserver import DeltaFeed, Reply, TestServer


def _header(headers: dict[str, str], name: str) -> str | None:
    # http.client sends "A-Im": header names are case-insensitive.
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _titles(kafka: KafkaSettings) -> list[str]:
    return [decode(r.value).title for r in read_topic(kafka, kafka.topics.raw)]


def test_a_delta_publishes_only_new_items_and_a_later_full_body_is_not_taken_for_a_lie(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    un = ff.un_items()
    feed_route = DeltaFeed(ff.rss20, list(range(10)))
    # Every second poll after a 304 is unconditional: that is how the full body of the ETag a
    # delta brought is fetched here, with that same ETag.
    settings = poll_settings(kafka, tmp_path, verify_validators_every=1)
    store = FileStateStore(tmp_path)
    reports: list[PollReport] = []
    with TestServer() as srv:
        srv.routes["/d.xml"] = feed_route
        feeds = [Feed(url=srv.url("/d.xml"), name="D")]
        url = feeds[0].url
        producer = make_producer(kafka)

        def poll() -> PollReport:
            reports.append(poll_once(feeds, settings, producer, store))
            return reports[-1]

        first = poll()
        assert first.published == 10 and first.feeds_delta == 0

        feed_route.publish(list(range(2, 12)))  # two items dropped, two new ones
        delta = poll()
        assert feed_route.statuses[-1] == 226
        assert delta.feeds_delta == 1 and delta.feeds_ok == 1 and delta.feeds_failed == 0
        assert delta.published == 2 and delta.duplicates == 0 and delta.entries == 2
        assert delta.validators_distrusted == 0
        fs = store.load().feeds[url]
        assert fs.etag == DeltaFeed.etag(1) and fs.body_hash is None and fs.deltas == 1
        assert fs.last_status == 226 and fs.validators_trusted and fs.health == "ok"

        unchanged = poll()
        assert feed_route.statuses[-1] == 304 and unchanged.feeds_unchanged == 1

        # The unconditional poll: a 200 with the ETag the delta brought and a body never hashed.
        full = poll()
        assert feed_route.statuses[-1] == 200
        assert full.feeds_ok == 1 and full.validators_distrusted == 0
        assert full.published == 0 and full.duplicates == 10
        fs = store.load().feeds[url]
        assert fs.validators_trusted and fs.body_hash is not None

        # The server stops honouring A-IM: a plain 200 with a new ETag is handled as ever.
        feed_route.honour = False
        feed_route.publish(list(range(4, 14)))
        plain = poll()
        assert feed_route.statuses[-1] == 200
        assert plain.published == 2 and plain.duplicates == 8 and plain.feeds_delta == 0

        # Lying validators are still caught after deltas: the same ETag for another body.
        lie = ff.rss20([*range(4, 14), 14])
        srv.routes["/d.xml"] = lambda _r: Reply(
            200, lie, {"ETag": DeltaFeed.etag(2), "Content-Type": "application/rss+xml"}
        )
        lying = poll()
        producer.close()
    assert lying.validators_distrusted == 1 and lying.published == 1
    assert store.load().feeds[url].validators_trusted is False

    sent = srv.request_headers["/d.xml"]
    assert [_header(h, "A-IM") for h in sent] == [None, "feed", "feed", None, "feed", "feed"]
    assert [_header(h, "If-None-Match") for h in sent] == [
        None,
        DeltaFeed.etag(0),
        DeltaFeed.etag(1),
        None,
        DeltaFeed.etag(1),
        DeltaFeed.etag(2),
    ]
    titles = _titles(kafka)
    assert len(titles) == 15 and len(set(titles)) == 15
    assert {un[10]["title"], un[11]["title"], un[14]["title"]} <= set(titles)


def test_a_server_ignoring_a_im_or_deltas_switched_off_work_as_before(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    ignoring = DeltaFeed(ff.rss20, list(range(10)), honour=False)
    honouring = DeltaFeed(ff.rss20, list(range(10)))
    with TestServer() as srv:
        srv.routes["/ignore.xml"] = ignoring
        srv.routes["/off.xml"] = honouring
        producer = make_producer(kafka)
        on = [Feed(url=srv.url("/ignore.xml"), name="I")]
        off = [Feed(url=srv.url("/off.xml"), name="O")]
        store_on, store_off = FileStateStore(tmp_path / "on"), FileStateStore(tmp_path / "off")
        s_on = poll_settings(kafka, tmp_path / "on")
        s_off = poll_settings(kafka, tmp_path / "off", delta_feeds=False)
        reports = []
        for step in range(3):
            if step == 1:
                ignoring.publish(list(range(2, 12)))
                honouring.publish(list(range(2, 12)))
            r_on = poll_once(on, s_on, producer, store_on)
            reports.append((r_on, poll_once(off, s_off, producer, store_off)))
        producer.close()
    assert ignoring.statuses == [200, 200, 304] and honouring.statuses == [200, 200, 304]
    for r_on, r_off in reports:
        assert r_on.feeds_delta == r_off.feeds_delta == 0
        assert (r_on.published, r_on.duplicates) == (r_off.published, r_off.duplicates)
    assert [r.published for r, _ in reports] == [10, 2, 0]
    assert [r.duplicates for r, _ in reports] == [0, 8, 0]
    assert [_header(h, "A-IM") for h in srv.request_headers["/ignore.xml"]] == [
        None,
        "feed",
        "feed",
    ]
    assert [_header(h, "A-IM") for h in srv.request_headers["/off.xml"]] == [None, None, None]
    assert store_on.load().feeds[on[0].url].validators_trusted


def _no_im_header(reply: Reply) -> None:
    reply.headers.pop("IM")


def _empty(reply: Reply) -> None:
    reply.body = b""


def _html(reply: Reply) -> None:
    reply.body = b"<html><body>Service temporarily degraded</body></html>"


def _cut(reply: Reply) -> None:
    reply.truncate_at = 20


@pytest.mark.parametrize(
    ("spoil", "kind"),
    [
        (_no_im_header, "bad_delta"),
        (_empty, "empty"),
        (_html, "unparsable"),
        (_cut, "truncated"),
    ],
)
def test_an_unusable_226_is_a_counted_failure_and_the_feed_falls_back_to_plain_gets(
    kafka: KafkaSettings, tmp_path: Path, spoil: Callable[[Reply], None], kind: str
) -> None:
    route = DeltaFeed(ff.rss20, list(range(5)))

    def broken_delta(req: object) -> Reply:
        reply = route(req)  # type: ignore[arg-type]
        if reply.status == 226:
            spoil(reply)
        return reply

    with TestServer() as srv:
        srv.routes["/e.xml"] = broken_delta
        feeds = [Feed(url=srv.url("/e.xml"), name="E")]
        settings = poll_settings(kafka, tmp_path)
        store = FileStateStore(tmp_path)
        producer = make_producer(kafka)
        first = poll_once(feeds, settings, producer, store)
        route.publish(list(range(7)))
        bad = poll_once(feeds, settings, producer, store)
        fs = store.load().feeds[feeds[0].url]
        assert fs.delta_ok is False and fs.etag == DeltaFeed.etag(0) and fs.failures == 1
        again = poll_once(feeds, settings, producer, store)
        producer.close()
    assert first.published == 5
    assert bad.failures == {kind: 1} and bad.published == 0
    # The next poll is a plain conditional GET: a full 200, not the same broken delta again.
    assert route.statuses == [200, 226, 200]
    assert _header(srv.request_headers["/e.xml"][2], "A-IM") is None
    assert again.published == 2 and again.duplicates == 5 and again.feeds_ok == 1

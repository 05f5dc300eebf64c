"""``diplowire run``: poller, enricher and indexer together on one machine, with progress."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from diplowire.wire.loop import Stats, StopFlag, WorkerStopped, install_signal_handlers
from diplowire.wire.settings import EnrichSettings, IndexSettings, PollSettings, load

log = logging.getLogger("diplowire.run")


def _say(msg: str) -> None:
    print(f"[diplowire] {msg}", file=sys.stderr, flush=True)


class _Worker(threading.Thread):
    def __init__(self, name: str, target: Any, *args: Any) -> None:
        super().__init__(name=name, daemon=True)
        self.stats = Stats()
        self.error: BaseException | None = None
        self._target_fn = target
        self._args = args

    def run(self) -> None:
        try:
            self._target_fn(*self._args, stats=self.stats)
        except BaseException as exc:
            self.error = exc
            log.exception("%s worker failed", self.name)


def run_local(args: argparse.Namespace) -> int:
    from diplowire import demofeeds
    from diplowire import devstack as stack
    from diplowire.enrich.worker import run_worker as run_enrich
    from diplowire.index.layout import client
    from diplowire.index.worker import run_worker as run_index
    from diplowire.ingest.feeds import load_feeds
    from diplowire.ingest.poller import poll_once
    from diplowire.ingest.state import FileStateStore
    from diplowire.sampleserver import SAMPLE_DIR, FeedServer
    from diplowire.wire.loop import make_producer

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    if not args.no_stack:
        _say("starting the local stack (Kafka + Elasticsearch)...")
        if stack.main(["up"]) != 0:
            return 1
    # The demo's poller state lives beside the local Kafka's data, so wiping one wipes both.
    state_dir = args.state_dir or str(stack.StackConfig.from_env().stack_dir / "poller-state")
    # With the local stack, the pipeline talks to it wherever its ports were moved.
    local: dict[str, object] = {}
    if not args.no_stack:
        local = {
            "kafka.bootstrap_servers": stack.kafka_bootstrap(),
            "elasticsearch.url": stack.es_url(),
        }
    poll_s: PollSettings = load(
        PollSettings, file=args.config, overrides={"state_dir": state_dir, **local}
    )
    if not args.feeds:
        # The bundled feeds are served on 127.0.0.1, which the poller refuses unless allowed.
        poll_s = replace(poll_s, allow_addresses=(*poll_s.allow_addresses, "127.0.0.1"))
    enrich_s: EnrichSettings = load(EnrichSettings, file=args.config, overrides=local)
    index_s: IndexSettings = load(IndexSettings, file=args.config, overrides=local)

    from diplowire.wire.admin import ensure_topics

    ensure_topics(poll_s.kafka)
    stop = StopFlag()
    install_signal_handlers(stop)
    enricher = _Worker("enrich", run_enrich, enrich_s, stop)
    indexer = _Worker("index", run_index, index_s, stop)
    _say("loading the spaCy models and starting the enricher and indexer...")
    enricher.start()
    indexer.start()

    server = FeedServer(SAMPLE_DIR) if not args.feeds else None
    t0 = time.monotonic()
    try:
        if server is not None:
            server.__enter__()
            feeds = load_feeds(SAMPLE_DIR / "feeds.yaml", base_url=server.base_url)
            _say(f"serving {len(feeds)} bundled sample feeds at {server.base_url}")
        else:
            feeds = load_feeds(args.feeds)
        # `diplowire feeds status` run bare shows these feeds and this state (demofeeds.py).
        demofeeds.write(
            demofeeds.DemoFeeds(
                feeds=str(SAMPLE_DIR / "feeds.yaml") if server is not None else args.feeds,
                base_url=server.base_url if server is not None else None,
                state_dir=str(Path(poll_s.state_dir).resolve()),
            )
        )
        store = FileStateStore(poll_s.state_dir)
        producer = make_producer(poll_s.kafka)
        try:
            report = poll_once(
                feeds,
                poll_s,
                producer,
                store,
                progress=lambda r: _say(
                    f"polled {r.feeds_polled}/{len(feeds)} feeds: {r.published} articles published"
                    f" ({r.duplicates} seen before, {r.feeds_failed} feeds failing)"
                ),
            )
        finally:
            producer.close(timeout=30)
        published = report.published
        deadline = time.monotonic() + args.timeout
        last = ""
        while time.monotonic() < deadline and not stop.is_set():
            e, i = enricher.stats, indexer.stats
            line = (
                f"published {published}, enriched {e.succeeded} (+{e.dead_lettered} dead "
                f"letters), indexed {i.succeeded} (+{i.dead_lettered} dead letters)"
            )
            if line != last:
                _say(line)
                last = line
            for w in (enricher, indexer):
                if w.error is not None:
                    raise WorkerStopped(f"{w.name} failed: {w.error}")
            if (
                e.succeeded + e.dead_lettered >= published
                and i.consumed >= e.succeeded
                and e.consumed >= published
            ):
                break
            time.sleep(0.5)
        else:
            if not stop.is_set():
                _say(f"timed out after {args.timeout:.0f}s waiting for the pipeline")
                return 1
    finally:
        stop.set()
        if server is not None:
            server.__exit__(None, None, None)
        enricher.join(timeout=60)
        indexer.join(timeout=60)

    es = client(index_s.elasticsearch)
    alias = index_s.elasticsearch.index_prefix
    es.indices.refresh(index=alias)
    total = es.count(index=alias)["count"]
    e, i = enricher.stats, indexer.stats
    _say("summary:")
    print(f"  feeds polled:       {report.feeds_polled} ({report.feeds_failed} failing)")
    print(f"  articles published: {report.published} (+{report.duplicates} already seen)")
    print(f"  articles enriched:  {e.succeeded} ({e.dead_lettered} dead-lettered)")
    print(f"  articles indexed:   {i.succeeded} ({i.dead_lettered} dead-lettered)")
    print(f"  searchable in Elasticsearch ({index_s.elasticsearch.url}, alias {alias}): {total}")
    print(f"  wall time: {time.monotonic() - t0:.1f}s")
    _print_sample(es, alias)
    if not args.no_stack:
        _say(
            "Kafka and Elasticsearch keep running for `diplowire search`, `subscribe` and "
            "Kibana; `diplowire stack down` (or `make stack-down`) stops them."
        )
    return 0


def _print_sample(es: Any, alias: str) -> None:
    query = {
        "bool": {
            "should": [
                {"match": {"lemmas": "ambassadeur"}},
                {"match": {"lemmas": "diplomatique"}},
                {"match": {"lemmas": "minister"}},
                {"exists": {"field": "dyads"}},
            ]
        }
    }
    resp = es.search(
        index=alias, query=query, size=1, source_excludes=["text", "lemmas", "enrichment"]
    )
    hits = resp["hits"]["hits"]
    if not hits:
        return
    doc = hits[0]["_source"]
    print("  sample search hit:")
    print(f"    {doc['title']}  [{doc['lang']}, {doc['source']['name']}, {doc['published']}]")
    for label, key in (
        ("countries", "countries"),
        ("actors", "country_actors"),
        ("dyads", "dyads"),
        ("persons", "person_labels"),
        ("organisations", "organizations"),
        ("topics", "topics"),
    ):
        if doc.get(key):
            print(f"    {label}: {', '.join(doc[key])}")

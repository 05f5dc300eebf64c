"""The fault suite: a steady stream through poll -> enrich -> index while everything gets killed.

The workers run as real processes on a private Kafka and Elasticsearch. A seeded plan SIGKILLs
each worker at random points, kill -9s the broker and Elasticsearch and restarts them, fills
Elasticsearch's write queue until it answers 429, and injects poison and hostile messages into
the raw and enriched topics. At the end: every article exactly once in Elasticsearch, every
poison message dead-lettered with its reason, both consumer groups caught up; the counts are
printed. ``make soak`` runs a bigger stream through the same test (DIPLOWIRE_SOAK_* variables).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from diplowire.wire.settings import KafkaSettings
from tests.fault.conftest import PrivateStack
from tests.fault.faults import REJECTED, Driver, plan
from tests.fault.feedgen import FeedStream
from tests.fault.poison import Injector
from tests.fault.reconcile import Reconciliation, lag, reconcile
from tests.fault.workers import Supervisor, Worker

pytestmark = pytest.mark.fault

ARTICLES = int(os.environ.get("DIPLOWIRE_SOAK_ARTICLES") or 5000)
STREAM_S = float(os.environ.get("DIPLOWIRE_SOAK_SECONDS") or 150)
# After the last fault: time for the backlog to drain (enrichment is the slow stage).
DRAIN_S = float(os.environ.get("DIPLOWIRE_SOAK_DRAIN_S") or max(420, ARTICLES * 0.06))
PREFIX = "fault"


def _env(stack: PrivateStack, tmp: Path, stream: FeedStream) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPLOWIRE_")}
    return env | {
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": stack.kafka.bootstrap,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": PREFIX,
        "DIPLOWIRE_ELASTICSEARCH_URL": stack.es.url,
        "DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX": f"{PREFIX}-articles",
        "DIPLOWIRE_FEEDS": str(stream.write_feed_list(tmp / "feeds.yaml")),
        "DIPLOWIRE_STATE_DIR": str(tmp / "poller-state"),
        # The feed server is on loopback, which the poller refuses unless allowed.
        "DIPLOWIRE_ALLOW_ADDRESSES": "127.0.0.1",
        # A stream, not a news site: poll every second or two, all feeds on one host at once.
        "DIPLOWIRE_DEFAULT_INTERVAL_S": "2",
        "DIPLOWIRE_MIN_INTERVAL_S": "1",
        "DIPLOWIRE_PER_HOST_MIN_SPACING_S": "0",
        "DIPLOWIRE_PER_HOST_CONCURRENCY": "4",
        "DIPLOWIRE_WORKERS": "4",
    }


def _wait(predicate: object, timeout: float, what: str) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return True
        except Exception:
            pass  # a server being restarted: ask again
        time.sleep(3)
    print(f"gave up waiting for {what} after {timeout:.0f}s")
    return False


def _table(rows: list[tuple[str, object]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def test_stream_under_faults_ends_with_every_article_once(
    private_stack: PrivateStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = int(os.environ.get("DIPLOWIRE_SOAK_SEED") or random.randrange(1_000_000))
    kafka = KafkaSettings(bootstrap_servers=private_stack.kafka.bootstrap, topic_prefix=PREFIX)
    alias = f"{PREFIX}-articles"
    es = Elasticsearch(private_stack.es.url, request_timeout=10)
    events = plan(seed, STREAM_S)
    with capsys.disabled():
        print(f"\nfault suite: {ARTICLES} articles over {STREAM_S:.0f}s, seed {seed}")
        print("plan: " + ", ".join(f"{e.kind}@{e.at_s:.0f}s" for e in events))
    t0 = time.monotonic()
    with FeedStream(ARTICLES, STREAM_S) as stream:
        env = _env(private_stack, tmp_path, stream)
        sup = Supervisor(
            [Worker(n, [n], env, tmp_path / f"{n}.log") for n in ("poll", "enrich", "index")]
        )
        for w in sup.workers.values():
            w.start()
        sup.start()
        injector = Injector(kafka)
        driver = Driver(events, seed, stream, sup, private_stack.kafka, private_stack.es, injector)
        try:
            assert _wait(lambda: es.indices.exists(index=alias), 240, "the indexer's alias"), sup[
                "index"
            ].tail()
            stream.start()
            driver.start()
            driver.join(timeout=STREAM_S + 900)
            assert not driver.is_alive(), "the fault driver did not finish"
            assert driver.error is None, f"fault driver failed: {driver.error!r}"
            expected = len(stream.expected_links()) + sum(not i.poison for i in injector.sent)
            _wait(
                lambda: (
                    stream.done()
                    and es.count(index=alias)["count"] >= expected
                    and lag(kafka, kafka.topics.group("enrich"), kafka.topics.raw) == 0
                    and lag(kafka, kafka.topics.group("index"), kafka.topics.enriched) == 0
                ),
                DRAIN_S,
                "every article indexed and both groups caught up",
            )
        finally:
            codes = sup.stop()
        r = reconcile(kafka, private_stack.es.url, alias, stream.expected_links(), injector.sent)
        statuses = dict(stream.statuses)
    es.close()
    seen_429 = sup["index"].log.read_text(errors="replace").count(REJECTED)
    _report(r, sup, driver, seed, seen_429, statuses, time.monotonic() - t0, capsys)

    assert not r.problems, "\n".join(r.problems)
    assert dict(driver.counts) == {k: sum(e.kind == k for e in events) for k in driver.counts}
    assert len(driver.counts) == len({e.kind for e in events}), "a kind of fault never ran"
    assert seen_429 > 0, "the indexer never met a 429 from Elasticsearch"
    planned_kills = {n: sum(e.kind == f"kill:{n}" for e in events) for n in sup.workers}
    assert {n: w.kills for n, w in sup.workers.items()} == planned_kills
    # A worker may give up while Kafka or Elasticsearch is down (the supervisor restarts it, as
    # systemd or k8s would); in calm weather none may exit.
    calm = {
        n: [rc for at, rc in w.exited_at if not driver.during_outage(at)]
        for n, w in sup.workers.items()
    }
    calm = {n: rcs for n, rcs in calm.items() if rcs}
    assert not calm, f"workers exited outside any outage: {calm}\n{_tails(sup, calm)}"
    assert all(code == 0 for code in codes.values()), f"SIGTERM exit codes {codes}"


def _tails(sup: Supervisor, names: Iterable[str]) -> str:
    return "\n".join(f"--- {n}.log ---\n{sup[n].tail()}" for n in names)


def _report(
    r: Reconciliation,
    sup: Supervisor,
    driver: Driver,
    seed: int,
    seen_429: int,
    statuses: dict[int, int],
    took: float,
    capsys: pytest.CaptureFixture[str],
) -> None:
    c = r.counts
    rows: list[tuple[str, object]] = [
        ("seed", seed),
        ("articles in the feeds", c["articles_expected"]),
        ("published (distinct / raw records)", f"{c['raw_distinct']} / {c['raw_records']}"),
        ("enriched (distinct / records)", f"{c['enriched_distinct']} / {c['enriched_records']}"),
        ("indexed (stream / all documents)", f"{c['indexed_stream']} / {c['indexed_docs']}"),
        ("injected (poison / hostile)", f"{c['injected_poison']} / {c['injected_hostile']}"),
        ("dead letters", c["dead_letter_records"]),
        *((f"  {stage} {error}", n) for (stage, error), n in sorted(r.dead_letters.items())),
        ("faults", ", ".join(f"{k} {n}" for k, n in sorted(driver.counts.items()))),
        ("SIGKILLs", ", ".join(f"{n} {w.kills}" for n, w in sup.workers.items())),
        ("unplanned exits (restarted)", {n: dict(w.exits) for n, w in sup.workers.items()}),
        ("outages", ", ".join(f"{k} {v:.0f}s" for k, v in driver.outage_s.items())),
        ("429s: hammer / indexer log", f"{driver.hammer_429} / {seen_429}"),
        ("feed answers", statuses),
        ("lag enrich / index", f"{c['lag_enrich']} / {c['lag_index']}"),
        ("duration", f"{took:.0f}s"),
    ]
    with capsys.disabled():
        print("fault suite counts:\n" + _table(rows))
        for ev in driver.events:
            print(f"  {ev.at_s:6.1f}s -> {ev.done_at_s or 0:6.1f}s  {ev.kind} {ev.note}")
        if r.problems:
            print(_tails(sup, sup.workers))

"""How long a replacement enricher takes to consume after its predecessor died (or stopped).

On the shared local stack, in a namespace of its own (topics ``bench-takeover-<id>.*``, deleted
afterwards), each run:

1. starts enricher A (``python -m diplowire.cli enrich``, a real process) and waits until it has
   enriched a first article (A is in the group and owns every partition);
2. ``kill``: SIGKILLs A (a crash: no LeaveGroup) / ``term``: SIGTERMs A and waits for its exit;
3. at once produces a second article and starts enricher B;
4. times until the second article is on the enriched topic.

``take-over s`` runs from the kill (or the SIGTERM) to that moment; it includes B's own start
(Python, spaCy models) which ``term`` runs measure alone: A left the group, so nothing waits for it.

    .venv/bin/python bench/takeover.py [--runs 3] [--mode kill|term] [--env NAME=VALUE ...]

``--env`` passes settings to both enrichers, e.g. ``--env DIPLOWIRE_LOOP_SESSION_TIMEOUT_MS=45000``
for the old session timeout, or ``--env DIPLOWIRE_LOOP_GROUP_INSTANCE_ID=bench-enrich-0`` for
static membership (A and B then share one instance id, as a restarted process does).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kafka import KafkaConsumer, TopicPartition  # noqa: E402

from diplowire.ingest.feeds import Feed  # noqa: E402
from diplowire.ingest.parse import parse_feed  # noqa: E402
from diplowire.sampleserver import SAMPLE_DIR  # noqa: E402
from diplowire.wire.admin import ensure_topics, open_admin  # noqa: E402
from diplowire.wire.article import Article, encode, replace  # noqa: E402
from diplowire.wire.loop import make_producer  # noqa: E402
from diplowire.wire.settings import KafkaSettings, PollSettings  # noqa: E402

START_TIMEOUT_S = 240.0
TAKEOVER_TIMEOUT_S = 300.0


def _article(n: int) -> Article:
    name = "un-news-europe.xml"
    feed = Feed(url=f"https://feeds.test/{name}", name=name)
    items, _skipped, _hint = parse_feed((SAMPLE_DIR / name).read_bytes(), feed, PollSettings())
    return replace(items[n % len(items)].article, id=uuid.uuid4().hex)


def _produce(kafka: KafkaSettings, art: Article) -> None:
    producer = make_producer(kafka)
    try:
        producer.send(kafka.topics.raw, key=art.id.encode(), value=encode(art)).get(timeout=30)
    finally:
        producer.close(timeout=10)


class _Watcher:
    """Reads the enriched topic (no group) and remembers every key seen."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.consumer = KafkaConsumer(**kafka.client_config(), group_id=None)
        topic = kafka.topics.enriched
        parts = self.consumer.partitions_for_topic(topic) or set()
        self.consumer.assign([TopicPartition(topic, p) for p in parts])
        self.consumer.seek_to_beginning()
        self.seen: set[bytes] = set()

    def wait_for(
        self, key: bytes, timeout_s: float, workers: list[subprocess.Popen[bytes]]
    ) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for batch in self.consumer.poll(timeout_ms=100).values():
                self.seen.update(r.key for r in batch)
            if key in self.seen:
                return True
            if any(w.poll() is not None for w in workers):
                return False
        return False

    def close(self) -> None:
        self.consumer.close()


def _start(kafka: KafkaSettings, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    full = {
        **os.environ,
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        **env,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "diplowire.cli", "enrich"],
            env=full,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _end(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def one_run(bootstrap: str, mode: str, env: dict[str, str], logdir: Path) -> dict[str, Any]:
    kafka = KafkaSettings(
        bootstrap_servers=bootstrap, topic_prefix=f"bench-takeover-{uuid.uuid4().hex[:8]}"
    )
    ensure_topics(kafka)
    watcher = _Watcher(kafka)
    log_a, log_b = logdir / f"{kafka.topic_prefix}-a.log", logdir / f"{kafka.topic_prefix}-b.log"
    a = _start(kafka, env, log_a)
    b: subprocess.Popen[bytes] | None = None
    try:
        first = _article(0)
        t0 = time.monotonic()
        _produce(kafka, first)
        if not watcher.wait_for(first.id.encode(), START_TIMEOUT_S, [a]):
            raise RuntimeError(f"A never enriched its first article:\n{log_a.read_text()[-2000:]}")
        a_ready = time.monotonic() - t0
        t_stop = time.monotonic()
        if mode == "kill":
            a.send_signal(signal.SIGKILL)
            a.wait()
        else:
            a.send_signal(signal.SIGTERM)
            a.wait(timeout=60)
        second = _article(1)
        _produce(kafka, second)
        b = _start(kafka, env, log_b)
        if not watcher.wait_for(second.id.encode(), TAKEOVER_TIMEOUT_S, [b]):
            raise RuntimeError(f"B never enriched the second article:\n{log_b.read_text()[-2000:]}")
        return {
            "mode": mode,
            "a_first_s": round(a_ready, 1),
            "takeover_s": round(time.monotonic() - t_stop, 1),
        }
    finally:
        _end(a)
        if b is not None:
            _end(b)
        watcher.close()
        admin = open_admin(kafka)
        with contextlib.suppress(Exception):
            t = kafka.topics
            admin.delete_topics([t.raw, t.enriched, t.deadletter])
        admin.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--mode", choices=["kill", "term"], default="kill")
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    env = dict(e.split("=", 1) for e in args.env)
    results = []
    with tempfile.TemporaryDirectory(prefix="takeover-") as tmp:
        for _ in range(args.runs):
            res = one_run(args.bootstrap, args.mode, env, Path(tmp))
            results.append(res)
            print(json.dumps(res) if args.json else _row(res), flush=True)
    load = os.getloadavg()[0]
    times = sorted(r["takeover_s"] for r in results)
    print(f"# mode {args.mode}, env {env or '{}'}: take-over {times} s (load avg {load:.2f})")
    return 0


def _row(res: dict[str, Any]) -> str:
    return (
        f"{res['mode']}: A first article {res['a_first_s']} s; "
        f"take-over (stop of A -> B's first output) {res['takeover_s']} s"
    )


if __name__ == "__main__":
    sys.exit(main())

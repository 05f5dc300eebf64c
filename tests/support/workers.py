"""Workers run as real processes (``python -m diplowire.cli <stage>``), stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings


def start_worker(
    service: str, kafka: KafkaSettings, es: ElasticsearchSettings, log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    env = {
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "DIPLOWIRE_ELASTICSEARCH_URL": es.url,
        "DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX": es.index_prefix,
        # Tiny batches so that a SIGTERM lands in the middle of the stream.
        "DIPLOWIRE_LOOP_BATCH_MAX_RECORDS": "2",
        "DIPLOWIRE_LOOP_BATCH_MAX_WAIT_MS": "50",
    }
    return start_cli(env, log, service, *extra)


def start_cli(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``diplowire ARGS`` in a process of its own, ``env`` over ours, its output in ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "diplowire.cli", *args],
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop_worker(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM, and the worker must exit 0 within a minute (its log is quoted if not)."""
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"worker ignored SIGTERM:\n{log.read_text()[-3000:]}") from None
    assert rc == 0, f"worker exited {rc} after SIGTERM:\n{log.read_text()[-3000:]}"

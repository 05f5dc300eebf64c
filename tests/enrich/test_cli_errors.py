"""The SIGTERM message is printed once: by a worker, and by ``enrich --processes N`` for all its
children (which stay quiet), however many signals arrive."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diplowire.wire.loop import StopFlag, install_signal_handlers
from diplowire.wire.settings import KafkaSettings


def test_a_second_signal_is_not_announced_again(caplog: pytest.LogCaptureFixture) -> None:
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    flag = StopFlag()
    try:
        install_signal_handlers(flag)
        with caplog.at_level(logging.INFO, logger="diplowire.wire.loop"):
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    assert flag.is_set()
    said = [r.getMessage() for r in caplog.records if "received" in r.getMessage()]
    assert said == ["received SIGTERM: draining, committing and stopping"]


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has installed a SIGTERM handler (SigCgt bit 15 in /proc)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", text, re.M).group(1), 16)  # type: ignore[union-attr]
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def test_enrich_processes_says_received_sigterm_once(kafka: KafkaSettings, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
    }
    cli = [sys.executable, "-m", "diplowire.cli"]
    subprocess.run([*cli, "topics", "ensure"], env=env, check=True, capture_output=True)
    err = tmp_path / "stderr"
    with err.open("w") as sink:
        proc = subprocess.Popen([*cli, "enrich", "--processes", "2"], env=env, stderr=sink)
    try:
        deadline = time.monotonic() + 60
        pids: list[int] = []
        while time.monotonic() < deadline:
            pids = [
                int(p)
                for p in re.findall(r"started enrich worker \d/2 \(pid (\d+)\)", err.read_text())
            ]
            if len(pids) == 2 and all(_catches_sigterm(p) for p in pids):
                break
            time.sleep(0.2)
        # Both children have their handler: each will log, or not, what it received.
        assert len(pids) == 2 and all(_catches_sigterm(p) for p in pids), err.read_text()
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)  # a second signal, as from an impatient Ctrl-C
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = err.read_text()
    assert len(re.findall(r"received SIG(TERM|INT)", text)) == 1, text
    assert "all 2 workers stopped (exit codes [0, 0])" in text

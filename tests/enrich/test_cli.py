"""``diplowire enrich --processes N``: N children, signals forwarded, failures propagated."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

from diplowire.enrich import cli

SLEEPER = [sys.executable, "-c", "import time\nwhile True: time.sleep(0.05)"]


def test_child_command_is_a_single_worker_with_the_same_config() -> None:
    args = argparse.Namespace(config="prod.yaml", verbose=True, processes=2)
    cmd = cli.child_command(args)
    assert cmd[1:] == [
        "-m",
        "diplowire.cli",
        "--config",
        "prod.yaml",
        "-v",
        "enrich",
        "--processes",
        "1",
    ]


def test_sigterm_is_forwarded_to_every_child() -> None:
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    t0 = time.monotonic()
    code = cli.supervise(SLEEPER, 2, poll_s=0.05)
    # The children die of the forwarded SIGTERM: an orderly stop.
    assert code == 0
    assert time.monotonic() - t0 < 30
    assert signal.getsignal(signal.SIGTERM) is not None


def test_a_failing_child_stops_the_others() -> None:
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    assert cli.supervise(failing, 2, poll_s=0.05) == 3

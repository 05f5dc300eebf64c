"""``diplowire enrich`` and ``diplowire tag``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

from diplowire.wire.cliutil import settings_from_args
from diplowire.wire.settings import EnrichSettings

log = logging.getLogger("diplowire.enrich")

SUPERVISED_ENV = "DIPLOWIRE_SUPERVISED"
"""Set by :func:`supervise` in its children's environment."""


def register(sub: Any) -> None:
    s = sub.add_parser("enrich", help="consume raw articles, publish enriched ones")
    s.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="run N worker processes in the same consumer group (use N = number of cores; "
        "the raw topic needs at least N partitions for all of them to get work)",
    )
    s.set_defaults(func=cmd_enrich)
    s = sub.add_parser("tag", help="enrich JSON lines from stdin to stdout, without Kafka")
    s.set_defaults(func=cmd_tag)


def cmd_enrich(args: argparse.Namespace) -> int:
    processes = getattr(args, "processes", 1)
    if processes < 1:
        log.error("--processes must be at least 1, got %d", processes)
        return 2
    if processes > 1:
        from diplowire.ops.topics import refuse_if_too_few

        kafka = settings_from_args(EnrichSettings, args).kafka
        # N consumers on fewer partitions: some would idle while looking busy; say so at once.
        refused = refuse_if_too_few(kafka, kafka.topics.raw, processes)
        if refused is not None:
            return refused
        parent = settings_from_args(EnrichSettings, args)
        instance = parent.loop.group_instance_id
        # Static members must differ: child k is "<id>-k", the same k after every restart.
        envs = [
            {"DIPLOWIRE_LOOP_GROUP_INSTANCE_ID": f"{instance}-{k}"} if instance else {}
            for k in range(processes)
        ]
        if parent.observe.port:
            # One metrics server per process, on neighbouring ports: child k serves port + k.
            for k, env in enumerate(envs):
                env["DIPLOWIRE_OBSERVE_PORT"] = str(parent.observe.port + k)
        return supervise(child_command(args), processes, child_env=envs)

    from diplowire.enrich.worker import run_worker
    from diplowire.wire.loop import StopFlag, install_signal_handlers

    settings: EnrichSettings = settings_from_args(EnrichSettings, args)
    stop = StopFlag()
    # A child of `--processes N`: its supervisor says "received SIGTERM" for all of them.
    install_signal_handlers(stop, announce=SUPERVISED_ENV not in os.environ)
    stats = run_worker(
        settings,
        stop,
        on_batch=lambda s: log.info(
            "%d consumed, %d enriched, %d dead letters", s.consumed, s.succeeded, s.dead_lettered
        ),
    )
    log.info("stopped after draining: %s", stats)
    return 0


def child_command(args: argparse.Namespace) -> list[str]:
    """The same ``diplowire enrich`` (same config and verbosity) as one single worker process."""
    cmd = [sys.executable, "-m", "diplowire.cli"]
    if getattr(args, "config", None):
        cmd += ["--config", args.config]
    if getattr(args, "verbose", False):
        cmd.append("-v")
    return [*cmd, "enrich", "--processes", "1"]


def supervise(
    cmd: list[str],
    processes: int,
    poll_s: float = 0.5,
    child_env: list[dict[str, str]] | None = None,
) -> int:
    """Start ``processes`` copies of ``cmd``, forward SIGTERM/SIGINT to them and wait for all.

    Each child is an ordinary enrich consumer: Kafka's group protocol shares the partitions among
    them. When one child fails (non-zero exit) the others are stopped too and its exit code is
    returned, so that the supervisor (systemd, Kubernetes, ...) restarts the whole set.
    """
    children: list[subprocess.Popen[bytes]] = []
    stopping = False
    signalled = False

    def stop_all(signum: int = signal.SIGTERM) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping, signalled
        if not signalled:  # once: a second signal says nothing new
            name = signal.Signals(signum).name
            log.info("received %s: stopping %d workers", name, len(children))
        stopping = signalled = True
        stop_all(signal.SIGTERM)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for k in range(processes):
            extra = child_env[k] if child_env else {}
            env = {**os.environ, SUPERVISED_ENV: "1", **extra}
            children.append(subprocess.Popen(cmd, env=env))
            log.info("started enrich worker %d/%d (pid %d)", k + 1, processes, children[-1].pid)
        failed = 0
        while any(c.poll() is None for c in children):
            if not stopping:
                bad = [c for c in children if c.returncode not in (None, 0)]
                if bad:
                    failed = bad[0].returncode
                    log.error(
                        "worker pid %d exited with %d: stopping the others", bad[0].pid, failed
                    )
                    stopping = True
                    stop_all(signal.SIGTERM)
            time.sleep(poll_s)
        # A child killed by the SIGTERM we forwarded (before it had its handler) stopped cleanly.
        codes = [
            0 if signalled and c.returncode == -signal.SIGTERM else c.returncode for c in children
        ]
        log.info("all %d workers stopped (exit codes %s)", processes, codes)
        return failed or next((c for c in codes if c), 0)
    finally:
        stop_all(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
        for s, handler in previous.items():
            signal.signal(s, handler)


def cmd_tag(args: argparse.Namespace) -> int:
    from diplowire.enrich.nlp import Models
    from diplowire.enrich.tag import tag_stream

    settings: EnrichSettings = settings_from_args(EnrichSettings, args)
    models = Models(blas_threads=settings.blas_threads, names=settings.models.by_lang())
    return tag_stream(sys.stdin.buffer, sys.stdout.buffer, sys.stderr, models=models)

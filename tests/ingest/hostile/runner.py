"""Runs hostile-corpus jobs through the real poller, each in a fresh forked process.

``python -m tests.ingest.hostile.runner`` reads one JSON job per line on stdin and writes one JSON
result per line on stdout. The parent imports the poller once (about 1 s) and starts no thread;
each job runs in a child forked from it, so every case starts from the same clean interpreter
and its memory is its own:

- ``rss_total_mb``: the child's peak resident set as the kernel reports it (``wait4`` maxrss);
- ``rss_delta_mb``: the peak during the poll minus the resident set just before it (the peak is
  reset through ``/proc/self/clear_refs`` first), i.e. what the hostile input made the poller
  allocate;
- ``RLIMIT_AS`` caps the child's address space as a hard stop, so a blow-up fails the case with a
  MemoryError instead of swapping a machine other tests share.

An audit hook in the child records every outgoing connection and every name lookup and refuses
any that is not to 127.0.0.1 (or a local name): a case can assert what was never connected to, and
no case can send traffic off the machine, whatever the code under test does.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback
from dataclasses import asdict
from typing import Any

from diplowire.ingest.feeds import Feed
from diplowire.ingest.poller import poll_once
from diplowire.ingest.state import FileStateStore
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings, PollSettings

ADDRESS_SPACE_MB = 1536
"""Hard stop on the child's virtual size. Far above the asserted bounds: threads reserve
address space they never touch (stacks, malloc arenas), so it cannot be the bound itself."""
KILL_GRACE_S = 10.0
"""A child still running this long after its time bound is killed (and the case fails)."""
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", socket.gethostname()})


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _guard(connects: list[str], lookups: list[str]) -> None:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect":
            addr = args[1]
            host = addr[0] if isinstance(addr, tuple) else str(addr)
            connects.append(f"{host}:{addr[1]}" if isinstance(addr, tuple) else host)
            if host != "127.0.0.1":
                raise PermissionError(f"hostile-corpus harness: no connection to {host}")
        elif event == "socket.getaddrinfo":
            host = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
            lookups.append(host)
            if host not in LOCAL_NAMES and not _is_ip_literal(host):
                # A lookup of a real name would query the resolver, off this machine.
                raise PermissionError(f"hostile-corpus harness: no lookup of {host}")

    sys.addaudithook(hook)


def _is_ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host.strip("[]").split("%")[0])
            return True
        except OSError:
            pass
    # inet_aton also takes the forms getaddrinfo does: 2130706433, 0x7f.1, 0177.0.0.1.
    try:
        socket.inet_aton(host)
        return True
    except OSError:
        return False


def _label(report: Any) -> str:
    """The feed's outcome. Full-text page failures (``fulltext_*``) are counted in the same map
    but leave the feed ok: the articles keep their summaries."""
    feed_failures = [k for k in report.failures if not k.startswith("fulltext_")]
    if feed_failures:
        return ",".join(sorted(feed_failures))
    if report.feeds_deferred:
        return "deferred"
    if report.feeds_unchanged:
        return "unchanged"
    if report.feeds_ok:
        return "ok"
    return "none"


def _run_case(job: dict[str, Any]) -> dict[str, Any]:
    connects: list[str] = []
    lookups: list[str] = []
    kafka = KafkaSettings(bootstrap_servers=job["bootstrap"], topic_prefix=job["prefix"])
    # JSON has no tuples; the settings' sequences are tuples (frozen, hashable).
    given: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in job["settings"].items()
    }
    settings = PollSettings(kafka=kafka, state_dir=job["state_dir"], **given)
    feed = Feed(url=job["url"], name=job["name"], **job.get("feed", {}))
    producer = make_producer(kafka)
    store = FileStateStore(job["state_dir"])
    _guard(connects, lookups)
    passes = []
    for _ in range(job.get("passes", 1)):
        base_kb = _reset_peak()
        t0 = time.monotonic()
        report = poll_once([feed], settings, producer, store)
        elapsed = time.monotonic() - t0
        peak_kb = _status_kb("VmHWM")
        fs = store.load().feeds[feed.url]
        passes.append(
            {
                "label": _label(report),
                "report": asdict(report),
                "health": fs.health,
                "last_error": fs.last_error,
                "elapsed_s": round(elapsed, 3),
                "rss_base_mb": round(base_kb / 1024, 1),
                "rss_delta_mb": round((peak_kb - base_kb) / 1024, 1),
            }
        )
    producer.close(timeout=10)
    return {"passes": passes, "connects": connects, "lookups": lookups, "kafka": job["bootstrap"]}


def _reset_peak() -> int:
    """Resets VmHWM to the current resident set; returns that (kB)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kb("VmRSS")


def _run_stage(job: dict[str, Any]) -> dict[str, Any]:
    from tests.ingest.hostile.stages import run_stage_job

    connects: list[str] = []
    lookups: list[str] = []
    _guard(connects, lookups)
    result = run_stage_job(job, (_reset_peak, lambda: _status_kb("VmHWM")))
    return {**result, "connects": connects, "lookups": lookups}


def _child(job: dict[str, Any], out: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_MB << 20, ADDRESS_SPACE_MB << 20))
    try:
        run = _run_stage if job.get("kind") == "stage" else _run_case
        result: dict[str, Any] = run(job)
    except BaseException as exc:  # reported, never swallowed: the case then fails
        result = {"error": "".join(traceback.format_exception(exc))[-4000:]}
    os.write(out, json.dumps(result).encode())
    os.close(out)


def _run(job: dict[str, Any]) -> dict[str, Any]:
    r, w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (child)
        os.close(r)
        code = 0
        try:
            _child(job, w)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(w)
    limit = job["time_s"] * job.get("passes", 1) + KILL_GRACE_S + 5
    chunks: list[bytes] = []
    killed = False
    while True:
        left = started + limit - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        ready, _, _ = select.select([r], [], [], left)
        if ready:
            data = os.read(r, 65536)
            if not data:
                break
            chunks.append(data)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    result = json.loads(b"".join(chunks) or b"{}")
    if killed:
        result["error"] = f"killed after {limit:.0f} s"
    result["exit"] = os.waitstatus_to_exitcode(status)
    result["rss_total_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["wall_s"] = round(time.monotonic() - started, 3)
    result["name"] = job["name"]
    return result


def main() -> None:
    print(json.dumps({"ready": True, "rss_mb": round(_status_kb("VmRSS") / 1024, 1)}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(_run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()

"""Processes and files the stack owns: pid files, liveness, logs, ports, spawning and stopping.

Shared by the Kafka and Elasticsearch modules and by the throwaway nodes tests start
(tests/support), so all of them find, start and stop a server the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from diplowire.devstack.config import ES, HOST, KAFKA, StackConfig


def progress(msg: str) -> None:
    print(f"[stack] {msg}", file=sys.stderr, flush=True)


# Size of each server log when this process started the server: logs append across runs, and
# a startup failure must quote this run's lines, not the previous run's.
_log_start: dict[Path, int] = {}


def tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(_log_start.get(path, 0), fh.tell() - 64 * 1024))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_excerpt(cfg: StackConfig, service: str) -> str:
    parts = []
    # The main log says why the server gave up; stdout catches JVM/launcher failures that
    # happen before logging is configured (and for ES repeats the log, so keep it short then).
    main_tail = tail(cfg.main_log(service), 15)
    if main_tail.strip():
        parts.append(f"--- last lines of {cfg.main_log(service)} ---\n{main_tail}")
    out_tail = tail(cfg.stdout_log(service), 4 if parts else 15)
    if out_tail.strip():
        parts.append(f"--- last lines of {cfg.stdout_log(service)} ---\n{out_tail}")
    return "\n".join(parts) if parts else f"({service}: no log output yet)"


def port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_owner(port: int) -> str:
    """Best effort "pid 123 (java)" of whoever listens on ``port``, from /proc; "" if unknown."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            # State 0A is LISTEN; the local address is hex ip:port.
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    if not inodes:
        return ""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    comm = (proc / "comm").read_text().strip()
                    return f"pid {proc.name} ({comm})"
        except OSError:
            continue
    return ""


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    # A zombie has exited; it only waits for its parent to reap it.
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode("utf-8", "replace")
        )
    except OSError:
        return ""


def _ours(cfg: StackConfig, service: str, pid: int) -> bool:
    """True if ``pid`` is still the process we started (guards against pid reuse)."""
    if not alive(pid):
        return False
    cmd = _cmdline(pid)
    if service == KAFKA:
        return "kafka.Kafka" in cmd and str(cfg.stack_dir) in cmd
    return "org.elasticsearch" in cmd and str(cfg.es_base) in cmd


def service_pids(cfg: StackConfig, service: str) -> list[int]:
    """Live processes of ``service`` that we started: the launcher, and for ES its server JVM."""
    pids = []
    pid = read_pid(cfg.pid_file(service))
    if pid is not None and _ours(cfg, service, pid):
        pids.append(pid)
    if service == ES:
        # bin/elasticsearch is a launcher JVM that forks the server JVM and writes its pid here.
        server = read_pid(cfg.es_dir / "server.pid")
        if server is not None and server not in pids and _ours(cfg, service, server):
            pids.append(server)
    return pids


@contextlib.contextmanager
def lock(cfg: StackConfig) -> Iterator[None]:
    """Serialise up/down so two concurrent ``up`` calls do not both start a server."""
    cfg.stack_dir.mkdir(parents=True, exist_ok=True)
    with (cfg.stack_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _raise_open_files_limit(want: int = 65535) -> None:
    """Let the servers (which inherit our limits) keep many segment files and sockets open.

    ES warns below 65535 and Kafka holds a few descriptors per partition segment. Root may
    raise the hard limit too; otherwise go as high as the hard limit allows.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    inf = resource.RLIM_INFINITY
    if soft == inf or soft >= want:
        return
    # Raising the hard limit needs root; a non-root user settles for the hard limit.
    roomy = hard == inf or hard >= want
    attempts = [(want, hard)] if roomy else [(want, want), (hard, hard)]
    for limits in attempts:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
            return
        except (ValueError, OSError):
            continue


def spawn(
    cfg: StackConfig,
    service: str,
    cmd: list[str],
    env: dict[str, str] | None,
    owner: tuple[int, int] | None = None,
) -> subprocess.Popen[bytes]:
    log = cfg.stdout_log(service)
    log.parent.mkdir(parents=True, exist_ok=True)
    _raise_open_files_limit()
    main_log = cfg.main_log(service)
    _log_start[main_log] = main_log.stat().st_size if main_log.exists() else 0
    with log.open("wb") as out:
        kwargs: dict[str, object] = {}
        if owner is not None:
            kwargs = {"user": owner[0], "group": owner[1], "extra_groups": []}
        # A new session: the servers outlive this command and do not get its terminal's ^C.
        proc = subprocess.Popen(  # type: ignore[call-overload]
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(log.parent),
            env=env,
            start_new_session=True,
            **kwargs,
        )
    cfg.pid_file(service).write_text(f"{proc.pid}\n")
    return proc


def stop_pids(pids: list[int], timeout: float) -> bool:
    """SIGTERM, wait up to ``timeout``, then SIGKILL. True if they went away gracefully."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return False

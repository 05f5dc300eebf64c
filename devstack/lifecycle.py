"""up, down and status of both servers, serialised by a lock in the stack dir."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass

from diplowire.devstack.config import ES, KAFKA, SERVICES, STOP_TIMEOUT, StackConfig, StackError
from diplowire.devstack.elasticsearch import es_health, prepare_es
from diplowire.devstack.kafka import kafka_metadata_ok, prepare_kafka
from diplowire.devstack.procs import (
    alive,
    lock,
    log_excerpt,
    port_open,
    port_owner,
    progress,
    service_pids,
    spawn,
    stop_pids,
)


def _ready(cfg: StackConfig, service: str) -> bool:
    if service == KAFKA:
        return kafka_metadata_ok(cfg.kafka_port)
    return es_health(cfg.es_port) is not None


def _service_ports(cfg: StackConfig, service: str) -> list[int]:
    return [cfg.kafka_port, cfg.controller_port] if service == KAFKA else [cfg.es_port]


def _port_env(service: str) -> str:
    return "DIPLOWIRE_KAFKA_PORT" if service == KAFKA else "DIPLOWIRE_ES_PORT"


def _check_ports_free(cfg: StackConfig, service: str) -> None:
    for port in _service_ports(cfg, service):
        if port_open(port):
            owner = port_owner(port)
            by = f" by {owner}" if owner else ""
            raise StackError(
                f"port {port} ({service}) is already in use{by}, not by a process this stack "
                f"started; stop it or set {_port_env(service)}"
            )


@dataclass
class ServiceStatus:
    name: str
    state: str  # "up", "starting", "down", "stale pid file", "port taken"
    pid: int | None
    address: str
    detail: str = ""

    @property
    def up(self) -> bool:
        return self.state == "up"


def _status_of(cfg: StackConfig, service: str) -> ServiceStatus:
    pids = service_pids(cfg, service)
    pid = pids[0] if pids else None
    addr = cfg.address(service)
    if pids:
        state = "up" if _ready(cfg, service) else "starting"
        return ServiceStatus(service, state, pid, addr)
    state = "stale pid file" if cfg.pid_file(service).exists() else "down"
    for port in _service_ports(cfg, service):
        if port_open(port):
            owner = port_owner(port)
            return ServiceStatus(
                service,
                "port taken",
                None,
                addr,
                f"port {port} is used by {owner or 'another process'}",
            )
    return ServiceStatus(service, state, None, addr)


def status(cfg: StackConfig | None = None) -> dict[str, ServiceStatus]:
    """State of each service; ``up`` means our process is alive and answering."""
    cfg = cfg or StackConfig.from_env()
    return {s: _status_of(cfg, s) for s in SERVICES}


def up(cfg: StackConfig | None = None) -> dict[str, ServiceStatus]:
    """Start whatever is not running yet and wait until both servers answer."""
    cfg = cfg or StackConfig.from_env()
    t0 = time.monotonic()
    with lock(cfg):
        cfg.stack_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # ES_USER must traverse the stack dir even if root's umask is strict.
            cfg.stack_dir.chmod(cfg.stack_dir.stat().st_mode | 0o755)
        started: dict[str, subprocess.Popen[bytes]] = {}
        try:
            # ES first: it is the slow one to start, and Kafka's download overlaps with it.
            for service in (ES, KAFKA):
                if service_pids(cfg, service):
                    continue
                cfg.pid_file(service).unlink(missing_ok=True)
                _check_ports_free(cfg, service)
                if service == KAFKA:
                    cmd = prepare_kafka(cfg)
                    started[service] = spawn(cfg, service, cmd, None)
                else:
                    cmd, env, owner = prepare_es(cfg)
                    started[service] = spawn(cfg, service, cmd, env, owner)
                progress(f"started {service} (pid {started[service].pid})")
        except BaseException:
            # E.g. Kafka's download failed after ES was launched: leave nothing half up.
            _abort(cfg, started)
            raise
        if not started:
            progress("kafka and elasticsearch are already running")
        _wait_ready(cfg, started, t0)
    result = status(cfg)
    progress(f"stack up in {time.monotonic() - t0:.1f}s")
    return result


def _wait_ready(cfg: StackConfig, started: dict[str, subprocess.Popen[bytes]], t0: float) -> None:
    pending = set(SERVICES)
    deadline = time.monotonic() + cfg.timeout
    next_note = time.monotonic() + 10
    while pending:
        for service in sorted(pending):
            proc = started.get(service)
            if proc is not None and proc.poll() is not None:
                # Do not leave half a stack behind: the next `up` should start from scratch.
                _abort(cfg, started)
                raise StackError(
                    f"{service} exited with code {proc.returncode} during startup "
                    "(stopped what this run started)\n" + log_excerpt(cfg, service)
                )
            if proc is None and not service_pids(cfg, service):
                raise StackError(
                    f"{service} stopped while waiting for it; see {cfg.main_log(service)}"
                )
            if _ready(cfg, service):
                pending.discard(service)
                progress(
                    f"{service} ready at {cfg.address(service)} ({time.monotonic() - t0:.1f}s)"
                )
        if not pending:
            break
        now = time.monotonic()
        if now > deadline:
            names = " and ".join(sorted(pending))
            excerpt = "\n".join(log_excerpt(cfg, s) for s in sorted(pending))
            _abort(cfg, started)
            raise StackError(
                f"{names} not ready after {cfg.timeout:.0f}s (stopped what this run started)\n"
                + excerpt
            )
        if now > next_note:
            progress(f"waiting for {' and '.join(sorted(pending))}... ({now - t0:.0f}s)")
            next_note = now + 10
        time.sleep(0.5)


def _abort(cfg: StackConfig, started: dict[str, subprocess.Popen[bytes]]) -> None:
    """Stop what this ``up`` started so the next attempt starts clean."""
    for service, proc in started.items():
        pids = [proc.pid, *(p for p in service_pids(cfg, service) if p != proc.pid)]
        stop_pids([p for p in pids if alive(p)], 20)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        cfg.pid_file(service).unlink(missing_ok=True)


def down(cfg: StackConfig | None = None) -> None:
    """Stop the servers this stack started (by pid file); leaves data and logs in place."""
    cfg = cfg or StackConfig.from_env()
    if not cfg.stack_dir.is_dir():
        progress("nothing to stop")
        return
    with lock(cfg):
        for service in (KAFKA, ES):
            pids = service_pids(cfg, service)
            if not pids:
                if cfg.pid_file(service).exists():
                    progress(f"{service} was not running (removed stale pid file)")
                else:
                    progress(f"{service} is not running")
                cfg.pid_file(service).unlink(missing_ok=True)
                continue
            progress(f"stopping {service} (pid {', '.join(map(str, pids))})...")
            t0 = time.monotonic()
            graceful = stop_pids(pids, STOP_TIMEOUT)
            how = "stopped" if graceful else "killed (did not stop within timeout)"
            progress(f"{service} {how} in {time.monotonic() - t0:.1f}s")
            cfg.pid_file(service).unlink(missing_ok=True)

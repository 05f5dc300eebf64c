"""The workers as real processes, under a supervisor that restarts them like systemd or k8s would.

A worker the fault driver SIGKILLs is restarted and counted as a kill; one that exits by itself
(e.g. a dependency down longer than its start-up patience) is restarted too and counted by exit
code, so the report shows how often the pipeline leaned on its supervisor.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "diplowire"
RESTART_DELAY_S = 1.0


class Worker:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.exits: Counter[int] = Counter()
        """Exit codes of the exits nobody asked for."""
        self.exited_at: list[tuple[float, int]] = []
        """(time.monotonic(), exit code) of each of those exits."""
        self.starts = 0
        self.started_at = 0.0
        self._killing = False

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"=== start #{self.starts + 1} at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [str(BIN), *self.argv],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        self.started_at = time.monotonic()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


class Supervisor(threading.Thread):
    def __init__(self, workers: list[Worker]) -> None:
        super().__init__(daemon=True, name="fault-supervisor")
        self.workers = {w.name: w for w in workers}
        self.lock = threading.Lock()
        self.halt = threading.Event()

    def __getitem__(self, name: str) -> Worker:
        return self.workers[name]

    def run(self) -> None:
        while not self.halt.wait(0.2):
            for w in self.workers.values():
                with self.lock:
                    if self.halt.is_set() or w.proc is None or w.proc.poll() is None:
                        continue
                    if w._killing:
                        w._killing = False
                    else:
                        w.exits[w.proc.returncode] += 1
                        w.exited_at.append((time.monotonic(), w.proc.returncode))
                time.sleep(RESTART_DELAY_S)
                with self.lock:
                    if not self.halt.is_set():
                        w.start()

    def running(self, name: str, min_age_s: float = 2.0) -> bool:
        w = self.workers[name]
        return (
            w.proc is not None
            and w.proc.poll() is None
            and time.monotonic() - w.started_at >= min_age_s
        )

    def kill9(self, name: str, min_age_s: float = 2.0, timeout_s: float = 120.0) -> bool:
        """SIGKILL the worker once it has run ``min_age_s`` (a worker still being restarted after
        the previous kill is waited for, so every planned kill lands); False if it never was."""
        w = self.workers[name]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if self.running(name, min_age_s):
                    assert w.proc is not None
                    w._killing = True
                    w.kills += 1
                    os.kill(w.proc.pid, signal.SIGKILL)
                    w.proc.wait(timeout=10)
                    return True
            time.sleep(0.2)
        return False

    def stop(self, timeout: float = 90.0) -> dict[str, int | None]:
        """SIGTERM every worker (drain, commit, exit); their exit codes."""
        self.halt.set()
        self.join(timeout=10)
        with self.lock:
            procs = {n: w.proc for n, w in self.workers.items() if w.proc is not None}
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, proc in procs.items():
            try:
                codes[name] = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
                codes[name] = None
        return codes

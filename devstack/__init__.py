"""Local Kafka + Elasticsearch stack for development and CI: ``diplowire stack up|down|status``.

There is no Docker and no internet on the machines this project runs on, only package
registries, so both servers come from Maven Central:

* Apache Kafka (KRaft, one combined broker+controller node) runs straight from the jars that
  ``mvn`` resolves from ``deploy/local/pom.xml``.
* Elasticsearch runs from the ``integ-test-zip`` distribution, the only ES distribution that
  Maven Central publishes (and only up to 8.19.x).

Downloads are cached under ``~/.cache/diplowire`` (``DIPLOWIRE_CACHE_DIR``); data, logs and pid
files live in ``<project>/.stack`` (``DIPLOWIRE_STACK_DIR``). Everything listens on 127.0.0.1.
Standard library only: this must work before (and without) the project's dependencies.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

KAFKA_VERSION = "4.1.1"
ES_VERSION = "8.19.21"
ES_ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"

HOST = "127.0.0.1"
DEFAULT_KAFKA_PORT = 9092
DEFAULT_ES_PORT = 9200
DEFAULT_KAFKA_BOOTSTRAP = f"{HOST}:{DEFAULT_KAFKA_PORT}"
DEFAULT_ES_URL = f"http://{HOST}:{DEFAULT_ES_PORT}"
DEFAULT_TIMEOUT = 180.0

# Elasticsearch refuses to start as root; when we are root it runs as this system user.
ES_USER = "diplowire-es"
KAFKA_HEAP = ("-Xms512m", "-Xmx1g")
ES_HEAP = "-Xms1g -Xmx1g"
STOP_TIMEOUT = 60.0

KAFKA = "kafka"
ES = "elasticsearch"
SERVICES = (KAFKA, ES)


class StackError(Exception):
    """A failure worth one line to the user (``main`` prints it as ``diplowire stack: ...``)."""


# --------------------------------------------------------------------------- addresses


def _env_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise StackError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise StackError(f"{name}={raw!r} is not a port number")
    return port


def kafka_port() -> int:
    return _env_port("DIPLOWIRE_KAFKA_PORT", DEFAULT_KAFKA_PORT)


def kafka_controller_port() -> int:
    return _env_port("DIPLOWIRE_KAFKA_CONTROLLER_PORT", kafka_port() + 1)


def es_port() -> int:
    return _env_port("DIPLOWIRE_ES_PORT", DEFAULT_ES_PORT)


def kafka_bootstrap() -> str:
    """Bootstrap servers string for clients of the local Kafka (``127.0.0.1:9092``)."""
    return f"{HOST}:{kafka_port()}"


def es_url() -> str:
    """Base URL of the local Elasticsearch (``http://127.0.0.1:9200``)."""
    return f"http://{HOST}:{es_port()}"


# --------------------------------------------------------------------------- configuration


def _project_root() -> Path | None:
    """The checkout holding deploy/local/pom.xml: the package's parent (editable install) or cwd."""
    here = Path(__file__).resolve().parent.parent
    cwd = Path.cwd().resolve()
    for cand in (here, cwd, *cwd.parents):
        if (cand / "deploy" / "local" / "pom.xml").is_file():
            return cand
    return None


def _others_can_traverse(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents) if p.exists())


def _es_root_for(stack_dir: Path) -> Path:
    """The stack dir, unless ES must run as ES_USER and cannot reach it.

    Root's checkouts often live under a 0700 home; rather than loosen permissions there,
    Elasticsearch's files then go to /var/tmp (a symlink in the stack dir points at them).
    """
    if os.geteuid() != 0 or _others_can_traverse(stack_dir.parent):
        return stack_dir
    digest = hashlib.sha256(str(stack_dir).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"diplowire-es-{digest}"


@dataclass(frozen=True)
class StackConfig:
    stack_dir: Path
    cache_dir: Path
    kafka_port: int
    controller_port: int
    es_port: int
    timeout: float = DEFAULT_TIMEOUT
    # Where Elasticsearch's distribution, data and logs live; normally the stack dir.
    es_root: Path | None = None

    @classmethod
    def from_env(cls, timeout: float | None = None) -> StackConfig:
        if os.environ.get("DIPLOWIRE_STACK_DIR"):
            stack_dir = Path(os.environ["DIPLOWIRE_STACK_DIR"]).expanduser()
        else:
            root = _project_root()
            if root is None:
                raise StackError(
                    "cannot find the diplowire checkout (deploy/local/pom.xml); "
                    "run from it or set DIPLOWIRE_STACK_DIR"
                )
            stack_dir = root / ".stack"
        if os.environ.get("DIPLOWIRE_CACHE_DIR"):
            cache_dir = Path(os.environ["DIPLOWIRE_CACHE_DIR"]).expanduser()
        else:
            xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            cache_dir = Path(xdg) / "diplowire"
        if timeout is None:
            raw = os.environ.get("DIPLOWIRE_STACK_TIMEOUT", "")
            try:
                timeout = float(raw) if raw else DEFAULT_TIMEOUT
            except ValueError:
                raise StackError(f"DIPLOWIRE_STACK_TIMEOUT={raw!r} is not a number") from None
        stack_dir = stack_dir.resolve()
        cfg = cls(
            stack_dir=stack_dir,
            cache_dir=cache_dir.resolve(),
            kafka_port=kafka_port(),
            controller_port=kafka_controller_port(),
            es_port=es_port(),
            timeout=timeout,
            es_root=_es_root_for(stack_dir),
        )
        if len({cfg.kafka_port, cfg.controller_port, cfg.es_port}) != 3:
            raise StackError(
                f"ports must differ: kafka {cfg.kafka_port}, controller {cfg.controller_port}, "
                f"elasticsearch {cfg.es_port}"
            )
        return cfg

    # Layout. Kafka runs from the cache (the current user owns it); Elasticsearch's
    # distribution is unpacked under the stack dir because, as root, ES runs as ES_USER, who
    # cannot read /root/.cache.
    @property
    def kafka_libs(self) -> Path:
        return self.cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def es_zip(self) -> Path:
        return self.cache_dir / f"elasticsearch-{ES_VERSION}.zip"

    @property
    def kafka_dir(self) -> Path:
        return self.stack_dir / "kafka"

    @property
    def es_base(self) -> Path:
        return self.es_root or self.stack_dir

    @property
    def es_home(self) -> Path:
        return self.es_base / f"elasticsearch-{ES_VERSION}"

    @property
    def es_dir(self) -> Path:
        return self.es_base / "elasticsearch"

    def pid_file(self, service: str) -> Path:
        return self.stack_dir / f"{service}.pid"

    def stdout_log(self, service: str) -> Path:
        return (self.kafka_dir if service == KAFKA else self.es_dir) / "logs" / "stdout.log"

    def main_log(self, service: str) -> Path:
        if service == KAFKA:
            return self.kafka_dir / "logs" / "server.log"
        return self.es_dir / "logs" / "diplowire.log"

    def address(self, service: str) -> str:
        if service == KAFKA:
            return f"{HOST}:{self.kafka_port} (controller {HOST}:{self.controller_port})"
        return f"http://{HOST}:{self.es_port}"


# --------------------------------------------------------------------------- small helpers


def _progress(msg: str) -> None:
    print(f"[stack] {msg}", file=sys.stderr, flush=True)


# Size of each server log when this process started the server: logs append across runs, and
# a startup failure must quote this run's lines, not the previous run's.
_log_start: dict[Path, int] = {}


def _tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(_log_start.get(path, 0), fh.tell() - 64 * 1024))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _log_excerpt(cfg: StackConfig, service: str) -> str:
    parts = []
    # The main log says why the server gave up; stdout catches JVM/launcher failures that
    # happen before logging is configured (and for ES repeats the log, so keep it short then).
    main_tail = _tail(cfg.main_log(service), 15)
    if main_tail.strip():
        parts.append(f"--- last lines of {cfg.main_log(service)} ---\n{main_tail}")
    out_tail = _tail(cfg.stdout_log(service), 4 if parts else 15)
    if out_tail.strip():
        parts.append(f"--- last lines of {cfg.stdout_log(service)} ---\n{out_tail}")
    return "\n".join(parts) if parts else f"({service}: no log output yet)"


def _port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def _port_owner(port: int) -> str:
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


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
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
    if not _alive(pid):
        return False
    cmd = _cmdline(pid)
    if service == KAFKA:
        return "kafka.Kafka" in cmd and str(cfg.stack_dir) in cmd
    return "org.elasticsearch" in cmd and str(cfg.es_base) in cmd


def _service_pids(cfg: StackConfig, service: str) -> list[int]:
    """Live processes of ``service`` that we started: the launcher, and for ES its server JVM."""
    pids = []
    pid = _read_pid(cfg.pid_file(service))
    if pid is not None and _ours(cfg, service, pid):
        pids.append(pid)
    if service == ES:
        # bin/elasticsearch is a launcher JVM that forks the server JVM and writes its pid here.
        server = _read_pid(cfg.es_dir / "server.pid")
        if server is not None and server not in pids and _ours(cfg, service, server):
            pids.append(server)
    return pids


@contextlib.contextmanager
def _lock(cfg: StackConfig) -> Iterator[None]:
    """Serialise up/down so two concurrent ``up`` calls do not both start a server."""
    cfg.stack_dir.mkdir(parents=True, exist_ok=True)
    with (cfg.stack_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- JDK choice


def _java_major(home: Path) -> int | None:
    """Feature version of the JDK at ``home`` (8, 17, 25...), or None if it is not a JDK."""
    java = home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    text = ""
    with contextlib.suppress(OSError):
        text = (home / "release").read_text()
    m = re.search(r'^JAVA_VERSION="([^"]+)"', text, re.M)
    if m is None:
        try:
            out = subprocess.run(
                [str(java), "-version"], capture_output=True, text=True, timeout=30
            ).stderr
        except (OSError, subprocess.SubprocessError):
            return None
        m = re.search(r'version "([^"]+)"', out)
        if m is None:
            return None
    parts = m.group(1).split(".")
    try:
        # Pre-9 versions are spelled 1.8.0_x.
        return int(parts[1]) if parts[0] == "1" and len(parts) > 1 else int(parts[0])
    except ValueError:
        return None


def jdk_range_for_elasticsearch(version: str = ES_VERSION) -> tuple[int, int | None]:
    """Supported JDK feature versions (min, max or None) for an Elasticsearch version.

    Rule (the integ-test zip bundles no JDK, so we must pick one):
    * ES 9.x: Java 21 or newer (no upper bound: it no longer uses the Security Manager).
    * ES 8.18+: Java 17 or newer. 8.18 replaced the Security Manager, which Java 24
      removed, with "entitlements"; 8.19.21 was checked to run on Temurin 25.
    * ES 8.0-8.17: Java 17-23, since they cannot start without the Security Manager.
    """
    parts = [int(p) for p in re.findall(r"\d+", version)[:2]] + [0, 0]
    major, minor = parts[0], parts[1]
    if major >= 9:
        return (21, None)
    if (major, minor) >= (8, 18):
        return (17, None)
    return (17, 23)


def jdk_range_for_kafka(version: str = KAFKA_VERSION) -> tuple[int, int | None]:
    """Kafka 4.x brokers need Java 17+ (KIP-1013); no known upper bound."""
    del version
    return (17, None)


def _jdk_candidates(env_vars: Sequence[str]) -> list[tuple[Path, bool]]:
    """JDK homes to consider, each with whether the user chose it (env var or PATH)."""
    cands: list[tuple[Path, bool]] = []
    for var in env_vars:
        if os.environ.get(var):
            cands.append((Path(os.environ[var]), True))
    java = shutil.which("java")
    if java:
        cands.append((Path(java).resolve().parent.parent, True))
    jvm_root = Path("/usr/lib/jvm")
    if jvm_root.is_dir():
        cands.extend((p, False) for p in sorted(jvm_root.iterdir()) if p.is_dir())
    seen: set[Path] = set()
    unique = []
    for home, explicit in cands:
        real = home.resolve()
        if real not in seen:
            seen.add(real)
            unique.append((real, explicit))
    return unique


def pick_jdk(
    min_major: int,
    max_major: int | None,
    env_vars: Sequence[str] = ("JAVA_HOME",),
    candidates: Sequence[tuple[Path, bool]] | None = None,
) -> tuple[Path, int]:
    """Choose a JDK home whose feature version is in [min_major, max_major].

    Rule: an explicitly configured JDK (``env_vars``, then ``java`` on PATH) wins when it is in
    range, so a developer's choice is respected; otherwise the newest in-range JDK under
    /usr/lib/jvm. Raises StackError naming what was found when nothing fits.
    """
    found: list[tuple[Path, int, bool]] = []
    if candidates is None:
        candidates = _jdk_candidates(env_vars)
    for home, explicit in candidates:
        major = _java_major(home)
        if major is not None:
            found.append((home, major, explicit))

    def fits(major: int) -> bool:
        return major >= min_major and (max_major is None or major <= max_major)

    for home, major, explicit in found:
        if explicit and fits(major):
            return home, major
    in_range = [(home, major) for home, major, _ in found if fits(major)]
    if in_range:
        return max(in_range, key=lambda hm: hm[1])
    want = f"{min_major}+" if max_major is None else f"{min_major}-{max_major}"
    seen = ", ".join(f"{h} (Java {m})" for h, m, _ in found) or "none"
    hint = f"install a Java {min_major} JDK (e.g. apt-get install openjdk-{min_major}-jdk-headless)"
    raise StackError(f"no suitable Java found (need Java {want}); found: {seen}; {hint}")


# --------------------------------------------------------------------------- downloads


def _run_maven(args: list[str], cfg: StackConfig, what: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            f"Maven (mvn) not found on PATH, needed to download {what}; "
            "install it (apt-get install maven)"
        )
    log = cfg.stack_dir / "mvn.log"
    with log.open("wb") as out:
        rc = subprocess.run(
            [mvn, "-B", "-q", "-U", "-Dstyle.color=never", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        ).returncode
    if rc != 0:
        text = re.sub(r"\x1b\[[0-9;]*m", "", _tail(log, 200))
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        # Maven's "Failed to execute goal ... on project x: <cause>" line carries the cause.
        detail = next((ln for ln in lines if "Failed to execute goal" in ln), "")
        detail = detail.split(": ", 1)[1] if ": " in detail else detail
        detail = detail or " | ".join(lines[-3:])
        raise StackError(f"downloading {what} with Maven failed (exit {rc}, log {log}): {detail}")


def _ensure_kafka_libs(cfg: StackConfig) -> None:
    marker = cfg.kafka_libs / ".complete"
    if marker.is_file():
        return
    root = _project_root()
    if root is None:
        raise StackError("cannot find deploy/local/pom.xml (run from the diplowire checkout)")
    _progress(
        f"downloading Apache Kafka {KAFKA_VERSION} and its runtime jars with Maven "
        f"into {cfg.kafka_libs} (first run only)..."
    )
    t0 = time.monotonic()
    if cfg.kafka_libs.exists():
        shutil.rmtree(cfg.kafka_libs)
    cfg.kafka_libs.mkdir(parents=True)
    _run_maven(
        [
            "-f",
            str(root / "deploy" / "local" / "pom.xml"),
            f"-Dkafka.version={KAFKA_VERSION}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={cfg.kafka_libs}",
            "-DincludeScope=runtime",
        ],
        cfg,
        f"Kafka {KAFKA_VERSION}",
    )
    if not list(cfg.kafka_libs.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
        raise StackError(
            f"Maven finished but kafka_2.13-{KAFKA_VERSION}.jar is missing from {cfg.kafka_libs}"
        )
    marker.write_text(KAFKA_VERSION + "\n")
    _progress(f"Kafka jars ready ({time.monotonic() - t0:.0f}s)")


def _ensure_es_zip(cfg: StackConfig) -> None:
    if cfg.es_zip.is_file():
        return
    _progress(
        f"downloading Elasticsearch {ES_VERSION} (integ-test zip, ~100 MB) with Maven "
        f"into {cfg.cache_dir} (first run only)..."
    )
    t0 = time.monotonic()
    cfg.cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cfg.cache_dir / f".es-download-{os.getpid()}"
    tmp.mkdir()
    try:
        _run_maven(
            ["dependency:copy", f"-Dartifact={ES_ARTIFACT}", f"-DoutputDirectory={tmp}"],
            cfg,
            f"Elasticsearch {ES_VERSION}",
        )
        got = tmp / cfg.es_zip.name
        if not got.is_file():
            raise StackError(f"Maven finished but {got.name} is missing")
        got.replace(cfg.es_zip)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _progress(f"Elasticsearch zip ready ({time.monotonic() - t0:.0f}s)")


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.lchown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in (*dirnames, *filenames):
            os.lchown(os.path.join(dirpath, name), uid, gid)


def _ensure_es_home(cfg: StackConfig, owner: tuple[int, int] | None) -> None:
    if (cfg.es_home / "bin" / "elasticsearch").is_file():
        return
    _progress(f"extracting Elasticsearch into {cfg.es_home}...")
    tmp = cfg.es_base / f".es-extract-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with zipfile.ZipFile(cfg.es_zip) as zf:
            for info in zf.infolist():
                target = tmp / info.filename
                zf.extract(info, tmp)
                # zipfile drops Unix modes; bin/ scripts must stay executable.
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    os.chmod(target, mode)
        top = tmp / f"elasticsearch-{ES_VERSION}"
        if not (top / "bin" / "elasticsearch").is_file():
            raise StackError(f"{cfg.es_zip} does not look like an Elasticsearch distribution")
        # Read-only for others is enough; owning it avoids surprises if ES writes to its home.
        for dirpath, _dirs, _files in os.walk(top):
            os.chmod(dirpath, 0o755)
        if owner is not None:
            _chown_tree(top, *owner)
        top.replace(cfg.es_home)
    except (zipfile.BadZipFile, OSError) as exc:
        # A truncated download must not poison every later run.
        cfg.es_zip.unlink(missing_ok=True)
        raise StackError(
            f"extracting {cfg.es_zip} failed ({exc}); removed it, run up again"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- ES user


def _es_owner() -> tuple[int, int] | None:
    """(uid, gid) that Elasticsearch must run as, creating the user if needed; None = us."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam(ES_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        _progress(f"creating system user {ES_USER} (Elasticsearch refuses to run as root)")
        proc = subprocess.run(
            [
                useradd,
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                ES_USER,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            pw = pwd.getpwnam(ES_USER)
        except KeyError:
            raise StackError(
                f"cannot create user {ES_USER} for Elasticsearch: {proc.stderr.strip()}"
            ) from None
    return pw.pw_uid, pw.pw_gid


def _check_traversable(path: Path) -> None:
    """ES_USER must reach the stack dir through every parent: fail early and clearly if not."""
    for parent in [path, *path.parents]:
        st = parent.stat()
        if not st.st_mode & stat.S_IXOTH:
            raise StackError(
                f"{parent} is not searchable by others, so the {ES_USER} user cannot reach "
                f"{path}; chmod o+x it or set DIPLOWIRE_STACK_DIR elsewhere"
            )


# --------------------------------------------------------------------------- Kafka


def _kafka_properties(cfg: StackConfig) -> str:
    d = cfg.kafka_dir
    return f"""# Generated by diplowire stack on every `up`; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{HOST}:{cfg.controller_port}
listeners=PLAINTEXT://{HOST}:{cfg.kafka_port},CONTROLLER://{HOST}:{cfg.controller_port}
advertised.listeners=PLAINTEXT://{HOST}:{cfg.kafka_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={d / "data"}
num.partitions=3
auto.create.topics.enable=true
# One node: every internal topic must make do with a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
# The first consumer group creates __consumer_offsets; 50 partitions cost seconds on 2 cores.
offsets.topic.num.partitions=10
# Nobody else is going to join: do not make the first consumer wait 3 s for a rebalance.
group.initial.rebalance.delay.ms=0
log.retention.hours=168
"""


def _kafka_log4j(path: Path) -> str:
    return f"""# Generated by diplowire stack.
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {path}
appender.file.filePattern = {path}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 5
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
"""


_TOOLS_LOG4J = """status = error
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
"""


def _kafka_java() -> Path:
    home, _major = pick_jdk(*jdk_range_for_kafka(), env_vars=("JAVA_HOME",))
    return home / "bin" / "java"


def _prepare_kafka(cfg: StackConfig) -> list[str]:
    _ensure_kafka_libs(cfg)
    java = _kafka_java()
    d = cfg.kafka_dir
    for sub in ("data", "logs"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    props = d / "server.properties"
    props.write_text(_kafka_properties(cfg))
    log4j = d / "log4j2.properties"
    log4j.write_text(_kafka_log4j(d / "logs" / "server.log"))
    classpath = f"{cfg.kafka_libs}/*"
    if not (d / "data" / "meta.properties").is_file():
        tools_log4j = d / "tools-log4j2.properties"
        tools_log4j.write_text(_TOOLS_LOG4J)
        # Kafka's cluster ids are 16 random bytes in URL-safe base64; Kafka itself avoids
        # ids starting with "-" because its CLIs would read them as options.
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        _progress(f"formatting Kafka storage in {d / 'data'} (cluster id {cluster_id})")
        proc = subprocess.run(
            [
                str(java),
                f"-Dlog4j2.configurationFile={tools_log4j}",
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                cluster_id,
                "--config",
                str(props),
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if proc.returncode != 0:
            out = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
            raise StackError(f"formatting Kafka storage failed (exit {proc.returncode}): {out}")
    return [
        str(java),
        *KAFKA_HEAP,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={d / 'logs'}",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        classpath,
        "kafka.Kafka",
        str(props),
    ]


def _kafka_metadata_ok(port: int, timeout: float = 3.0) -> bool:
    """Send a real Metadata request (v4: the oldest Kafka 4 still serves) and expect a broker.

    Hand-rolled so readiness does not depend on kafka-python being installed.
    """
    client_id = b"diplowire-stack"
    corr = 7
    header = struct.pack(">hhih", 3, 4, corr, len(client_id)) + client_id
    body = struct.pack(">i", 0) + b"\x00"  # no topics, allow_auto_topic_creation=false
    msg = header + body
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(msg)) + msg)
            size = struct.unpack(">i", _recv_exact(sock, 4))[0]
            data = _recv_exact(sock, size)
        got_corr, _throttle, n_brokers = struct.unpack_from(">iii", data, 0)
        if got_corr != corr or n_brokers < 1:
            return False
        off = 12
        for _ in range(n_brokers):
            off += 4  # node_id
            (hlen,) = struct.unpack_from(">h", data, off)
            off += 2 + hlen + 4  # host, port
            (rlen,) = struct.unpack_from(">h", data, off)
            off += 2 + max(rlen, 0)  # nullable rack
        (clen,) = struct.unpack_from(">h", data, off)
        off += 2 + max(clen, 0)  # nullable cluster_id
        (controller,) = struct.unpack_from(">i", data, off)
        return bool(controller >= 0)
    except (OSError, struct.error):
        return False


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return bytes(buf)


# --------------------------------------------------------------------------- Elasticsearch


def _es_yml(cfg: StackConfig) -> str:
    d = cfg.es_dir
    return f"""# Generated by diplowire stack on every `up`; edits are overwritten.
cluster.name: diplowire
node.name: diplowire-local
path.data: {json.dumps(str(d / "data"))}
path.logs: {json.dumps(str(d / "logs"))}
network.host: {HOST}
http.port: {cfg.es_port}
discovery.type: single-node
xpack.security.enabled: false
# Dev disks run nearly full; the default watermarks would turn indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
"""


def _prepare_es(cfg: StackConfig) -> tuple[list[str], dict[str, str], tuple[int, int] | None]:
    _ensure_es_zip(cfg)
    owner = _es_owner()
    if cfg.es_base != cfg.stack_dir:
        cfg.es_base.mkdir(parents=True, exist_ok=True)
        cfg.es_base.chmod(0o755)
        link = cfg.stack_dir / "elasticsearch"
        if not link.exists() and not link.is_symlink():
            link.symlink_to(cfg.es_dir)
            _progress(
                f"{ES_USER} cannot reach {cfg.stack_dir}: Elasticsearch lives in "
                f"{cfg.es_base} (linked from {link})"
            )
    if owner is not None:
        _check_traversable(cfg.es_base)
    _ensure_es_home(cfg, owner)
    jdk, _major = pick_jdk(*jdk_range_for_elasticsearch(), env_vars=("ES_JAVA_HOME",))
    d = cfg.es_dir
    conf = d / "config"
    # ES is not running here, so its scratch dir (JVM probes, native libs) can start empty.
    shutil.rmtree(d / "tmp", ignore_errors=True)
    for sub in ("config", "data", "logs", "tmp"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    # Fresh copy of the distribution's config each time (so a version bump takes effect);
    # the keystore ES creates on first start is not in the distribution and survives.
    shutil.copytree(cfg.es_home / "config", conf, dirs_exist_ok=True)
    jvm_options = (cfg.es_home / "config" / "jvm.options").read_text()
    # The integ-test distribution writes gc logs and crash files relative to the cwd.
    jvm_options = jvm_options.replace("file=gc.log", f"file={d / 'logs' / 'gc.log'}")
    jvm_options = jvm_options.replace(
        "-XX:ErrorFile=hs_err_pid%p.log", f"-XX:ErrorFile={d / 'logs' / 'hs_err_pid%p.log'}"
    )
    (conf / "jvm.options").write_text(jvm_options)
    (conf / "elasticsearch.yml").write_text(_es_yml(cfg))
    if owner is not None:
        _chown_tree(d, *owner)
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(d),
        "ES_JAVA_HOME": str(jdk),
        "ES_PATH_CONF": str(conf),
        "ES_JAVA_OPTS": ES_HEAP,
        "ES_TMPDIR": str(d / "tmp"),
        # The launcher JVM probes JVM flags through a temp dir it never deletes; keep those
        # under the stack instead of littering /tmp on every start.
        "CLI_JAVA_OPTS": f"-Djava.io.tmpdir={d / 'tmp'}",
    }
    cmd = [str(cfg.es_home / "bin" / "elasticsearch"), "-p", str(d / "server.pid")]
    return cmd, env, owner


def _es_health(port: int, timeout: float = 5.0) -> dict[str, object] | None:
    url = f"http://{HOST}:{port}/_cluster/health?wait_for_status=yellow&timeout=2s"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            if resp.status != 200:
                return None
            body = json.load(resp)
            return body if isinstance(body, dict) else None
    except (OSError, ValueError, urllib.error.URLError):
        return None


# --------------------------------------------------------------------------- lifecycle


def _ready(cfg: StackConfig, service: str) -> bool:
    if service == KAFKA:
        return _kafka_metadata_ok(cfg.kafka_port)
    return _es_health(cfg.es_port) is not None


def _service_ports(cfg: StackConfig, service: str) -> list[int]:
    return [cfg.kafka_port, cfg.controller_port] if service == KAFKA else [cfg.es_port]


def _port_env(service: str) -> str:
    return "DIPLOWIRE_KAFKA_PORT" if service == KAFKA else "DIPLOWIRE_ES_PORT"


def _check_ports_free(cfg: StackConfig, service: str) -> None:
    for port in _service_ports(cfg, service):
        if _port_open(port):
            owner = _port_owner(port)
            by = f" by {owner}" if owner else ""
            raise StackError(
                f"port {port} ({service}) is already in use{by}, not by a process this stack "
                f"started; stop it or set {_port_env(service)}"
            )


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


def _spawn(
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


def _stop_pids(pids: list[int], timeout: float) -> bool:
    """SIGTERM, wait up to ``timeout``, then SIGKILL. True if they went away gracefully."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.2)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return False


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
    pids = _service_pids(cfg, service)
    pid = pids[0] if pids else None
    addr = cfg.address(service)
    if pids:
        state = "up" if _ready(cfg, service) else "starting"
        return ServiceStatus(service, state, pid, addr)
    state = "stale pid file" if cfg.pid_file(service).exists() else "down"
    for port in _service_ports(cfg, service):
        if _port_open(port):
            owner = _port_owner(port)
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
    with _lock(cfg):
        cfg.stack_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # ES_USER must traverse the stack dir even if root's umask is strict.
            cfg.stack_dir.chmod(cfg.stack_dir.stat().st_mode | 0o755)
        started: dict[str, subprocess.Popen[bytes]] = {}
        try:
            # ES first: it is the slow one to start, and Kafka's download overlaps with it.
            for service in (ES, KAFKA):
                if _service_pids(cfg, service):
                    continue
                cfg.pid_file(service).unlink(missing_ok=True)
                _check_ports_free(cfg, service)
                if service == KAFKA:
                    cmd = _prepare_kafka(cfg)
                    started[service] = _spawn(cfg, service, cmd, None)
                else:
                    cmd, env, owner = _prepare_es(cfg)
                    started[service] = _spawn(cfg, service, cmd, env, owner)
                _progress(f"started {service} (pid {started[service].pid})")
        except BaseException:
            # E.g. Kafka's download failed after ES was launched: leave nothing half up.
            _abort(cfg, started)
            raise
        if not started:
            _progress("kafka and elasticsearch are already running")
        _wait_ready(cfg, started, t0)
    result = status(cfg)
    _progress(f"stack up in {time.monotonic() - t0:.1f}s")
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
                    "(stopped what this run started)\n" + _log_excerpt(cfg, service)
                )
            if proc is None and not _service_pids(cfg, service):
                raise StackError(
                    f"{service} stopped while waiting for it; see {cfg.main_log(service)}"
                )
            if _ready(cfg, service):
                pending.discard(service)
                _progress(
                    f"{service} ready at {cfg.address(service)} ({time.monotonic() - t0:.1f}s)"
                )
        if not pending:
            break
        now = time.monotonic()
        if now > deadline:
            names = " and ".join(sorted(pending))
            excerpt = "\n".join(_log_excerpt(cfg, s) for s in sorted(pending))
            _abort(cfg, started)
            raise StackError(
                f"{names} not ready after {cfg.timeout:.0f}s (stopped what this run started)\n"
                + excerpt
            )
        if now > next_note:
            _progress(f"waiting for {' and '.join(sorted(pending))}... ({now - t0:.0f}s)")
            next_note = now + 10
        time.sleep(0.5)


def _abort(cfg: StackConfig, started: dict[str, subprocess.Popen[bytes]]) -> None:
    """Stop what this ``up`` started so the next attempt starts clean."""
    for service, proc in started.items():
        pids = [proc.pid, *(p for p in _service_pids(cfg, service) if p != proc.pid)]
        _stop_pids([p for p in pids if _alive(p)], 20)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        cfg.pid_file(service).unlink(missing_ok=True)


def down(cfg: StackConfig | None = None) -> None:
    """Stop the servers this stack started (by pid file); leaves data and logs in place."""
    cfg = cfg or StackConfig.from_env()
    if not cfg.stack_dir.is_dir():
        _progress("nothing to stop")
        return
    with _lock(cfg):
        for service in (KAFKA, ES):
            pids = _service_pids(cfg, service)
            if not pids:
                if cfg.pid_file(service).exists():
                    _progress(f"{service} was not running (removed stale pid file)")
                else:
                    _progress(f"{service} is not running")
                cfg.pid_file(service).unlink(missing_ok=True)
                continue
            _progress(f"stopping {service} (pid {', '.join(map(str, pids))})...")
            t0 = time.monotonic()
            graceful = _stop_pids(pids, STOP_TIMEOUT)
            how = "stopped" if graceful else "killed (did not stop within timeout)"
            _progress(f"{service} {how} in {time.monotonic() - t0:.1f}s")
            cfg.pid_file(service).unlink(missing_ok=True)


# --------------------------------------------------------------------------- CLI


def _print_status(statuses: dict[str, ServiceStatus]) -> None:
    for st in statuses.values():
        pid = f"pid {st.pid}" if st.pid else "-"
        version = KAFKA_VERSION if st.name == KAFKA else ES_VERSION
        extra = f"  ({st.detail})" if st.detail else ""
        print(f"{st.name:<14} {st.state:<10} {pid:<11} {st.address}  [{version}]{extra}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="diplowire stack",
        description="Local Apache Kafka (KRaft) and Elasticsearch on 127.0.0.1, no Docker.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="download if needed, start, and wait until both answer")
    p_up.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds to wait for readiness (default {DEFAULT_TIMEOUT:.0f}, "
        "or DIPLOWIRE_STACK_TIMEOUT)",
    )
    sub.add_parser("down", help="stop the servers this stack started")
    sub.add_parser("status", help="show each server's state; exit 0 only if both are up")
    args = parser.parse_args(argv)
    try:
        cfg = StackConfig.from_env(timeout=getattr(args, "timeout", None))
        if args.command == "up":
            statuses = up(cfg)
            _print_status(statuses)
            return 0 if all(s.up for s in statuses.values()) else 1
        if args.command == "down":
            down(cfg)
            return 0
        statuses = status(cfg)
        _print_status(statuses)
        return 0 if all(s.up for s in statuses.values()) else 1
    except StackError as exc:
        print(f"diplowire stack: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("diplowire stack: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

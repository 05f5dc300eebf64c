"""Where the local stack lives and listens: versions, ports (from the environment), directories.

Every other devstack module reads its settings from a ``StackConfig``; nothing here starts or
touches a process.
"""

from __future__ import annotations

import hashlib
import os
import stat
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


def project_root() -> Path | None:
    """The checkout holding deploy/local/pom.xml: the package's parent (editable install) or cwd.

    Only decides where ``.stack`` goes by default; the pom itself ships with the package
    (:func:`diplowire.resources.maven_pom`), so an installed wheel needs no checkout.
    """
    here = Path(__file__).resolve().parent.parent
    cwd = Path.cwd().resolve()
    for cand in (here, cwd, *cwd.parents):
        if (cand / "deploy" / "local" / "pom.xml").is_file():
            return cand
    return None


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/diplowire`` (``~/.local/state/diplowire``): state outside a checkout."""
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "diplowire"


def others_can_traverse(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents) if p.exists())


def _es_root_for(stack_dir: Path) -> Path:
    """The stack dir, unless ES must run as ES_USER and cannot reach it.

    Root's checkouts often live under a 0700 home; rather than loosen permissions there,
    Elasticsearch's files then go to /var/tmp (a symlink in the stack dir points at them).
    """
    if os.geteuid() != 0 or others_can_traverse(stack_dir.parent):
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
            root = project_root()
            # Outside a checkout (an installed wheel), the XDG state directory.
            stack_dir = root / ".stack" if root is not None else default_state_dir() / "stack"
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

"""Downloads with Maven (Kafka's jars, Elasticsearch's zip) and unpacking Elasticsearch.

Maven Central is the one registry these machines can reach that publishes both servers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

from diplowire import resources
from diplowire.devstack.config import (
    ES_ARTIFACT,
    ES_VERSION,
    KAFKA_VERSION,
    StackConfig,
    StackError,
)
from diplowire.devstack.procs import progress, tail


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
        text = re.sub(r"\x1b\[[0-9;]*m", "", tail(log, 200))
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        # Maven's "Failed to execute goal ... on project x: <cause>" line carries the cause.
        detail = next((ln for ln in lines if "Failed to execute goal" in ln), "")
        detail = detail.split(": ", 1)[1] if ": " in detail else detail
        detail = detail or " | ".join(lines[-3:])
        raise StackError(f"downloading {what} with Maven failed (exit {rc}, log {log}): {detail}")


def ensure_kafka_libs(cfg: StackConfig) -> None:
    marker = cfg.kafka_libs / ".complete"
    if marker.is_file():
        return
    try:
        pom = resources.maven_pom()
    except resources.ResourceMissing as exc:
        raise StackError(f"cannot find the Maven manifest: {exc}") from None
    progress(
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
            str(pom),
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
    progress(f"Kafka jars ready ({time.monotonic() - t0:.0f}s)")


def ensure_es_zip(cfg: StackConfig) -> None:
    if cfg.es_zip.is_file():
        return
    progress(
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
    progress(f"Elasticsearch zip ready ({time.monotonic() - t0:.0f}s)")


def chown_tree(path: Path, uid: int, gid: int) -> None:
    os.lchown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in (*dirnames, *filenames):
            os.lchown(os.path.join(dirpath, name), uid, gid)


def ensure_es_home(cfg: StackConfig, owner: tuple[int, int] | None) -> None:
    if (cfg.es_home / "bin" / "elasticsearch").is_file():
        return
    progress(f"extracting Elasticsearch into {cfg.es_home}...")
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
            chown_tree(top, *owner)
        top.replace(cfg.es_home)
    except (zipfile.BadZipFile, OSError) as exc:
        # A truncated download must not poison every later run.
        cfg.es_zip.unlink(missing_ok=True)
        raise StackError(
            f"extracting {cfg.es_zip} failed ({exc}); removed it, run up again"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

"""Which installed JDK runs Kafka and which runs Elasticsearch (their supported ranges differ)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from diplowire.devstack.config import ES_VERSION, KAFKA_VERSION, StackError


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

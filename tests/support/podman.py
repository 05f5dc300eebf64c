"""podman for the deployment tests: the machine set up (deploy/local/podman-setup.sh), the image
built from deploy/Containerfile, containers run and always removed.

Real podman, real containers: nothing here fakes a container runtime.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "deploy" / "local" / "podman-setup.sh"
IMAGE = "localhost/diplowire:latest"
BASE = "localhost/debian:bookworm"
# The host's CA bundle, handed to the build as the `extra_ca` secret: HTTPS here goes through a
# proxy that re-signs it, which the bundle trusts. DIPLOWIRE_BUILD_CA points elsewhere; empty: none.
CA_BUNDLE = os.environ.get("DIPLOWIRE_BUILD_CA", "/etc/ssl/certs/ca-certificates.crt")
BUILD_TIMEOUT_S = 1200
# Marks the containers the tests start with `container()`; compose projects are known by name.
TEST_LABEL = "diplowire.test=1"
PROJECT_NAME = re.compile(r"^dw[0-9a-f]{8}$")
# Older than any run of the deployment tests: left behind by a run that was killed (a timeout,
# ^C: no teardown ran). Younger ones may belong to a run going on beside this one.
STALE_AFTER_S = 1800


def podman(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
        )
    return proc


def setup() -> None:
    """podman, runc, the containers.conf and the base image (a no-op once done)."""
    proc = subprocess.run([str(SETUP)], capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"{SETUP} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"


def image_id(ref: str) -> str | None:
    proc = podman("image", "inspect", "--format", "{{.Id}}", ref, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


@dataclass(frozen=True)
class Build:
    image: str
    seconds: float
    log: str


def build_image(
    tag: str = IMAGE,
    containerfile: str = "deploy/Containerfile",
    context: str = ".",
    contexts: Mapping[str, Path] | None = None,
) -> Build:
    """``containerfile`` (paths relative to the checkout) on the Debian base, cached layers
    reused. ``contexts``: named build contexts (``--build-context name=dir``), each replacing the
    Containerfile's stage of that name. The image this replaces under ``tag`` is removed, so
    repeated runs do not pile up images of hundreds of MB."""
    before = image_id(tag)
    args = ["build", "-f", str(ROOT / containerfile), "--build-arg", f"BASE={BASE}", "-t", tag]
    for name, path in (contexts or {}).items():
        assert path.is_dir(), f"build context {name}: {path} is not a directory"
        args += ["--build-context", f"{name}={path}"]
    if CA_BUNDLE and Path(CA_BUNDLE).is_file():
        args += ["--secret", f"id=extra_ca,src={CA_BUNDLE}"]
    started = time.monotonic()
    proc = subprocess.run(
        ["podman", *args, str(ROOT / context)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 0, (
        f"podman build {containerfile} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-3000:]}"
    )
    after = image_id(tag)
    assert after is not None
    if before and before != after:
        podman("rmi", before, check=False)  # still used by a container: it stays, no harm
    return Build(tag, seconds, proc.stdout)


def inspect(ref: str, what: str = "image") -> dict[str, Any]:
    out = podman(what, "inspect", ref).stdout
    data = json.loads(out)
    assert isinstance(data, list) and data, out
    return dict(data[0])


@dataclass
class Container:
    name: str

    def logs(self) -> str:
        proc = podman("logs", self.name, check=False)
        return (proc.stdout + proc.stderr)[-4000:]

    def state(self) -> dict[str, Any]:
        return dict(inspect(self.name, "container")["State"])

    def running(self) -> bool:
        return bool(self.state().get("Running"))

    def stop(self, grace_s: int) -> tuple[int, float]:
        """``podman stop -t grace``: SIGTERM, SIGKILL after ``grace_s``. (exit code, seconds)."""
        started = time.monotonic()
        podman("stop", "-t", str(grace_s), self.name, timeout=grace_s + 60)
        seconds = time.monotonic() - started
        return int(self.state()["ExitCode"]), seconds


@contextmanager
def container(
    name: str,
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    network: str = "host",
    image: str = IMAGE,
    extra: Sequence[str] = (),
) -> Iterator[Container]:
    """A detached container, removed (with its anonymous volumes) however the block ends."""
    podman("rm", "-f", "-v", name, check=False)
    args = ["run", "-d", "--name", name, "--network", network, "--label", TEST_LABEL, *extra]
    for key, value in (env or {}).items():
        args += ["-e", f"{key}={value}"]
    podman(*args, image, *argv)
    try:
        yield Container(name)
    finally:
        podman("rm", "-f", "-v", name, timeout=120, check=False)


def http_get(url: str, timeout: float = 3.0) -> tuple[int, str]:
    """(status, body); (0, reason) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)


@dataclass
class ComposeProject:
    """podman-compose on files of deploy/, under a project name of the test's own (its
    containers are ``<project>_<service>_<n>``, its network ``<project>_default``)."""

    name: str
    files: tuple[str, ...]
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        cmd = ["podman-compose", "-p", self.name]
        for f in self.files:
            cmd += ["-f", str(ROOT / "deploy" / f)]
        proc = subprocess.run(
            [*cmd, *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        out = proc.stdout + proc.stderr
        if check and proc.returncode != 0:
            raise AssertionError(
                f"podman-compose {' '.join(args)} exited {proc.returncode}:\n{out[-4000:]}"
            )
        return out

    def container(self, service: str, n: int = 1) -> str:
        return f"{self.name}_{service}_{n}"

    def remove_everything(self) -> None:
        """Containers, volumes and the network of the project, whatever state it is in:
        podman-compose 1.0.3's ``down -v`` leaves the network, and after a dry run the volumes
        and network it created while printing."""
        label = f"label=io.podman.compose.project={self.name}"
        ids = podman("ps", "-a", "-q", "--filter", label, check=False).stdout.split()
        if ids:
            podman("rm", "-f", "-v", "-t", "10", *ids, timeout=180, check=False)
        vols = podman("volume", "ls", "-q", "--filter", label, check=False).stdout.split()
        if vols:
            podman("volume", "rm", "-f", *vols, check=False)
        podman("network", "rm", "-f", f"{self.name}_default", check=False)


def remove_stale(max_age_s: float = STALE_AFTER_S) -> list[str]:
    """Remove what killed runs of the deployment tests left: their containers and compose
    projects (with volumes and network) older than ``max_age_s``. Returns what was removed."""
    rows = json.loads(podman("ps", "-a", "--format", "json").stdout or "[]")
    now = time.time()
    removed: list[str] = []
    projects: set[str] = set()
    for row in rows:
        labels = row.get("Labels") or {}
        if now - float(row.get("Created", now)) < max_age_s:
            continue
        project = labels.get("io.podman.compose.project", "")
        if PROJECT_NAME.match(project) and labels.get(
            "com.docker.compose.project.working_dir"
        ) == str(ROOT / "deploy"):
            projects.add(project)
        elif labels.get(TEST_LABEL.split("=")[0]) == "1":
            podman("rm", "-f", "-v", row["Id"], timeout=120, check=False)
            removed += row.get("Names", [])
    for project in sorted(projects):
        ComposeProject(project, (), {}).remove_everything()
        removed.append(project)
    return removed

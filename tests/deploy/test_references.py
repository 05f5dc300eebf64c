"""Every diplowire command line and DIPLOWIRE_* name in the compose and Kubernetes files is one
the CLI parser and the settings accept: a renamed flag or setting breaks this, not a deploy."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from diplowire.cli import build_parser
from diplowire.wire.settings import ENV_PREFIX

from . import manifests as m

ENV_NAME = re.compile(r"\bDIPLOWIRE_[A-Z0-9_]+\b")


def _command_lines() -> list[tuple[str, list[str], dict[str, str]]]:
    merged = m.compose("compose.yaml", "compose.local.yaml", "compose.samples.yaml")
    lines = list(m.compose_commands(merged["services"]))
    lines += m.k8s_commands(m.base_resources())
    for overlay in m.OVERLAYS:
        lines += [(f"{w} ({overlay})", a, e) for w, a, e in m.k8s_commands(m.render(overlay))]
    return lines


def _params() -> list[object]:
    return [pytest.param(*line, id=line[0]) for line in _command_lines()]


def test_the_files_name_the_expected_commands() -> None:
    # The walkers must find the workers, or the checks below would pass on nothing.
    commands = {m.subcommand(argv) for _, argv, _ in _command_lines()}
    assert {"poll", "enrich", "index", "kibana", "topics"} <= commands


@pytest.mark.parametrize("where,argv,env", _params())
def test_every_command_line_parses(where: str, argv: list[str], env: dict[str, str]) -> None:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"{where}: `diplowire {' '.join(argv)}` refused: {err.getvalue().strip()}")
    assert args.command in argv


@pytest.mark.parametrize("where,argv,env", _params())
def test_every_environment_name_is_a_setting_of_its_command(
    where: str, argv: list[str], env: dict[str, str]
) -> None:
    names = {n for n in env if n.startswith(ENV_PREFIX)}
    command = m.subcommand(argv)
    unknown = names - m.accepted_env(command)
    assert not unknown, f"{where} (`diplowire {command}`) sets unknown settings {sorted(unknown)}"


def test_every_diplowire_name_anywhere_in_the_files_is_a_setting() -> None:
    # Also comments, ConfigMaps, Secrets and the Containerfile's ENV: a name the settings do not
    # read is a silent no-op in a deploy.
    files = [
        m.DEPLOY / "Containerfile",
        m.DEPLOY / "compose.yaml",
        m.DEPLOY / "compose.local.yaml",
        m.DEPLOY / "compose.samples.yaml",
        *sorted((m.K8S).rglob("*.yaml")),
    ]
    found: dict[str, set[str]] = {}
    for path in files:
        for name in ENV_NAME.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(str(path.relative_to(m.ROOT)))
    assert len(found) >= 5
    unknown = {n: sorted(where) for n, where in found.items() if n not in m.accepted_env(None)}
    assert not unknown


def test_secrets_are_only_in_the_secret() -> None:
    secret_names = m.secret_env()
    assert secret_names  # the settings do have Secret-typed fields
    for overlay in (None, *m.OVERLAYS):
        docs = m.base_resources() if overlay is None else m.render(overlay)
        for doc in docs:
            if doc["kind"] == "ConfigMap":
                assert not secret_names & set(doc["data"]), ("ConfigMap", overlay)
            if doc["kind"] == "Secret":
                assert set(doc["stringData"]) <= secret_names, ("Secret keys", overlay)
            for c in m.containers(doc):
                plain = {e["name"] for e in c.get("env", []) if "value" in e}
                assert not secret_names & plain, (doc["metadata"]["name"], overlay)
                refs = {r["configMapRef"]["name"] for r in c["envFrom"] if "configMapRef" in r}
                refs |= {r["secretRef"]["name"] for r in c["envFrom"] if "secretRef" in r}
                names = {
                    d["metadata"]["name"] for d in docs if d["kind"] in ("ConfigMap", "Secret")
                }
                assert refs <= names, (doc["metadata"]["name"], refs - names)

"""Reading the deployment files for the static checks: compose services, Kubernetes resources
(base and overlays merged the way kustomize's strategic-merge patches do), the diplowire command
lines and the ``DIPLOWIRE_*`` names they use, and the names the settings accept."""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from diplowire.wire import settings as s

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
IMAGE = "localhost/diplowire"

# The settings class each subcommand loads (the stage CLIs' settings_from_args calls); a
# command not listed here is checked against every class's names.
COMMAND_SETTINGS: dict[str, type] = {
    "poll": s.PollSettings,
    "enrich": s.EnrichSettings,
    "index": s.IndexSettings,
    "kibana": s.IndexSettings,
    "topics": s.EnrichSettings,
    "subscribe": s.SubscribeSettings,
}
ALL_SETTINGS = (s.PollSettings, s.EnrichSettings, s.IndexSettings, s.SubscribeSettings)


def env_names(cls: type, prefix: str = s.ENV_PREFIX, secrets: bool | None = None) -> set[str]:
    """The environment names ``settings.load`` reads for ``cls``, built as ``settings._build``
    builds them (nested dataclass ``kafka.bootstrap_servers`` -> ``KAFKA_BOOTSTRAP_SERVERS``).
    ``secrets``: True for the Secret-typed names only, False for the others, None for all."""
    names: set[str] = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        typ = hints[f.name]
        name = prefix + f.name.upper()
        if dataclasses.is_dataclass(typ):
            names |= env_names(typ, name + "_", secrets)  # type: ignore[arg-type]
        elif secrets is None or (typ is s.Secret) == secrets:
            names.add(name)
    return names


def accepted_env(command: str | None) -> set[str]:
    classes = (COMMAND_SETTINGS[command],) if command in COMMAND_SETTINGS else ALL_SETTINGS
    names = {s.ENV_PREFIX + "CONFIG"}
    for cls in classes:
        names |= env_names(cls)
    return names


def secret_env() -> set[str]:
    return set().union(*(env_names(cls, secrets=True) for cls in ALL_SETTINGS))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def compose(*names: str) -> dict[str, Any]:
    """The compose files merged in order (an override's mappings merge into the base's, lists
    and scalars replace, as compose does for the keys these files use)."""
    merged: dict[str, Any] = {}
    for name in names:
        merged = merge(merged, load_yaml(DEPLOY / name), key=None)
    return merged


def merge(base: Any, patch: Any, key: str | None = "name") -> Any:
    """Strategic merge as kustomize does it for these manifests: mappings merge, lists of
    mappings merge by ``name`` (containers, env, ports), anything else is replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v, key) if k in base else copy.deepcopy(v)
        return out
    if (
        key
        and isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and key in i for i in [*base, *patch])
    ):
        out_list = [dict(i) for i in base]
        index = {i[key]: n for n, i in enumerate(out_list)}
        for item in patch:
            if item[key] in index:
                out_list[index[item[key]]] = merge(out_list[index[item[key]]], item, key)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def ident(doc: dict[str, Any]) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def base_files() -> list[Path]:
    return [K8S / "base" / f for f in load_yaml(K8S / "base" / "kustomization.yaml")["resources"]]


def base_resources() -> list[dict[str, Any]]:
    return [doc for f in base_files() for doc in load_all(f)]


def overlay_patch_files(overlay: str) -> list[Path]:
    kust = load_yaml(K8S / "overlays" / overlay / "kustomization.yaml")
    return [K8S / "overlays" / overlay / p["path"] for p in kust.get("patches", [])]


def render(overlay: str) -> list[dict[str, Any]]:
    """An overlay's resources: the base, its patches merged in, its namespace and images set
    (the kustomize features the overlays use; an unknown one fails here instead of being
    silently ignored)."""
    kust = load_yaml(K8S / "overlays" / overlay / "kustomization.yaml")
    used = set(kust) - {"apiVersion", "kind", "namespace", "resources", "patches", "images"}
    assert not used, f"overlay {overlay} uses kustomize features the check does not apply: {used}"
    assert kust["resources"] == ["../../base"]
    docs = {ident(d): d for d in base_resources()}
    for path in overlay_patch_files(overlay):
        for patch in load_all(path):
            assert ident(patch) in docs, f"{path.name} patches {ident(patch)}, not in the base"
            docs[ident(patch)] = merge(docs[ident(patch)], patch)
    out = []
    for doc in docs.values():
        doc = copy.deepcopy(doc)
        if "namespace" in kust:
            doc["metadata"]["namespace"] = kust["namespace"]
        for c in containers(doc):
            for img in kust.get("images", []):
                if c["image"].split(":")[0] == img["name"]:
                    c["image"] = f"{img.get('newName', img['name'])}:{img.get('newTag', 'latest')}"
        out.append(doc)
    return out


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if doc.get("kind") != "Deployment":
        return []
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def subcommand(argv: list[str]) -> str:
    """The diplowire subcommand of a command line (after any global options), by the real
    parser; a line it refuses fails here with argparse's message on stderr."""
    from diplowire.cli import build_parser

    return str(build_parser().parse_args(argv).command)


def compose_commands(services: dict[str, Any]) -> Iterator[tuple[str, list[str], dict[str, str]]]:
    """(where, diplowire argv, environment) for every compose service running the image."""
    for name, svc in services.items():
        if not str(svc.get("image", "")).startswith(IMAGE + ":") or "entrypoint" in svc:
            continue
        yield f"compose service {name}", list(svc["command"]), dict(svc.get("environment") or {})


def k8s_commands(docs: list[dict[str, Any]]) -> Iterator[tuple[str, list[str], dict[str, str]]]:
    for doc in docs:
        for c in containers(doc):
            argv = list(c.get("args", []))
            if "command" in c:
                assert c["command"][0] == "diplowire", f"{doc['metadata']['name']}: {c['command']}"
                argv = [*c["command"][1:], *argv]
            env = {e["name"]: e.get("value", "") for e in c.get("env", [])}
            yield f"{doc['kind']}/{doc['metadata']['name']} container {c['name']}", argv, env

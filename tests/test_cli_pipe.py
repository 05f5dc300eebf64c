"""Output piped into a reader that stops early (``diplowire search --json | head``)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from diplowire import cli

DIPLOWIRE = Path(sys.executable).with_name("diplowire")


@pytest.mark.parametrize("args", [["schema", "enriched"], ["--version"], ["--help"]])
def test_a_reader_that_went_away_is_not_an_error(args: list[str]) -> None:
    """Before: ``diplowire schema: BrokenPipeError: [Errno 32] Broken pipe`` and exit 5, the
    code for a server that is not there; ``--version`` and ``--help`` (printed while the
    arguments are parsed) a traceback and exit 1."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: EPIPE every time
    try:
        done = subprocess.run(
            [str(DIPLOWIRE), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr.decode()) == (0, "")


def test_a_broken_pipe_elsewhere_is_still_a_connection_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A socket's broken pipe (stdout still open) keeps its exit 5 and its line."""

    def broken(args: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "cmd_schema", broken)  # build_parser() reads it at each call
    assert cli.main(["schema", "raw"]) == 5
    assert "BrokenPipeError" in capsys.readouterr().err

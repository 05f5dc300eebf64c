"""ingest.poller.tune_interpreter: the poll command's GIL switch interval setting."""

from __future__ import annotations

import sys

import pytest

from diplowire.ingest.poller import tune_interpreter
from diplowire.wire.settings import PollSettings


def test_the_setting_sets_the_switch_interval_and_zero_keeps_pythons() -> None:
    before = sys.getswitchinterval()
    try:
        tune_interpreter(PollSettings(gil_switch_interval_s=0.05))
        assert sys.getswitchinterval() == pytest.approx(0.05)
        sys.setswitchinterval(before)
        tune_interpreter(PollSettings(gil_switch_interval_s=0))
        assert sys.getswitchinterval() == pytest.approx(before)
    finally:
        sys.setswitchinterval(before)


def test_the_default_is_50_ms_and_the_environment_sets_it() -> None:
    from diplowire.wire.settings import load

    assert load(PollSettings, env={}).gil_switch_interval_s == 0.05
    env = {"DIPLOWIRE_GIL_SWITCH_INTERVAL_S": "0.02"}
    assert load(PollSettings, env=env).gil_switch_interval_s == 0.02

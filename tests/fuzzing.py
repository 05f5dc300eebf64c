"""Hypothesis profiles for the fuzz tests (tests/*/test_fuzz_*.py).

``ci`` (the default) is short and derandomized, so every run of the suite tries the same inputs
and a failure reproduces; ``long`` (``HYPOTHESIS_PROFILE=long``, as ``make fuzz`` does) explores
with fresh random inputs, many more of them. What a long run finds is kept as an explicit
``@example`` so the short run checks it from then on.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,  # two shared cores: a slow example is load, not a bug
    derandomize=True,
    database=None,  # nothing written into the checkout; derandomized runs need no replay
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "20000")),
    deadline=None,
    database=None,
    print_blob=True,  # a failure prints the @reproduce_failure blob to replay it exactly
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(share: float) -> int:
    """A share of the profile's examples, for a property whose examples are expensive."""
    profile = settings.default
    assert profile is not None  # loaded above
    return max(10, int(profile.max_examples * share))

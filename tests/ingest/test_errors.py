"""FetchError is a fact once raised: its kind and delta flag are read-only, and marking it as a
delta failure makes a new error (no stack)."""

from __future__ import annotations

import pickle

import pytest

from diplowire.ingest.address import Forbidden
from diplowire.ingest.errors import FetchError, FetchKind, ForbiddenAddress


def test_kind_and_delta_cannot_be_changed_after_raising() -> None:
    err = FetchError("timeout", "slow", retry_after_s=5.0)
    with pytest.raises(AttributeError):
        err.kind = FetchKind.GONE  # type: ignore[misc]
    with pytest.raises(AttributeError):
        err.delta = True  # type: ignore[misc]
    assert err.kind is FetchKind.TIMEOUT and err.retry_after_s == 5.0 and not err.delta


def test_with_delta_is_a_new_error_of_the_same_class() -> None:
    err = ForbiddenAddress("h.example", "10.0.0.1", next(iter(Forbidden)))
    marked = err.with_delta()
    assert marked is not err and marked.delta and not err.delta
    assert isinstance(marked, ForbiddenAddress) and marked.host == "h.example"
    assert marked.kind is FetchKind.FORBIDDEN_ADDRESS and str(marked) == str(err)
    assert marked.with_delta() is marked  # already marked: nothing new to say


def test_pickles_with_its_fields() -> None:
    # Parse processes raise FetchError across a process boundary.
    err = FetchError("unparsable", "bad", retry_after_s=1.0, delta=True)
    back = pickle.loads(pickle.dumps(err))
    assert (back.kind, str(back), back.retry_after_s, back.delta) == (
        FetchKind.UNPARSABLE,
        "bad",
        1.0,
        True,
    )

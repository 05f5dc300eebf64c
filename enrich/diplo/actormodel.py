"""A small logistic regression over country-mention features (``actorfeatures``): is this
state an actor in the document?

A state is an actor when the highest probability over its mentions reaches the model's
threshold. Weights, feature standardisation and threshold are one JSON file
(``enrich/kb/actor_model.json``, shipped as package data) written by ``scripts/train_actors.py``;
numpy only, trained by full-batch gradient descent from zero weights, so the same data gives
the same model (no random state at all).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from diplowire.enrich.diplo.actorfeatures import FEATURES, MentionRow

MODEL_PATH = Path(__file__).resolve().parent.parent / "kb" / "actor_model.json"

L2 = 1.0
STEPS = 600
RATE = 0.5


class ModelMismatch(ValueError):
    """The stored weights were trained on another feature list than ``FEATURES``."""


@dataclass(frozen=True)
class ActorModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    @cached_property
    def _arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        # Built once: the enricher scores every article with the same model.
        return np.asarray(self.mean), np.asarray(self.scale), np.asarray(self.weights)

    def proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        mean, scale, weights = self._arrays
        z = (x - mean) / scale
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-(z @ weights + self.bias)))
        return out

    def country_probs(self, rows: Sequence[MentionRow]) -> dict[str, float]:
        """Highest mention probability per country code."""
        if not rows:
            return {}
        p = self.proba(np.asarray([r.features for r in rows], dtype=np.float64))
        best: dict[str, float] = {}
        for row, prob in zip(rows, p, strict=True):
            best[row.code] = max(best.get(row.code, 0.0), float(prob))
        return best

    def actors(self, rows: Sequence[MentionRow]) -> set[str]:
        return {c for c, p in self.country_probs(rows).items() if p >= self.threshold}

    def to_json(self) -> str:
        return weights_json(self)


def fit(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    l2: float = L2,
    steps: int = STEPS,
    features: tuple[str, ...] = FEATURES,
) -> ActorModel:
    """L2-regularised logistic regression, full-batch gradient descent from zero. ``features``
    names the columns (the mention features, or the second stage's in ``dyadstage``)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    n, d = z.shape
    w = np.zeros(d)
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = p - y
        w -= RATE * (z.T @ g / n + l2 * w / n)
        b -= RATE * float(g.mean())
    return ActorModel(
        features=features,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in w),
        bias=b,
        threshold=0.5,
    )


def with_threshold(model: ActorModel, threshold: float) -> ActorModel:
    return ActorModel(model.features, model.mean, model.scale, model.weights, model.bias, threshold)


class StoredWeights(Protocol):
    """What a stored logistic model holds: the actor model here, the topic model
    (``topicdecision.TopicModel``) too; one file format for both."""

    @property
    def features(self) -> tuple[str, ...]: ...
    @property
    def mean(self) -> tuple[float, ...]: ...
    @property
    def scale(self) -> tuple[float, ...]: ...
    @property
    def weights(self) -> tuple[float, ...]: ...
    @property
    def bias(self) -> float: ...
    @property
    def threshold(self) -> float: ...


def weights_json(model: StoredWeights) -> str:
    """The stored form, rounded so a training script rewrites the same bytes."""
    return json.dumps(
        {
            "features": list(model.features),
            "mean": [round(v, 6) for v in model.mean],
            "scale": [round(v, 6) for v in model.scale],
            "weights": [round(v, 6) for v in model.weights],
            "bias": round(model.bias, 6),
            "threshold": round(model.threshold, 4),
        },
        indent=1,
    )


def read_weights(
    path: Path, features: tuple[str, ...], mismatch: type[ValueError], script: str
) -> dict[str, Any]:
    """The fields of a stored model, as keyword arguments of its dataclass; ``mismatch`` is
    raised when the file was trained on another feature list than ``features``."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if tuple(raw["features"]) != features:
        raise mismatch(f"{path} was trained on other features; retrain ({script})")
    return {
        "features": tuple(raw["features"]),
        "mean": tuple(float(v) for v in raw["mean"]),
        "scale": tuple(float(v) for v in raw["scale"]),
        "weights": tuple(float(v) for v in raw["weights"]),
        "bias": float(raw["bias"]),
        "threshold": float(raw["threshold"]),
    }


def load(path: Path = MODEL_PATH, features: tuple[str, ...] = FEATURES) -> ActorModel:
    return ActorModel(**read_weights(path, features, ModelMismatch, "scripts/train_actors.py"))

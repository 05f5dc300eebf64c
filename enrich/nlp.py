"""spaCy pipelines per language, loaded from installed model packages by a :class:`Models`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache

import spacy
from spacy.language import Language

from diplowire.enrich import spacy_compat
from diplowire.wire.article import Model
from diplowire.wire.settings import ModelSettings

log = logging.getLogger(__name__)

# The default package per language; the `models.<lang>` settings choose others. Adding a
# language is adding a field to ModelSettings (and its data under enrich/kb/), not code.
MODELS: dict[str, str] = ModelSettings().by_lang()
# The dependency parser is the slowest component and nothing downstream reads its output.
DISABLE = ("parser",)


class ModelMissing(RuntimeError):
    pass


def limit_blas_threads(n: int) -> None:
    """Cap BLAS threads per process: ``enrich --processes N`` scales over cores, not BLAS threads.

    OpenBLAS would otherwise start a thread per core in every process, and N processes on N cores
    would then fight over them (small matrices gain little from threads anyway).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")


class Models:
    """The enricher's pipelines, each loaded on first use and kept by this object.

    One per process: ``diplowire enrich`` makes it from its settings (``blas_threads``, applied
    when the first model loads; 0 leaves the BLAS default) and hands it down to ``enrich_batch``;
    tools without settings use :func:`shared_models`. Each pipeline owns its KB matcher (the
    ``diplo_kb`` component), so nothing else is cached per pipeline.
    """

    def __init__(self, blas_threads: int = 1, names: Mapping[str, str] | None = None) -> None:
        self.blas_threads = blas_threads
        self.names = dict(MODELS if names is None else names)
        """The model package per language (settings ``models.<lang>``)."""
        self._pipelines: dict[str, Language | None] = {}

    def load(self, lang: str) -> Language | None:
        """The pipeline of ``lang``, or None for a language without a model."""
        if lang not in self._pipelines:
            self._pipelines[lang] = self._load(lang)
        return self._pipelines[lang]

    def _load(self, lang: str) -> Language | None:
        name = self.names.get(lang)
        if name is None:
            return None
        try:
            nlp = spacy.load(name, disable=list(DISABLE))
        except OSError as exc:
            raise ModelMissing(
                f"spaCy model {name!r} for {lang!r} is not installed (pip install -e .): {exc}"
            ) from exc
        if self.blas_threads > 0:
            limit_blas_threads(self.blas_threads)
        spacy_compat.use_numpy_blas(nlp)
        spacy_compat.speed_up_attribute_ruler(nlp)
        from diplowire.enrich import diplo

        diplo.configure(nlp, lang)
        log.info("loaded %s %s (%s)", name, nlp.meta.get("version"), ", ".join(nlp.pipe_names))
        return nlp

    def model_info(self, lang: str) -> tuple[Model, ...]:
        nlp = self.load(lang)
        if nlp is None:
            return ()
        return (Model(name=self.names[lang], version=str(nlp.meta.get("version", "?"))),)


@cache
def shared_models() -> Models:
    """The process's :class:`Models` for callers without settings (tests, eval, benchmarks)."""
    return Models()


def load(lang: str) -> Language | None:
    return shared_models().load(lang)


def model_info(lang: str) -> tuple[Model, ...]:
    return shared_models().model_info(lang)

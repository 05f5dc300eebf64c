"""The enricher's pipelines, held by ``enrich.nlp.Models``."""

from __future__ import annotations

from diplowire.enrich import diplo, nlp


def test_models_load_each_pipeline_once_with_its_own_kb_matcher() -> None:
    shared = nlp.shared_models()
    fr = shared.load("fr")
    assert fr is not None and shared.load("fr") is fr and nlp.load("fr") is fr
    assert shared.load("xx") is None and shared.model_info("xx") == ()
    assert [m.name for m in shared.model_info("fr")] == [nlp.MODELS["fr"]]
    # Another Models (another worker's settings) has its own pipeline, KB matcher included.
    from threadpoolctl import threadpool_info

    other = nlp.Models(blas_threads=2)
    try:
        fr2 = other.load("fr")
        assert fr2 is not None and fr2 is not fr
        assert fr2.get_pipe(diplo.COMPONENT) is not fr.get_pipe(diplo.COMPONENT)
        blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(n == 2 for n in blas)  # the cap came from the argument
    finally:
        nlp.limit_blas_threads(1)  # the process default, for the tests that follow

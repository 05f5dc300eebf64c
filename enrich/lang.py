"""Language detection with lingua: its models ship inside the wheel, nothing is downloaded.

Low-accuracy mode (trigram models only): ~25 MB resident instead of ~390 MB for the full models
of the same 14 languages, and the same answers on our labelled sets (dev + held-out items, titles
alone, ~600-word articles: see ``tests/enrich/test_lang.py``). lingua documents it as less reliable
below ~120 characters; short or unclear text falls back to the feed's language hint anyway.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

# A bounded set keeps the detector small and fast; a language outside it is reported as the
# nearest one with low confidence, and the feed's hint decides then.
DETECTED = ("fr", "en", "de", "es", "it", "pt", "nl", "ru", "uk", "ar", "tr", "pl", "zh", "ja")
MIN_CONFIDENCE = 0.5
# Below ~120 characters lingua's low-accuracy mode is unreliable (a 31-character English title
# came out Dutch at 0.68): a short text must be clearer than that to overrule the feed's hint.
SHORT_CHARS = 120
MIN_CONFIDENCE_SHORT = 0.9
# The language of an article is settled well before 1000 characters; more only costs CPU.
SAMPLE_CHARS = 1000


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in DETECTED]
    return (
        LanguageDetectorBuilder.from_languages(*langs)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def detect(text: str, hint: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code and confidence; falls back to the feed's hint on short or unclear text."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < 12:
        return (hint or "und", 0.0)
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return (hint or "und", 0.0)
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    needed = MIN_CONFIDENCE_SHORT if len(sample.strip()) < SHORT_CHARS else MIN_CONFIDENCE
    if best.value < needed and hint:
        return (hint, round(best.value, 3))
    return (code, round(best.value, 3))

"""Language detection with lingua: its models ship inside the wheel, nothing is downloaded."""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

# A bounded set keeps the detector small and fast; a language outside it is reported as the
# nearest one with low confidence, and the feed's hint decides then.
DETECTED = ("fr", "en", "de", "es", "it", "pt", "nl", "ru", "uk", "ar", "tr", "pl", "zh", "ja")
MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in DETECTED]
    return LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()


def detect(text: str, hint: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code and confidence; falls back to the feed's hint on short or unclear text."""
    sample = text[:2000]
    if len(sample.strip()) < 12:
        return (hint or "und", 0.0)
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return (hint or "und", 0.0)
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    if best.value < MIN_CONFIDENCE and hint:
        return (hint, round(best.value, 3))
    return (code, round(best.value, 3))

"""Language detection with lingua: its models ship inside the wheel, nothing is downloaded.

Low-accuracy mode (trigram models only): ~25 MB resident instead of ~390 MB for the full models
of the same 14 languages, and the same answers on our labelled sets (dev + held-out items, titles
alone, ~600-word articles: see ``tests/enrich/test_lang.py``). lingua documents it as less reliable
below ~120 characters, and it is: on real titles it answers wrongly *and* confidently (ORF's
"Trump-Sprecher: „Unsere Absicht, Sie nie anzulügen“" is Dutch at 0.98). So a short text follows
the feed's language hint whenever the hint is written in the text's script; without such a hint it
gets lingua's answer only when that is clear, else ``und`` (undetermined) rather than a guess.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import (
    ConfidenceValue,
    IsoCode639_1,
    Language,
    LanguageDetector,
    LanguageDetectorBuilder,
)

# A bounded set keeps the detector small and fast; a language outside it is reported as the
# nearest one with low confidence, and the feed's hint decides then.
DETECTED = ("fr", "en", "de", "es", "it", "pt", "nl", "ru", "uk", "ar", "tr", "pl", "zh", "ja")
MIN_CONFIDENCE = 0.5
# Below ~120 characters lingua's low-accuracy mode is unreliable (a 31-character English title
# came out Dutch at 0.68): without a hint, a short text must be clearer than that to be believed.
SHORT_CHARS = 120
MIN_CONFIDENCE_SHORT = 0.9
# The language of an article is settled well before 1000 characters; more only costs CPU.
SAMPLE_CHARS = 1000
UNDETERMINED = "und"
"""ISO 639-2 "undetermined": what an article gets when neither the text nor a hint tells."""

# The script each language is written in. A hint is evidence about a short text only when it
# names a language of the text's script: an English item in a Russian feed is not Russian.
SCRIPTS: dict[str, frozenset[str]] = {
    **{c: frozenset({"Latn"}) for c in ("fr", "en", "de", "es", "it", "pt", "nl", "tr", "pl")},
    "ru": frozenset({"Cyrl"}),
    "uk": frozenset({"Cyrl"}),
    "ar": frozenset({"Arab"}),
    "zh": frozenset({"Hani"}),
    # Japanese headlines may be all kanji, which is also Chinese.
    "ja": frozenset({"Hani", "Kana"}),
}


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in DETECTED]
    return (
        LanguageDetectorBuilder.from_languages(*langs)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def _script_of_char(ch: str) -> str | None:
    o = ord(ch)
    if o < 0x0250 or 0x1E00 <= o < 0x1F00:
        return "Latn"
    if 0x0400 <= o < 0x0530:
        return "Cyrl"
    if 0x0600 <= o < 0x0780 or 0x08A0 <= o < 0x0900 or 0xFB50 <= o < 0xFF00:
        return "Arab"
    if 0x3040 <= o < 0x3100:
        return "Kana"
    if 0x3400 <= o < 0xA000 or 0xF900 <= o < 0xFB00:
        return "Hani"
    return None


def script_of(text: str) -> str | None:
    """The script most of the letters of ``text`` are written in (None: no letters we know)."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = _script_of_char(ch)
            if script is not None:
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    # A Japanese text is mostly kanji with some kana: any kana makes it Japanese, not Chinese.
    if counts.get("Kana"):
        return "Kana"
    return max(counts, key=lambda s: counts[s])


def normalize_hint(hint: str | None) -> str | None:
    """ "pt-BR", "EN" and " de " are the languages pt, en, de; an empty hint is no hint."""
    if not hint:
        return None
    code = hint.strip().split("-")[0].split("_")[0].lower()
    return code or None


def hint_fits(hint: str, text: str) -> bool:
    """Whether ``hint`` can name the language of ``text``: a language written in its script, or
    one we know no script of (the feed is trusted then)."""
    scripts = SCRIPTS.get(hint)
    if scripts is None:
        return True
    script = script_of(text)
    return script is None or script in scripts


def _value_of(values: list[ConfidenceValue], code: str) -> float:
    for v in values:
        if v.language.iso_code_639_1.name.lower() == code:
            return float(v.value)
    return 0.0


def detect(text: str, hint: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code (or ``und``) and lingua's confidence in it.

    Long text: lingua's answer, unless it is unclear (below ``MIN_CONFIDENCE``) and the feed
    gave a hint. Short text: the feed's hint if it fits the text's script; else lingua's answer
    if clear (``MIN_CONFIDENCE_SHORT``), else ``und``.
    """
    hint = normalize_hint(hint)
    sample = text[:SAMPLE_CHARS]
    stripped = sample.strip()
    if len(stripped) < 12:
        return (hint or UNDETERMINED, 0.0)
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return (hint or UNDETERMINED, 0.0)
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    confidence = round(best.value, 3)
    if len(stripped) < SHORT_CHARS:
        if hint and hint_fits(hint, stripped):
            return (hint, round(_value_of(values, hint), 3))
        if best.value < MIN_CONFIDENCE_SHORT:
            return (UNDETERMINED, confidence)
        return (code, confidence)
    if best.value < MIN_CONFIDENCE and hint:
        return (hint, confidence)
    return (code, confidence)

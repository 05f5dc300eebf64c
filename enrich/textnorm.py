"""The matching form of text for the knowledge-base matcher of languages without NER.

One function, applied alike to the KB's name forms and to each token of an article, so that a
form matches whatever way the press writes it:

- NFKC (full-width Latin and digits, ligatures, compatibility forms of Arabic letters);
- case folded;
- typographic apostrophes made straight;
- Latin and Cyrillic diacritics dropped (combining marks U+0300-U+036F after NFD), so "Moscú"
  and "Moscu" are one, and Cyrillic ё is е (й becomes и too: harmless, as both sides agree);
- Arabic: harakat, Quranic marks and the superscript alef dropped, tatweel (ـ) removed, the alef
  forms أ إ آ ٱ unified to ا and alef maqsura ى to ي (the spellings the Arabic press mixes).

- Chinese: traditional characters mapped to simplified ones, one character to one (OpenCC's table,
  ``kb/zh/t2s.tsv``), so 烏克蘭 and 台灣 match the KB's 乌克兰 and 台湾: Hong Kong and Taiwan
  outlets, and many reposts, write traditional characters.

Han text needs no word boundaries: it is matched character by character (``enrich.kbonly``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

_DROP = {0x0640: None}  # tatweel
_DROP.update(dict.fromkeys(range(0x064B, 0x0660)))  # harakat, shadda, sukun, hamza marks
_DROP.update(dict.fromkeys((0x0670,)))  # superscript alef
_DROP.update(dict.fromkeys(range(0x06D6, 0x06EE)))  # Quranic annotation marks
_MAP: dict[int, str | None] = {
    **_DROP,
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
    ord("ى"): "ي",
    ord("’"): "'",
    ord("‘"): "'",
}


def _t2s() -> dict[int, str]:
    path = Path(__file__).parent / "kb" / "zh" / "t2s.tsv"
    pairs = (
        line.rstrip("\n").split("\t")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    return {ord(t): s for t, s in pairs}


_MAP.update(_t2s())
_TABLE = str.maketrans(_MAP)


@lru_cache(maxsize=1 << 16)
def match_form(text: str) -> str:
    """The form ``text`` is compared under (tokens recur, so results are kept, bounded)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).translate(_TABLE)
    decomposed = unicodedata.normalize("NFD", text)
    if any(0x0300 <= ord(c) <= 0x036F for c in decomposed):
        text = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if not 0x0300 <= ord(c) <= 0x036F)
        )
    return text.casefold()

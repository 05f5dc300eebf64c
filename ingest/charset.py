"""Feed bytes that are not in the charset they declare, made UTF-8 before feedparser sees them.

feedparser (6.0) decodes a document in the charset of the HTTP header (RFC 7303), else of the XML
declaration, else of the byte-order mark, else UTF-8; when none of those decodes the bytes it
falls back, blindly, to windows-1252 and publishes mojibake (a windows-1251 feed declared as
UTF-8 became "Ôóòáîë" for "Футбол"). This module only acts in that case, and hands the text
on as UTF-8, with the declaration and header saying so:

- a body with well-formed multi-byte UTF-8 sequences, at least as many as its stray bytes, is
  UTF-8 with a few foreign bytes (``mixed``): decoded as UTF-8, the stray bytes as windows-1252;
- otherwise (next to no UTF-8 text: another charset altogether) it is re-decoded in the charset
  charset-normalizer detects (``redetected``), else as UTF-8 with U+FFFD (``replaced``).

A body valid in a declared charset is passed on untouched.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass

from diplowire.ingest.outcomes import Recode

log = logging.getLogger(__name__)

_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*['"]([A-Za-z0-9._:-]+)['"]""")
_XML_DECLARATION = re.compile(r"^<\?xml[^>]*?\?>")
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*['\"]?[^;'\"\s]*['\"]?", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
"""A well-formed UTF-8 sequence of two to four bytes (RFC 3629: no overlong forms, surrogates
or code points past U+10FFFF)."""
_HIGH = bytes(range(0x80, 0x100))
_CP1252_FALLBACK = "diplowire-utf8-cp1252"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 read as windows-1252, the charset stray
    bytes in a UTF-8 feed nearly always come from (text pasted from a Windows program)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


# Registered once, process-wide (codecs has no per-call handlers); stateless, so thread-safe.
codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def utf8_census(body: bytes) -> tuple[int, int]:
    """(well-formed multi-byte UTF-8 sequences, bytes >= 0x80 outside them) in ``body``."""
    rest, valid = _UTF8_MULTIBYTE.subn(b"", body)
    return valid, len(rest) - len(rest.translate(None, _HIGH))


@dataclass(frozen=True, slots=True)
class Recoded:
    body: bytes
    content_type: str | None
    outcome: Recode
    declared: str
    used: str

    def describe(self) -> str:
        if self.outcome is Recode.MIXED:
            how = f"{self.outcome} as {self.used}, stray bytes as windows-1252"
        else:
            how = f"{self.outcome} as {self.used}"
        return f"declared {self.declared}, not valid in it: {how}"


def declared_charsets(body: bytes, content_type: str | None) -> list[str]:
    """The charsets feedparser tries before its blind fallback, in its order."""
    out: list[str] = []
    if content_type:
        for param in content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip(" '\""):
                out.append(value.strip(" '\""))
    bom = next((enc for mark, enc in _BOMS if body.startswith(mark)), None)
    if m := _XML_ENCODING.match(body[3:] if bom == "utf-8-sig" else body):
        out.append(m.group(1).decode("ascii"))
    if bom:
        out.append(bom)
    out.append("utf-8")
    return list(dict.fromkeys(c.lower() for c in out))


def _decodes(body: bytes, charset: str) -> bool:
    try:
        body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def to_utf8(body: bytes, content_type: str | None) -> Recoded | None:
    """None when the body is valid in a charset it declares (feedparser decodes it right);
    else the body re-decoded and encoded as UTF-8."""
    declared = declared_charsets(body, content_type)
    if any(_decodes(body, c) for c in declared):
        return None
    valid, invalid = utf8_census(body)
    if valid and valid >= invalid:
        # UTF-8 text with a few foreign bytes (the classic mixed-encoding feed): a detector
        # would re-read every one of its characters to suit those few (a UTF-8 feed with three
        # windows-1252 quotes became mac_iceland, each "‘" a "‚Äò"); only those bytes are
        # read otherwise.
        used, outcome, errors = "utf-8", Recode.MIXED, _CP1252_FALLBACK
    else:
        from charset_normalizer import from_bytes  # lazy: only broken feeds need it

        best = from_bytes(body).best()
        if best is not None:
            used, outcome, errors = best.encoding, Recode.REDETECTED, "replace"
        else:
            used, outcome, errors = "utf-8", Recode.REPLACED, "replace"
    text = body.decode(used, errors=errors).lstrip("\ufeff")
    # As feedparser does after decoding: the declaration must no longer name the old charset.
    new_declaration = "<?xml version='1.0' encoding='utf-8'?>"
    if _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub(new_declaration, text, count=1)
    else:
        text = new_declaration + "\n" + text
    if content_type:
        content_type = _CHARSET_PARAM.sub("", content_type) + "; charset=utf-8"
    return Recoded(text.encode("utf-8"), content_type, outcome, declared[0], used)

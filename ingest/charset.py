"""Feed bytes that are not in the charset they declare, made UTF-8 before feedparser sees them.

feedparser (6.0) decodes a document in the charset of the HTTP header (RFC 7303), else of the XML
declaration, else of the byte-order mark, else UTF-8; when none of those decodes the bytes it
falls back, blindly, to windows-1252 and publishes mojibake (a windows-1251 feed declared as
UTF-8 became "Ôóòáîë" for "Футбол"). This module only acts in that case: the bytes are
re-decoded in the charset charset-normalizer detects and handed on as UTF-8, with the
declaration and header saying so. A body valid in a declared charset is passed on untouched.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass

from ingest.outcomes import Recode

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
MOSTLY_UTF8 = 20
"""A body with at least this many valid non-ASCII UTF-8 characters per invalid byte sequence is
UTF-8 with a few broken bytes, not another charset (a detector would re-decode all of its
accents wrongly to save those few)."""


@dataclass(frozen=True, slots=True)
class Recoded:
    body: bytes
    content_type: str | None
    outcome: Recode
    declared: str
    used: str

    def describe(self) -> str:
        return f"declared {self.declared}, not valid in it: {self.outcome} as {self.used}"


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
    as_utf8 = body.decode("utf-8", errors="replace")
    bad = as_utf8.count("\ufffd")
    good = len(as_utf8) - len(as_utf8.encode("ascii", "ignore")) - bad
    used, outcome = "utf-8", Recode.REPLACED
    if good < MOSTLY_UTF8 * bad:
        from charset_normalizer import from_bytes  # lazy: only broken feeds need it

        best = from_bytes(body).best()
        if best is not None:
            used, outcome = best.encoding, Recode.REDETECTED
    text = body.decode(used, errors="replace").lstrip("\ufeff")
    # As feedparser does after decoding: the declaration must no longer name the old charset.
    new_declaration = "<?xml version='1.0' encoding='utf-8'?>"
    if _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub(new_declaration, text, count=1)
    else:
        text = new_declaration + "\n" + text
    if content_type:
        content_type = _CHARSET_PARAM.sub("", content_type) + "; charset=utf-8"
    return Recoded(text.encode("utf-8"), content_type, outcome, declared[0], used)

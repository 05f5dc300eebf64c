"""The CPU shortcuts of ingest.normalize give what the plain code gave (bench/ingest.md, "Where the
CPU goes"): a prefilter may only skip work that would have changed nothing."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from hypothesis import example, given
from hypothesis import strategies as st

from diplowire.ingest import normalize
from diplowire.ingest.normalize import clean_chars, clean_url, html_to_text

ASTRAL_NONCHARACTERS = [chr(p << 16 | low) for p in range(1, 17) for low in (0xFFFE, 0xFFFF)]


def _reference_clean_chars(value: str) -> str:
    return normalize._BAD_CHARS.sub(normalize._bad_char, value)


def _reference_html_to_text(value: str) -> str:
    """html_to_text as it was before the one-pass space collapse (one regex call per line)."""
    if not value:
        return ""
    text = value
    for _ in range(normalize.MAX_UNESCAPES):
        tagged = normalize._TAGLIKE.search(text)
        done = normalize._strip_tags(text) if tagged else normalize.html.unescape(text)
        if done == text:
            break
        text = done
    else:
        text = normalize._strip_tags(text) if normalize._TAGLIKE.search(text) else text
    text = normalize.unicodedata.normalize("NFC", _reference_clean_chars(text))
    lines = [normalize._SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return normalize._NEWLINES.sub(
        lambda m: "\n\n" if m.group(0).count("\n") > 1 else "\n", joined
    ).strip()


def test_prefilter_flags_every_bad_character() -> None:
    # Every character the full class removes or replaces makes the prefilter say "maybe"; in
    # the BMP it says so for those characters only (no needless slow path for ordinary text).
    for code in range(0x10000):
        ch = chr(code)
        bad = normalize._BAD_CHARS.search(ch) is not None
        assert normalize._may_hold_bad_chars(ch) == bad, hex(code)
    for ch in ASTRAL_NONCHARACTERS:
        assert normalize._BAD_CHARS.search(ch) is not None
        assert normalize._may_hold_bad_chars(ch)


text_with_bad = st.lists(
    st.one_of(
        st.characters(),
        st.sampled_from(["\x00", "\x0b", "\x85", "\x96", "\ud800", "\ufdd0", "\uffff", "\n", " "]),
        st.sampled_from([*ASTRAL_NONCHARACTERS, "\U0001f600", "\u00a0", "\u2009"]),
        st.sampled_from(["<p>", "</p>", "<br/>", "&amp;", "&lt;b&gt;", "\t", "\r\n", "http://"]),
    ),
    max_size=60,
).map("".join)


@given(text_with_bad)
@example("a\U0001fffeb\x96c")
@example("plain ascii")
def test_clean_chars_same_as_full_class(value: str) -> None:
    assert clean_chars(value) == _reference_clean_chars(value)


def _reference_clean_url(url: str) -> str | None:
    """clean_url as it was before the ASCII shortcut (the drop applied to every URL)."""
    url = normalize._URL_TAB_NEWLINE.sub("", url).strip(normalize._URL_EDGES)
    url = normalize._URL_DROP.sub("", url)
    unsafe = normalize._URL_UNSAFE
    if not unsafe.search(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if unsafe.search(parts.scheme) or unsafe.search(parts.netloc):
        return None
    return unsafe.sub(lambda m: quote(m.group(), safe=""), url)


@given(text_with_bad)
@example("http://e.example/a\U0010ffffb")
@example("http://e.example/\ud800x")
@example("http://e.example/a b")
def test_clean_url_same_as_always_dropping(value: str) -> None:
    assert clean_url(value) == _reference_clean_url(value)


@given(text_with_bad)
@example("  a \u00a0 b  \n\n\n  c\td  \n")
@example("<p>x</p>\n \n<p>y&amp;z</p>")
def test_html_to_text_same_as_line_by_line(value: str) -> None:
    assert html_to_text(value) == _reference_html_to_text(value)

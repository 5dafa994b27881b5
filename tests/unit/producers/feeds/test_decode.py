"""Page bytes to text: the charset order of decode_html (BOM, HTTP charset, <meta> in the first 4 KiB, valid UTF-8,
detection, UTF-8 with replacement), the labels codec_name knows, and what meta_charset reads."""

from __future__ import annotations

import codecs
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producers.feeds.decode import META_SCAN_BYTES, codec_name, decode_html, meta_charset

# Sentences written for these tests (no outlet's text).
PARAGRAPHS = (
    "أعلنت وزارة الزراعة اليوم عن خطة جديدة لري البساتين في القرى الشمالية، وتبدأ أعمالها مطلع الشهر المقبل.",
    "وقال مدير المشروع إن الخطة تشمل حفر عشرين بئرا ومد قنوات مبطنة تقلل ضياع الماء بالتبخر.",
    "ويأمل المزارعون أن تخفف الخطة من أثر الجفاف الذي ضرب المنطقة في الصيفين الماضيين.",
)
TITLE = "خطة جديدة لري البساتين"


def page(head: str = "") -> str:
    """A small Arabic article page; ``head`` goes first in <head> (where outlets put their charset)."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        '<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n'
        f"{head}<title>{TITLE}</title>\n</head>\n<body>\n<h1>{TITLE}</h1>\n{paragraphs}\n</body>\n</html>\n"
    )


def ascii_page(head: str = "") -> str:
    """The same page written in ASCII only: the Arabic as numeric character references (some CMSs do this)."""
    return "".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in page(head))


META_1256 = '<meta charset="windows-1256">\n'


# --- codec_name and meta_charset -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf-8", "utf-8"),
        ("UTF-8", "utf-8"),
        (" utf-8 ", "utf-8"),
        ('"windows-1256"', "cp1256"),
        ("Windows-1256", "cp1256"),
        ("cp1256", "cp1256"),
        ("ISO-8859-6", "iso8859-6"),
        ("arabic", "iso8859-6"),
        ("x-mac-arabic", "mac-arabic"),
        ("iso-8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("us-ascii", "cp1252"),
    ],
)
def test_codec_name_maps_labels_to_python_codecs(label: str, codec: str) -> None:
    assert codec_name(label) == codec


def test_arabic_label_is_iso_8859_6() -> None:
    assert codec_name("arabic") == codecs.lookup("iso8859_6").name


@pytest.mark.parametrize("label", [None, "", "x-bogus", "windows-9999", "   "])
def test_codec_name_unknown_or_empty_is_none(label: str | None) -> None:
    assert codec_name(label) is None


def test_meta_charset_reads_both_forms_as_written() -> None:
    assert meta_charset(b'<head><meta charset="Windows-1256"></head>') == "Windows-1256"
    assert meta_charset(b"<head><meta charset=utf-8></head>") == "utf-8"
    http_equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-6">'
    assert meta_charset(http_equiv) == "ISO-8859-6"
    assert meta_charset(b"<html><head><title>x</title></head></html>") is None
    assert meta_charset(b"") is None


# --- declarations --------------------------------------------------------------------------------------------------


def test_utf8_page_without_declaration() -> None:
    text = page()
    assert decode_html(text.encode("utf-8")) == (text, "utf-8")


def test_windows_1256_declared_by_http() -> None:
    text = page()
    assert decode_html(text.encode("cp1256"), http_charset="windows-1256") == (text, "cp1256")


def test_windows_1256_declared_by_meta_charset_only() -> None:
    text = page(META_1256)
    assert decode_html(text.encode("cp1256")) == (text, "cp1256")


def test_iso_8859_6_declared_by_meta_http_equiv() -> None:
    text = page('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-6">\n')
    assert decode_html(text.encode("iso8859_6")) == (text, "iso8859-6")


def test_label_arabic_decodes_as_iso_8859_6() -> None:
    text = page()
    assert decode_html(text.encode("iso8859_6"), http_charset="arabic") == (text, "iso8859-6")


def test_http_charset_wins_over_meta() -> None:
    text = page('<meta charset="utf-8">\n')  # a template's stale meta; the server knows better
    assert decode_html(text.encode("cp1256"), http_charset="windows-1256") == (text, "cp1256")


def test_page_that_lies_in_http_falls_to_meta() -> None:
    """HTTP says utf-8, the bytes are windows-1256 (not valid UTF-8): the <meta> declaration is used next."""
    text = page(META_1256)
    decoded, codec = decode_html(text.encode("cp1256"), http_charset="utf-8")
    assert (decoded, codec) == (text, "cp1256")
    assert all(p in decoded for p in PARAGRAPHS)


def test_page_that_lies_in_http_without_meta_falls_to_detection() -> None:
    text = page()
    decoded, codec = decode_html(text.encode("cp1256"), http_charset="utf-8")
    assert (decoded, codec) == (text, "cp1256")
    assert PARAGRAPHS[0] in decoded


def test_page_that_lies_in_meta_falls_to_detection() -> None:
    text = page('<meta charset="utf-8">\n')
    assert decode_html(text.encode("cp1256")) == (text, "cp1256")


# --- byte-order marks ----------------------------------------------------------------------------------------------


def test_utf8_bom_wins_over_contradicting_header() -> None:
    """Every byte sequence is valid windows-1256, so without the BOM rule the header would produce mojibake."""
    text = page(META_1256)
    body = codecs.BOM_UTF8 + text.encode("utf-8")
    assert decode_html(body, http_charset="windows-1256") == (text, "utf-8-sig")


def test_utf16_bom_wins_over_contradicting_header() -> None:
    text = page()
    body = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    assert decode_html(body, http_charset="utf-8") == (text, "utf-16")
    body = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    assert decode_html(body, http_charset="windows-1256") == (text, "utf-16")


# --- labels that are ignored ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be"])
def test_utf16_label_without_bom_ignored_on_utf8_arabic(label: str) -> None:
    """UTF-8 Arabic is never valid UTF-16 (its lead bytes make lone surrogates), so the page falls to UTF-8."""
    text = page(f'<meta charset="{label}">\n')
    assert decode_html(text.encode("utf-8"), http_charset=label) == (text, "utf-8")


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be"])
def test_utf16_label_without_bom_ignored_on_ascii_page(label: str) -> None:
    text = ascii_page()
    if len(text) % 2:
        text += "\n"  # even length: bytes that decode as UTF-16 without error
    assert decode_html(text.encode("ascii"), http_charset=label) == (text, "utf-8")


def test_utf16_meta_without_bom_ignored_on_ascii_page() -> None:
    text = ascii_page('<meta charset="utf-16">\n')
    if len(text) % 2:
        text += "\n"
    assert decode_html(text.encode("ascii")) == (text, "utf-8")


def test_unknown_http_label_ignored() -> None:
    text = page()
    assert decode_html(text.encode("utf-8"), http_charset="x-bogus") == (text, "utf-8")
    text = page(META_1256)
    assert decode_html(text.encode("cp1256"), http_charset="x-bogus") == (text, "cp1256")


def test_unknown_meta_label_ignored() -> None:
    text = page('<meta charset="x-bogus">\n')
    assert decode_html(text.encode("utf-8")) == (text, "utf-8")


# --- the 4 KiB window ----------------------------------------------------------------------------------------------


def padded(meta_at: int, meta: str = META_1256) -> bytes:
    """An ASCII page whose meta tag starts at byte ``meta_at`` (after a comment of padding)."""
    before = "<!DOCTYPE html>\n<html><head>\n<!--"
    after = "-->\n"
    pad = meta_at - len(before) - len(after)
    body = (before + "x" * pad + after + meta + "<title>news</title></head><body><p>plain</p></body></html>").encode()
    assert body.index(b"<meta") == meta_at
    return body


def test_meta_within_first_4_kib_read() -> None:
    """The whole tag inside the window (its last byte is byte 4095): read."""
    body = padded(META_SCAN_BYTES - len(META_1256.rstrip("\n")))
    assert meta_charset(body) == "windows-1256"
    assert decode_html(body) == (body.decode("ascii"), "cp1256")


def test_meta_beyond_first_4_kib_not_read() -> None:
    """A declaration after the first 4 KiB is not seen: this ASCII page decodes as UTF-8, not as its declared
    windows-1256 (the text is the same here, the codec shows which step decided)."""
    body = padded(META_SCAN_BYTES + 10)
    assert meta_charset(body) is None
    assert decode_html(body) == (body.decode("ascii"), "utf-8")


def test_meta_cut_by_the_window_not_read() -> None:
    """A tag that straddles byte 4096 leaves a truncated label ("windows-12") in the window, which is unknown."""
    body = padded(META_SCAN_BYTES - len('<meta charset="windows-12'))
    assert meta_charset(body) == "windows-12"
    assert decode_html(body)[1] == "utf-8"


# --- no declaration ------------------------------------------------------------------------------------------------


def test_windows_1256_without_any_declaration_detected() -> None:
    text = page()
    decoded, codec = decode_html(text.encode("cp1256"))
    assert codec == "cp1256"
    assert decoded == text
    assert all(p in decoded for p in PARAGRAPHS)


def test_iso_8859_6_without_any_declaration_detected() -> None:
    text = page()
    assert decode_html(text.encode("iso8859_6")) == (text, "iso8859-6")


def test_empty_body() -> None:
    assert decode_html(b"") == ("", "utf-8")
    assert decode_html(b"", http_charset="windows-1256") == ("", "cp1256")


def test_invalid_utf8_without_declaration_decodes_with_replacement() -> None:
    """A UTF-8 page cut inside a character (a lone lead byte) and a stray 0xFF: detection finds nothing, the last
    resort replaces the broken bytes and keeps the rest."""
    text = page()
    head, tail = text.split("</body>")
    body = head.encode("utf-8") + b"\xd8" + b"</body>" + tail.encode("utf-8") + b"\xff"
    assert decode_html(body) == (head + "\ufffd</body>" + tail + "\ufffd", "utf-8")


def test_bytes_no_codec_reads_decode_with_replacement() -> None:
    body = bytes(range(256))
    decoded, codec = decode_html(body)
    assert codec == "utf-8"
    assert decoded == body.decode("utf-8", errors="replace")
    assert decoded.startswith("\x00\x01") and "\ufffd" in decoded


# --- properties ----------------------------------------------------------------------------------------------------

# The Arabic letters U+0621..U+064A that windows-1256 has (it lacks U+063B..U+063F, later additions for other
# languages), spaces and ASCII punctuation.
CP1256_ARABIC = [chr(c) for c in range(0x0621, 0x064B) if not 0x063B <= c <= 0x063F]
ARABIC_TEXT = st.text(alphabet=st.sampled_from([*CP1256_ARABIC, " ", *string.punctuation]), max_size=400)


@settings(max_examples=200, deadline=None)
@given(ARABIC_TEXT)
def test_cp1256_with_meta_round_trips(text: str) -> None:
    html = f'<html><head><meta charset="windows-1256"></head><body><p>{text}</p></body></html>'
    assert decode_html(html.encode("cp1256")) == (html, "cp1256")


@settings(max_examples=200, deadline=None)
@given(ARABIC_TEXT)
def test_utf8_without_declaration_round_trips(text: str) -> None:
    html = f"<html><body><p>{text}</p></body></html>"
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "utf-8", "windows-1256", "utf-16", "x-bogus", "arabic"]))
def test_any_bytes_decode_without_raising(body: bytes, http_charset: str | None) -> None:
    text, codec = decode_html(body, http_charset)
    assert isinstance(text, str)
    assert codecs.lookup(codec).name

"""Bytes of an HTML page to text, with the charset the page was written in.

trafilatura guesses an encoding from the bytes alone and never reads the HTTP or ``<meta>`` charset, which breaks
windows-1256 and ISO-8859-6 Arabic pages (their bytes are valid in many single-byte codecs, so a guess is often a
Latin or Cyrillic one). The order here is the HTML standard's, minus its exotic steps:

1. a byte-order mark (it wins over everything, as in browsers);
2. the charset of the HTTP ``Content-Type`` header;
3. ``<meta charset>`` or ``<meta http-equiv="Content-Type" content="...; charset=...">`` in the first 4 KiB
   (the HTML standard's prescan window is 1024 bytes; Arabic news templates put long ``<script>`` and ``<link>``
   blocks first, and 4 KiB found every declaration in our pages);
4. UTF-8 when the bytes are valid UTF-8 (the most common case, and a valid multi-byte sequence is almost never
   an accident);
5. detection (charset-normalizer) over the rest.

A declared charset is used only if the bytes decode with it without error; a page that lies (says utf-8, is
windows-1256) falls to the next step. The last resort decodes UTF-8 with replacement characters, so a page
always yields text.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

META_SCAN_BYTES = 4096
# Labels outlets send that Python does not know, or knows as something else. WHATWG maps the Latin-1 labels to
# windows-1252 (a superset: its 0x80-0x9F are printable), and Arabic pages labelled "arabic" are ISO-8859-6.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "arabic": "iso8859_6",
    "x-mac-arabic": "mac_arabic",
    "windows-1256": "cp1256",
    "x-user-defined": "cp1252",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)


def codec_name(label: str | None) -> str | None:
    """The Python codec of a charset label, or None when Python has no codec for it."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` tag near its top, as written."""
    match = _META_CHARSET.search(body[:META_SCAN_BYTES])
    return match.group(1).decode("ascii") if match else None


def _try(body: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """The page's text and the codec it was decoded with (see the module doc for the order)."""
    for bom, codec in _BOMS:
        if body.startswith(bom) and (text := _try(body, codec)) is not None:
            return text, codec
    for label in (http_charset, meta_charset(body)):
        declared = codec_name(label)
        if declared is None or declared.startswith(("utf-16", "utf-32")):
            continue  # unknown, or UTF-16/32 without a BOM: bytes that reached us ASCII-compatible are neither
        if (text := _try(body, declared)) is not None:
            return text, declared
    if (text := _try(body, "utf-8")) is not None:
        return text, "utf-8"
    best = from_bytes(body[: 256 * 1024]).best()  # detection on the first 256 KiB: enough bytes, bounded time
    detected = codec_name(best.encoding) if best is not None else None
    if detected is not None and (text := _try(body, detected)) is not None:
        return text, detected
    return body.decode("utf-8", errors="replace"), "utf-8"

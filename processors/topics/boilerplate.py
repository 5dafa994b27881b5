"""Outlet furniture removed before topic features are computed: datelines, bylines, outlet and agency names,
"read more" and copyright lines, hashtag marks, URLs. Models should learn the story, not the outlet.

A topic model records ``OUTLET_STRIPPING`` (the version of :func:`strip_boilerplate`) in its ``meta.json``;
change what is stripped and the version must change with it.
"""

from __future__ import annotations

import re

OUTLET_STRIPPING = "strip_boilerplate-v1"

# Outlet names, agencies and newsroom furniture seen across Arabic outlets. They identify the
# publisher, not the topic, so they are removed before features are computed.
_OUTLET_PATTERNS = [
    r"\(?\s*CNN\s*\)?\s*-*",
    r"سي\s*ان\s*ان",
    r"سي\s*إن\s*إن",
    r"«\s*الخليج\s*»",
    r"فرانس\s*24",
    r"فرانس\s*٢٤",
    r"فرانس\s*برس",
    r"سكاي\s*نيوز(?:\s*عربية)?",
    r"العربية\s*\.?\s*نت",
    r"الجوهرة\s*[\"«]?\s*(?:أف|اف|إف)\s*(?:أم|ام)\s*[\"»]?",
    r"[\"«]?\s*(?:أف|اف|إف)\s*(?:أم|ام)\s*[\"»]?",
    r"موزاييك\s*(?:أف|اف)\s*(?:أم|ام)",
    r"بي\s*بي\s*سي(?:\s*عربي)?",
    r"BBC(?:\s*Arabic)?",
    r"\(\s*[أا]\s*\.?\s*ف\s*\.?\s*ب\s*\)",
    r"\b[أا]\s*ف\s*ب\b",
    r"\(\s*يو\s*\.?\s*بي\s*\.?\s*[آا]ي\s*\)",
    r"\(\s*د\s*\.?\s*ب\s*\.?\s*[أا]\s*\)",
    r"\(\s*وام\s*\)",
    r"\(\s*واس\s*\)",
    r"\(\s*قنا\s*\)",
    r"\(\s*كونا\s*\)",
    r"\(\s*رويترز\s*\)",
    r"\(\s*وات\s*\)",
    r"\(\s*[أا]\s*ش\s*[أا]\s*\)",
    r"\bع\s*ب\s*م\b",
]
_OUTLET_RE = re.compile("|".join(f"(?:{p})" for p in _OUTLET_PATTERNS), re.IGNORECASE)

# Whole lines that are newsroom furniture ("read more", copyright, opinion disclaimers, sharing).
_JUNK_LINE_RE = re.compile(
    r"^\W*(?:"
    r"[اإأ]قر[أا]\s*(?:[أا]يضا|المزيد|ايضاً|أيضاً)"
    r"|شاهد\s*(?:[أا]يضا|ايضاً|أيضاً|الفيديو)"
    r"|لمتابعة\s.*اضغط\s*هنا"
    r"|اضغط\s*هنا"
    r"|جميع\s*المقالات\s*المنشورة"
    r"|حقوق\s*النشر"
    r"|جميع\s*الحقوق\s*محفوظة"
    r"|تابعونا\s*على"
    r"|نقلا?\s*عن\s"
    r"|المصدر\s*:"
    r"|موعد\s*يومي\s*مع"
    r"|هذا\s*المقال\s*بقلم"
    r"|الآراء\s*الواردة"
    r"|[أا]عداد\s*:"
    r").*$",
    re.MULTILINE,
)
# A dateline/byline at the very start: "city: «outlet»", "city، country (CNN)--", "city - name:".
_LEAD_DATELINE_RE = re.compile(r"^\s*[^\n.:؛]{1,60}?(?:\(\s*CNN\s*\)\s*-*|«\s*الخليج\s*»\s*:?)\s*", re.IGNORECASE)
_LEAD_CITY_RE = re.compile(r"^\s*[\w]+(?:\s[\w]+)?\s*:\s*")
_MID_TEXT_OUTLETS = (
    "فرانس24",
    "فرانس 24",
    "سكاي نيوز عربية",
    "سكاي نيوز",
    "العربية.نت",
    "CNN",
    "«الخليج»",
    "الجوهرة أف أم",
    "الجوهرة اف ام",
    "بي بي سي",
)
BOILERPLATE_EDGE_CHARS = 240  # datelines/bylines sit in the first line, credits in the last: scan those fully
_HASHTAG_RE = re.compile(r"#(\w+)")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")


def strip_boilerplate(text: str) -> str:
    """Remove outlet names, datelines, bylines, agency tags and "read more"/copyright lines."""
    if not text:
        return ""
    if "http" in text or "www." in text or "@" in text:
        text = _URL_RE.sub(" ", text)
    text = _JUNK_LINE_RE.sub(" ", text)
    for name in _MID_TEXT_OUTLETS:
        if name in text:
            text = text.replace(name, " ")
    head = text[:BOILERPLATE_EDGE_CHARS]
    head = _LEAD_DATELINE_RE.sub("", head, count=1)
    head = _LEAD_CITY_RE.sub("", head, count=1)
    rest = text[BOILERPLATE_EDGE_CHARS:]
    # The full outlet/agency pattern is costly, so it runs on the edges (datelines, credits) only;
    # names that also occur inside sentences were removed everywhere above by plain replacement.
    if len(rest) > BOILERPLATE_EDGE_CHARS:
        middle, tail = rest[:-BOILERPLATE_EDGE_CHARS], rest[-BOILERPLATE_EDGE_CHARS:]
        text = _OUTLET_RE.sub(" ", head) + middle + _OUTLET_RE.sub(" ", tail)
    else:
        text = _OUTLET_RE.sub(" ", head + rest)
    if "#" in text:
        text = _HASHTAG_RE.sub(lambda m: m.group(1).replace("_", " "), text)
    return text

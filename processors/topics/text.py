"""Text preparation for the topic/geo models and the keyword extractor.

Three layers, all pure functions that never raise on any ``str``:

* :func:`strip_boilerplate` removes outlet-specific furniture (datelines, bylines, outlet and
  agency names, "read more" lines, hashtag marks) so models learn the story, not the outlet.
* :func:`normalise` folds orthographic variants (diacritics, tatweel, alef/ya/ta-marbuta, hamza
  carriers, Persian letters, digits) into one form used for features.
* :func:`light_stem` strips common clitics and suffixes (a light10-style stemmer) for word features.
"""

from __future__ import annotations

import re

MAX_FEATURE_CHARS = 1500  # the lead paragraphs carry the topic; 3000 chars scored the same cross-outlet at 2x cost
MAX_TITLE_CHARS = 1000  # headlines are short; anything longer is a misplaced body and gets cut
MIN_STEM_LEN = 2  # never strip a word below two letters: the remainder would be meaningless

# --- character-level folding ---------------------------------------------------------------------
_DIACRITICS = (
    "\u0610\u0611\u0612\u0613\u0614\u0615\u0616\u0617\u0618\u0619\u061a"
    + "".join(chr(c) for c in range(0x064B, 0x0660))
    + "\u0670\u06d6\u06d7\u06d8\u06d9\u06da\u06db\u06dc\u06df\u06e0\u06e1\u06e2\u06e3\u06e4\u06e7\u06e8\u06ea\u06eb\u06ec\u06ed"
)
_INVISIBLE = "\u0640\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\ufeff\u00ad"

_FOLD_TABLE: dict[int, str | None] = {ord(c): None for c in _DIACRITICS + _INVISIBLE}
_FOLD_TABLE.update(
    {
        ord("أ"): "ا",
        ord("إ"): "ا",
        ord("آ"): "ا",
        ord("ٱ"): "ا",
        ord("ٲ"): "ا",
        ord("ٳ"): "ا",
        ord("ى"): "ي",
        ord("ی"): "ي",
        ord("ې"): "ي",
        ord("ئ"): "ي",
        ord("ؤ"): "و",
        ord("ة"): "ه",
        ord("ۀ"): "ه",
        ord("ہ"): "ه",
        ord("ک"): "ك",
        ord("گ"): "ك",
        ord("ڤ"): "ف",
        ord("پ"): "ب",
        ord("چ"): "ج",
        ord("\u066b"): ".",
        ord("\u066c"): ",",
        ord("\u060c"): ",",
        ord("\u061b"): ";",
        ord("\u061f"): "?",
        ord("\u00a0"): " ",
        ord("\u2002"): " ",
        ord("\u2003"): " ",
        ord("\u2009"): " ",
        ord("\u202f"): " ",
    }
)
# Arabic-Indic and extended (Persian) digits -> ASCII, then every digit -> 0 so numbers share features.
for _base in (0x0660, 0x06F0):
    for _i in range(10):
        _FOLD_TABLE[_base + _i] = "0"
for _i in range(10):
    _FOLD_TABLE[ord("0") + _i] = "0"

# Lighter folding for human-facing keywords: drop diacritics/tatweel/invisibles and fold alef
# variants, but keep alef maqsura, ta marbuta and hamza carriers so tags stay readable.
_DISPLAY_TABLE: dict[int, str | None] = {ord(c): None for c in _DIACRITICS + _INVISIBLE}
_DISPLAY_TABLE.update(
    {
        ord("أ"): "ا",
        ord("إ"): "ا",
        ord("آ"): "ا",
        ord("ٱ"): "ا",
        ord("ی"): "ي",
        ord("ک"): "ك",
        ord("\u060c"): ",",
        ord("\u061b"): ";",
        ord("\u061f"): "?",
        ord("\u00a0"): " ",
    }
)
for _base in (0x0660, 0x06F0):
    for _i in range(10):
        _DISPLAY_TABLE[_base + _i] = str(_i)

# --- boilerplate ---------------------------------------------------------------------------------
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
_WS_RE = re.compile(r"[ \t\r\f\v]+")


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


def normalise(text: str) -> str:
    """Fold orthography for features: diacritics, tatweel, alef/ya/ta-marbuta, hamza seats, digits->0."""
    return _WS_RE.sub(" ", text.translate(_FOLD_TABLE).lower())


def display_normalise(text: str) -> str:
    """Light folding for human-facing output (keywords): no diacritics/tatweel, alef variants folded."""
    return text.translate(_DISPLAY_TABLE)


def prepare(title: str, body: str, *, max_chars: int = MAX_FEATURE_CHARS) -> str:
    """Boilerplate-stripped, normalised ``title + body`` text (body truncated) used by the models."""
    return prepare_clean(
        strip_boilerplate((title or "")[:MAX_TITLE_CHARS]),
        strip_boilerplate((body or "")[: max_chars * 2]),
        max_chars=max_chars,
    )


def prepare_clean(clean_title: str, clean_body: str, *, max_chars: int = MAX_FEATURE_CHARS) -> str:
    """:func:`prepare` for title/body already passed through :func:`strip_boilerplate`."""
    text = clean_body[:max_chars]
    if clean_title:
        text = clean_title + " \n " + text
    return normalise(text)


# --- tokens and light stemming -------------------------------------------------------------------
_TOKEN_RE = re.compile(r"[\u0621-\u064a]+|[a-z]+")
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و")  # light10 prefixes, longest first
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ي")  # light10 suffixes (normalised: ة->ه)


def tokens(normalised_text: str) -> list[str]:
    """Arabic-letter runs and Latin words of an already normalised text."""
    return _TOKEN_RE.findall(normalised_text)


def light_stem(token: str) -> str:
    """Light10-style stem: strip one leading clitic group and trailing suffixes, keeping >= 2 letters."""
    w = token
    for p in _PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= MIN_STEM_LEN + 1:
            w = w[len(p) :]
            break
    for s in _SUFFIXES:
        if len(w) - len(s) >= MIN_STEM_LEN and w.endswith(s):
            w = w[: -len(s)]
    return w

"""Which feeds to poll: ``feeds.toml`` read into frozen ``FeedConfig`` objects, and OPML exports turned into it.

    # feeds.toml
    [defaults]                  # optional: applied to every feed that does not set the key itself
    language = "ar"

    [[feeds]]
    url = "https://www.aljazeera.net/aljazeerarss/..."
    source = "الجزيرة"          # optional: the outlet's name; default the URL's host without www.
    interval = "5m"             # optional: seconds (90) or "90s", "15m", "2h", "1d"; default the global one
    fetch = "auto"              # optional: fetch article pages auto (when the item has no full text), always, never
    language = "ar"             # optional: ISO 639-1/2 code the outlet declares

Every mistake is reported with the file and line it is on (``feeds.toml:14: [[feeds]] #3: unknown key
'intervall' ...``), all of them in one ``FeedConfigError``, so a broken file is fixed in one pass.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from producers.ids import ID_HEX_DIGITS, canonical_url

FetchMode = Literal["auto", "always", "never"]
FETCH_MODES: tuple[FetchMode, ...] = ("auto", "always", "never")
# Fetch a page only when the feed item carries no full text: the documented behaviour, one request per teaser.
DEFAULT_FETCH: FetchMode = "auto"

FEED_KEYS = ("url", "source", "interval", "fetch", "language")
DEFAULT_KEYS = ("interval", "fetch", "language")
TOP_LEVEL_KEYS = ("feeds", "defaults")

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([smhd]?)\s*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_TOML_AT = re.compile(r"at line (\d+), column (\d+)")
_HEADER = re.compile(r"""^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$""")
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what TOML allows in neither comments nor basic strings


# --- validation of single values (shared by [[feeds]] and [defaults]) -------------------------------------------


def _parse_interval(value: object) -> float | None:
    """Seconds from ``90``, ``90.5``, ``"90"``, ``"90s"``, ``"15m"``, ``"2h"`` or ``"1d"``; > 0 and finite."""
    if value is None:
        return None
    if isinstance(value, bool):  # TOML true would otherwise pass as 1 second
        raise ValueError(f"interval {value!r} is not a duration: write seconds (90) or '90s', '15m', '2h'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"interval {value!r} is not a duration: write seconds (90) or '90s', '15m', '2h'")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(f"interval {value!r} is not a duration: write seconds (90) or '90s', '15m', '2h'")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"interval {value!r} must be more than 0 seconds")
    return seconds


def _check_language(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise ValueError(f"language {value!r} is not an ISO 639 code of 2-3 lower-case letters (e.g. 'ar')")
    return value


def _check_url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"url {value!r} is not a string")
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"url {url!r} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"url {url!r} is not an http(s) URL")
    if not parts.hostname:
        raise ValueError(f"url {url!r} has no host")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError(f"url {url!r} contains white space or control characters")
    return url


def _check_source(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"source {value!r} is not a string")
    source = _WS.sub(" ", value).strip()
    if not source:
        raise ValueError("source is empty: leave it out to use the URL's host")
    return source


Interval = Annotated[float | None, BeforeValidator(_parse_interval)]
Language = Annotated[str | None, BeforeValidator(_check_language)]


class FeedConfig(BaseModel):
    """One feed (RSS, Atom, RDF, JSON Feed or a news sitemap: the parser tells them apart by content)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: Annotated[str, BeforeValidator(_check_url)]
    source: Annotated[str | None, BeforeValidator(_check_source)] = None  # None: the URL's host without www.
    interval: Interval = None  # seconds between polls; None: the global default (akhbar.settings)
    fetch: FetchMode = DEFAULT_FETCH
    language: Language = None  # what the outlet is declared to publish in; the feed's own tag is a hint only

    @property
    def key(self) -> str:
        """The feed's stable id (the Kafka key of its state record): equivalent URLs give the same key."""
        basis = canonical_url(self.url) or self.url
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:ID_HEX_DIGITS]

    @property
    def name(self) -> str:
        """The outlet's name: ``source``, else the URL's host without ``www.``."""
        if self.source:
            return self.source
        host = (urlsplit(self.url).hostname or "").rstrip(".")
        return host[4:] if host.startswith("www.") else host


class _Defaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    interval: Interval = None
    fetch: FetchMode | None = None
    language: Language = None


class FeedConfigError(ValueError):
    """A feeds file (or OPML document) that cannot be used; ``problems`` holds one line per mistake, each naming
    the file and, where known, the line: ``feeds.toml:14: [[feeds]] #3: unknown key 'intervall' (...)``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# --- where things are in the text (tomllib gives no positions) ---------------------------------------------------


class _Layout:
    """Line numbers (1-based) of table headers and keys, found by scanning the text tomllib accepted."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, bool, tuple[str, ...]]] = []  # (line, is array, dotted name)
        inside: str | None = None  # the delimiter of a multi-line string we are in
        for number, line in enumerate(self.lines, start=1):
            if inside:
                if line.count(inside) % 2 == 1:
                    inside = None
                continue
            match = _HEADER.match(line)
            if match:
                name = tuple(part.strip().strip("\"'") for part in match.group(2).split("."))
                self.headers.append((number, match.group(1) == "[[", name))
                continue
            for delimiter in ('"""', "'''"):
                if line.count(delimiter) % 2 == 1:
                    inside = delimiter
                    break

    def _end(self, start: int) -> int:
        """The last line of the table whose header is on ``start``."""
        return next((line - 1 for line, _, _ in self.headers if line > start), len(self.lines))

    def feed_headers(self, count: int) -> list[int | None]:
        found = [line for line, array, name in self.headers if array and name == ("feeds",)]
        if len(found) == count:
            return list(found)
        return [self.top_level("feeds")] * count  # an inline array (feeds = [...]): where it starts

    def table(self, name: str) -> int | None:
        return next((line for line, array, n in self.headers if not array and n == (name,)), None)

    def key_in(self, start: int | None, key: str | None) -> int | None:
        """The line of ``key = ...`` (or ``[<table>.key]``) inside the table headed on ``start``; else ``start``."""
        if start is None or key is None:
            return start
        pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.]""")
        for number in range(start + 1, self._end(start) + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        for line, _, name in self.headers:
            if line > start and len(name) >= 2 and name[1] == key:
                return line
        return start

    def top_level(self, key: str) -> int | None:
        first = self.headers[0][0] if self.headers else len(self.lines) + 1
        pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.]""")
        for number in range(1, first):
            if pattern.match(self.lines[number - 1]):
                return number
        return next((line for line, _, name in self.headers if name[:1] == (key,)), None)


def _at(file: str, line: int | None) -> str:
    return f"{file}:{line}" if line is not None else file


def _suggest(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f", did you mean '{close[0]}'?" if close else ""
    return f"unknown key {key!r}{hint} (known: {', '.join(known)})"


def _problems(error: ValidationError, known: Sequence[str]) -> Iterator[tuple[str | None, str]]:
    """(key, message) for each of pydantic's errors, worded for a person editing the file."""
    for err in error.errors():
        key = str(err["loc"][0]) if err["loc"] else None
        kind = err["type"]
        if kind == "extra_forbidden" and key is not None:
            yield key, _suggest(key, known)
        elif kind == "missing":
            yield None, f"missing required key {key!r}"
        elif kind == "value_error" and "error" in err.get("ctx", {}):
            yield key, str(err["ctx"]["error"])
        elif kind == "literal_error":
            yield key, f"{key} {err['input']!r} is not one of: {', '.join(FETCH_MODES)}"
        else:
            yield key, f"{key}: {err['msg']} (got {err['input']!r})"


# --- loading ---------------------------------------------------------------------------------------------------------


def load_feeds(path: Path) -> tuple[FeedConfig, ...]:
    """The feeds of a ``feeds.toml`` file, in file order; ``FeedConfigError`` listing every mistake otherwise."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FeedConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from exc
    try:
        text = raw.decode("utf-8-sig")  # TOML is UTF-8; a BOM left by an editor is forgiven
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FeedConfigError([f"{path}:{line}: not UTF-8 text (byte {exc.start})"]) from exc
    return parse_feeds(text, str(path))


def parse_feeds(text: str, file: str = "feeds.toml") -> tuple[FeedConfig, ...]:
    """``load_feeds`` on text already read; ``file`` is the name the messages give."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_AT.search(str(exc))
        raise FeedConfigError([f"{_at(file, int(match.group(1)) if match else None)}: invalid TOML: {exc}"]) from exc

    layout = _Layout(text)
    report = _Report(file)

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            report.add(
                layout.top_level(key),
                f"unknown top-level key {key!r}: only [[feeds]] tables and [defaults] belong here",
            )

    defaults = _load_defaults(data.get("defaults"), layout, report)

    feeds = data.get("feeds")
    if feeds is None:
        feeds = []
    if not isinstance(feeds, list):
        report.add(layout.top_level("feeds"), "'feeds' must be a list of tables: write [[feeds]], not [feeds]")
        feeds = []
    elif not feeds:
        report.add(None, "no feeds: add at least one [[feeds]] table with a url")

    headers = layout.feed_headers(len(feeds))
    loaded: list[tuple[int, FeedConfig]] = []
    for number, (table, header) in enumerate(zip(feeds, headers, strict=True), start=1):
        label = f"[[feeds]] #{number}"
        if not isinstance(table, dict):
            report.add(header, f"{label}: is not a table (got {table!r})")
            continue
        try:
            feed = FeedConfig.model_validate({**defaults, **table})
        except ValidationError as exc:
            for field, message in _problems(exc, FEED_KEYS):
                report.add(layout.key_in(header, field) if field in table else header, f"{label}: {message}")
            continue
        loaded.append((number, feed))

    seen: dict[str, int] = {}
    for number, feed in loaded:
        first = seen.setdefault(feed.key, number)
        if first != number:
            there = layout.key_in(headers[first - 1], "url")
            there_text = f" (line {there})" if there is not None else ""
            report.add(
                layout.key_in(headers[number - 1], "url"),
                f"[[feeds]] #{number}: the same feed as [[feeds]] #{first}{there_text}: "
                f"both are {canonical_url(feed.url) or feed.url}",
            )

    report.raise_if_any()
    return tuple(feed for _, feed in loaded)


class _Report:
    """The mistakes found in one file, listed top to bottom whatever step found them."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[tuple[int, str]] = []

    def add(self, line: int | None, message: str) -> None:
        self.problems.append((line or 0, f"{_at(self.file, line)}: {message}"))

    def raise_if_any(self) -> None:
        if self.problems:
            raise FeedConfigError([message for _, message in sorted(self.problems, key=lambda p: p[0])])


def _load_defaults(value: object, layout: _Layout, report: _Report) -> dict[str, Any]:
    """The set values of ``[defaults]``; on a mistake it is reported and no defaults apply (one report, not N)."""
    if value is None:
        return {}
    header = layout.table("defaults")
    if not isinstance(value, dict):
        report.add(layout.top_level("defaults"), "'defaults' must be one table: write [defaults]")
        return {}
    try:
        return _Defaults.model_validate(value).model_dump(exclude_unset=True)
    except ValidationError as exc:
        for key, message in _problems(exc, DEFAULT_KEYS):
            report.add(layout.key_in(header, key) if key in value else header, f"[defaults]: {message}")
        return {}


# --- OPML ------------------------------------------------------------------------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _clean(text: str | None) -> str:
    return _WS.sub(" ", _CONTROL.sub(" ", text or "")).strip()


def _own_text(element: Any) -> str:
    """The element's text without unresolved entity references (``&xxe;`` stays out)."""
    return "".join([element.text or "", *(child.tail or "" for child in element)])


def _attrs(element: Any) -> Mapping[str, str]:
    """Attributes by lower-case local name: exporters write ``xmlUrl``, ``xmlurl`` and ``XMLURL``."""
    return {_local(name): value for name, value in element.attrib.items()}


def _feed_url(value: str) -> str:
    """``feed://host/x`` and ``feed:https://host/x`` (old browser pseudo-schemes) as http(s) URLs."""
    value = value.strip()
    if value.lower().startswith("feed:"):
        rest = value[5:]
        return rest if rest.lower().startswith(("http://", "https://")) else "http:" + rest
    return value


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, other text (Arabic) as is."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _outlines(parent: Any, folder: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    for child in parent:
        if _local(child.tag) != "outline":
            continue
        yield child, folder
        attrs = _attrs(child)
        label = _clean(attrs.get("text") or attrs.get("title"))
        yield from _outlines(child, (*folder, label) if label else folder)


def import_opml(data: bytes) -> str:
    """``feeds.toml`` text for the feeds of an OPML 1.0/2.0 subscription list (what feed readers export).

    Every ``<outline>`` with an ``xmlUrl`` becomes a ``[[feeds]]`` table with ``url`` and ``source`` (its
    ``text``, the name the reader shows, else ``title``) and ``language`` when it declares a usable one, under a
    comment naming its folder path; outlines without ``xmlUrl`` are folders. Repeated feeds (same key) are
    kept once; unusable URLs become comments. The XML is parsed without DTDs, entities or network access.
    """
    if not data or not data.strip():
        raise FeedConfigError(["OPML: the document is empty"])
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedConfigError([f"OPML: not well-formed XML: {exc}"]) from exc
    except ValueError as exc:  # e.g. a str with an encoding declaration, or bytes lxml refuses outright
        raise FeedConfigError([f"OPML: not an XML document: {exc}"]) from exc
    if root is None or _local(root.tag) != "opml":
        found = _local(root.tag) if root is not None else "nothing"
        raise FeedConfigError([f"OPML: not an OPML document: the root element is <{found}>, not <opml>"])
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise FeedConfigError(["OPML: not an OPML document: it has no <body>"])
    head = next((child for child in root if _local(child.tag) == "head"), None)
    title_el = next((c for c in head if _local(c.tag) == "title"), None) if head is not None else None
    title = _clean(_own_text(title_el)) if title_el is not None else ""

    blocks: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    duplicates = 0
    for outline, folder in _outlines(body, ()):
        attrs = _attrs(outline)
        raw_url = attrs.get("xmlurl")
        if raw_url is None or not raw_url.strip():
            continue
        name = _clean(attrs.get("text") or attrs.get("title")) or None
        language = _clean(attrs.get("language")).lower().replace("_", "-").split("-")[0] or None
        try:
            feed = FeedConfig(url=_feed_url(raw_url), source=name, language=language)
        except ValidationError:
            try:
                feed = FeedConfig(url=_feed_url(raw_url), source=name)
            except ValidationError as exc:
                reason = next((message for _, message in _problems(exc, FEED_KEYS)), "unusable")
                where = " / ".join((*folder, name or "(no name)"))
                skipped.append(f"# skipped {where}: {_clean(reason)}")
                continue
        if feed.key in seen:
            duplicates += 1
            continue
        seen.add(feed.key)
        lines = [f"# {' / '.join(folder)}"] if folder else []
        lines += ["[[feeds]]", f"url = {toml_string(feed.url)}"]
        if feed.source:
            lines.append(f"source = {toml_string(feed.source)}")
        if feed.language:
            lines.append(f"language = {toml_string(feed.language)}")
        blocks.append("\n".join(lines))

    if not blocks:
        raise FeedConfigError(["OPML: no feeds: no <outline> has a usable xmlUrl"] + [s[2:] for s in skipped])
    named = f" {title!r}" if title else ""
    header = [f"# Imported from the OPML subscription list{named}: {_count(len(blocks), 'feed')}."]
    if duplicates:
        header.append(f"# {_count(duplicates, 'repeated outline')} of a feed already listed left out.")
    if skipped:
        header.append(f"# {_count(len(skipped), 'outline')} could not be used:")
        header += skipped
    return "\n".join(header) + "\n\n" + "\n\n".join(blocks) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

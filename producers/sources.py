"""Sources: each yields raw items (bytes as read, plus where they came from); the producer validates them.

A source never parses or validates: that is ``producers.prepare``'s job, so a broken line becomes a dead
letter with its origin instead of an exception that stops the feed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from schemas import Reason

ARTICLE_SUFFIXES = (".json", ".jsonl", ".txt", ".html", ".htm")  # what scraped dumps are made of
DEFAULT_POLL_INTERVAL_S = 1.0  # a watched folder is checked once a second: new files show up within a second
SETTLE_S = 0.5  # a file modified more recently than this may still be being written: read it on the next scan
MAX_FILE_BYTES = 20 * 1024 * 1024  # a larger "article" file is a dump mistake; it is dead-lettered, not read


@dataclass(frozen=True)
class SourceItem:
    """One candidate article: either raw bytes (JSON to decode) or fields already extracted from a file."""

    origin: str
    payload: bytes | None = None
    fields: dict[str, Any] | None = None
    error: Reason | None = None  # set when the source could not even read it


class Source(Protocol):
    def __iter__(self) -> Iterator[SourceItem]: ...


@dataclass
class JsonLinesSource:
    """JSON lines from a file or a binary stream (stdin): one article object per line."""

    stream: BinaryIO
    name: str = "stdin"

    @classmethod
    def open(cls, path: str | Path) -> JsonLinesSource:
        if str(path) == "-":
            return cls(sys.stdin.buffer, "stdin")
        return cls(Path(path).open("rb"), str(path))

    def __iter__(self) -> Iterator[SourceItem]:
        for lineno, line in enumerate(self.stream, start=1):
            if line.strip():
                yield SourceItem(origin=f"{self.name}:{lineno}", payload=line.rstrip(b"\r\n"))


class _TextExtractor(HTMLParser):
    """Title and visible text of an HTML page, without scripts, styles and navigation chrome."""

    SKIP = frozenset({"script", "style", "noscript", "nav", "footer", "header", "aside", "form", "svg", "template"})
    BLOCK = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.body_parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._stack: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            a = {k: v or "" for k, v in attrs}
            key = a.get("property") or a.get("name") or ""
            if key in {"og:url", "og:title", "article:published_time", "og:site_name", "author", "date"}:
                self.meta[key] = a.get("content", "")
            return
        if tag == "link":
            a = {k: v or "" for k, v in attrs}
            if a.get("rel") == "canonical":
                self.meta["canonical"] = a.get("href", "")
            return
        if tag in self.SKIP:
            self._skip += 1
        self._stack.append(tag)
        if tag in self.BLOCK:
            self.body_parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        while self._stack:
            if self._stack.pop() == tag:
                break
        if tag in self.BLOCK:
            self.body_parts.append("\n")

    def handle_data(self, data: str) -> None:
        if "title" in self._stack:
            self.title_parts.append(data)
        elif self._skip:
            return
        elif "h1" in self._stack and not self.body_parts_has_text():
            self.h1_parts.append(data)
        else:
            self.body_parts.append(data)

    def body_parts_has_text(self) -> bool:
        return any(p.strip() for p in self.body_parts)


def html_to_fields(html: str) -> dict[str, Any]:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    title = " ".join("".join(parser.h1_parts).split()) or " ".join("".join(parser.title_parts).split())
    body = "\n".join(line.strip() for line in "".join(parser.body_parts).splitlines() if line.strip())
    fields: dict[str, Any] = {"title": title, "body": body}
    if url := parser.meta.get("canonical") or parser.meta.get("og:url"):
        fields["url"] = url
    if date := parser.meta.get("article:published_time") or parser.meta.get("date"):
        fields["published_at"] = date
    if site := parser.meta.get("og:site_name"):
        fields["source"] = site
    if author := parser.meta.get("author"):
        fields["author"] = author
    return fields


def text_to_fields(text: str) -> dict[str, Any]:
    """A scraped ``.txt``: optional ``key: value`` header lines (url, source, date, title), then the body.

    Without a header, the first non-empty line is the title and the rest the body.
    """
    lines = text.splitlines()
    fields: dict[str, Any] = {}
    header_keys = {
        "url": "url",
        "source": "source",
        "date": "published_at",
        "published_at": "published_at",
        "title": "title",
        "author": "author",
    }
    i = 0
    while i < len(lines) and ":" in lines[i] and lines[i].split(":", 1)[0].strip().lower() in header_keys:
        key, value = lines[i].split(":", 1)
        fields[header_keys[key.strip().lower()]] = value.strip()
        i += 1
    rest = lines[i:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    if "title" not in fields and rest:
        fields["title"] = rest[0].strip()
        rest = rest[1:]
    fields["body"] = "\n".join(rest).strip()
    return fields


def read_article_file(path: Path) -> Iterator[SourceItem]:
    """Items of one article file (.json may hold one object, a list of objects, or JSON lines)."""
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield SourceItem(origin=origin, payload=path.open("rb").read(4096), error=Reason.FILE_TOO_LARGE)
            return
        data = path.read_bytes()
    except OSError as exc:
        yield SourceItem(origin=origin, payload=str(exc).encode(), error=Reason.UNREADABLE_FILE)
        return
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        for lineno, line in enumerate(data.splitlines(), start=1):
            if line.strip():
                yield SourceItem(origin=f"{origin}:{lineno}", payload=line)
        return
    if suffix == ".json":
        try:
            value = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            yield SourceItem(origin=origin, payload=data)  # prepare() will name the exact problem
            return
        if isinstance(value, list):
            for n, item in enumerate(value):
                yield SourceItem(origin=f"{origin}[{n}]", payload=json.dumps(item, ensure_ascii=False).encode())
        else:
            yield SourceItem(origin=origin, payload=data)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        yield SourceItem(origin=origin, payload=data, error=Reason.INVALID_UTF8)
        return
    fields = html_to_fields(text) if suffix in (".html", ".htm") else text_to_fields(text)
    fields.setdefault("source", path.parent.name or "files")
    yield SourceItem(origin=origin, fields=fields)


@dataclass
class DirectorySource:
    """Article files in a folder (recursively). With ``watch``, keeps polling for new or changed files."""

    root: Path
    watch: bool = False
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    _seen: dict[Path, tuple[int, int]] = field(default_factory=dict)
    _stopped: bool = False

    def stop(self) -> None:
        self._stopped = True

    def scan(self) -> Iterable[Path]:
        """Files that are new or changed since the last scan, in name order."""
        changed = []
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() not in ARTICLE_SUFFIXES or not path.is_file() or path.name.startswith("."):
                continue
            st = path.stat()
            if self.watch and time.time() - st.st_mtime < SETTLE_S:
                continue
            sig = (st.st_mtime_ns, st.st_size)
            if self._seen.get(path) != sig:
                self._seen[path] = sig
                changed.append(path)
        return changed

    def __iter__(self) -> Iterator[SourceItem]:
        if not self.root.is_dir():
            raise FileNotFoundError(f"not a directory: {self.root}")
        while True:
            for path in self.scan():
                yield from read_article_file(path)
            if not self.watch or self._stopped:
                return
            time.sleep(self.poll_interval_s)
            if self._stopped:
                return

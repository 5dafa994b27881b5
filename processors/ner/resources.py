"""The lookup tables behind the NER features, and their loaders (stdlib only: gzip TSV files).

Tables in the model directory (built by ``training.ner``): word clusters (two clusterings), the gazetteer
(person-name tokens, place names, the WikiFANE/AQMAR entity lexicon) and the embedding type priors. A loader
raises :class:`~processors.model_files.ModelError` naming the file when it is missing or unreadable.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from processors.model_files import ModelError, require

CLUSTERS_FILE = "clusters.tsv.gz"
CLUSTERS2_FILE = "clusters2.tsv.gz"  # a second clustering (another seed)
GAZETTEER_FILE = "gazetteer.tsv.gz"
PRIORS_FILE = "priors.tsv.gz"

T = TypeVar("T")


@dataclass
class Resources:
    """Lookup tables behind the features (an empty table yields fewer features: training ablations use that)."""

    clusters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    person_tokens: dict[str, int] = field(default_factory=dict)  # normalised name token -> count bucket
    places: dict[str, str] = field(default_factory=dict)  # normalised token -> "S" single-word name / "P" part
    alt_clusters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a 2nd clustering (another seed)
    lexicon: dict[str, str] = field(default_factory=dict)  # stem -> "TYPE:bucket" from WikiFANE/AQMAR mentions
    priors: dict[str, str] = field(default_factory=dict)  # word -> "PERS:3|LOC:1" embedding-based type priors
    levels: tuple[int, ...] = (0, 1, 2, 3)  # which cluster levels to use for the current word
    ctx_levels: tuple[int, ...] = (1, 2)  # which cluster levels to use for neighbours


def _read(path: Path, parse: Callable[[Iterator[str]], T]) -> T:
    """``parse`` over the lines of a gzip text file; a missing or damaged file is a ModelError naming it."""
    require(path)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return parse(fh)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise ModelError(path, f"unreadable ({type(exc).__name__}: {exc})") from exc


def load_clusters(path: Path, counts: dict[str, int] | None = None) -> dict[str, tuple[str, ...]]:
    """Read a cluster table (``word<TAB>count<TAB>c1<TAB>c2...`` after a ``#count`` header line).

    Cluster ids are kept as strings (they become feature names). If ``counts`` is given it is filled with each
    word's corpus frequency (used to decide clitic splits).
    """

    def parse(fh: Iterator[str]) -> dict[str, tuple[str, ...]]:
        table: dict[str, tuple[str, ...]] = {}
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # identical id tuples share one object (~40% less RAM)
        header = next(fh, "")
        has_count = header.startswith("#count")  # only the first line is a header: words may start with '#'
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            if has_count:
                if counts is not None:
                    counts[parts[0]] = int(parts[1])
                ids = tuple(parts[2:])
            else:
                ids = tuple(parts[1:])
            table[parts[0]] = shared.setdefault(ids, ids)
        return table

    return _read(path, parse)


def load_gazetteer(path: Path) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """Read the gazetteer (``kind<TAB>token<TAB>value`` lines, kinds ``per``, ``loc`` and ``lex``)."""

    def parse(fh: Iterator[str]) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
        persons: dict[str, int] = {}
        places: dict[str, str] = {}
        lexicon: dict[str, str] = {}
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            kind, tok, val = parts
            if kind == "per":
                persons[tok] = int(val)
            elif kind == "loc":
                places[tok] = val
            elif kind == "lex":
                lexicon[tok] = val
        return persons, places, lexicon

    return _read(path, parse)


def load_priors(path: Path) -> dict[str, str]:
    """Read the type priors (``word<TAB>value`` lines)."""

    def parse(fh: Iterator[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                out[parts[0]] = parts[1]
        return out

    return _read(path, parse)

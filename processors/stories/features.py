"""What the story stage reads of an enriched article: time, keyword-term vector, word shingles' signature, entities.

Terms are the keyword extractor's normal form (``processors.topics.keywords.clauses``: orthography folded,
conjunction and preposition clitics folded, stopwords and numbers out), weighted by sublinear tf × idf against the
document frequencies shipped with the topic model, the headline counted twice, and L2-normalised. Two reports of
one event in their own words share its names and rare words (a place, a movement, "ممر", "هدنة"), which is what
this weighting keeps; shingles keep exact wording, which only copies share.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from processors.arabic import fold_for_keywords
from processors.stories.minhash import shingles, signature
from processors.topics.boilerplate import strip_boilerplate
from processors.topics.keywords import DocFreq, clauses

TERMS_MAX_CHARS = 3000  # the first ~500 words carry an article's who/where/what; bounds cost on long bodies
SHINGLE_MAX_CHARS = 12_000  # enough text for 2000 shingles
TOP_TERMS = 40  # terms kept per article vector: the tail of a tf-idf vector adds cost, not matches
TITLE_WEIGHT = 2.0  # a headline word counts as two body occurrences, as in the keyword extractor
ENTITY_FIELDS = ("persons", "organizations", "locations")
_WORD = re.compile(r"[\u0621-\u064a]+|[a-z0-9]+")


@dataclass(frozen=True)
class Features:
    article_id: str
    source: str
    title: str
    time: float  # epoch seconds: published_at, else fetched_at (when the event was reported)
    arrival: float  # epoch seconds: fetched_at (when it reached us): the window is counted in arrival time
    terms: dict[str, float]  # L2-normalised tf-idf, at most TOP_TERMS
    signature: np.ndarray  # MinHash of the body's word 3-shingles
    entities: dict[str, tuple[str, ...]]  # canonical names per type (persons, organizations, locations)
    topics: tuple[str, ...]
    geo_scope: str | None


def epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def term_vector(title: str, body: str, df: DocFreq, top: int = TOP_TERMS) -> dict[str, float]:
    tf: dict[str, float] = {}
    for text, weight in ((title, TITLE_WEIGHT), (body[:TERMS_MAX_CHARS], 1.0)):
        if not text:
            continue
        for run in clauses(strip_boilerplate(text), df.unigrams, df.token_cache):
            for word in run:
                if word:
                    tf[word] = tf.get(word, 0.0) + weight
    log_n = math.log(df.n_docs + 1) + 1.0
    get = df.unigrams.get
    weights = {w: (1.0 + math.log(n)) * (log_n - math.log(get(w, 0) + 1)) for w, n in tf.items()}
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]  # ties by term: deterministic
    norm = math.sqrt(sum(v * v for _, v in best)) or 1.0
    return {w: v / norm for w, v in best}


def body_signature(body: str) -> np.ndarray:
    words = _WORD.findall(fold_for_keywords(body[:SHINGLE_MAX_CHARS]).lower())
    return signature(shingles(words))


def features_of(doc: Mapping[str, Any], df: DocFreq) -> Features:
    """The features of an enriched article (a dict in the shape of ``EnrichedArticle``)."""
    arrival: float = epoch(doc.get("fetched_at")) or 0.0
    time: float = epoch(doc.get("published_at")) or arrival
    title, body = doc.get("title") or "", doc.get("body") or ""
    return Features(
        article_id=doc["id"],
        source=doc.get("source") or "",
        title=title,
        time=time,
        arrival=arrival,
        terms=term_vector(title, body, df),
        signature=body_signature(body),
        entities={f: tuple(dict.fromkeys(doc.get(f) or ())) for f in ENTITY_FIELDS},
        topics=tuple(t["label"] if isinstance(t, Mapping) else str(t) for t in doc.get("topics") or ()),
        geo_scope=doc.get("geo_scope"),
    )

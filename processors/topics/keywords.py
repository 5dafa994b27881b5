"""Keyword (tag) extraction: TF-IDF-weighted unigrams and bigrams against shipped document frequencies.

Tokens are put in *keyword normal form* (diacritics/tatweel removed, alef variants folded, Latin
lower-cased, conjunction/preposition clitics in front of the article folded:
"والحكومة", "بالحكومة", "للحكومة" -> "الحكومة"), stopwords and numbers are dropped, and candidates
are scored by ``tf * idf`` with title words counted extra. Bigrams (two adjacent content words in
the same clause) compete with unigrams and, when chosen, absorb their parts, so names such as
"الامم المتحدة" come out as one tag.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from processors.arabic import fold_for_keywords
from processors.topics.boilerplate import strip_boilerplate
from processors.topics.stopwords import is_stopword

DEFAULT_MAX_KEYWORDS = 10  # a tag cloud per article stays readable with about ten tags
KEYWORD_MAX_CHARS = 1800  # the first ~300 words name the story's key terms; bounds cost on huge bodies
TITLE_WEIGHT = 2.0  # a word in the headline counts as two occurrences in the body
BIGRAM_BOOST = 1.3  # prefer a specific two-word term over its single words at equal tf-idf
MIN_TOKEN_LEN = 3  # one- and two-letter Arabic tokens are clitics or fragments, not terms
MIN_BIGRAM_TF = 2  # a word pair unknown to the table must occur twice (headline + body counts) to be a term
MIN_BIGRAM_DF = 3  # bigram document frequencies below this are not shipped (noise, size)
TOKEN_CACHE_SIZE = 200_000  # bound on the raw-token -> keyword-form memo (about 30 MB)

_CLAUSE_SPLIT_RE = re.compile(r"[.!?؟,،;؛:\"'«»()\[\]{}<>/\\|\n\r\t…\-–—_*#=+]+")
_WORD_RE = re.compile(r"[\u0621-\u064a]+|[a-z][a-z0-9]+|[0-9]+")
_WORD_OR_BREAK_RE = re.compile(_CLAUSE_SPLIT_RE.pattern + "|" + _WORD_RE.pattern)  # one pass: words and clause breaks
_ARTICLE_CLITICS = ("وال", "بال", "فال", "كال")  # conjunction/preposition + article -> article


@dataclass(frozen=True)
class DocFreq:
    """Document frequencies of keyword-normal unigrams and bigrams over a reference corpus."""

    n_docs: int
    unigrams: Mapping[str, int] = field(default_factory=dict)
    bigrams: Mapping[str, int] = field(default_factory=dict)
    token_cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # raw -> normal form

    def idf(self, term: str, *, bigram: bool) -> float:
        """Smoothed inverse document frequency; unseen terms get the maximum."""
        df = (self.bigrams if bigram else self.unigrams).get(term, 0)
        return math.log((self.n_docs + 1) / (df + 1)) + 1.0


EMPTY_DF = DocFreq(n_docs=0)


def fold_clitics(word: str, unigrams: Mapping[str, int]) -> str:
    """Fold conjunction/preposition clitics when the folded form is the more frequent word.

    "والحكومة"/"بالحكومة"/"للحكومة" -> "الحكومة" and "وزير" stays "وزير" while "ووزير" -> "وزير"; the
    frequency check keeps names such as "فالنسيا" whole. With an empty table nothing is folded.
    """
    if not unigrams or len(word) < 4:
        return word
    own = unigrams.get(word, 0)
    candidates: list[str] = []
    for p in _ARTICLE_CLITICS:
        if word.startswith(p) and len(word) - len(p) >= 2:
            candidates.append("ال" + word[len(p) :])
            break
    if word.startswith("لل") and len(word) >= 5:
        candidates.append("ال" + word[2:])
    if word[0] in "وفب":
        candidates.append(word[1:])
    for c in candidates:
        if unigrams.get(c, 0) > own:
            return c
    return word


def _normal_token(w: str, unigrams: Mapping[str, int]) -> str:
    """Keyword normal form of one lower-cased, keyword-folded token, or "" for a non-term."""
    if w.isdigit():
        return ""
    w = fold_clitics(w, unigrams)
    if len(w) < MIN_TOKEN_LEN or is_stopword(w):
        return ""
    return w


def clauses(text: str, unigrams: Mapping[str, int], cache: dict[str, str] | None = None) -> list[list[str]]:
    """Keyword-normal token runs split at punctuation; stopwords and numbers become ``""`` gaps."""
    out: list[list[str]] = []
    memo: dict[str, str] = {} if cache is None else cache
    if len(memo) > TOKEN_CACHE_SIZE:
        memo.clear()
    run: list[str] = []
    for w in _WORD_OR_BREAK_RE.findall(fold_for_keywords(text).lower()):
        t = memo.get(w)
        if t is None:
            t = memo[w] = "\n" if _CLAUSE_SPLIT_RE.fullmatch(w) else _normal_token(w, unigrams)
        if t == "\n":
            if any(run):
                out.append(run)
            run = []
        else:
            run.append(t)
    if any(run):
        out.append(run)
    return out


def bigram_terms(run: list[str]) -> Iterable[str]:
    for a, b in itertools.pairwise(run):
        if a and b and a != b:
            yield a + " " + b


def extract_keywords(
    title: str, body: str, df: DocFreq, *, max_keywords: int = DEFAULT_MAX_KEYWORDS, clean: bool = False
) -> list[str]:
    """Top ``max_keywords`` key terms of an article, best first, in keyword normal form.

    ``clean=True`` means title and body already went through :func:`strip_boilerplate`.
    """
    if max_keywords <= 0:
        return []
    uni_tf: dict[str, float] = {}
    bi_tf: dict[str, float] = {}
    bi_seen: dict[str, int] = {}  # raw occurrences, headline included once
    for text, weight in (((title or "")[:KEYWORD_MAX_CHARS], TITLE_WEIGHT), ((body or "")[:KEYWORD_MAX_CHARS], 1.0)):
        if not text:
            continue
        words: list[str] = []
        pairs: list[str] = []
        for run in clauses(text if clean else strip_boilerplate(text), df.unigrams, df.token_cache):
            words.extend(run)
            pairs.extend(bigram_terms(run))
        for w, n in Counter(words).items():  # counting in C; "" gaps are dropped below
            if w:
                uni_tf[w] = uni_tf.get(w, 0.0) + n * weight
        for b, n in Counter(pairs).items():
            bi_tf[b] = bi_tf.get(b, 0.0) + n * weight
            bi_seen[b] = bi_seen.get(b, 0) + n
    scored: list[tuple[float, str, bool]] = []
    log_n = math.log(df.n_docs + 1) + 1.0
    log = math.log
    uni_get = df.unigrams.get
    bi_get = df.bigrams.get
    for w, tf in uni_tf.items():
        scored.append(((1.0 + log(tf)) * (log_n - log(uni_get(w, 0) + 1)), w, False))
    for b, tf in bi_tf.items():
        bdf = bi_get(b, 0)
        if bdf >= MIN_BIGRAM_DF:
            idf = log_n - log(bdf + 1)
        elif bi_seen[b] >= MIN_BIGRAM_TF:
            # an unseen pair is no rarer than its words: score it with their mean idf, not the maximum
            a, c = b.split(" ", 1)
            idf = log_n - 0.5 * (log(uni_get(a, 0) + 1) + log(uni_get(c, 0) + 1))
        else:
            continue
        scored.append(((1.0 + log(tf)) * idf * BIGRAM_BOOST, b, True))
    scored.sort(key=lambda x: (-x[0], x[1]))
    chosen: list[str] = []
    in_bigram: set[str] = set()  # words already inside a chosen bigram
    for _score, term, is_bigram in scored:
        if len(chosen) >= max_keywords:
            break
        if is_bigram:
            a, b = term.split(" ", 1)
            if a in in_bigram or b in in_bigram:
                continue
            chosen = [c for c in chosen if c not in (a, b)]
            in_bigram.update((a, b))
            chosen.append(term)
        elif term not in in_bigram and term not in chosen:
            chosen.append(term)
    return chosen[:max_keywords]

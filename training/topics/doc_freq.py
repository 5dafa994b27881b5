"""The keyword document-frequency table shipped in the topic bundle (built from the training articles).

Terms are counted in the run-time keyword normal form (``processors.topics.keywords.clauses``): a first pass
counts raw forms, the second folds clitics against those counts, as extraction does against the shipped table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from processors.topics.boilerplate import strip_boilerplate
from processors.topics.keywords import KEYWORD_MAX_CHARS, MIN_BIGRAM_DF, DocFreq, bigram_terms, clauses

MIN_UNIGRAM_DF = 2  # unigram document frequencies below this are not shipped (typos, size)
MAX_UNIGRAMS = 60000  # vocabulary cap keeping the shipped table around a megabyte compressed
MAX_BIGRAMS = 40000  # same for bigrams


def doc_terms(
    title: str, body: str, unigrams: Mapping[str, int], cache: dict[str, str] | None = None
) -> tuple[set[str], set[str]]:
    """Distinct unigrams and bigrams of one article (used to build the document-frequency table)."""
    text = strip_boilerplate((title or "") + "\n" + (body or "")[:KEYWORD_MAX_CHARS])
    uni: set[str] = set()
    bi: set[str] = set()
    for run in clauses(text, unigrams, cache):
        uni.update(w for w in run if w)
        bi.update(bigram_terms(run))
    return uni, bi


def build_doc_freq(articles: Iterable[tuple[str, str]]) -> DocFreq:
    """Document frequencies over ``(title, body)`` pairs, pruned to the shipped size (two passes over a list)."""
    docs = list(articles)
    raw: Counter[str] = Counter()
    memo: dict[str, str] = {}
    for title, body in docs:
        u, _ = doc_terms(title, body, {}, memo)
        raw.update(u)
    uni: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    memo = {}
    for title, body in docs:
        u, b = doc_terms(title, body, raw, memo)
        uni.update(u)
        bi.update(b)
    uni_kept = dict(
        sorted(((w, c) for w, c in uni.items() if c >= MIN_UNIGRAM_DF), key=lambda x: (-x[1], x[0]))[:MAX_UNIGRAMS]
    )
    bi_kept = dict(
        sorted(((w, c) for w, c in bi.items() if c >= MIN_BIGRAM_DF), key=lambda x: (-x[1], x[0]))[:MAX_BIGRAMS]
    )
    return DocFreq(n_docs=len(docs), unigrams=uni_kept, bigrams=bi_kept)

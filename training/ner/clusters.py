"""Distributional word clusters learnt from unlabelled Arabic text (the loader is ``processors.ner.resources``).

Method (a fast, deterministic stand-in for word2vec + k-means / Brown clusters):
  1. tokenise and fold every text (``processors.ner.tokens.normalize``), count words;
  2. build a positional co-occurrence matrix (contexts = (offset, word) for offsets -2, -1, +1, +2 over the
     most frequent context words);
  3. positive PMI with context-distribution smoothing, truncated SVD (randomised, seeded) -> word vectors;
  4. k-means (seeded) on the L2-normalised vectors at several granularities -> one cluster id per level.

The resulting ``word<TAB>c1<TAB>c2<TAB>...`` table (gzip) is what the tagger ships and uses as features.
Only numpy/scipy/scikit-learn are needed, and only to *build* the table; loading it needs the stdlib.
"""

from __future__ import annotations

import gzip
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from processors.ner.tokens import normalize, tokenize

log = logging.getLogger(__name__)

MIN_COUNT = 2  # words seen twice still get usable vectors; measured better than 4 (+1.7 sentence-level F1)
MAX_VOCAB = 200_000  # caps the shipped table at ~1.5 MB gzip (144k words reach MIN_COUNT)
N_CONTEXTS = 30_000  # most frequent words as contexts: enough for names' typical neighbours, fits in RAM
WINDOW = (-2, -1, 1, 2)  # positional contexts: left/right neighbours carry different (syntactic) signals
SVD_DIM = 128  # vector size; 100-300 is the usual range for PPMI-SVD, 128 keeps k-means quick on 2 cores
CDS_ALPHA = 0.75  # context distribution smoothing (Levy et al. 2015) reduces PMI's bias to rare contexts
CLUSTER_SIZES = (64, 256, 1024, 4096)  # coarse-to-fine levels, like prefixes of Brown cluster bit strings


def iter_corpus_texts(data_dir: Path) -> Iterator[str]:
    """Unlabelled texts used for clusters: SANAD Al-Khaleej, ANT v1, ANT multisource, NER corpora tokens.

    SaudiNewsNet is deliberately *not* read: its licence (CC BY-NC-SA, research only) forbids shipping a model
    derived from it.
    """
    import orjson

    topics = data_dir / "topics"
    for name in ("sanad_alkhaleej.jsonl", "ant_v1.jsonl", "ant_multisource.jsonl"):
        path = topics / name
        if not path.exists():
            log.warning("clusters: %s missing, skipped", path)
            continue
        with path.open("rb") as fh:
            for line in fh:
                rec = orjson.loads(line)
                for key in ("title", "text"):
                    val = rec.get(key)
                    if isinstance(val, str) and val:
                        yield val
    ner = data_dir / "ner"
    conll_files = [ner / "anercorp" / "train.txt", ner / "wikifane_gold" / "wikifane_gold.conll"]
    conll_files += sorted((ner / "aqmar" / "articles").glob("*.txt"))
    for path in conll_files:
        if not path.exists():
            continue
        words: list[str] = []
        with path.open(encoding="utf-8", errors="replace") as fh:
            for text_line in fh:
                parts = text_line.split()
                if not parts:
                    if words:
                        yield " ".join(words)
                    words = []
                else:
                    words.append(parts[0])
        if words:
            yield " ".join(words)


def build_clusters(
    texts: Iterable[str],
    out_path: Path,
    *,
    seed: int,
    sizes: tuple[int, ...] = CLUSTER_SIZES,
    vectors_out: Path | None = None,
    window: tuple[int, ...] = WINDOW,
    positional: bool = True,
) -> dict[str, tuple[int, ...]]:
    """Learn the cluster table from ``texts`` and write it to ``out_path`` (gzip TSV). Returns the table."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.utils.extmath import randomized_svd

    counts: Counter[str] = Counter()
    docs: list[list[str]] = []
    for t in texts:
        toks = [normalize(tok.text) for tok in tokenize(t)]
        counts.update(toks)
        docs.append(toks)
    vocab = [w for w, c in counts.most_common(MAX_VOCAB) if c >= MIN_COUNT]
    index = {w: i for i, w in enumerate(vocab)}
    n_ctx = min(N_CONTEXTS, len(vocab))
    log.info("clusters: %d docs, %d types, vocab %d", len(docs), len(counts), len(vocab))

    ids_list = [np.fromiter((index.get(w, -1) for w in d), dtype=np.int64, count=len(d)) for d in docs]
    sep = np.full(max(abs(o) for o in window), -1, dtype=np.int64)  # padding: windows never cross documents
    ids = np.concatenate([np.concatenate([x, sep]) for x in ids_list]) if ids_list else np.zeros(0, np.int64)
    del docs, ids_list
    rows_l, cols_l = [], []
    for k, off in enumerate(window):
        if off < 0:
            wi, ci = ids[-off:], ids[:off]
        else:
            wi, ci = ids[:-off], ids[off:]
        mask = (wi >= 0) & (ci >= 0) & (ci < n_ctx)
        rows_l.append(wi[mask])
        cols_l.append(ci[mask] + (k * n_ctx if positional else 0))
    rows = np.concatenate(rows_l)
    cols = np.concatenate(cols_l)
    data = np.ones(len(rows), dtype=np.float32)
    m = sp.coo_matrix((data, (rows, cols)), shape=(len(vocab), n_ctx * (len(window) if positional else 1))).tocsr()
    m.sum_duplicates()
    del rows, cols, data
    total = m.sum()
    row_sum = np.asarray(m.sum(axis=1)).ravel()
    col_sum = np.asarray(m.sum(axis=0)).ravel() ** CDS_ALPHA
    col_p = col_sum / col_sum.sum()
    coo = m.tocoo()
    pmi = np.log((coo.data / total) / ((row_sum[coo.row] / total) * col_p[coo.col]))
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep].astype(np.float32), (coo.row[keep], coo.col[keep])), shape=m.shape)
    log.info("clusters: PPMI nnz %d, SVD to %d dims", ppmi.nnz, SVD_DIM)
    u, s, _ = randomized_svd(ppmi, n_components=SVD_DIM, n_iter=5, random_state=seed)
    vec = u * np.sqrt(s)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True) + 1e-9
    if vectors_out is not None:
        np.savez_compressed(vectors_out, vectors=vec.astype(np.float32), words=np.array(vocab, dtype=object))
    levels = []
    for k in sizes:
        km = MiniBatchKMeans(n_clusters=k, random_state=seed, batch_size=4096, n_init=1, max_iter=50)
        levels.append(km.fit_predict(vec))
        log.info("clusters: k-means %d done", k)
    table = {w: tuple(int(lv[i]) for lv in levels) for i, w in enumerate(vocab)}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out_path, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("#count\t" + "\t".join(str(k) for k in sizes) + "\n")
        for w in vocab:
            fh.write(w + "\t" + str(counts[w]) + "\t" + "\t".join(str(c) for c in table[w]) + "\n")
    return table

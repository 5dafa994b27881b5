"""Character-aware neural tagger (char-CNN + word features + BiLSTM + CRF), combined with the feature CRF.

Per token the network sees
  * frozen PPMI-SVD word vectors (``training.ner.clusters``; normalised word, and its clitic-free stem), restricted to a
    shipped vocabulary and stored as int8 with a per-row scale;
  * learnt embeddings of the word-cluster ids (two clusterings, levels 256/1024/4096), so rare words outside
    the shipped vector vocabulary still carry distributional information;
  * a character CNN over the (diacritic-free, unfolded) spelling;
  * the CRF's gazetteer/lexicon/prior/shape/clitic signals as small embeddings.
The word vector is projected to 128 dimensions, a one-layer BiLSTM (100 units per direction) and a linear layer
give emission scores, and a CRF layer (transition matrix) is trained with the sequence NLL (Adam, dropout 0.5).
At run time the net's token posteriors (forward-backward) are averaged with the feature CRF's marginals
(computed in numpy from the crfsuite weights, :class:`CrfScorer`) and decoded with a BIO-constrained Viterbi.

torch is imported only inside functions: ``import processors.ner`` stays light.  Inference runs on CPU with
one thread; a per-surface-form cache holds each word's projected input vector, so a sentence costs only the
BiLSTM and the forward-backward passes; all sentences of an article are one padded batch.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from processors.arabic import DAGGER_ALEF, HARAKAT, TATWEEL
from processors.model_files import ModelError, require
from processors.ner.resources import Resources
from processors.ner.tokens import is_arabic_letter, normalize, split_clitics

LABELS = ("O", "B-PERS", "I-PERS", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC")
NEURAL_FILE = "neural.pt"  # torch state dict (float16) + vocabularies
VECTORS_SHIP_FILE = "wordvec.npz"  # shipped int8 word vectors for the restricted vocabulary
MAX_CHARS = 20  # characters per word seen by the char-CNN (longer words: first 10 + last 10)
CLUSTER_LEVELS = (1, 2, 3)  # cluster table levels (256/1024/4096) embedded, for each of the two clusterings
CACHE_MAX = 100_000  # distinct surface forms whose input vectors are cached (~60 MB per net), then cleared

_MARKS = str.maketrans("", "", HARAKAT + TATWEEL + DAGGER_ALEF)  # the char-CNN reads spelling without vowels


def _shape(norm: str) -> str:
    if norm.isdigit():
        return "D"
    if any(ch.isdigit() for ch in norm):
        return "Dx"
    ch = norm[0]
    if is_arabic_letter(ch):
        return "A"
    if ch.isalpha():
        return "L"
    return "P:" + ch


def _prior_vec(val: str | None) -> list[float]:
    out = [0.0, 0.0, 0.0, 0.0]
    if val:
        for part in val.split("|"):
            typ, _, b = part.partition(":")
            k = ("PERS", "LOC", "ORG", "MISC").index(typ) if typ in ("PERS", "LOC", "ORG", "MISC") else -1
            if k >= 0 and b.isdigit():
                out[k] = (int(b) + 1) / 5.0
    return out


CAT_NAMES = ("shape", "clitic", "gper", "gloc", "lex", "len")


class WordFeats:
    """Maps a surface token to the integer/float inputs of the network (vocabularies built at training)."""

    def __init__(self, res: Resources, word_index: dict[str, int], vocabs: dict[str, dict[str, int]]) -> None:
        self.res = res
        self.word_index = word_index  # normalised word -> row of the frozen vector table (0 = unknown)
        self.vocabs = vocabs  # "chars", "c{k}{lv}", and CAT_NAMES -> value -> id (0 = unknown/padding)

    def raw(self, tok: str) -> dict[str, Any]:
        """Symbolic features of one token (strings), before vocabulary lookup."""
        norm = normalize(tok) or tok or " "
        sp = split_clitics(norm)
        stem = sp.stem
        res = self.res
        out: dict[str, Any] = {"norm": norm, "stem": stem}
        spelled = tok.translate(_MARKS) or tok
        out["chars"] = spelled if len(spelled) <= MAX_CHARS else spelled[:10] + spelled[-10:]
        for k, table in ((1, res.clusters), (2, res.alt_clusters)):
            c = table.get(norm)
            if c is None and stem != norm:
                c = table.get(stem)
            for lv in CLUSTER_LEVELS:
                out[f"c{k}{lv}"] = c[lv] if c is not None and lv < len(c) else "<none>"
        out["shape"] = _shape(norm)
        out["clitic"] = sp.conj + "|" + sp.prep + "|" + sp.article
        pb = res.person_tokens.get(stem)
        if pb is None:
            pb = res.person_tokens.get(norm)
        out["gper"] = str(pb) if pb is not None else ""
        out["gloc"] = res.places.get(stem) or res.places.get(norm) or ""
        out["lex"] = res.lexicon.get(stem, "")
        out["len"] = str(min(len(stem), 10))
        pr = res.priors.get(norm)
        if pr is None and stem != norm:
            pr = res.priors.get(stem)
        out["prior"] = _prior_vec(pr)
        return out

    def ids(self, tok: str) -> tuple[int, int, list[int], list[int], list[float]]:
        """(word row, stem row, char ids, categorical ids, dense floats) for one token."""
        r = self.raw(tok)
        wi = self.word_index.get(r["norm"], 0)
        si = self.word_index.get(r["stem"], 0) if r["stem"] != r["norm"] else wi
        cv = self.vocabs["chars"]
        chars = [cv.get(ch, 1) for ch in r["chars"]]
        cats = [self.vocabs[name].get(r[name], 1) for name in self.cat_names()]
        dense = [*r["prior"], float(wi == 0), float(si == 0)]
        return wi, si, chars, cats, dense

    @staticmethod
    def cat_names() -> list[str]:
        return [f"c{k}{lv}" for k in (1, 2) for lv in CLUSTER_LEVELS] + list(CAT_NAMES)


N_DENSE = 6


def make_network(
    vectors: Any,
    vocabs: dict[str, dict[str, int]],
    hidden: int = 100,
    char_filters: int = 50,
    dropout: float = 0.5,
    proj: int = 128,
) -> Any:
    """The torch module (built lazily so that importing this file needs no torch)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wvec = nn.Embedding.from_pretrained(torch.as_tensor(vectors, dtype=torch.float32), freeze=True)
            wdim = self.wvec.embedding_dim
            self.cemb = nn.Embedding(len(vocabs["chars"]) + 2, 24, padding_idx=0)
            self.conv = nn.Conv1d(24, char_filters, 3, padding=1)
            self.cats = nn.ModuleList()
            cdim = 0
            for n in WordFeats.cat_names():
                d = 16 if n.startswith("c") and n[1].isdigit() else 8
                self.cats.append(nn.Embedding(len(vocabs[n]) + 2, d, padding_idx=0))
                cdim += d
            self.in_dim = 2 * wdim + char_filters + cdim + N_DENSE
            self.drop = nn.Dropout(dropout)
            self.wdrop = dropout
            # a linear bottleneck before the LSTM: its per-step input cost falls 3.5x (speed budget), F1 unchanged
            self.proj = nn.Linear(self.in_dim, proj)
            self.lstm = nn.LSTM(proj, hidden, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * hidden, len(LABELS))
            self.trans = nn.Parameter(torch.zeros(len(LABELS), len(LABELS)))
            self.start = nn.Parameter(torch.zeros(len(LABELS)))
            self.end = nn.Parameter(torch.zeros(len(LABELS)))

        def word_repr(self, wi: Any, si: Any, chars: Any, cats: Any, dense: Any) -> Any:
            """Per-word input vectors: wi/si (N,), chars (N, C), cats (N, K), dense (N, D) -> (N, in_dim)."""
            ce = self.cemb(chars).transpose(1, 2)  # N, 24, C
            ch = torch.relu(self.conv(ce))
            ch = ch.masked_fill((chars == 0).unsqueeze(1), 0.0).max(dim=2).values
            parts = [self.wvec(wi), self.wvec(si), ch]
            parts += [emb(cats[:, k]) for k, emb in enumerate(self.cats)]
            parts.append(dense)
            return torch.cat(parts, dim=1)

        def emissions(self, x: Any, lengths: Any) -> Any:
            """x (B, T, in_dim) -> emission scores (B, T, L)."""
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
            return self.out(self.drop(h))

        def nll(self, em: Any, y: Any, mask: Any) -> Any:
            """CRF negative log-likelihood summed over the batch."""
            b, t, _ = em.shape
            ar = torch.arange(b)
            score = self.start[y[:, 0]] + em[ar, 0, y[:, 0]]
            alpha = self.start.unsqueeze(0) + em[:, 0]
            for i in range(1, t):
                m = mask[:, i]
                step = self.trans[y[:, i - 1], y[:, i]] + em[ar, i, y[:, i]]
                score = score + step * m
                nxt = torch.logsumexp(alpha.unsqueeze(2) + self.trans.unsqueeze(0) + em[:, i].unsqueeze(1), dim=1)
                alpha = torch.where(m.unsqueeze(1) > 0, nxt, alpha)
            last = y[ar, mask.sum(1).long() - 1]
            score = score + self.end[last]
            logz = torch.logsumexp(alpha + self.end.unsqueeze(0), dim=1)
            return (logz - score).sum()

    return Net()


def word_tensors(wf: WordFeats, words: Sequence[str], cache: dict[str, Any]) -> tuple[Any, ...]:
    """Input tensors (word row, stem row, chars, categorical ids, dense) of distinct words."""
    import torch

    rows = []
    for tok in words:
        r = cache.get(tok)
        if r is None:
            r = wf.ids(tok)
            cache[tok] = r
        rows.append(r)
    n = len(rows)
    cmax = max((len(r[2]) for r in rows), default=1) or 1
    chars = np.zeros((n, cmax), dtype=np.int64)
    for k, r in enumerate(rows):
        chars[k, : len(r[2])] = r[2]
    wi = torch.tensor([r[0] for r in rows], dtype=torch.long)
    si = torch.tensor([r[1] for r in rows], dtype=torch.long)
    cats = torch.tensor([r[3] for r in rows], dtype=torch.long)
    dense = torch.tensor([r[4] for r in rows], dtype=torch.float32)
    return wi, si, torch.from_numpy(chars), cats, dense


def _fill_cache(reps: dict[str, np.ndarray], uniq: Iterable[str], compute: Callable[[list[str]], np.ndarray]) -> None:
    """Add the rows of the surface forms in ``uniq`` missing from ``reps`` (``compute(words)`` -> one row each).

    A cache that would grow past CACHE_MAX is emptied first, and all of ``uniq`` recomputed.
    """
    missing = [t for t in uniq if t not in reps]
    if not missing:
        return
    if len(reps) + len(missing) > CACHE_MAX:
        reps.clear()
        missing = list(uniq)
    for tok, row in zip(missing, compute(missing), strict=True):
        reps[tok] = row


def token_index(sents: Sequence[Sequence[str]]) -> tuple[dict[str, int], np.ndarray]:
    """Distinct tokens (in order of appearance) and the (B, T) index of each token into them."""
    uniq: dict[str, int] = {}
    for s in sents:
        for tok in s:
            if tok not in uniq:
                uniq[tok] = len(uniq)
    index = np.zeros((len(sents), max(len(s) for s in sents)), dtype=np.int64)
    for b, s in enumerate(sents):
        index[b, : len(s)] = [uniq[t] for t in s]
    return uniq, index


def crf_marginals_batch(
    em: np.ndarray, lengths: Sequence[int], trans: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Token posteriors (B, T, L) of a linear-chain CRF for padded emission scores ``em`` (B, T, L).

    ``trans`` is (L, L) or one matrix per sentence (B, L, L); ``start``/``end`` (L,) or (B, L).
    Scaled forward-backward in probability space (one small matrix product per position), vectorised over
    the sentences of a batch; positions past a sentence's length are garbage and must be ignored."""
    t = em.shape[1]
    e = np.exp(em - em.max(axis=2, keepdims=True))
    a_mat = np.exp(trans - trans.max(axis=(-2, -1), keepdims=True))
    per_row = a_mat.ndim == 3
    a_t = np.swapaxes(a_mat, -1, -2)
    lens = np.asarray(lengths)
    alpha = np.empty_like(e)
    beta = np.empty_like(e)
    x = np.exp(start - start.max(axis=-1, keepdims=True)) * e[:, 0]
    alpha[:, 0] = x / x.sum(axis=1, keepdims=True)
    for i in range(1, t):
        prev = alpha[:, i - 1]
        x = (np.matmul(prev[:, None, :], a_mat)[:, 0] if per_row else prev @ a_mat) * e[:, i]
        alpha[:, i] = x / x.sum(axis=1, keepdims=True)
    end_p = np.exp(end - end.max(axis=-1, keepdims=True))
    end_p = end_p / end_p.sum(axis=-1, keepdims=True)
    beta[:, t - 1] = end_p
    for i in range(t - 2, -1, -1):
        nxt = e[:, i + 1] * beta[:, i + 1]
        x = np.matmul(nxt[:, None, :], a_t)[:, 0] if per_row else nxt @ a_t
        x = x / x.sum(axis=1, keepdims=True)
        beta[:, i] = np.where((i + 1 < lens)[:, None], x, end_p)
    post = alpha * beta
    return post / post.sum(axis=2, keepdims=True)


def crf_marginals_groups(
    em: np.ndarray, lengths: Sequence[int], trans: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """:func:`crf_marginals_batch` for G CRFs over the same batch: ``em`` (G, B, T, L), ``trans`` (G, L, L),
    ``start``/``end`` (G, L) -> (G, B, T, L).  One (B, L) x (L, L) product per CRF and position."""
    t = em.shape[2]
    e = np.exp(em - em.max(axis=3, keepdims=True))
    a_mat = np.exp(trans - trans.max(axis=(1, 2), keepdims=True))
    a_t = np.swapaxes(a_mat, 1, 2)
    keep = (np.arange(t)[None, :] < np.asarray(lengths)[:, None])[None, :, :, None]  # 1, B, T, 1
    alpha = np.empty_like(e)
    beta = np.empty_like(e)
    x = np.exp(start - start.max(axis=1, keepdims=True))[:, None, :] * e[:, :, 0]
    alpha[:, :, 0] = x / x.sum(axis=2, keepdims=True)
    for i in range(1, t):
        x = np.matmul(alpha[:, :, i - 1], a_mat) * e[:, :, i]
        alpha[:, :, i] = x / x.sum(axis=2, keepdims=True)
    end_p = np.exp(end - end.max(axis=1, keepdims=True))
    end_p = (end_p / end_p.sum(axis=1, keepdims=True))[:, None, :]  # G, 1, L
    beta[:, :, t - 1] = end_p
    for i in range(t - 2, -1, -1):
        x = np.matmul(e[:, :, i + 1] * beta[:, :, i + 1], a_t)
        x = x / x.sum(axis=2, keepdims=True)
        beta[:, :, i] = np.where(keep[:, :, i + 1], x, end_p)
    post = alpha * beta
    return post / post.sum(axis=3, keepdims=True)


# BIO constraint: I-X may only follow B-X or I-X (and never starts a sentence).
_ALLOWED = np.array(
    [[not (b.startswith("I-") and a[2:] != b[2:]) for b in LABELS] for a in LABELS],
    dtype=bool,
)
_NEG = np.where(_ALLOWED, 0.0, -1e9)
_START = np.array([-1e9 if y.startswith("I-") else 0.0 for y in LABELS])


def viterbi_bio_batch(logp: np.ndarray, lengths: Sequence[int]) -> list[list[str]]:
    """BIO-constrained Viterbi for padded log-scores ``logp`` (B, T, L), one label list per sentence."""
    b, t, nl = logp.shape
    lens = np.asarray(lengths)
    score = logp[:, 0] + _START
    back = np.zeros((b, t, nl), dtype=np.int64)
    for i in range(1, t):
        cand = score[:, :, None] + _NEG
        back[:, i] = cand.argmax(axis=1)
        score = np.where((i < lens)[:, None], cand.max(axis=1) + logp[:, i], score)
    out: list[list[str]] = []
    best_last = score.argmax(axis=1)
    for k in range(b):
        n = int(lens[k])
        if n == 0:
            out.append([])
            continue
        cur = int(best_last[k])
        path = [cur]
        bk = back[k]
        for i in range(n - 1, 0, -1):
            cur = int(bk[i, cur])
            path.append(cur)
        out.append([LABELS[j] for j in reversed(path)])
    return out


class NeuralTagger:
    """Run-time wrapper: token posteriors for sentences (CPU, current torch thread setting)."""

    def __init__(self, net: Any, wf: WordFeats) -> None:
        import torch

        self.net = net.eval()
        self.wf = wf
        self.torch = torch
        self._reps: dict[str, np.ndarray] = {}  # surface form -> projected input vector
        self.trans = net.trans.detach().double().numpy()
        self.start = net.start.detach().double().numpy()
        self.end = net.end.detach().double().numpy()

    def posteriors_padded(self, sents: Sequence[Sequence[str]]) -> np.ndarray:
        """(B, T, L) label posteriors for non-empty sentences (padded to the longest).

        Each distinct surface form's projected input vector is computed once and cached: a sentence then costs
        the BiLSTM and the forward-backward only."""
        torch = self.torch
        net = self.net
        uniq, index = token_index(sents)
        reps = self._reps
        with torch.inference_mode():
            _fill_cache(reps, uniq, lambda words: net.proj(net.word_repr(*word_tensors(self.wf, words, {}))).numpy())
            x = torch.from_numpy(np.stack([reps[t] for t in uniq]))[torch.from_numpy(index)]
            lengths = torch.tensor([len(s) for s in sents], dtype=torch.long)
            em = net.emissions(x, lengths).double().numpy()
        return crf_marginals_batch(em, [len(s) for s in sents], self.trans, self.start, self.end)

    def posteriors(self, sents: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """(T, L) label posteriors per sentence (empty sentences -> (0, L))."""
        nonempty = [s for s in sents if s]
        out: list[np.ndarray] = []
        post = self.posteriors_padded(nonempty) if nonempty else None
        k = 0
        for s in sents:
            if s and post is not None:
                out.append(post[k, : len(s)])
                k += 1
            else:
                out.append(np.zeros((0, len(LABELS))))
        return out


class NeuralEnsemble:
    """Several nets over one batch: their per-word projected input vectors share one cache (one row per surface
    form), then each net's BiLSTM runs.  (Fusing the BiLSTMs into one block-diagonal LSTM was measured slower:
    at 2 x 100 units the recurrent matrix products, not the per-step overhead, dominate.)"""

    def __init__(self, taggers: Sequence[NeuralTagger]) -> None:
        import torch

        self.torch = torch
        self.taggers = list(taggers)
        self.wf = taggers[0].wf
        self.nets = [t.net for t in taggers]
        self.dim = self.nets[0].proj.out_features
        self.trans = np.stack([t.trans for t in taggers])
        self.start = np.stack([t.start for t in taggers])
        self.end = np.stack([t.end for t in taggers])
        self._reps: dict[str, np.ndarray] = {}

    def emissions(self, sents: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Each net's (B, T, L) emission scores for non-empty sentences."""
        torch = self.torch
        uniq, index = token_index(sents)
        reps = self._reps

        def compute(words: list[str]) -> np.ndarray:
            inputs = word_tensors(self.wf, words, {})
            return torch.cat([n.proj(n.word_repr(*inputs)) for n in self.nets], dim=1).numpy()

        with torch.inference_mode():
            _fill_cache(reps, uniq, compute)
            x = torch.from_numpy(np.stack([reps[t] for t in uniq]))[torch.from_numpy(index)]
            lengths = torch.tensor([len(s) for s in sents], dtype=torch.long)
            d = self.dim
            out = [
                net.emissions(x[..., j * d : (j + 1) * d], lengths).double().numpy() for j, net in enumerate(self.nets)
            ]
        return out


class CrfScorer:
    """The feature CRF's token marginals computed in numpy from its weights (same numbers as crfsuite's).

    A position's attributes are the word's own list plus its neighbours' views and two stem bigrams
    (``Featurizer.sentence``), so the state score of a position is a sum of per-word weight vectors (cached per
    surface form) and a few lookups: ~5x cheaper than feeding crfsuite attribute strings one sentence at a time.
    """

    def __init__(self, crf: Any, featurizer: Any) -> None:
        info = crf.info()
        self.featurizer = featurizer
        lab = {y: i for i, y in enumerate(LABELS)}
        w: dict[str, np.ndarray] = {}
        for (attr, y), val in info.state_features.items():
            if y in lab:
                w.setdefault(attr, np.zeros(len(LABELS)))[lab[y]] = val
        self.w = w
        self.trans = np.zeros((len(LABELS), len(LABELS)))
        for (a, b), val in info.transitions.items():
            if a in lab and b in lab:
                self.trans[lab[a], lab[b]] = val
        known = set(crf.labels())
        self.mask = np.array([0.0 if y in known else -1e9 for y in LABELS])  # labels the CRF never saw
        self.zero = np.zeros(len(LABELS))
        self._words: dict[str, tuple[np.ndarray, str]] = {}

    def _vec(self, attrs: Sequence[str]) -> np.ndarray:
        out = self.zero.copy()
        w = self.w
        for a in attrs:
            v = w.get(a)
            if v is not None:
                out += v
        return out

    def _word(self, tok: str) -> tuple[np.ndarray, str]:
        hit = self._words.get(tok)
        if hit is None:
            f0, m1, p1, m2, p2, stem = self.featurizer._word(tok)
            hit = (np.stack([self._vec(["b", *f0]), self._vec(m1), self._vec(p1), self._vec(m2), self._vec(p2)]), stem)
            if len(self._words) >= CACHE_MAX:
                self._words.clear()
            self._words[tok] = hit
        return hit

    def emissions(self, tokens: Sequence[str]) -> np.ndarray:
        """(n, L) state scores of one sentence."""
        n = len(tokens)
        ws = [self._word(t) for t in tokens]
        a = np.stack([x[0] for x in ws])  # n, 5, L
        w = self.w
        zero = self.zero
        em = a[:, 0] + self.mask
        em[1:] += a[:-1, 1]
        em[0] += w.get("BOS", zero)
        em[:-1] += a[1:, 2]
        em[-1] += w.get("EOS", zero)
        em[2:] += a[:-2, 3]
        if n > 1:
            em[1] += w.get("BOS2", zero)
            em[-2] += w.get("EOS2", zero)
        em[:-2] += a[2:, 4]
        for i in range(1, n):
            v = w.get("bg-=" + ws[i - 1][1] + "|" + ws[i][1])
            if v is not None:
                em[i] += v
            v = w.get("bg+=" + ws[i - 1][1] + "|" + ws[i][1])
            if v is not None:
                em[i - 1] += v
        return em

    def emissions_padded(self, chunks: Sequence[Sequence[str]]) -> np.ndarray:
        """(B, T, L) state scores for non-empty sentences (zeros past each one's end)."""
        t = max(len(c) for c in chunks)
        em = np.zeros((len(chunks), t, len(LABELS)))
        for k, c in enumerate(chunks):
            em[k, : len(c)] = self.emissions(c)
        return em


def ensemble_decode_fast(
    crf: CrfScorer, nets: NeuralEnsemble, chunks: Sequence[Sequence[str]], crf_weight: float
) -> list[list[str]]:
    """The ensemble's tags: CRF state scores from :class:`CrfScorer`, the nets run fused,
    and one forward-backward pass over all of them (stacked along the batch axis)."""
    lens = [len(c) for c in chunks]
    ems = np.stack([*nets.emissions(chunks), crf.emissions_padded(chunks)])
    k = len(ems) - 1
    zero = np.zeros((1, len(LABELS)))
    trans = np.concatenate([nets.trans, crf.trans[None]])
    post = crf_marginals_groups(ems, lens, trans, np.concatenate([nets.start, zero]), np.concatenate([nets.end, zero]))
    mix = post[k] * crf_weight
    for j in range(k):
        mix += post[j] * ((1.0 - crf_weight) / k)
    return viterbi_bio_batch(np.log(mix + 1e-9), lens)


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Inverse of ``training.ner.fit_neural.quantize``; row 0 of the returned table is the all-zero "unknown word" vector."""
    table = q.astype(np.float32) * scale.astype(np.float32)[:, None]
    return np.concatenate([np.zeros((1, table.shape[1]), np.float32), table])


def _load_arrays(path: Path) -> tuple[list[str], np.ndarray]:
    """The shipped vocabulary and its word-vector table (row 0 = unknown) from ``wordvec.npz``."""
    try:
        with require(path).open("rb") as fh, np.load(fh) as data:  # fh: closed even when not a zip
            return str(data["words"]).split("\n"), dequantize(data["q"], data["scale"])
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelError(path, f"unreadable ({type(exc).__name__}: {exc})") from exc


def load_model(model_dir: Path, res: Resources) -> tuple[list[NeuralTagger], float]:
    """The shipped nets (one per training seed; one frozen word table, one featuriser) and the CRF's weight."""
    import torch

    words, table = _load_arrays(model_dir / VECTORS_SHIP_FILE)
    windex = {w: i + 1 for i, w in enumerate(words)}
    path = require(model_dir / NEURAL_FILE)
    try:
        payload = torch.load(path, weights_only=True)
        vocabs = payload["vocabs"]
        cfg = payload["config"]
        states = payload["states"]
    except (OSError, EOFError, ValueError, KeyError, TypeError, RuntimeError, pickle.UnpicklingError) as exc:
        raise ModelError(path, f"unreadable ({type(exc).__name__}: {exc})") from exc
    wf = WordFeats(res, windex, vocabs)
    out = []
    shared = torch.from_numpy(table)
    for st in states:
        net = make_network(
            np.zeros((1, table.shape[1]), np.float32),
            vocabs,
            hidden=int(cfg["hidden"]),
            char_filters=int(cfg.get("char_filters", 50)),
        )
        net.wvec = torch.nn.Embedding.from_pretrained(shared, freeze=True)
        try:
            missing = net.load_state_dict({k: v.float() for k, v in st.items()}, strict=False).missing_keys
        except RuntimeError as exc:  # shapes that do not fit the configuration
            raise ModelError(path, f"weights do not fit the network ({exc})") from exc
        if set(missing) - {"wvec.weight"}:  # the frozen table comes from wordvec.npz, everything else must be here
            raise ModelError(path, f"missing weights {sorted(missing)}")
        out.append(NeuralTagger(net, wf))
    return out, float(cfg.get("crf_weight", 0.5))

"""Training side of the BiLSTM-CRF (``processors.ner.neural`` holds the network and its run-time use).

Vocabularies of the training sentences, the training loop (Adam, dropout 0.5, CRF sequence NLL), the shipped
int8 word-vector table, saving ``neural.pt`` + ``wordvec.npz``, and the reference (crfsuite-marginal) ensemble
decoding used for dev figures.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from processors.ner.neural import (
    LABELS,
    NEURAL_FILE,
    VECTORS_SHIP_FILE,
    NeuralTagger,
    WordFeats,
    dequantize,
    make_network,
    token_index,
    viterbi_bio_batch,
    word_tensors,
)

log = logging.getLogger(__name__)


def build_vocabs(wf: WordFeats, sents: Sequence[Sequence[str]]) -> dict[str, dict[str, int]]:
    """Vocabularies (0 = padding, 1 = unknown) of characters and categorical features seen in training."""
    counts: dict[str, dict[str, int]] = {n: {} for n in ["chars", *wf.cat_names()]}
    seen: set[str] = set()
    for s in sents:
        for tok in s:
            if tok in seen:
                continue
            seen.add(tok)
            r = wf.raw(tok)
            for ch in r["chars"]:
                counts["chars"][ch] = counts["chars"].get(ch, 0) + 1
            for n in wf.cat_names():
                counts[n][r[n]] = counts[n].get(r[n], 0) + 1
    vocabs: dict[str, dict[str, int]] = {}
    for n, d in counts.items():
        keep = sorted(v for v, c in d.items() if c >= (2 if n == "chars" else 1))
        vocabs[n] = {v: i + 2 for i, v in enumerate(keep)}
    return vocabs


def _batch_tensors(wf: WordFeats, sents: Sequence[Sequence[str]], cache: dict[str, Any]) -> tuple[Any, ...]:
    """Distinct-word input tensors plus the (B, T) index of each token into them and the lengths."""
    import torch

    uniq, index = token_index(sents)
    lengths = torch.tensor([len(s) for s in sents], dtype=torch.long)
    return (*word_tensors(wf, list(uniq), cache), torch.from_numpy(index), lengths)


def train_network(
    wf: WordFeats,
    vectors: Any,
    sents: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    *,
    seed: int,
    epochs: int = 25,
    batch_size: int = 16,
    lr: float = 2e-3,
    hidden: int = 100,
    char_filters: int = 50,
    eval_fn: Callable[[Any, int], None] | None = None,
    decay: bool = True,
    word_dropout: float = 0.0,
    swa_last: int = 0,
    init: Any = None,
) -> Any:
    """Train the BiLSTM-CRF (Adam, dropout 0.5, sentences shuffled per epoch with ``seed``).

    ``swa_last``: return the average of the weights after each of the last ``swa_last`` epochs (stochastic weight
    averaging: the decayed-rate epochs sit in one basin, their mean tags like an ensemble at the cost of one net)."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    # ``init``: a net trained before (on other sentences) to go on from, with a fresh optimiser and schedule
    net = init if init is not None else make_network(vectors, wf.vocabs, hidden=hidden, char_filters=char_filters)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    lab = {y: i for i, y in enumerate(LABELS)}
    data = [(list(s), [lab.get(y, 0) for y in ys]) for s, ys in zip(sents, tags, strict=True) if s]
    cache: dict[str, Any] = {}
    swa: dict[str, Any] | None = None
    n_swa = 0
    for ep in range(epochs):
        t0 = time.time()
        net.train()
        if decay:  # linear decay to 10% of the rate: the last epochs settle instead of jumping around
            for g in opt.param_groups:
                g["lr"] = lr * (1.0 - 0.9 * ep / max(1, epochs - 1))
        # batches of similar length (less padding), in random order
        order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), rng.random()))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        rng.shuffle(batches)
        total = 0.0
        for bidx in batches:
            bs = [data[i][0] for i in bidx]
            wi, si, chars, cats, dense, index, lengths = _batch_tensors(wf, bs, cache)
            if word_dropout > 0:  # hide some words' vectors: teaches the net to use clusters/chars for rare words
                hide = torch.rand(wi.shape[0]) < word_dropout
                wi, si = wi.masked_fill(hide, 0), si.masked_fill(hide, 0)
                dense = dense.clone()
                dense[hide, 4:6] = 1.0
            reps = net.word_repr(wi, si, chars, cats, dense)
            x = net.proj(net.drop(reps))[index]
            em = net.emissions(x, lengths)
            y = torch.zeros(index.shape, dtype=torch.long)
            mask = torch.zeros(index.shape, dtype=torch.float32)
            for b, i in enumerate(bidx):
                y[b, : len(data[i][1])] = torch.tensor(data[i][1])
                mask[b, : len(data[i][1])] = 1.0
            loss = net.nll(em, y, mask) / len(bidx)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            total += float(loss.detach()) * len(bidx)
        log.info("epoch %d loss %.3f (%.0fs)", ep + 1, total / len(data), time.time() - t0)
        if eval_fn is not None:
            eval_fn(net, ep + 1)
        if swa_last and ep >= epochs - swa_last:
            cur = {k: v.detach().clone() for k, v in net.state_dict().items()}
            if swa is None:
                swa = cur
            else:
                for k, v in cur.items():
                    swa[k] += v
            n_swa += 1
    if swa is not None:
        net.load_state_dict({k: v / n_swa for k, v in swa.items()})
        if eval_fn is not None:
            eval_fn(net, epochs + 1)
    net.eval()
    return net


def ensemble_decode(
    crf: Any, featurizer: Any, nets: Sequence[NeuralTagger], chunks: Sequence[Sequence[str]], crf_weight: float
) -> list[list[str]]:
    """Average the feature CRF's marginals (weight ``crf_weight``) with the nets' posteriors (equal shares of the
    rest) and decode each chunk with the BIO-constrained Viterbi.  ``crf``: an open ``pycrfsuite.Tagger``."""
    post = nets[0].posteriors_padded(chunks)
    for net in nets[1:]:
        post += net.posteriors_padded(chunks)
    post *= (1.0 - crf_weight) / len(nets)
    known = set(crf.labels())
    labs = [y for y in LABELS if y in known]
    cols = [LABELS.index(y) for y in labs]
    for k, chunk in enumerate(chunks):
        crf.set(featurizer.sentence(chunk))
        marg = crf.marginal
        n = len(chunk)
        m = np.array([marg(y, i) for i in range(n) for y in labs]).reshape(n, len(labs))
        if len(labs) == len(LABELS):
            post[k, :n] += crf_weight * m
        else:
            post[k, :n][:, cols] += crf_weight * m
    return viterbi_bio_batch(np.log(post + 1e-9), [len(c) for c in chunks])


def load_word_vectors(path: Path) -> tuple[list[str], np.ndarray]:
    """The training-time PPMI-SVD vectors (``clusters.py``), words in corpus-frequency order."""
    data = np.load(path, allow_pickle=True)
    return [str(w) for w in data["words"]], data["vectors"].astype(np.float32)


def quantize(vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows with a float16 per-row scale (a 4x smaller table; error ~0.4% of each row's largest entry)."""
    scale = np.abs(vecs).max(axis=1) / 127.0 + 1e-12
    scale = scale.astype(np.float16).astype(np.float32)
    q = np.clip(np.rint(vecs / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float16)


def ship_vectors(vectors_path: Path, vocab_size: int) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """The ``vocab_size`` most frequent words: (word -> row, float table as used by the network, int8, scales)."""
    words, vecs = load_word_vectors(vectors_path)
    words, vecs = words[:vocab_size], vecs[:vocab_size]
    q, scale = quantize(vecs)
    return {w: i + 1 for i, w in enumerate(words)}, dequantize(q, scale), q, scale


def save_model(
    out_dir: Path,
    nets: Sequence[Any],
    vocabs: dict[str, dict[str, int]],
    windex: dict[str, int],
    q: Any,
    scale: Any,
    config: dict[str, Any],
) -> None:
    """Write ``neural.pt`` (float16 weights of every net, vocabularies, config) and ``wordvec.npz``."""
    import torch

    words = [w for w, _ in sorted(windex.items(), key=lambda kv: kv[1])]
    np.savez_compressed(out_dir / VECTORS_SHIP_FILE, q=q, scale=scale, words=np.array("\n".join(words)))
    states = []
    for net in nets:
        module = net.net if isinstance(net, NeuralTagger) else net
        st = {k: v.detach().to(torch.float16) for k, v in module.state_dict().items() if k != "wvec.weight"}
        states.append(st)
    payload = {"states": states, "vocabs": vocabs, "config": config}
    torch.save(payload, out_dir / NEURAL_FILE)

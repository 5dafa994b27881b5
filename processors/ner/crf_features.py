"""CRF features for Arabic NER: lexical (normalised word, clitic-stripped stem, affixes, shape), distributional
(word clusters at several granularities, two clusterings; embedding type priors), gazetteers (person-name tokens,
country names, a WikiFANE/AQMAR entity lexicon), in a +-2 window.

Speed matters (the whole enrichment step must tag >= 20k tokens/s on one core), so all per-word features are
computed once per distinct surface string and cached; a sentence's features are then list concatenations.
"""

from __future__ import annotations

from collections.abc import Sequence

from processors.ner.resources import Resources
from processors.ner.tokens import is_arabic_letter, normalize, split_clitics

FEATURE_CACHE_MAX = 300_000  # distinct surface forms kept; ~150 MB worst case, cleared wholesale when full
PERSON_COUNT_BUCKETS = (1, 5, 50)  # Wikidata token frequency thresholds -> rare / seen / common / very common


def _shape(word: str) -> str:
    if word.isdigit():
        return "D"
    if any(ch.isdigit() for ch in word):
        return "Dx"
    ch = word[0]
    if is_arabic_letter(ch):
        return "A"
    if ch.isalpha():
        return "L" + ("u" if ch.isupper() else "l")
    return "P:" + ch  # punctuation keeps its identity: quotes, brackets and dashes matter around names


class Featurizer:
    """Turns token sequences into crfsuite attribute lists, with a per-surface-form cache."""

    def __init__(self, res: Resources, keep: frozenset[str] | None = None) -> None:
        """``keep``: the attributes a trained model actually weights (L1 leaves ~30k); others are dropped
        up front, which makes tagging ~2x faster and changes nothing in the output."""
        self.res = res
        self.keep = keep
        self._cache: dict[str, tuple[list[str], list[str], list[str], list[str], list[str], str]] = {}

    def _cluster(self, norm: str, stem: str) -> tuple[str, ...] | None:
        c = self.res.clusters.get(norm)
        if c is None and stem != norm:
            c = self.res.clusters.get(stem)
        return c

    def _word(self, tok: str) -> tuple[list[str], list[str], list[str], list[str], list[str], str]:
        hit = self._cache.get(tok)
        if hit is not None:
            return hit
        norm = normalize(tok) or tok
        sp = split_clitics(norm)
        stem = sp.stem
        shape = _shape(norm)
        f0 = [
            "w=" + norm,
            "s=" + stem,
            "sh=" + shape,
            "p1=" + stem[:1],
            "p2=" + stem[:2],
            "p3=" + stem[:3],
            "x1=" + norm[-1:],
            "x2=" + norm[-2:],
            "x3=" + norm[-3:],
            "len=" + str(min(len(stem), 8)),
            "cl=" + sp.conj + "|" + sp.prep + "|" + sp.article,
        ]
        if tok != norm:
            f0.append("raw=" + tok)  # hamza/ta-marbuta spelling is informative (e.g. ة ends feminine nouns)
        c = self._cluster(norm, stem)
        res = self.res
        if c is not None:
            f0.extend(f"c{lv}={c[lv]}" for lv in res.levels if lv < len(c))
        else:
            f0.append("c=none")
        if stem != norm:
            cs = res.clusters.get(stem)
            if cs is not None:
                f0.extend(f"cs{lv}={cs[lv]}" for lv in res.levels if lv < len(cs))
        wc = res.alt_clusters.get(norm)
        if wc is None and stem != norm:
            wc = res.alt_clusters.get(stem)
        if wc is not None:
            f0.extend(f"wc{lv}={x}" for lv, x in enumerate(wc))
        pb = res.person_tokens.get(stem)
        if pb is None:
            pb = res.person_tokens.get(norm)
        if pb is not None:
            f0.append(f"gper={pb}")
        pl = res.places.get(stem) or res.places.get(norm)
        if pl is not None:
            f0.append("gloc=" + pl)
        lx = res.lexicon.get(stem)
        if lx is not None:
            f0.append("lex=" + lx)
            f0.append("lext=" + lx.split(":")[0])
        pr = res.priors.get(norm)
        if pr is None and stem != norm:
            pr = res.priors.get(stem)
        if pr is not None:
            f0.extend("ep=" + x for x in pr.split("|"))
        # Neighbour views: fewer, more general attributes.
        ctx = ["w=" + norm, "s=" + stem, "sh=" + shape]
        if c is not None:
            ctx.extend(f"c{lv}={c[lv]}" for lv in res.ctx_levels if lv < len(c))
        if wc is not None and len(wc) > 1:
            ctx.append(f"wc1={wc[1]}")
        if pb is not None:
            ctx.append(f"gper={pb}")
        if pl is not None:
            ctx.append("gloc=" + pl)
        if lx is not None:
            ctx.append("lext=" + lx.split(":")[0])
        far = ["s=" + stem]
        if c is not None and len(c) > 1:
            far.append(f"c1={c[1]}")
        m1 = ["-1" + a for a in ctx]
        p1 = ["+1" + a for a in ctx]
        m2 = ["-2" + a for a in far]
        p2 = ["+2" + a for a in far]
        keep = self.keep
        if keep is not None:
            f0, m1, p1, m2, p2 = ([a for a in lst if a in keep] for lst in (f0, m1, p1, m2, p2))
        entry = (f0, m1, p1, m2, p2, stem)
        if len(self._cache) >= FEATURE_CACHE_MAX:
            self._cache.clear()
        self._cache[tok] = entry
        return entry

    def sentence(self, tokens: Sequence[str]) -> list[list[str]]:
        """Attribute lists for one sentence."""
        n = len(tokens)
        ws = [self._word(t) for t in tokens]
        keep = self.keep
        out: list[list[str]] = []
        for i in range(n):
            cur = ws[i]
            feats = ["b"] + cur[0]
            if i > 0:
                prev = ws[i - 1]
                feats += prev[1]
                bg = "bg-=" + prev[5] + "|" + cur[5]
                if keep is None or bg in keep:
                    feats.append(bg)
                if i > 1:
                    feats += ws[i - 2][3]
                else:
                    feats.append("BOS2")
            else:
                feats.append("BOS")
            if i + 1 < n:
                nxt = ws[i + 1]
                feats += nxt[2]
                bg = "bg+=" + cur[5] + "|" + nxt[5]
                if keep is None or bg in keep:
                    feats.append(bg)
                if i + 2 < n:
                    feats += ws[i + 2][4]
                else:
                    feats.append("EOS2")
            else:
                feats.append("EOS")
            out.append(feats)
        return out

"""Topic, region and keyword tags for an article (issue 4).

:func:`tag_article` returns calibrated topic scores over nine labels (the top label always, plus any
other label scoring at least ``threshold``), a geographic scope (``local``/``middle_east``/``world``
or ``None`` when the model is not confident), and TF-IDF keywords for tag clouds. The shipped model
bundle (``model/topics.npz`` with its ``model/meta.json``, trained by ``training.topics``) is loaded once per
process, on first use or by :func:`load_models` (a processor calls it at start: a missing, broken or
mismatched model file stops it there with a :class:`ModelError` naming the file). Pure Python/numpy: no Kafka
or Elasticsearch imports, never raises on any string input.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from processors.arabic import fold_for_topics
from processors.model_files import ModelError
from processors.topics.boilerplate import strip_boilerplate
from processors.topics.bundle import ModelBundle, load_bundle
from processors.topics.geo import GEO_LEAD_CHARS, decide_scope
from processors.topics.hashing import Featurizer
from processors.topics.keywords import DEFAULT_MAX_KEYWORDS, KEYWORD_MAX_CHARS, extract_keywords
from processors.topics.words import MAX_TITLE_CHARS
from schemas import GeoScope, TopicLabel

DEFAULT_TOPIC_THRESHOLD = 0.2  # 2nd label at >= 20% calibrated mass: 23% of unseen-outlet news get two (6% at 0.3)
DEFAULT_GEO_MIN_CONFIDENCE = 0.5  # without place evidence, below this the scope is left null rather than guessed
GEO_LOCAL_MIN_CONFIDENCE = 0.5  # 'local' needs the model's majority: it was learnt from one outlet's home news
MIN_GEO_WORDS = 8  # a headline-only or near-empty text does not support a geographic scope
MAX_INPUT_CHARS = 200_000  # inputs are cut here first so pathological bodies cost bounded time
MODEL_PATH = Path(__file__).with_name("model") / "topics.npz"

TOPIC_LABELS = tuple(label.value for label in TopicLabel)  # the contract's labels, in the model's column order
GEO_LABELS = tuple(scope.value for scope in GeoScope)

__all__ = [
    "DEFAULT_GEO_MIN_CONFIDENCE",
    "DEFAULT_MAX_KEYWORDS",
    "DEFAULT_TOPIC_THRESHOLD",
    "GEO_LABELS",
    "MODEL_PATH",
    "TOPIC_LABELS",
    "ModelError",
    "get_bundle",
    "load_models",
    "tag_article",
    "use_bundle",
]

_lock = threading.Lock()
_state: dict[str, Any] = {}


def use_bundle(path: Path) -> None:
    """Load a specific bundle (e.g. a freshly trained one) instead of the shipped file."""
    bundle = load_bundle(path)
    with _lock:
        _state["bundle"] = bundle
        _state["featurizer"] = Featurizer(bundle.features)


def get_bundle() -> ModelBundle:
    """The cached model bundle, loading the shipped one on first use."""
    b = _state.get("bundle")
    if b is None:
        with _lock:
            if "bundle" not in _state:
                bundle = load_bundle(MODEL_PATH)
                _state["featurizer"] = Featurizer(bundle.features)
                _state["bundle"] = bundle
            b = _state["bundle"]
    assert isinstance(b, ModelBundle)
    return b


def load_models() -> ModelBundle:
    """Load the topic model now (raises ModelError naming a missing, broken or mismatched file)."""
    return get_bundle()


def _featurizer() -> Featurizer:
    get_bundle()
    f = _state["featurizer"]
    assert isinstance(f, Featurizer)
    return f


def tag_article(
    title: str,
    body: str,
    *,
    threshold: float = DEFAULT_TOPIC_THRESHOLD,
    max_keywords: int = DEFAULT_MAX_KEYWORDS,
) -> dict[str, Any]:
    """Topics (calibrated, sorted, top always present), per-label scores, geo scope and keywords."""
    title = title if isinstance(title, str) else ""
    body = body if isinstance(body, str) else ""
    title = title[:MAX_INPUT_CHARS]
    body = body[:MAX_INPUT_CHARS]
    bundle = get_bundle()
    feat = _featurizer()
    clean_title = strip_boilerplate(title[:MAX_TITLE_CHARS])
    clean_body = strip_boilerplate(body[: max(2 * feat.config.max_chars, KEYWORD_MAX_CHARS)])
    norm_title = fold_for_topics(clean_title)
    norm_body = fold_for_topics(clean_body[: feat.config.max_chars])
    # same tokens as prepare_clean(clean_title, clean_body): features only look at tokens
    prepared = norm_title + " \n " + norm_body if norm_title else norm_body
    idx, vals = feat.vector(prepared)

    probs = bundle.topic.proba_one(idx, vals)
    raw = {label: 0.0 for label in TOPIC_LABELS}
    for label, p in zip(bundle.topic.classes, probs, strict=True):
        raw[label] = float(p)
    ranked = sorted(raw.items(), key=lambda kv: (-kv[1], kv[0]))  # exact order, ties by name
    scores = {label: round(p, 4) for label, p in raw.items()}
    topics = [{"label": ranked[0][0], "score": scores[ranked[0][0]]}]
    topics.extend({"label": k, "score": scores[k]} for k, v in ranked[1:] if v >= threshold)

    geo_scope: str | None = None
    if len(prepared.split()) >= MIN_GEO_WORDS:
        gp = [float(v) for v in bundle.geo.proba_one(idx, vals)]
        geo_scope = decide_scope(
            bundle.geo.classes,
            gp,
            norm_title,
            norm_body[:GEO_LEAD_CHARS],
            local_min=GEO_LOCAL_MIN_CONFIDENCE,
            model_min=DEFAULT_GEO_MIN_CONFIDENCE,
        )

    keywords: list[str] = []
    if max_keywords > 0:
        keywords = extract_keywords(
            clean_title, clean_body[:KEYWORD_MAX_CHARS], bundle.keyword_df, max_keywords=max_keywords, clean=True
        )
    return {"topics": topics, "topic_scores": scores, "geo_scope": geo_scope, "keywords": keywords}

"""Every kind of bad input has its defined outcome, checked without Kafka through `akhbar enrich`'s path."""

from __future__ import annotations

import pytest

from akhbar.run import enrich_line
from akhbar.settings import EnrichSettings
from akhbar.wiring import chain_config
from processors.chain import build_chain
from schemas import DeadLetter, EnrichedArticle
from tests.fixtures.bad_inputs import CASES, Case

CORE = build_chain(chain_config(EnrichSettings(steps=("clean", "dates", "language", "normalise"))))


def test_the_corpus_has_at_least_25_kinds() -> None:
    assert len({c.kind for c in CASES}) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_defined_outcome(case: Case) -> None:
    result = enrich_line(case.payload, f"corpus:{case.kind}", CORE)
    if case.outcome[0] == "dlq":
        _, stage, reason = case.outcome
        assert isinstance(result, DeadLetter), f"expected a dead letter, got {type(result).__name__}"
        assert (result.stage, result.reason) == (stage, reason), result.detail
        assert result.original_size == len(case.payload) and len(result.original) <= 90_000
    else:
        _, flags = case.outcome
        assert isinstance(result, EnrichedArticle), getattr(result, "detail", result)
        assert flags <= set(result.flags), result.flags
        assert "<" not in result.title and "\\x00" not in result.body
        assert len(result.title) <= 1000

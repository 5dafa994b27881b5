"""Settings name only what the components know: one list of NER backends, one list of enrichment steps."""

from __future__ import annotations

from typing import get_args

from akhbar.settings import EnrichSettings, Settings
from processors.chain import STEP_ORDER
from processors.ner import BACKENDS


def test_the_settings_offer_exactly_the_ner_backends() -> None:
    assert set(get_args(EnrichSettings.model_fields["ner_backend"].annotation)) == set(BACKENDS)


def test_the_default_chain_is_every_step_in_order() -> None:
    assert Settings().enrich.steps == STEP_ORDER

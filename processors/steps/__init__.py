"""The enrichment steps, one module each: ``clean``, ``dates``, ``language``, ``normalise``, ``entities``, ``topics``.

A step is a plain function: the article as built so far (a read-only mapping) and its own settings in, the
fields it adds or replaces out. Steps never touch Kafka or Elasticsearch, so the same functions run in the faust
agent, in ``akhbar enrich`` and in unit tests. A step that decides an article cannot go on raises
:class:`Rejected`; the chain (``processors.chain``, which this package never imports) turns it into a dead letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas import Reason

Doc = Mapping[str, Any]  # the article so far: the raw article's fields plus what earlier steps returned
Fields = Mapping[str, Any]  # what a step adds or replaces


class Rejected(Exception):
    """The article cannot be enriched; ``reason`` is its dead-letter code, ``detail`` says why in words."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

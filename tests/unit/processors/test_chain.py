from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from akhbar.settings import EnrichSettings
from akhbar.wiring import chain_config
from processors.chain import STEP_ORDER, build_chain, enrich, enrich_message, warm_up
from processors.steps import Rejected
from schemas import DeadLetter, EnrichedArticle, RawArticle, Reason, validate_enriched

BASE = {
    "schema_version": 1,
    "id": "1" * 32,
    "source": "صحيفة المثال",
    "title": "افتتاح مستشفى جديد",
    "body": ".png) افتتحت وزارة الصحة مستشفـــى جديداً في القاهرة يضم مئتي سرير.",
    "fetched_at": "2026-11-20T10:00:00Z",
}
CORE_CONFIG = chain_config(EnrichSettings(steps=("clean", "dates", "language", "normalise")))
CORE = build_chain(CORE_CONFIG)


def msg(**change: object) -> bytes:
    return json.dumps({**BASE, **change}, ensure_ascii=False).encode()


def enriched(value: bytes) -> EnrichedArticle:
    out = enrich_message(value, CORE)
    assert isinstance(out, EnrichedArticle), out
    return out


def test_chain_cleans_normalises_and_counts() -> None:
    out = enriched(msg())
    assert out.body == "افتتحت وزارة الصحة مستشفى جديداً في القاهرة يضم مئتي سرير."
    assert out.body_normalized == "افتتحت وزاره الصحه مستشفي جديدا في القاهره يضم مئتي سرير."
    assert out.language == "ar" and out.word_count == 10
    assert out.steps == ["clean", "dates", "language", "normalise"]
    assert {"markup_removed", "tatweel_removed"} <= set(out.flags)
    validate_enriched(out.model_dump())  # the output matches the JSON Schema


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe", "invalid_utf8"),
        (b"{", "invalid_json"),
        (None, "empty_message"),
        (msg(id="xyz"), "schema_violation"),
        (msg(title="", body="<p>&nbsp;</p>"), "empty_text"),
        (msg(title="News", body="The ministry opened a new hospital in Cairo today."), "not_arabic"),
    ],
)
def test_rejections_carry_a_reason(value: bytes | None, reason: str) -> None:
    letter = enrich_message(value, CORE, key="k1", topic="articles.raw", partition=2, offset=17)
    assert isinstance(letter, DeadLetter)
    assert letter.reason == reason
    assert (letter.stage, letter.article_id, letter.topic, letter.partition, letter.offset) == (
        "process",
        "k1",
        "articles.raw",
        2,
        17,
    )
    assert letter.original_size == len(value or b"")  # the message as it came, not a re-encoding of it


def test_parse_rejections_keep_their_detail_text() -> None:
    details = {
        b"\xff\xfe": "not UTF-8 at byte 0",
        None: "message has no value (tombstone)",
        b"[" * 100_000: "the message nests too deeply to validate",
    }
    for value, detail in details.items():
        letter = enrich_message(value, CORE)
        assert isinstance(letter, DeadLetter)
        if letter.reason == Reason.INVALID_JSON:  # orjson refuses deep nesting itself, before the schema
            assert value == b"[" * 100_000 and letter.detail.startswith("not JSON: ")
        else:
            assert letter.detail == detail


def test_flags_for_empty_body_and_dates() -> None:
    out = enriched(msg(body="", published_at="2999-01-01T00:00:00Z"))
    assert "empty_body" in out.flags and "future_published_at" in out.flags and out.published_at is None
    bad_date = enriched(msg(published_at_raw="غداً"))
    assert "invalid_published_at" in bad_date.flags


def test_future_date_tolerance_comes_from_the_config() -> None:
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=12)).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert enriched(msg(published_at=soon)).published_at == soon  # within the settings' day
    strict = build_chain(replace(CORE_CONFIG, future_date_tolerance=timedelta(hours=1)))
    out = enrich_message(msg(published_at=soon), strict)
    assert isinstance(out, EnrichedArticle) and out.published_at is None and "future_published_at" in out.flags


def test_steps_run_in_the_chain_order_whatever_order_the_settings_give() -> None:
    assert STEP_ORDER == ("clean", "dates", "language", "normalise", "entities", "topics")
    assert EnrichSettings().steps == STEP_ORDER
    chain = build_chain(replace(CORE_CONFIG, steps=("normalise", "language", "clean", "dates")))
    assert [s.name for s in chain] == ["clean", "dates", "language", "normalise"]
    assert isinstance(chain, tuple)
    with pytest.raises(ValueError, match="unknown enrichment step"):
        build_chain(replace(CORE_CONFIG, steps=("clean", "nope")))


def test_a_step_that_raises_is_a_step_failed_dead_letter() -> None:
    def broken(_doc: object) -> dict[str, object]:
        raise KeyError("title")

    chain = (*CORE, replace(CORE[0], name="broken", run=broken))
    raw = RawArticle.model_validate(json.loads(msg()))
    letter = enrich(raw, chain, origin="test")
    assert isinstance(letter, DeadLetter)
    assert letter.reason == "step_failed" and letter.detail == "step 'broken' raised KeyError: 'title'"
    assert (letter.article_id, letter.origin, letter.stage) == (raw.id, "test", "process")


def test_a_step_may_reject_with_its_own_reason() -> None:
    def refuse(_doc: object) -> dict[str, object]:
        raise Rejected(Reason.EMPTY_TEXT, "nothing left")

    chain = (replace(CORE[0], name="refuse", run=refuse),)
    letter = enrich(RawArticle.model_validate(json.loads(msg())), chain)
    assert isinstance(letter, DeadLetter) and (letter.reason, letter.detail) == ("empty_text", "nothing left")


def test_an_invalid_article_from_the_steps_is_dead_lettered_not_raised() -> None:
    chain = (replace(CORE[0], name="bad", run=lambda _doc: {"word_count": "many"}),)
    letter = enrich(RawArticle.model_validate(json.loads(msg())), chain)
    assert isinstance(letter, DeadLetter) and letter.reason == "step_failed"


def test_the_chain_without_normalise_still_fills_the_required_fields() -> None:
    out = enrich_message(msg(), build_chain(replace(CORE_CONFIG, steps=("clean",))))
    assert isinstance(out, EnrichedArticle)
    assert out.language == "unknown" and out.word_count == 10 and out.title_normalized


def test_the_core_chain_does_not_import_the_nlp_steps() -> None:
    """The NLP runtime (NER, topics) is imported when a chain that has those steps is built, not before."""
    code = (
        "import sys\n"
        "from akhbar.settings import EnrichSettings\n"
        "from akhbar.wiring import chain_config\n"
        "from processors.chain import build_chain\n"
        "build_chain(chain_config(EnrichSettings(steps=('clean', 'dates', 'language', 'normalise'))))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('processors.ner', 'processors.topics',"
        " 'processors.steps.entities', 'processors.steps.topics'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_warm_up_raises_when_the_chain_rejects_its_article() -> None:
    assert isinstance(warm_up(CORE), EnrichedArticle)
    with pytest.raises(RuntimeError, match="not_arabic"):
        warm_up(build_chain(replace(CORE_CONFIG, accepted_languages=frozenset({"fa"}))))

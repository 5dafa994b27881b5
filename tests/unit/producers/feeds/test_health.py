"""The schedule and health of a feed: adaptive interval, weighted failures, disabling, seen keys."""

from __future__ import annotations

from producers.feeds.health import FeedState, HealthPolicy, failed, page_failed, polled, remember
from producers.feeds.types import FailureKind

POLICY = HealthPolicy(
    default_interval_s=600,
    min_interval_s=60,
    max_interval_s=6 * 3600,
    faster=0.75,
    slower=1.5,
    disable_score=3.0,
    disabled_probe_s=86400,
    seen_max=5,
)


def fresh() -> FeedState:
    return FeedState(key="k" * 32, url="https://example.com/rss")


def test_interval_shrinks_with_new_items_and_grows_without_within_bounds() -> None:
    s = fresh()
    s = polled(s, now=0, status=200, new_items=3, configured_s=None, policy=POLICY)
    assert s.interval_s == 450 and s.next_poll_at == 450
    for _ in range(30):
        s = polled(s, now=0, status=200, new_items=1, configured_s=None, policy=POLICY)
    assert s.interval_s == POLICY.min_interval_s
    for _ in range(60):
        s = polled(s, now=0, status=304, new_items=0, configured_s=None, policy=POLICY)
    assert s.interval_s == POLICY.max_interval_s


def test_configured_interval_is_the_start() -> None:
    s = polled(fresh(), now=100, status=304, new_items=0, configured_s=120, policy=POLICY)
    assert s.interval_s == 180 and s.next_poll_at == 280


def test_304_keeps_validators_a_200_replaces_them() -> None:
    s = polled(fresh(), now=0, status=200, new_items=0, configured_s=None, policy=POLICY, etag='"a"',
               last_modified="Mon, 01 Dec 2026 10:00:00 GMT", body_hash="h1")  # fmt: skip
    s = polled(s, now=1, status=304, new_items=0, configured_s=None, policy=POLICY)
    assert (s.etag, s.last_modified, s.body_hash) == ('"a"', "Mon, 01 Dec 2026 10:00:00 GMT", "h1")
    s = polled(s, now=2, status=200, new_items=0, configured_s=None, policy=POLICY, etag=None, body_hash="h2")
    assert s.etag is None and s.body_hash == "h2"


def test_hard_failures_disable_after_three_with_reason_and_daily_probe() -> None:
    s = fresh()
    for n in range(1, 4):
        s = failed(s, now=1000, status=404, error="http_404", kind=FailureKind.HARD, configured_s=None, policy=POLICY)
        assert s.consecutive_failures == n
    assert s.disabled and s.disabled_reason is not None and "http_404" in s.disabled_reason
    assert s.next_poll_at == 1000 + POLICY.disabled_probe_s


def test_temporary_failures_back_off_exponentially_and_weigh_less() -> None:
    s = fresh()
    gaps = []
    for _ in range(14):
        s = failed(s, now=0, status=0, error="timeout", kind=FailureKind.TEMPORARY, configured_s=60, policy=POLICY)
        gaps.append(s.next_poll_at)
    assert not s.disabled  # 14 x 0.2 < 3
    assert gaps[:3] == [120, 240, 480]
    assert max(gaps) == POLICY.max_interval_s  # capped, never a storm and never unbounded
    s = failed(s, now=0, status=0, error="timeout", kind=FailureKind.TEMPORARY, configured_s=60, policy=POLICY)
    assert s.disabled


def test_retry_after_is_respected_and_success_resets() -> None:
    s = failed(fresh(), now=0, status=429, error="http_429", kind=FailureKind.TEMPORARY, configured_s=60,
               policy=POLICY, retry_after_s=3000)  # fmt: skip
    assert s.next_poll_at == 3000
    s = polled(s, now=10, status=200, new_items=0, configured_s=60, policy=POLICY)
    assert s.failure_score == 0 and s.consecutive_failures == 0 and not s.disabled


def test_seen_keys_are_bounded_most_recent_kept() -> None:
    s = remember(fresh(), [((f"u:{i}",), f"h{i}") for i in range(8)], POLICY)
    assert list(s.seen) == ["u:3", "u:4", "u:5", "u:6", "u:7"] and s.items_produced == 8
    s = remember(s, [(("u:3",), "h3b")], POLICY)  # re-produced: most recent again, new hash
    assert list(s.seen)[-1] == "u:3" and s.seen["u:3"] == "h3b"


def test_page_attempts_count_and_clear_when_produced() -> None:
    s, n = page_failed(fresh(), ("g:a", "u:a"))
    s, n = page_failed(s, ("u:a",))
    assert n == 2
    s = remember(s, [(("g:a", "u:a"), "h")], POLICY)
    assert s.page_attempts == {}


def test_state_round_trips_and_other_versions_are_ignored() -> None:
    s = remember(polled(fresh(), now=5, status=200, new_items=1, configured_s=None, policy=POLICY),
                 [(("u:x",), "h")], POLICY)  # fmt: skip
    assert FeedState.from_json(s.to_json()) == s
    assert FeedState.from_json({**s.to_json(), "v": 99}) is None
    assert FeedState.from_json({"v": 1, "bogus": 1}) is None

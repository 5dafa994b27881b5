"""A feed's remembered state and how one poll changes it: conditional-GET validators, the adaptive interval,
the weighted failure score that disables a dead feed, and the recently seen item keys.

Pure: every function takes the state and the clock and returns a new state; the poller stores the result on the
compacted topic ``akhbar.feeds.state`` (one record per feed, key = the feed's key), which is how a restarted
poller knows what it has already fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from producers.feeds.types import FailureKind

STATE_VERSION = 1  # the shape of a state record; a record of another version is ignored (the feed starts afresh)

# How much one failure counts towards disabling a feed: a hard failure says the feed is gone, a temporary one
# that the network or the server is busy (Media Cloud's rss-fetcher weighs them the same way).
FAILURE_WEIGHTS = {FailureKind.HARD: 1.0, FailureKind.SOFT: 0.5, FailureKind.TEMPORARY: 0.2}


@dataclass(frozen=True)
class HealthPolicy:
    """Bounds of the schedule. The defaults live in akhbar.settings.FeedSettings (once)."""

    default_interval_s: float
    min_interval_s: float
    max_interval_s: float
    faster: float  # interval multiplier after a poll that found new items (< 1)
    slower: float  # interval multiplier after a poll that found nothing new (> 1)
    disable_score: float  # weighted failures in a row that disable a feed
    disabled_probe_s: float  # a disabled feed is tried again this long after being disabled (once), never sooner
    seen_max: int  # item keys remembered per feed (most recent first out when full)


@dataclass(frozen=True)
class FeedState:
    key: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    interval_s: float | None = None  # None = not polled yet: the feed's configured interval, else the default
    next_poll_at: float = 0.0  # epoch seconds
    last_poll_at: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    last_new_items: int = 0
    polls: int = 0
    failure_score: float = 0.0
    consecutive_failures: int = 0
    disabled_reason: str | None = None
    disabled_at: float | None = None
    items_produced: int = 0
    # item key -> content hash of the version produced; insertion order is recency (oldest first)
    seen: dict[str, str] = field(default_factory=dict)
    # item key -> page fetch attempts that failed temporarily (the item is retried on the next polls, bounded)
    page_attempts: dict[str, int] = field(default_factory=dict)

    @property
    def disabled(self) -> bool:
        return self.disabled_reason is not None

    def to_json(self) -> dict[str, Any]:
        return {"v": STATE_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FeedState | None:
        """The state a record holds, or None for a record of another version or shape (the feed starts afresh)."""
        if not isinstance(obj, dict) or obj.get("v") != STATE_VERSION:
            return None
        fields = {k: v for k, v in obj.items() if k != "v"}
        try:
            return cls(**fields)
        except TypeError:
            return None


def interval_of(state: FeedState, configured_s: float | None, policy: HealthPolicy) -> float:
    base = state.interval_s if state.interval_s is not None else (configured_s or policy.default_interval_s)
    return min(policy.max_interval_s, max(policy.min_interval_s, base))


def polled(
    state: FeedState,
    *,
    now: float,
    status: int,
    new_items: int,
    configured_s: float | None,
    policy: HealthPolicy,
    etag: str | None = None,
    last_modified: str | None = None,
    body_hash: str | None = None,
) -> FeedState:
    """A successful poll (200 parsed, or 304): failures reset, the interval adapts to whether anything was new."""
    interval = interval_of(state, configured_s, policy)
    interval *= policy.faster if new_items else policy.slower
    interval = min(policy.max_interval_s, max(policy.min_interval_s, interval))
    return replace(
        state,
        etag=etag if status != 304 else (etag or state.etag),
        last_modified=last_modified if status != 304 else (last_modified or state.last_modified),
        body_hash=body_hash if body_hash is not None else state.body_hash,
        interval_s=interval,
        next_poll_at=now + interval,
        last_poll_at=now,
        last_status=status,
        last_error=None,
        last_new_items=new_items,
        polls=state.polls + 1,
        failure_score=0.0,
        consecutive_failures=0,
        disabled_reason=None,
        disabled_at=None,
    )


def failed(
    state: FeedState,
    *,
    now: float,
    status: int,
    error: str,
    kind: FailureKind,
    configured_s: float | None,
    policy: HealthPolicy,
    retry_after_s: float | None = None,
) -> FeedState:
    """A failed poll: the score grows by the failure's weight; the next poll backs off exponentially (never
    sooner than the server's Retry-After); at ``disable_score`` the feed is disabled with its reason."""
    score = state.failure_score + FAILURE_WEIGHTS[kind]
    failures = state.consecutive_failures + 1
    interval = interval_of(state, configured_s, policy)
    backoff = min(policy.max_interval_s, interval * 2 ** min(failures, 16))
    if retry_after_s is not None:
        backoff = max(backoff, retry_after_s)
    disabled = score >= policy.disable_score
    return replace(
        state,
        next_poll_at=now + (policy.disabled_probe_s if disabled else backoff),
        last_poll_at=now,
        last_status=status,
        last_error=error,
        last_new_items=0,
        polls=state.polls + 1,
        failure_score=score,
        consecutive_failures=failures,
        disabled_reason=f"{error} ({failures} failures in a row)" if disabled else None,
        disabled_at=(state.disabled_at or now) if disabled else None,
    )


def remember(state: FeedState, produced: Iterable[tuple[tuple[str, ...], str]], policy: HealthPolicy) -> FeedState:
    """Record produced items (all of an item's keys -> its content hash), keeping the ``seen_max`` most recent."""
    seen = dict(state.seen)
    attempts = dict(state.page_attempts)
    count = 0
    for keys, content_hash in produced:
        count += 1
        for key in keys:
            seen.pop(key, None)  # re-inserted at the end: most recent
            seen[key] = content_hash
            attempts.pop(key, None)
    while len(seen) > policy.seen_max:
        del seen[next(iter(seen))]
    return replace(state, seen=seen, page_attempts=attempts, items_produced=state.items_produced + count)


def page_failed(state: FeedState, keys: tuple[str, ...]) -> tuple[FeedState, int]:
    """Count one more temporary page failure of an item; returns the new state and the item's attempts so far."""
    attempts = dict(state.page_attempts)
    n = max((attempts.get(k, 0) for k in keys), default=0) + 1
    for key in keys:
        attempts[key] = n
    return replace(state, page_attempts=attempts), n

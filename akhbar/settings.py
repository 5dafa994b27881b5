"""One typed, frozen settings object, read once at the entry point and passed down.

Every value can be set through an ``AKHBAR_``-prefixed environment variable (nested fields use
``__``, e.g. ``AKHBAR_STACK__KAFKA_PORT=19092``) or a ``.env`` file in the working directory.
Components never read the environment themselves: they receive the part of this object they need.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# --- defaults, each with its reason ------------------------------------------------------------
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "akhbar"  # downloads and environments live outside the clone
DEFAULT_STATE_DIR = DEFAULT_CACHE_DIR / "stack"  # data and logs of the local Kafka/Elasticsearch, one place to wipe
DEFAULT_KAFKA_PORT = 9092  # Kafka's conventional client port, what every tool tries first
DEFAULT_KAFKA_CONTROLLER_PORT = 9093  # KRaft controller listener, next to the broker's
DEFAULT_ES_PORT = 9200  # Elasticsearch's conventional HTTP port, what Kibana and curl expect
DEFAULT_ES_TRANSPORT_PORT = 9300  # Elasticsearch's conventional transport port
DEFAULT_KAFKA_SASL_PORT = 9094  # next to the controller port; opened only when the local stack is secured
LOCAL_KAFKA_USER = "akhbar"  # the SASL/PLAIN account of a secured local stack
LOCAL_ES_USER = "elastic"  # Elasticsearch's built-in superuser; its bootstrap password is the stack's password
DEFAULT_KAFKA_HEAP_MB = 512  # one-node broker for local work; leaves memory for Elasticsearch and the workers
DEFAULT_ES_HEAP_MB = 768  # within the 512 MB - 1 GB band a laptop node runs well in
DEFAULT_READY_TIMEOUT_S = 120.0  # a cold Elasticsearch start on 2 cores takes 20-60 s; beyond 2 min it is broken

RAW_TOPIC = "articles.raw"  # names fixed by the house plan (shared/design.md)
ENRICHED_TOPIC = "articles.enriched"
DLQ_TOPIC = "articles.dlq"
INDEX_ALIAS = "akhbar-articles"
FEEDS_STATE_TOPIC = "akhbar.feeds.state"
STORIES_ALIAS = "akhbar-stories"  # named by issue 16; Kibana's second data view


class StackSettings(BaseModel):
    """The local Kafka + Elasticsearch started by `akhbar stack up` (no Docker)."""

    model_config = ConfigDict(frozen=True)

    state_dir: Path = DEFAULT_STATE_DIR
    cache_dir: Path = DEFAULT_CACHE_DIR
    host: str = "127.0.0.1"  # the local stack listens on loopback only, never on other interfaces
    kafka_port: int = DEFAULT_KAFKA_PORT
    kafka_controller_port: int = DEFAULT_KAFKA_CONTROLLER_PORT
    es_port: int = DEFAULT_ES_PORT
    es_transport_port: int = DEFAULT_ES_TRANSPORT_PORT
    kafka_heap_mb: int = DEFAULT_KAFKA_HEAP_MB
    es_heap_mb: int = DEFAULT_ES_HEAP_MB
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S
    java_home: Path | None = None  # JDK for Kafka; None = JAVA_HOME or the newest JDK under /usr/lib/jvm
    es_java_home: Path | None = None  # JDK >= 21 for Elasticsearch 9; None = newest under /usr/lib/jvm
    es_user: str = "akhbar-es"  # Elasticsearch refuses root: when run as root, this user owns and runs the node
    # Set = a secured stack: Kafka adds a SASL_PLAINTEXT (PLAIN) listener on kafka_sasl_port for the user
    # LOCAL_KAFKA_USER, and Elasticsearch runs with security on (basic auth, user LOCAL_ES_USER). None = an open
    # loopback stack for local development (the default, as the issue asks).
    secure_password: SecretStr | None = None
    kafka_sasl_port: int = DEFAULT_KAFKA_SASL_PORT
    kafka_sasl_user: str = LOCAL_KAFKA_USER
    es_admin_user: str = LOCAL_ES_USER


class KafkaSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = f"127.0.0.1:{DEFAULT_KAFKA_PORT}"
    raw_topic: str = RAW_TOPIC
    enriched_topic: str = ENRICHED_TOPIC
    dlq_topic: str = DLQ_TOPIC
    partitions: int = 6  # 1, 2, 3 or 6 workers get equal shares (with 3, two workers on 2 cores split 2:1)
    replication_factor: int = 1  # the local stack has one broker; set 3 on a production cluster
    # The one size limit of every message akhbar writes or reads: producers' max request, the topics'
    # max.message.bytes, consumers' fetch sizes. 4 MiB fits the largest valid raw article (1M characters of
    # Arabic are ~2 MB of UTF-8) and its enriched document, which the processor keeps under it by construction.
    max_message_bytes: int = 4 * 1024 * 1024
    # Every producer's retry bound: kafka-python's delivery_timeout_ms, and the processor's aiokafka producer's
    # request timeout (its batches expire then). Unsent after 2 minutes = reported (produce: exit 1; processor:
    # its input stays unacked and the worker stops).
    delivery_timeout_ms: int = 120_000
    # snappy: ~12 us per 7 KB article in both clients (aiokafka compresses gzip and lz4 at level 9: 4-10x that)
    # and still ~2x smaller on Arabic news; gzip/zstd squeeze more for a WAN link, "none" suits loopback.
    compression: Literal["none", "gzip", "lz4", "zstd", "snappy"] = "snappy"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None


class ElasticsearchSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = f"http://127.0.0.1:{DEFAULT_ES_PORT}"
    alias: str = INDEX_ALIAS
    replicas: int = 0  # the local stack is one node; set 1 on a production cluster
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_certs: Path | None = None
    request_timeout_s: float = 30.0  # one request; a bulk of 5 MB takes well under a second on a healthy node


class ProducerSettings(BaseModel):
    """The kafka-python producer of ``akhbar produce`` (acks=all and idempotence are not settings: they are the
    delivery guarantee)."""

    model_config = ConfigDict(frozen=True)

    linger_ms: int = 50  # batch sends for 50 ms: fuller batches, fewer broker wake-ups; little next to the 1 s refresh
    batch_bytes: int = 256 * 1024  # per-partition batch: ~70 raw articles; kafka-python's 16 KiB sends 4 per request


class EnrichSettings(BaseModel):
    """How the processor enriches: which steps, which languages, which NER backend, which topic threshold."""

    model_config = ConfigDict(frozen=True)

    # names from processors.chain.STEP_ORDER; they always run in that order (an unknown name stops the start)
    steps: tuple[str, ...] = ("clean", "dates", "language", "normalise", "entities", "topics")
    accepted_languages: frozenset[str] = frozenset({"ar"})  # the NLP steps are built for Arabic: others are not_arabic
    future_date_tolerance: timedelta = timedelta(days=1)  # time zones and clock skew; later than that a date is wrong
    # shipped = CRF + BiLSTM-CRF ensemble (dev F1 0.799); crf = the CRF alone (0.782, ~2.5x faster, ~600 MB
    # less per processor); camel = CAMeL Tools' BERT when installed; auto = camel if present, else shipped.
    ner_backend: Literal["auto", "shipped", "crf", "camel"] = "auto"
    ner_camel_model_dir: Path | None = None
    topic_threshold: float | None = None  # None = the topic model's own default
    # Bounds that keep every enriched document under kafka.max_message_bytes by construction (the processor
    # refuses to start when they could not: processors.size). Beyond body_max_chars NLP time grows with no gain:
    # 200,000 characters are ~40x a long news article (a longer body is cut at a word and flagged "truncated").
    body_max_chars: int = 200_000
    entities_max: int = 500  # ~15x the most entities of an article in the sample corpus (32); the rest is cut
    entity_spans_max: int = 50  # spans kept per entity (its count stays exact); the sample's most is 8
    entity_max_chars: int = 128  # a longer "name" is a tagging run-on (the sample's longest is 32): dropped


class SinkSettings(BaseModel):
    """The Elasticsearch sink worker: its consumer group, bulk batches, Kafka client tuning and retry bounds."""

    model_config = ConfigDict(frozen=True)

    group_id: str = "akhbar-sink"  # every sink worker with this group shares the partitions of articles.enriched
    batch_max_count: int = 500  # Elasticsearch's bulk sweet spot for ~5 KB news documents
    batch_max_bytes: int = 5 * 1024 * 1024  # bulk requests of 5-15 MB are the documented optimum; stay at the low end
    batch_max_age_s: float = 0.5  # a lone article is searchable within ~1.5 s (0.5 s batch + 1 s refresh)
    poll_timeout_ms: int = 200  # how long one poll waits for records; bounds the latency of noticing a due batch
    max_poll_records: int = 500  # one poll fills at most one bulk batch
    fetch_min_bytes: int = 64 * 1024  # a fetch waits for ~9 enriched articles (or the time below): fuller requests
    fetch_max_wait_ms: int = 100  # ... but never holds a trickle back more than 100 ms (next to the 0.5 s batch age)
    metadata_max_age_ms: int = 30_000  # notice new partitions within 30 s (kafka-python's default is 5 minutes)
    dlq_linger_ms: int = 5  # dead letters are rare and flushed before every commit; a short linger groups a burst
    bulk_attempts: int = 5  # with the backoff below: ~10 s of retrying a bulk before the sink pauses the consumer
    bulk_retry_timeout_s: float = 60.0  # ... and never more than a minute in all (a hung request times out at 30 s)
    bulk_wait_initial_s: float = 0.5  # first wait between bulk attempts; doubles each attempt
    bulk_wait_max_s: float = 8.0  # no single wait between bulk attempts longer than this
    outage_round_s: float = 30.0  # while Elasticsearch is unavailable: one round of probes, one log line, the next
    # start-up waits this long for a block (maintenance, a full disk) to lift before it gives up, saying so
    setup_timeout_s: float = 600.0
    probe_interval_s: float = 2.0  # while paused, ask Elasticsearch's health this often; retry as soon as it answers
    commit_timeout_ms: int = 10_000  # one commit attempt; while the broker is down attempts repeat with backoff
    commit_attempts: int = 6  # one round of commit retries; the offsets of a failed round go with the next commit
    commit_retry_timeout_s: float = 30.0  # ... within at most 30 s; then the worker loop polls and starts the next
    commit_wait_initial_s: float = 0.5  # first wait between commit attempts; doubles each attempt
    commit_wait_max_s: float = 8.0  # no single wait between commit attempts longer than this


class ProcessorSettings(BaseModel):
    """The faust worker; measurements behind these figures are in docs/performance.md."""

    model_config = ConfigDict(frozen=True)

    app_id: str = "akhbar-processor"  # faust app id = consumer group of the processor workers
    session_timeout_s: float = 10.0  # a killed worker's partitions move to the others after 10 s (faust's: 60 s)
    heartbeat_interval_s: float = 3.0  # a third of the session timeout, as Kafka recommends
    output_batch_bytes: int = 512 * 1024  # ~70 enriched articles per request; faust's 16 KiB default sends two
    # outputs wait up to 100 ms to fill a batch: fewer requests waking the broker, for ~0.1 s more latency
    output_linger_s: float = 0.1


class FeedSettings(BaseModel):
    """The feed poller (`akhbar feeds poll`): HTTP manners and bounds, the schedule, and its state topic."""

    model_config = ConfigDict(frozen=True)

    # who we are, in every request, so an outlet's webmaster can tell and reach us (and robots.txt can name us)
    user_agent: str = "akhbar/0.1 (Arabic news pipeline; +https://github.com/akhbar/akhbar)"
    connect_timeout_s: float = 10.0  # a host that does not accept a connection in 10 s is down for this poll
    read_timeout_s: float = 20.0  # longest silence between two chunks: a slow-loris server is cut off here
    total_timeout_s: float = 60.0  # a whole request with its redirects; a 10 MB page takes seconds, not a minute
    max_redirects: int = 5  # as the issue asks; browsers allow ~20, but a feed that needs more is misconfigured
    max_bytes: int = 10 * 1024 * 1024  # per response after decompression: far above any feed or article page
    per_host_concurrency: int = 2  # polite: no outlet sees more than two of our requests at once
    per_host_delay_s: float = 0.5  # ... and at most two request starts a second
    robots_ttl_s: float = 3600.0  # robots.txt is re-read hourly (Google caches it up to a day)
    retry_after_max_s: float = 3600.0  # a Retry-After beyond an hour is capped: no server parks a feed for days
    default_interval_s: float = 600.0  # a feed without its own interval is polled every 10 minutes at first
    min_interval_s: float = 60.0  # never more often than once a minute, however busy the feed
    max_interval_s: float = 6 * 3600.0  # a quiet feed is still polled four times a day
    faster: float = 0.75  # after a poll with new items the interval shrinks by a quarter ...
    slower: float = 1.5  # ... and after one without grows by half: it settles near the feed's own rhythm
    # a feed is disabled at 3 points of failures in a row: three 404/410/DNS/TLS failures, six 5xx, fifteen
    # timeouts; with the exponential backoff between them that is minutes for a dead feed, hours for a flaky one
    disable_score: float = 3.0
    disabled_probe_s: float = 24 * 3600.0  # a disabled feed is tried once a day, never in a storm
    seen_max: int = 2000  # item keys kept per feed: ~10x the longest feeds (and two keys per item)
    feeds_in_flight: int = 50  # feeds polled at once: hundreds of feeds re-polled within seconds
    new_items_max: int = 200  # a first poll of a 50,000-URL sitemap takes its pages 200 per poll
    page_attempts_max: int = 3  # polls on which a page that fails for now is tried before going without it
    sitemap_children_max: int = 5  # child sitemaps read per poll of an index (outlets list the newest first)
    tick_s: float = 0.5  # the loop looks for due feeds twice a second
    commit_every_s: float = 1.0  # articles flushed and feed states saved every second
    state_topic: str = FEEDS_STATE_TOPIC
    state_partitions: int = 6  # up to six pollers share the feeds (the group assigns state partitions)
    group_id: str = "akhbar-feeds"  # pollers in this group share the feed list without polling a feed twice


class StoriesSettings(BaseModel):
    """The story stage: reprints and stories over a window (thresholds measured in docs/stories.md)."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = True  # off: the chain writes articles.enriched itself and articles carry no story_id
    window_hours: float = 72.0  # three days, as the issue asks: EMM links a day's clusters into stories over a week
    # a story takes an article at cosine + entity bonus >= 0.40: on the gold set in time order pairwise precision
    # 1.000, recall 0.972; over 30 shuffled orders (a backfill) median precision 1.000, recall 0.917. 0.35 with a
    # 0.3 bonus: the same precision but recall 0.84 shuffled (docs/stories.md); favour precision
    threshold: float = 0.4
    entity_weight: float = 0.5  # the share of the article's first 4 entities the story names, times this
    dup_threshold: float = 0.5  # estimated 3-shingle Jaccard of a reprint: gold reprints 10/10, none falsely
    max_gap_hours: float = 48.0  # a story quiet for two days takes no more articles (a new one opens)
    # the chain's output and the stage's input: one partition, so the stage sees one order (deterministic)
    tagged_topic: str = "articles.tagged"
    state_topic: str = "akhbar.stories.state"  # compacted: the stage's window, read back on start
    stories_topic: str = "akhbar.stories"  # compacted: one record per story, the sink keeps akhbar-stories
    alias: str = STORIES_ALIAS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AKHBAR_", env_nested_delimiter="__", env_file=".env", frozen=True, extra="ignore"
    )

    stack: StackSettings = Field(default_factory=StackSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    producer: ProducerSettings = Field(default_factory=ProducerSettings)
    enrich: EnrichSettings = Field(default_factory=EnrichSettings)
    processor: ProcessorSettings = Field(default_factory=ProcessorSettings)
    sink: SinkSettings = Field(default_factory=SinkSettings)
    feeds: FeedSettings = Field(default_factory=FeedSettings)
    stories: StoriesSettings = Field(default_factory=StoriesSettings)


ENV_SECTIONS = (
    "stack",
    "kafka",
    "elasticsearch",
    "producer",
    "enrich",
    "processor",
    "sink",
    "feeds",
    "stories",
)  # what a child process needs


def to_env(settings: Settings, base: dict[str, str]) -> dict[str, str]:
    """An environment from which a child `python -m akhbar ...` reads these same settings.

    ``base`` is the environment to start from (its ``AKHBAR_`` variables are dropped); secrets are passed as
    their values, since the child must use them.
    """
    env = {k: v for k, v in base.items() if not k.startswith("AKHBAR_")}
    for section in ENV_SECTIONS:
        for key, value in getattr(settings, section).model_dump(mode="json").items():
            field = getattr(getattr(settings, section), key)
            if isinstance(field, SecretStr):
                value = field.get_secret_value()
            if value is None:
                continue
            name = f"AKHBAR_{section.upper()}__{key.upper()}"
            env[name] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return env

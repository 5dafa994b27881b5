"""Turns the settings into the clients and configs the components take. The only place that knows both."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
import stamina
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.conn import BrokerConnection
from kafka.errors import SaslAuthenticationFailedError, TopicAlreadyExistsError

from akhbar.errors import CredentialsRejected
from akhbar.settings import (
    ElasticsearchSettings,
    EnrichSettings,
    FeedSettings,
    KafkaSettings,
    Settings,
    StoriesSettings,
)
from producers.kafka import ArticleProducer

if TYPE_CHECKING:  # imported where used: `akhbar produce` starts without loading the NLP or Elasticsearch code
    from elasticsearch import Elasticsearch

    from processors.chain import ChainConfig
    from processors.stories.index import StoryParams
    from producers.feeds.health import HealthPolicy
    from producers.feeds.poller import PollPolicy
    from producers.feeds.state import KafkaStateStore
    from producers.feeds.types import FetchPolicy
    from sinks.worker import SinkWorker

log = logging.getLogger(__name__)


def kafka_client_config(k: KafkaSettings) -> dict[str, Any]:
    """kafka-python keyword arguments: servers and security (secrets unwrapped only here)."""
    cfg: dict[str, Any] = {
        "bootstrap_servers": k.bootstrap_servers.split(","),
        "security_protocol": k.security_protocol,
    }
    if k.sasl_mechanism:
        cfg["sasl_mechanism"] = k.sasl_mechanism
        cfg["sasl_plain_username"] = k.sasl_username
        cfg["sasl_plain_password"] = k.sasl_password.get_secret_value() if k.sasl_password else None
    if k.ssl_cafile:
        cfg["ssl_cafile"] = str(k.ssl_cafile)
    return cfg


def article_producer(s: Settings) -> ArticleProducer:
    """The producer of ``akhbar produce``: acks=all and idempotent (no duplicates from its own retries), retrying
    on its own until the delivery timeout, after which what is unsent is reported by id."""
    k, p = s.kafka, s.producer
    client = KafkaProducer(
        **kafka_client_config(k),
        acks="all",
        enable_idempotence=True,
        compression_type=None if k.compression == "none" else k.compression,
        batch_size=p.batch_bytes,
        linger_ms=p.linger_ms,
        delivery_timeout_ms=k.delivery_timeout_ms,
        request_timeout_ms=min(30_000, k.delivery_timeout_ms - p.linger_ms),  # the client requires the sum to fit
        max_request_size=k.max_message_bytes,
    )
    return ArticleProducer(
        client, raw_topic=k.raw_topic, dlq_topic=k.dlq_topic, delivery_timeout_ms=k.delivery_timeout_ms
    )


def faust_broker(k: KafkaSettings) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in k.bootstrap_servers.split(","))


def faust_credentials(k: KafkaSettings) -> Any:
    import faust

    context = None
    if k.security_protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=str(k.ssl_cafile) if k.ssl_cafile else None)
    if k.sasl_mechanism:
        password = k.sasl_password.get_secret_value() if k.sasl_password else ""
        return faust.SASLCredentials(
            username=k.sasl_username, password=password, mechanism=k.sasl_mechanism, ssl_context=context
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


PREFLIGHT_TIMEOUT_S = 10.0  # one connection attempt to the first bootstrap server; a local broker answers in ms


class _ProbeConnection(BrokerConnection):
    """A broker connection that keeps the first error it closes with (kafka-python only logs it)."""

    failure: Exception | None = None

    def close(self, error: Exception | None = None) -> None:
        if error is not None and self.failure is None:
            self.failure = error
            self._gai: list[
                object
            ] = []  # one attempt: connect_blocking would otherwise try every resolved address again
        super().close(error)


def check_kafka(k: KafkaSettings, timeout_s: float = PREFLIGHT_TIMEOUT_S) -> None:
    """One connection (with SASL/TLS as configured) to the first bootstrap server, before any client starts.

    Wrong credentials raise :class:`CredentialsRejected` at once. Without this check kafka-python and aiokafka
    both reconnect forever with backoff, logging the same authentication error each time (a retry storm),
    and the admin client even reports it as an incompatible broker version. An unreachable broker is not
    judged here: the components have their own bounded waits for that.
    """
    first = k.bootstrap_servers.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    cfg = {key: value for key, value in kafka_client_config(k).items() if key != "bootstrap_servers"}
    # The rejection is reported once, below, not as kafka-python's own log lines (the clients that follow
    # still log their "username and password in the clear" warning for SASL_PLAINTEXT).
    quiet = [logging.getLogger(name) for name in ("kafka.conn", "kafka.sasl")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        conn = _ProbeConnection(host, int(port), socket.AF_UNSPEC, client_id="akhbar-preflight", **cfg)
        try:
            conn.connect_blocking(timeout_s)
        finally:
            conn.close()
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    if isinstance(conn.failure, SaslAuthenticationFailedError):
        who = f"user {k.sasl_username!r} ({k.sasl_mechanism})" if k.sasl_mechanism else k.security_protocol
        raise CredentialsRejected(
            f"Kafka at {first} rejected the credentials of {who}: {conn.failure}. "
            "Check AKHBAR_KAFKA__SASL_USERNAME / AKHBAR_KAFKA__SASL_PASSWORD (nothing was retried)."
        )


def check_elasticsearch(client: Elasticsearch, es: ElasticsearchSettings) -> None:
    """One authenticated request; wrong or insufficient credentials raise :class:`CredentialsRejected` at once."""
    from elasticsearch import AuthenticationException, AuthorizationException

    try:
        client.cluster.health(timeout="1s")
    except AuthenticationException as exc:
        who = "the API key" if es.api_key else f"user {es.username!r}" if es.username else "no credentials"
        raise CredentialsRejected(
            f"Elasticsearch at {es.url} rejected {who} (HTTP 401: {exc.message}). Check AKHBAR_ELASTICSEARCH__"
            "USERNAME / AKHBAR_ELASTICSEARCH__PASSWORD or AKHBAR_ELASTICSEARCH__API_KEY (nothing was retried)."
        ) from None
    except AuthorizationException as exc:
        raise CredentialsRejected(
            f"Elasticsearch at {es.url} accepted the credentials but refused the request (HTTP 403: {exc.message}); "
            "the account needs the cluster monitor privilege and write/manage on the index alias."
        ) from None


TOPIC_READY_TIMEOUT_S = 30.0  # a new topic's partitions reach the broker's metadata within a second or two


TOPIC_MAX_MESSAGE_BYTES = "max.message.bytes"  # the topic config the broker holds every batch written to it to
_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs' config_source of a topic's own override (others: broker, default)


def ensure_topics(k: KafkaSettings) -> None:
    """Create the three topics when missing (idempotent), each with ``max.message.bytes`` = the message-size
    contract, raise that config on an existing one whose limit is lower, and wait until their partitions are in
    the metadata.

    Every Kafka component calls this first, so the credential check (:func:`check_kafka`) runs here. The limit is
    the topics' own: the broker's default (~1 MB) holds only for topics created by something else.

    Waiting matters: a consumer that joins its group before the partitions are known gets none assigned,
    and kafka-python only refreshes metadata every ``metadata_max_age_ms``.
    """
    check_kafka(k)
    topics = [k.raw_topic, k.enriched_topic, k.dlq_topic]
    admin = KafkaAdminClient(**kafka_client_config(k), client_id="akhbar-admin")
    try:
        existing = set(admin.list_topics())
        limit = {TOPIC_MAX_MESSAGE_BYTES: str(k.max_message_bytes)}
        wanted = [
            NewTopic(name, num_partitions=k.partitions, replication_factor=k.replication_factor, topic_configs=limit)
            for name in topics
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker created them first
                admin.create_topics(wanted)
            log.info("created topics %s", [t.name for t in wanted])
        consumer = KafkaConsumer(**kafka_client_config(k), client_id="akhbar-admin")
        try:
            wait_for_partitions(consumer, topics)
        finally:
            consumer.close()
        # All three, not only those listed: a topic just created by something else may not be listed yet.
        # What it retries: the describe, while the broker does not know a topic it has just created yet (seen
        # after a broker restart: UNKNOWN_TOPIC_OR_PARTITION for a topic already in the metadata), and after an
        # alter until a describe shows the raised limit (the broker applies an alter from its metadata log a
        # moment after answering it: a describe right after still showed the old limit in CI).
        for attempt in stamina.retry_context(
            on=(_TopicNotDescribed, _LimitNotApplied),
            attempts=None,
            timeout=TOPIC_READY_TIMEOUT_S,
            wait_initial=0.2,
            wait_max=1.0,
        ):
            with attempt:
                _raise_size_limits(admin, topics, k.max_message_bytes)
    finally:
        admin.close()


class _TopicNotDescribed(RuntimeError):
    """The broker answered a describe of a topic with an error (after a restart, for a topic it just created)."""


class _LimitNotApplied(RuntimeError):
    """An alter of ``max.message.bytes`` was accepted; the next describe must show it before topics are ready."""


def _raise_size_limits(admin: KafkaAdminClient, topics: list[str], limit: int) -> None:
    """Set ``max.message.bytes`` = ``limit`` on each of ``topics`` whose limit is lower; raises RuntimeError
    naming the topic the broker did not describe or alter, and _LimitNotApplied after an alter (the caller
    describes again until every limit shows).

    AlterConfigs replaces a topic's whole set of overrides (kafka-python has no incremental variant), so each
    topic's other overrides are sent along unchanged."""
    if not topics:
        return
    low: list[ConfigResource] = []
    for response in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]):
        for resource in response.to_object()["resources"]:
            name = resource["resource_name"]
            if resource["error_code"]:
                raise _TopicNotDescribed(
                    f"Kafka did not describe topic {name!r}: error {resource['error_code']} {resource['error_message']}"
                )
            entries = {entry["config_names"]: entry for entry in resource["config_entries"]}
            if int(entries[TOPIC_MAX_MESSAGE_BYTES]["config_value"]) >= limit:
                continue
            overrides = {
                key: entry["config_value"]
                for key, entry in entries.items()
                if entry.get("config_source") == _DYNAMIC_TOPIC_CONFIG
            }
            low.append(
                ConfigResource(
                    ConfigResourceType.TOPIC, name, configs={**overrides, TOPIC_MAX_MESSAGE_BYTES: str(limit)}
                )
            )
    if not low:
        return
    for resource in admin.alter_configs(low).to_object()["resources"]:
        if resource["error_code"]:
            raise RuntimeError(
                f"Kafka did not raise {TOPIC_MAX_MESSAGE_BYTES} of topic {resource['resource_name']!r} to {limit}: "
                f"{resource['error_message']}"
            )
    log.info("raised %s of topics %s to %d", TOPIC_MAX_MESSAGE_BYTES, [r.name for r in low], limit)
    raise _LimitNotApplied(f"raised {TOPIC_MAX_MESSAGE_BYTES} of {[r.name for r in low]}; describing again")


class _NoPartitions(Exception):
    """A topic is not in the consumer's metadata yet."""


def wait_for_partitions(consumer: KafkaConsumer, topics: list[str], timeout_s: float = TOPIC_READY_TIMEOUT_S) -> None:
    """Wait until ``consumer``'s metadata lists partitions for every topic; RuntimeError after timeout_s for one.

    What it retries: a metadata refresh of this consumer (the one that joins a group needs it), every 0.2 s.
    """
    for topic in topics:
        try:
            for attempt in stamina.retry_context(
                on=_NoPartitions, attempts=None, timeout=timeout_s, wait_initial=0.2, wait_max=0.2
            ):
                with attempt:
                    if not consumer.partitions_for_topic(topic):
                        if attempt.num == 1:
                            log.info("waiting up to %.0fs for the partitions of %s in the metadata", timeout_s, topic)
                        consumer._client.cluster.request_update()
                        raise _NoPartitions(topic)
        except _NoPartitions:
            raise RuntimeError(f"topic {topic!r} has no partitions in the metadata after {timeout_s:.0f}s") from None


def fetch_limits(k: KafkaSettings) -> dict[str, int]:
    """kafka-python consumer sizes matching the message-size contract, for every consumer of akhbar.

    A partition's fetch and a whole fetch each take up to one message of ``max_message_bytes``, and the network
    frame limit holds the largest response. kafka-python's ``receive_message_max_bytes`` defaults to 1,000,000
    while its fetch limits default to 1 MiB per partition and 50 MB per fetch: catching up on a backlog, a
    response of several partitions' MiB was refused as "Invalid frame length", the connection closed and the
    same fetch sent again (the reset noise). The broker ends a response at ``fetch_max_bytes`` (or after its
    first batch, which the topic's max.message.bytes bounds); 64 KiB more covers the response's own framing."""
    limit = k.max_message_bytes
    return {
        "max_partition_fetch_bytes": limit,
        "fetch_max_bytes": limit,
        "receive_message_max_bytes": limit + 64 * 1024,
    }


def sink_consumer(s: Settings) -> KafkaConsumer:
    """The sink's consumer of the enriched topic: offsets committed by the worker after each written batch, a new
    group starts at the earliest offset; the topic's metadata is loaded before the worker joins the group (a
    group leader without it assigns no partitions at all).

    Fetch sizes match the message-size contract (:func:`fetch_limits`)."""
    c = s.sink
    consumer = KafkaConsumer(
        **kafka_client_config(s.kafka),
        **fetch_limits(s.kafka),
        group_id=c.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=c.max_poll_records,
        metadata_max_age_ms=c.metadata_max_age_ms,
        fetch_min_bytes=c.fetch_min_bytes,
        fetch_max_wait_ms=c.fetch_max_wait_ms,
    )
    try:
        wait_for_partitions(consumer, [s.kafka.enriched_topic])
    except RuntimeError:
        consumer.close()
        raise
    return consumer


def dlq_producer(s: Settings) -> KafkaProducer:
    """The sink's producer of dead letters: acks=all and idempotent, like every producer of akhbar; its request
    limit is the message-size contract (a letter holds at most 64 KiB of the original, far below it)."""
    return KafkaProducer(
        **kafka_client_config(s.kafka),
        acks="all",
        enable_idempotence=True,
        linger_ms=s.sink.dlq_linger_ms,
        max_request_size=s.kafka.max_message_bytes,
    )


def dlq_reader(s: Settings) -> KafkaConsumer:
    """The consumer of ``akhbar dlq``: group-less (``akhbar.dlq.read_letters`` assigns every partition and reads
    from the beginning; nothing is committed, no other consumer is disturbed), fetches sized to the message-size
    contract. Credentials are checked first, and the DLQ's partitions must be in the metadata."""
    check_kafka(s.kafka)
    consumer = KafkaConsumer(
        **kafka_client_config(s.kafka),
        client_id="akhbar-dlq",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **fetch_limits(s.kafka),
    )
    try:
        wait_for_partitions(consumer, [s.kafka.dlq_topic])
    except RuntimeError:
        consumer.close()
        raise
    return consumer


def replay_producer(s: Settings) -> KafkaProducer:
    """The producer of ``akhbar dlq replay``: acks=all and idempotent like every producer of akhbar, requests up
    to the message-size contract, retrying on its own until the delivery timeout."""
    k, p = s.kafka, s.producer
    return KafkaProducer(
        **kafka_client_config(k),
        client_id="akhbar-dlq-replay",
        acks="all",
        enable_idempotence=True,
        compression_type=None if k.compression == "none" else k.compression,
        linger_ms=p.linger_ms,
        delivery_timeout_ms=k.delivery_timeout_ms,
        request_timeout_ms=min(30_000, k.delivery_timeout_ms - p.linger_ms),  # the client requires the sum to fit
        max_request_size=k.max_message_bytes,
    )


def sink_worker(s: Settings) -> SinkWorker:
    """The sink worker with its clients: the enriched topic's consumer, the dead-letter producer, the bulk writer
    to the index alias (credentials checked at once) and the batching and retry bounds of the settings."""
    from schemas import STORY_FIELDS
    from sinks.base import Item
    from sinks.batch import Batcher
    from sinks.elasticsearch import ElasticsearchSink
    from sinks.worker import SinkWorker, WorkerConfig

    c, es, st = s.sink, s.elasticsearch, s.stories
    sink = ElasticsearchSink(
        es_client(es, check=True),
        alias=es.alias,
        replicas=es.replicas,
        attempts=c.bulk_attempts,
        retry_timeout_s=c.bulk_retry_timeout_s,
        wait_initial_s=c.bulk_wait_initial_s,
        wait_max_s=c.bulk_wait_max_s,
        retry_after_s=c.outage_round_s,
        setup_timeout_s=c.setup_timeout_s,
        extra_indices={st.alias: STORY_FIELDS} if st.enabled else None,
    )
    batcher: Batcher[Item] = Batcher(c.batch_max_count, c.batch_max_bytes, c.batch_max_age_s)
    config = WorkerConfig(
        topic=s.kafka.enriched_topic,
        dlq_topic=s.kafka.dlq_topic,
        poll_timeout_ms=c.poll_timeout_ms,
        probe_interval_s=c.probe_interval_s,
        commit_timeout_ms=c.commit_timeout_ms,
        commit_attempts=c.commit_attempts,
        commit_retry_timeout_s=c.commit_retry_timeout_s,
        commit_wait_initial_s=c.commit_wait_initial_s,
        commit_wait_max_s=c.commit_wait_max_s,
        stories_topic=st.stories_topic if st.enabled else None,
        stories_alias=st.alias if st.enabled else None,
    )
    consumer = sink_consumer(s)
    return SinkWorker(consumer, dlq_producer(s), sink, batcher, config)


def es_client(es: ElasticsearchSettings, *, check: bool = False) -> Elasticsearch:
    """The Elasticsearch client; ``check`` = fail at once on rejected credentials (:func:`check_elasticsearch`).

    The client's own retries are off: every retry is the sink's, bounded and logged.
    """
    from elasticsearch import Elasticsearch

    kwargs: dict[str, Any] = {"request_timeout": es.request_timeout_s, "max_retries": 0, "retry_on_timeout": False}
    if es.api_key:
        kwargs["api_key"] = es.api_key.get_secret_value()
    if es.username and es.password:
        kwargs["basic_auth"] = (es.username, es.password.get_secret_value())
    if es.ca_certs:
        kwargs["ca_certs"] = str(es.ca_certs)
    client = Elasticsearch(es.url, **kwargs)
    if check:
        check_elasticsearch(client, es)
    return client


def chain_config(e: EnrichSettings) -> ChainConfig:
    """What ``processors.chain.build_chain`` takes, from the enrich settings."""
    from processors.chain import ChainConfig

    return ChainConfig(
        steps=e.steps,
        accepted_languages=e.accepted_languages,
        future_date_tolerance=e.future_date_tolerance,
        ner_backend=e.ner_backend,
        ner_camel_model_dir=e.ner_camel_model_dir,
        topic_threshold=e.topic_threshold,
        body_max_chars=e.body_max_chars,
        entities_max=e.entities_max,
        entity_spans_max=e.entity_spans_max,
        entity_max_chars=e.entity_max_chars,
    )


def story_params(st: StoriesSettings) -> StoryParams:
    """What ``processors.stories.index.StoryIndex`` takes, from the stories settings."""
    from processors.stories.index import StoryParams

    return StoryParams(
        window_s=st.window_hours * 3600.0,
        threshold=st.threshold,
        entity_weight=st.entity_weight,
        dup_threshold=st.dup_threshold,
        max_gap_s=st.max_gap_hours * 3600.0,
    )


# --- live feeds ---------------------------------------------------------------------------------------------
FEED_SESSION_TIMEOUT_MS = 10_000  # a dead poller's feeds move to the others within ~10 s (Kafka's default: 45 s)


def feed_policies(f: FeedSettings) -> tuple[FetchPolicy, HealthPolicy, PollPolicy]:
    """The feed settings as the three policies of the poller's parts (fetching, schedule, one poll's bounds)."""
    from producers.feeds.health import HealthPolicy
    from producers.feeds.poller import PollPolicy
    from producers.feeds.types import FetchPolicy

    fetch = FetchPolicy(
        user_agent=f.user_agent,
        connect_timeout_s=f.connect_timeout_s,
        read_timeout_s=f.read_timeout_s,
        total_timeout_s=f.total_timeout_s,
        max_redirects=f.max_redirects,
        max_bytes=f.max_bytes,
        per_host_concurrency=f.per_host_concurrency,
        per_host_delay_s=f.per_host_delay_s,
        robots_ttl_s=f.robots_ttl_s,
        retry_after_max_s=f.retry_after_max_s,
    )
    health = HealthPolicy(
        default_interval_s=f.default_interval_s,
        min_interval_s=f.min_interval_s,
        max_interval_s=f.max_interval_s,
        faster=f.faster,
        slower=f.slower,
        disable_score=f.disable_score,
        disabled_probe_s=f.disabled_probe_s,
        seen_max=f.seen_max,
    )
    poll = PollPolicy(
        feeds_in_flight=f.feeds_in_flight,
        new_items_max=f.new_items_max,
        page_attempts_max=f.page_attempts_max,
        sitemap_children_max=f.sitemap_children_max,
        tick_s=f.tick_s,
        commit_every_s=f.commit_every_s,
    )
    return fetch, health, poll


def ensure_feeds_state_topic(s: Settings) -> None:
    """The compacted state topic (one record per feed, the latest kept), created when missing."""
    f = s.feeds
    admin = KafkaAdminClient(**kafka_client_config(s.kafka), client_id="akhbar-admin")
    try:
        if f.state_topic not in set(admin.list_topics()):
            topic = NewTopic(
                f.state_topic,
                num_partitions=f.state_partitions,
                replication_factor=s.kafka.replication_factor,
                topic_configs={"cleanup.policy": "compact", TOPIC_MAX_MESSAGE_BYTES: str(s.kafka.max_message_bytes)},
            )
            with contextlib.suppress(TopicAlreadyExistsError):  # another poller created it first
                admin.create_topics([topic])
            log.info("created topic %s (compacted)", f.state_topic)
    finally:
        admin.close()
    consumer = KafkaConsumer(**kafka_client_config(s.kafka), client_id="akhbar-admin")
    try:
        wait_for_partitions(consumer, [f.state_topic])
    finally:
        consumer.close()


def feeds_state_store(s: Settings) -> KafkaStateStore:
    """The pollers' shared state: a consumer in the feeds group (it decides which poller owns which feeds) and an
    idempotent acks=all producer of state records."""
    from producers.feeds.state import KafkaStateStore

    f = s.feeds
    consumer = KafkaConsumer(
        **kafka_client_config(s.kafka),
        **fetch_limits(s.kafka),
        group_id=f.group_id,
        enable_auto_commit=False,  # nothing to commit: a poller always reads its partitions from the beginning
        auto_offset_reset="earliest",
        session_timeout_ms=FEED_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=FEED_SESSION_TIMEOUT_MS // 3,
    )
    producer = KafkaProducer(
        **kafka_client_config(s.kafka),
        acks="all",
        enable_idempotence=True,
        linger_ms=s.producer.linger_ms,
        max_request_size=s.kafka.max_message_bytes,
    )
    return KafkaStateStore(consumer, producer, topic=f.state_topic, partitions=f.state_partitions)


def feeds_state_reader(s: Settings) -> KafkaConsumer:
    """A group-less consumer for ``akhbar feeds list``: reads every feed's latest state, joins no group."""
    return KafkaConsumer(**kafka_client_config(s.kafka), **fetch_limits(s.kafka), enable_auto_commit=False)


# --- the story stage ----------------------------------------------------------------------------------------
STORY_STATE_READ_TIMEOUT_MS = 30_000  # reading the state back: no record for 30 s before its end = broken


def ensure_story_topics(s: Settings) -> None:
    """The story stage's topics, created when missing: the tagged topic (one partition: one order for the stage),
    and the compacted state and stories topics (one partition each, the latest record of every key kept)."""
    k, st = s.kafka, s.stories
    limit = {TOPIC_MAX_MESSAGE_BYTES: str(k.max_message_bytes)}
    compact = {**limit, "cleanup.policy": "compact"}
    wanted = {st.tagged_topic: limit, st.state_topic: compact, st.stories_topic: compact}
    admin = KafkaAdminClient(**kafka_client_config(k), client_id="akhbar-admin")
    try:
        existing = set(admin.list_topics())
        new = [
            NewTopic(name, num_partitions=1, replication_factor=k.replication_factor, topic_configs=configs)
            for name, configs in wanted.items()
            if name not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker created them first
                admin.create_topics(new)
            log.info("created topics %s", [t.name for t in new])
    finally:
        admin.close()
    consumer = KafkaConsumer(**kafka_client_config(k), client_id="akhbar-admin")
    try:
        wait_for_partitions(consumer, list(wanted))
    finally:
        consumer.close()


def story_state_reader(s: Settings) -> Callable[[], list[tuple[str, dict[str, Any] | None]]]:
    """A function reading the story stage's state topic from its beginning to its end: (key, value or None)."""
    from kafka import TopicPartition

    topic = s.stories.state_topic

    def read() -> list[tuple[str, dict[str, Any] | None]]:
        consumer = KafkaConsumer(**kafka_client_config(s.kafka), **fetch_limits(s.kafka), enable_auto_commit=False)
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            end = consumer.end_offsets([tp])[tp]
            out: list[tuple[str, dict[str, Any] | None]] = []
            idle = 0
            while consumer.position(tp) < end:
                batch = consumer.poll(timeout_ms=500)
                idle = 0 if batch else idle + 500
                if idle > STORY_STATE_READ_TIMEOUT_MS:
                    raise TimeoutError(f"reading {topic}: no records for {idle} ms before its end offset {end}")
                for records in batch.values():
                    out += [(r.key.decode(), orjson.loads(r.value) if r.value else None) for r in records if r.key]
            return out
        finally:
            consumer.close()

    return read

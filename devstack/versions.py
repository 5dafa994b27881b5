"""Every version the local stack and docker-compose.yml run, pinned here and nowhere else.

``tests/unit/stack`` checks that docker-compose.yml, the Kafka pom and the plugin pom agree with this module.
"""

from __future__ import annotations

KAFKA_VERSION = "4.1.2"  # the Kafka release the pipeline is tested against (KRaft only, no ZooKeeper)
SCALA_BINARY_VERSION = "2.13"  # Kafka 4 is published for Scala 2.13 only
LOG4J_VERSION = "2.25.3"  # the log4j-core that kafka-server 4.1.2 depends on; the slf4j binding must match it
LOG4J_SLF4J_ARTIFACT = "log4j-slf4j-impl"  # Kafka 4.1 uses slf4j-api 1.7.x, whose log4j2 binding is the -impl one
ELASTICSEARCH_VERSION = "9.5.3"  # the Elasticsearch release the index template is tested against
LUCENE_VERSION = "10.5.1"  # the Lucene inside Elasticsearch 9.5.3 (its lib/lucene-analysis-common-*.jar)
KIBANA_VERSION = ELASTICSEARCH_VERSION  # Kibana must match Elasticsearch exactly
PYTHON_IMAGE = "python:3.11-slim"  # the project requires Python 3.11 (pyproject.toml)
ANALYSIS_PLUGIN_VERSION = "1.0.0"  # akhbar's own Arabic analysis plugin (devstack/analysis-plugin)

MIN_KAFKA_JAVA = 17  # Kafka 4 brokers need Java 17+
MIN_ES_JAVA = 21  # Elasticsearch 9 needs Java 21+

KAFKA_IMAGE = f"apache/kafka:{KAFKA_VERSION}"
ELASTICSEARCH_IMAGE = f"docker.elastic.co/elasticsearch/elasticsearch:{ELASTICSEARCH_VERSION}"
KIBANA_IMAGE = f"docker.elastic.co/kibana/kibana:{KIBANA_VERSION}"

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"  # the only artefact source the stack uses
# The integ-test-zip: a full Elasticsearch server with only the modules its own tests need (no analysis-common).
ELASTICSEARCH_ZIP_URL = (
    f"{MAVEN_CENTRAL}/org/elasticsearch/distribution/integ-test-zip/elasticsearch/"
    f"{ELASTICSEARCH_VERSION}/elasticsearch-{ELASTICSEARCH_VERSION}.zip"
)
ELASTICSEARCH_ZIP_SHA1_URL = ELASTICSEARCH_ZIP_URL + ".sha1"
# Maven Central serves the 9.5.3 zip but (as of 2026-11-21) no .sha1/.md5/.asc/.pom next to it, and its
# maven-metadata.xml lists no 9.x: the checksum below pins the bytes first downloaded on 2026-11-21 (trust on
# first use). A .sha1, when Central has one, is checked as well.
ELASTICSEARCH_ZIP_SHA256 = "bec49f3b8d00e75c8d1cec85c35298635ec9fbd3ae80ef5aeb6bc05abdb3db2d"

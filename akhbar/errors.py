"""Errors the command line reports as one line and a non-zero exit, without a traceback (light to import)."""


class CredentialsRejected(RuntimeError):
    """Kafka or Elasticsearch refused the configured credentials: a configuration error, never retried."""

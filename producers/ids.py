"""Deterministic article ids: the same story URL (or, without a URL, the same text) always gets the same id.

The id is the Kafka message key and the Elasticsearch ``_id``, so replaying a feed never duplicates documents.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

ID_HEX_DIGITS = 32  # 128 bits of sha256: collisions are out of reach, and it fits the schema's pattern

# Query parameters that say how a reader arrived, not which article it is.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "spm",
        "cmpid",
        "ocid",
        "ito",
        "at_medium",
        "at_campaign",
        "_ga",
        "_gl",
        "amp",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hmb_", "__twitter", "__s")
DEFAULT_PORTS = {"http": "80", "https": "443"}
_WS = re.compile(r"\s+")


def canonical_url(url: str | None) -> str | None:
    """Canonical form of an article URL, or None when it is not an http(s) URL.

    Lower-cases scheme and host, drops ``www.``, default ports, fragments, tracking parameters and a trailing
    slash, sorts the remaining query, and percent-encodes the path uniformly (Arabic slugs arrive both ways).
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port is None or str(port) == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/%:@!$&'()*+,;=-._~") or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    # Both http and https versions of a story are the same story.
    return urlunsplit(("https", netloc, path, urlencode(sorted(query)), ""))


def content_fingerprint(title: str, body: str) -> str:
    """Whitespace- and Unicode-normalised text the content hash is taken over."""
    text = unicodedata.normalize("NFKC", f"{title}\n{body}")
    return _WS.sub(" ", text).strip()


def article_id(url: str | None, title: str, body: str) -> tuple[str, str | None]:
    """``(id, canonical_url)``: sha256 of the canonical URL, else of the normalised content."""
    canon = canonical_url(url)
    basis = f"url:{canon}" if canon else f"content:{content_fingerprint(title, body)}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:ID_HEX_DIGITS], canon

from __future__ import annotations

from sinks.index import index_name, template_body


def test_template_uses_only_stock_analysis_components() -> None:
    body = template_body("akhbar-articles")
    analysis = body["template"]["settings"]["analysis"]
    assert analysis["analyzer"]["akhbar_arabic_exact"]["filter"] == [
        "lowercase",
        "decimal_digit",
        "arabic_normalization",
    ]
    props = body["template"]["mappings"]["properties"]
    assert props["title"]["analyzer"] == props["body"]["analyzer"] == "arabic"
    for keyword in ("source", "persons", "locations", "organizations", "topics", "geo_scope", "keywords"):
        assert keyword in props
    assert props["published_at"] == {"type": "date"}
    assert body["index_patterns"] == ["akhbar-articles-v*"] and index_name("akhbar-articles") == "akhbar-articles-v1"

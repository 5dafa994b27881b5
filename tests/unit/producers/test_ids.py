from __future__ import annotations

import pytest

from producers.ids import article_id, canonical_url


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.example.com/news/1?utm_source=x&utm_medium=y", "https://example.com/news/1"),
        ("http://Example.com:80/news/1/#comments", "https://example.com/news/1"),
        ("https://example.com/a?b=2&a=1&fbclid=zz", "https://example.com/a?a=1&b=2"),
        ("https://example.com/أخبار/غزة", "https://example.com/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%BA%D8%B2%D8%A9"),
    ],
)
def test_same_story_same_canonical_url(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)


def test_meaningful_query_parameters_are_kept() -> None:
    assert canonical_url("https://example.com/story?id=5") != canonical_url("https://example.com/story?id=6")


@pytest.mark.parametrize("bad", [None, "", "ftp://example.com/x", "not a url", "https://", "http://[::1"])
def test_non_http_urls_have_no_canonical_form(bad: str | None) -> None:
    assert canonical_url(bad) is None


def test_id_from_url_ignores_content() -> None:
    a, canon = article_id("https://example.com/x?utm_campaign=1", "عنوان", "نص أول")
    b, _ = article_id("https://example.com/x", "عنوان آخر", "نص ثان")
    assert a == b and canon == "https://example.com/x" and len(a) == 32


def test_id_from_content_without_url() -> None:
    a, canon = article_id(None, "عنوان", "نص   الخبر")
    b, _ = article_id("", "عنوان", "نص الخبر")
    c, _ = article_id(None, "عنوان", "نص خبر آخر")
    assert canon is None and a == b and a != c

from __future__ import annotations

import io
import json
from pathlib import Path

from producers.prepare import prepare
from producers.sources import DirectorySource, JsonLinesSource, html_to_fields, text_to_fields
from schemas import RawArticle


def test_json_lines_skip_blank_lines_and_number_origins() -> None:
    src = JsonLinesSource(io.BytesIO(b'{"a": 1}\n\n{"b": 2}\n'), "feed.jsonl")
    assert [i.origin for i in src] == ["feed.jsonl:1", "feed.jsonl:3"]


def test_html_page_keeps_article_text_and_drops_chrome() -> None:
    page = """<html><head><title>موقع | خبر</title><link rel="canonical" href="https://x.example/n/1">
    <meta property="og:site_name" content="صحيفة المثال"></head><body><nav>الرئيسية رياضة</nav>
    <h1>افتتاح معرض الكتاب</h1><p>افتتح الوزير المعرض صباح اليوم.</p><script>var a = 1;</script>
    <footer>جميع الحقوق محفوظة</footer></body></html>"""
    fields = html_to_fields(page)
    assert fields["title"] == "افتتاح معرض الكتاب"
    assert fields["body"] == "افتتح الوزير المعرض صباح اليوم."
    assert fields["url"] == "https://x.example/n/1" and fields["source"] == "صحيفة المثال"


def test_text_file_with_and_without_header() -> None:
    with_header = text_to_fields("url: https://x.example/1\nsource: المصدر\ntitle: العنوان\n\nالسطر الأول\nالثاني")
    assert with_header == {
        "url": "https://x.example/1",
        "source": "المصدر",
        "title": "العنوان",
        "body": "السطر الأول\nالثاني",
    }
    plain = text_to_fields("\nالعنوان هنا\nنص الخبر")
    assert plain == {"title": "العنوان هنا", "body": "نص الخبر"}


def test_directory_source_reads_each_format(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"title": "أ", "body": "نص أ"}), encoding="utf-8")
    (tmp_path / "b.txt").write_text("عنوان ب\nنص ب", encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps([{"title": "ج", "body": "نص ج"}, {"title": "د", "body": "نص د"}]))
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")
    src = DirectorySource(tmp_path)
    results = [prepare(i) for i in src]
    assert all(isinstance(r, RawArticle) for r in results)
    assert sorted(r.title for r in results if isinstance(r, RawArticle)) == sorted(["أ", "عنوان ب", "ج", "د"])
    # a second scan of an unchanged folder yields nothing new
    assert list(src.scan()) == []

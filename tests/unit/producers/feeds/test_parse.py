"""Feed and sitemap bodies to items: every format parse_feed reads, and every way a body can fail to be a feed."""

from __future__ import annotations

import random

import orjson

from producers.feeds.parse import parse_feed

URL = "https://akhbar.example/feeds/main.xml"

RSS2 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>أخبار الواحة</title>
  <link>https://akhbar.example/</link>
  <description>آخر الأنباء من الواحة</description>
  <language>ar</language>
  <item>
    <title>افتتاح مكتبة عامة جديدة في مدينة النخيل</title>
    <link>https://akhbar.example/news/1001</link>
    <guid isPermaLink="false">waha-1001</guid>
    <pubDate>Tue, 05 Mar 2024 14:30:00 +0300</pubDate>
    <dc:creator>سلمى الراشد</dc:creator>
    <description>افتتحت البلدية مكتبة عامة تضم عشرين ألف كتاب.</description>
    <content:encoded><![CDATA[<p>افتتحت بلدية مدينة النخيل صباح اليوم مكتبة عامة جديدة.</p>
<p>وتضم المكتبة عشرين ألف كتاب وقاعة للأطفال.</p>]]></content:encoded>
  </item>
  <item>
    <title>ارتفاع منسوب مياه النهر بعد الأمطار</title>
    <link>https://akhbar.example/news/1002</link>
    <guid>https://akhbar.example/news/1002</guid>
    <pubDate>Wed, 06 Mar 2024 08:00:00 GMT</pubDate>
    <description>سجلت محطات القياس ارتفاعا ملحوظا في منسوب النهر.</description>
  </item>
</channel>
</rss>
"""


def test_rss2_items_carry_every_field() -> None:
    feed = parse_feed(RSS2.encode(), url=URL, content_type="application/rss+xml")
    assert feed.kind == "rss" and feed.fatal is None and feed.errors == 0
    assert feed.title == "أخبار الواحة" and feed.language == "ar"
    assert len(feed.items) == 2
    first, second = feed.items
    assert first.guid == "waha-1001"
    assert first.link == "https://akhbar.example/news/1001"
    assert first.title == "افتتاح مكتبة عامة جديدة في مدينة النخيل"
    assert first.author == "سلمى الراشد"
    assert first.published == "2024-03-05T11:30:00+00:00"  # +0300 read and given back in UTC
    assert "مكتبة عامة جديدة" in first.content and "قاعة للأطفال" in first.content
    assert first.summary == "افتتحت البلدية مكتبة عامة تضم عشرين ألف كتاب."
    assert first.language == "ar"
    assert second.guid == "https://akhbar.example/news/1002"
    assert second.published == "2024-03-06T08:00:00+00:00"
    assert second.content == "" and second.author is None


def test_rss1_rdf() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://akhbar.example/rdf">
    <title>نشرة الجبل</title>
    <link>https://akhbar.example/</link>
    <description>أخبار المناطق الجبلية</description>
    <dc:language>ar</dc:language>
  </channel>
  <item rdf:about="https://akhbar.example/news/2001">
    <title>تساقط الثلوج على قمم الجبال الشمالية</title>
    <link>https://akhbar.example/news/2001</link>
    <description>غطت الثلوج القمم لأول مرة منذ خمس سنوات.</description>
    <dc:date>2024-01-15T07:45:00Z</dc:date>
  </item>
</rdf:RDF>"""
    feed = parse_feed(body.encode(), url=URL)
    assert feed.kind == "rdf" and feed.fatal is None
    assert feed.title == "نشرة الجبل"
    (item,) = feed.items
    assert item.link == "https://akhbar.example/news/2001"
    assert item.title == "تساقط الثلوج على قمم الجبال الشمالية"
    assert (item.published or item.updated) == "2024-01-15T07:45:00+00:00"  # dc:date: feedparser calls it "updated"


def test_atom_language_and_relative_links() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar-EG">
  <title>صحيفة الساحل</title>
  <id>tag:akhbar.example,2024:sahel</id>
  <updated>2024-02-01T10:00:00Z</updated>
  <entry>
    <title>ميناء الساحل يستقبل أول سفينة سياحية هذا الموسم</title>
    <link rel="alternate" href="/sahel/2024/port-ship"/>
    <id>tag:akhbar.example,2024:3001</id>
    <updated>2024-02-01T09:15:00+02:00</updated>
    <author><name>كريم منصور</name></author>
    <summary>رست السفينة صباح الخميس وعلى متنها ألف سائح.</summary>
    <content type="html">&lt;p&gt;رست السفينة السياحية الأولى في ميناء الساحل صباح الخميس.&lt;/p&gt;</content>
  </entry>
</feed>"""
    feed = parse_feed(body.encode(), url=URL, content_type="application/atom+xml")
    assert feed.kind == "atom" and feed.fatal is None
    assert feed.language == "ar"
    (item,) = feed.items
    assert item.link == "https://akhbar.example/sahel/2024/port-ship"
    assert item.guid == "tag:akhbar.example,2024:3001"
    assert item.author == "كريم منصور"
    assert item.updated == "2024-02-01T07:15:00+00:00"
    assert "رست السفينة السياحية الأولى" in item.content
    assert item.summary == "رست السفينة صباح الخميس وعلى متنها ألف سائح."
    assert item.language == "ar"


def test_json_feed_1_1_authors_list() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "موجز الصحراء",
        "language": "ar",
        "items": [
            {
                "id": "sahra-41",
                "url": "/news/41",
                "title": "اكتشاف موقع أثري قرب الواحة الشرقية",
                "content_html": "<p>عثر فريق من الباحثين على بقايا قرية قديمة.</p>",
                "summary": "بقايا قرية قديمة",
                "date_published": "2024-04-10T12:00:00+03:00",
                "authors": [{"name": "ليلى حداد"}, {"name": "عمر زيدان"}],
            }
        ],
    }
    feed = parse_feed(orjson.dumps(doc), url=URL, content_type="application/feed+json")
    assert feed.kind == "jsonfeed" and feed.fatal is None and feed.errors == 0
    assert feed.title == "موجز الصحراء" and feed.language == "ar"
    (item,) = feed.items
    assert item.guid == "sahra-41"
    assert item.link == "https://akhbar.example/news/41"
    assert item.author == "ليلى حداد, عمر زيدان"
    assert item.content == "<p>عثر فريق من الباحثين على بقايا قرية قديمة.</p>"
    assert item.published == "2024-04-10T12:00:00+03:00"
    assert item.language == "ar"


def test_json_feed_1_0_single_author() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "items": [
            {
                "id": 42,
                "url": "https://akhbar.example/news/42",
                "content_text": "أعلنت وزارة الزراعة موعد بدء موسم الحصاد.",
                "author": {"name": "نادر الخطيب"},
            }
        ],
    }
    (item,) = parse_feed(orjson.dumps(doc), url=URL).items
    assert item.guid == "42" and item.author == "نادر الخطيب"
    assert item.content == "أعلنت وزارة الزراعة موعد بدء موسم الحصاد."


def test_google_news_sitemap() -> None:
    body = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://akhbar.example/news/5001</loc>
    <news:news>
      <news:publication><news:name>أخبار الواحة</news:name><news:language>ar</news:language></news:publication>
      <news:publication_date>2024-05-20T18:30:00+03:00</news:publication_date>
      <news:title>تدشين خط حافلات يربط القرى بالعاصمة</news:title>
    </news:news>
  </url>
</urlset>"""
    feed = parse_feed(body.encode(), url=URL)
    assert feed.kind == "news_sitemap" and feed.fatal is None and feed.language == "ar"
    (item,) = feed.items
    assert item.link == "https://akhbar.example/news/5001"
    assert item.title == "تدشين خط حافلات يربط القرى بالعاصمة"
    assert item.published == "2024-05-20T18:30:00+03:00"
    assert item.language == "ar" and item.guid is None


def test_plain_sitemap_with_lastmod() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://akhbar.example/news/6001</loc><lastmod>2024-06-01</lastmod></url>
  <url><loc>/news/6002</loc></url>
</urlset>"""
    feed = parse_feed(body, url=URL)
    assert feed.kind == "sitemap" and feed.errors == 0
    assert [i.link for i in feed.items] == ["https://akhbar.example/news/6001", "https://akhbar.example/news/6002"]
    assert [i.published for i in feed.items] == ["2024-06-01", None]


def test_sitemap_index_children_are_absolute() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://akhbar.example/sitemap-2024.xml</loc></sitemap>
  <sitemap><loc>/sitemap-news.xml</loc></sitemap>
</sitemapindex>"""
    feed = parse_feed(body, url=URL)
    assert feed.kind == "sitemap_index" and feed.items == ()
    assert feed.sitemaps == ("https://akhbar.example/sitemap-2024.xml", "https://akhbar.example/sitemap-news.xml")


def test_windows_1256_rss_decodes_arabic() -> None:
    title = "الحكومة تعلن خطة لتطوير الطرق الريفية"
    body = f"""<?xml version="1.0" encoding="windows-1256"?>
<rss version="2.0"><channel><title>جريدة الريف</title><link>https://akhbar.example/</link>
<item><title>{title}</title><link>https://akhbar.example/news/7001</link>
<description>تشمل الخطة ثلاثمئة كيلومتر من الطرق.</description></item>
</channel></rss>""".encode("cp1256")
    feed = parse_feed(body, url=URL, content_type="application/rss+xml")
    assert feed.fatal is None and feed.title == "جريدة الريف"
    (item,) = feed.items
    assert item.title == title
    assert item.summary == "تشمل الخطة ثلاثمئة كيلومتر من الطرق."


def test_malformed_xml_keeps_readable_items() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>أنباء المدينة</title>
<item><title>إعادة فتح السوق القديم بعد ترميمه</title><link>https://akhbar.example/news/8001</link></item>
<item><title>خبر مقطوع &nbsp; <b>بلا نهاية</title><link>https://akhbar.example/news/8002</link>
</channel>"""
    feed = parse_feed(body.encode(), url=URL)
    assert feed.fatal is None and feed.errors >= 1
    assert feed.items[0].title == "إعادة فتح السوق القديم بعد ترميمه"
    assert feed.items[0].link == "https://akhbar.example/news/8001"


def test_html_page_is_not_a_feed() -> None:
    body = """<!DOCTYPE html><html lang="ar" dir="rtl"><head><title>الصفحة الرئيسية</title></head>
<body><h1>مرحبا بكم في موقع الأخبار</h1><p>تابعوا آخر المستجدات.</p></body></html>"""
    feed = parse_feed(body.encode(), url=URL, content_type="text/html")
    assert feed.fatal == "not_a_feed" and feed.items == ()


def test_empty_and_whitespace_bodies() -> None:
    for body in (b"", b"   \r\n\t  ", b"\xef\xbb\xbf\n \n"):
        feed = parse_feed(body, url=URL)
        assert feed.fatal == "empty" and feed.items == (), body


def test_binary_body_is_fatal_without_raising() -> None:
    rng = random.Random(1256)
    body = b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4096))
    feed = parse_feed(body, url=URL, content_type="image/png")
    assert feed.fatal is not None and feed.items == ()


def test_broken_json_is_not_a_feed() -> None:
    feed = parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ', url=URL)
    assert feed.fatal == "not_a_feed" and feed.items == ()


def test_entry_without_link_or_guid_is_dropped_and_counted() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>أنباء</title><link>https://akhbar.example/</link>
<item><title>خبر بلا رابط ولا معرف</title><description>لا شيء يدل عليه.</description></item>
<item><title>خبر له رابط</title><link>https://akhbar.example/news/9001</link></item>
</channel></rss>"""
    feed = parse_feed(body.encode(), url=URL)
    assert feed.fatal is None and feed.errors == 1
    assert [i.title for i in feed.items] == ["خبر له رابط"]


def test_unreadable_date_is_kept_as_written() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>أنباء</title><link>https://akhbar.example/</link>
<item><title>مهرجان الربيع</title><link>https://akhbar.example/news/9101</link>
<pubDate>الخميس الماضي</pubDate></item>
</channel></rss>"""
    (item,) = parse_feed(body.encode(), url=URL).items
    assert item.published == "الخميس الماضي"


def test_empty_valid_channel() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>empty</title><link>https://akhbar.example/</link>
<description>-</description></channel></rss>"""
    feed = parse_feed(body, url=URL)
    assert feed.kind == "rss" and feed.fatal is None and feed.items == () and feed.errors == 0


def test_sitemap_xxe_does_not_leak_files() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://akhbar.example/news/&xxe;</loc><lastmod>2024-06-01</lastmod></url>
  <url><loc>https://akhbar.example/news/9201</loc></url>
</urlset>"""
    feed = parse_feed(body, url=URL)
    dumped = repr(feed)
    assert "root:" not in dumped and "/bin/" not in dumped
    assert "https://akhbar.example/news/9201" in [i.link for i in feed.items]

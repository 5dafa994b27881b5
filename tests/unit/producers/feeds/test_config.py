from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from producers.feeds.config import (
    DEFAULT_FETCH,
    FeedConfig,
    FeedConfigError,
    import_opml,
    load_feeds,
    parse_feeds,
    toml_string,
)
from producers.ids import canonical_url

REPO = Path(__file__).resolve().parents[4]


def write(tmp_path: Path, text: str, name: str = "feeds.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    """The messages load_feeds raises for ``text``, with the temporary directory cut off the file name."""
    path = write(tmp_path, text)
    with pytest.raises(FeedConfigError) as info:
        load_feeds(path)
    assert str(info.value) == "\n".join(info.value.problems)
    return [p.replace(f"{tmp_path}/", "") for p in info.value.problems]


# --- valid files ---------------------------------------------------------------------------------------------------


def test_valid_file_loads_in_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[feeds]]
url = "  https://www.aljazeera.net/rss  "
source = "الجزيرة"
interval = 300
fetch = "always"
language = "ar"

[[feeds]]
url = "http://feeds.bbci.co.uk/arabic/rss.xml"
""",
    )
    first, second = load_feeds(path)
    assert first == FeedConfig(
        url="https://www.aljazeera.net/rss", source="الجزيرة", interval=300.0, fetch="always", language="ar"
    )
    assert first.name == "الجزيرة"
    assert (second.source, second.interval, second.fetch, second.language) == (None, None, "auto", None)
    assert second.name == "feeds.bbci.co.uk"
    assert len(first.key) == 32 and int(first.key, 16) >= 0 and first.key != second.key


def test_name_drops_www_from_the_host() -> None:
    assert FeedConfig(url="https://WWW.Hespress.com/feed").name == "hespress.com"


def test_default_fetch_is_auto() -> None:
    assert DEFAULT_FETCH == "auto"
    assert FeedConfig(url="https://example.com/rss").fetch == "auto"


def test_feed_config_is_frozen_and_strict() -> None:
    feed = FeedConfig(url="https://example.com/rss")
    with pytest.raises(ValidationError):
        feed.url = "https://other.example/rss"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        FeedConfig(url="https://example.com/rss", intervall=5)  # type: ignore[call-arg]


def test_defaults_apply_to_feeds_that_do_not_set_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[defaults]
interval = "15m"
fetch = "never"
language = "ar"

[[feeds]]
url = "https://a.example/rss"

[[feeds]]
url = "https://b.example/rss"
interval = "30s"
fetch = "auto"
language = "fr"
""",
    )
    a, b = load_feeds(path)
    assert (a.interval, a.fetch, a.language) == (900.0, "never", "ar")
    assert (b.interval, b.fetch, b.language) == (30.0, "auto", "fr")


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        (90, 90.0),
        (2.5, 2.5),
        ("90", 90.0),
        ("90s", 90.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("1.5h", 5400.0),
        (" 10 m ", 600.0),
        ("1d", 86400.0),
    ],
)
def test_interval_forms(given: object, seconds: float) -> None:
    assert FeedConfig.model_validate({"url": "https://example.com/rss", "interval": given}).interval == seconds


@pytest.mark.parametrize("bad", [0, -5, "0s", "15x", "m", "15 minutes", True, float("inf"), float("nan"), [1]])
def test_bad_intervals_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="interval"):
        FeedConfig.model_validate({"url": "https://example.com/rss", "interval": bad})


@pytest.mark.parametrize("bad", ["AR", "arabic", "a", "ar-SA", 1])
def test_bad_languages_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="ISO 639"):
        FeedConfig.model_validate({"url": "https://example.com/rss", "language": bad})


@pytest.mark.parametrize(
    "bad", ["ftp://example.com/rss", "example.com/rss", "https://", "https:///path", "https://exa mple.com/", ""]
)
def test_bad_urls_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="url"):
        FeedConfig(url=bad)


def test_a_bom_is_forgiven(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_bytes('\ufeff[[feeds]]\nurl = "https://example.com/rss"\n'.encode())
    assert load_feeds(path)[0].url == "https://example.com/rss"


# --- keys -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.aljazeera.net/rss",
        "http://aljazeera.net/rss/",
        "https://aljazeera.net/rss?utm_source=twitter&utm_medium=social",
        "https://AlJazeera.net:443/rss#top",
    ],
)
def test_key_is_the_same_for_equivalent_urls(variant: str) -> None:
    assert FeedConfig(url=variant).key == FeedConfig(url="https://aljazeera.net/rss").key


def test_key_is_sha256_of_the_canonical_url_and_stable() -> None:
    import hashlib

    feed = FeedConfig(url="https://www.aljazeera.net/rss?utm_source=x")
    canon = canonical_url(feed.url)
    assert canon == "https://aljazeera.net/rss"
    assert feed.key == hashlib.sha256(canon.encode()).hexdigest()[:32]
    assert feed.key == "02f28f71c1a46e561304264540a87001"  # a stored state record must still find its feed
    assert FeedConfig(url="https://aljazeera.net/rss?page=2").key != feed.key


# --- errors, each with its line ---------------------------------------------------------------------------------------


def test_unknown_key_names_its_line_and_the_known_keys(tmp_path: Path) -> None:
    text = '[[feeds]]\nurl = "https://a.example/rss"\n\n[[feeds]]\nurl = "https://b.example/rss"\n\n[[feeds]]\nurl = "https://c.example/rss"\nintervall = 5\n'
    assert problems(tmp_path, text) == [
        "feeds.toml:9: [[feeds]] #3: unknown key 'intervall', did you mean 'interval'? "
        "(known: url, source, interval, fetch, language)"
    ]


def test_unknown_key_without_a_close_match(tmp_path: Path) -> None:
    assert problems(tmp_path, '[[feeds]]\nurl = "https://a.example/rss"\ncolour = "red"\n') == [
        "feeds.toml:3: [[feeds]] #1: unknown key 'colour' (known: url, source, interval, fetch, language)"
    ]


def test_bad_url_names_its_line(tmp_path: Path) -> None:
    text = '[[feeds]]\nurl = "https://a.example/rss"\n\n# a comment\n[[feeds]]\nsource = "x"\nurl = "ftp://x"\n'
    assert problems(tmp_path, text) == ["feeds.toml:7: [[feeds]] #2: url 'ftp://x' is not an http(s) URL"]


def test_bad_fetch_value_names_its_line(tmp_path: Path) -> None:
    assert problems(tmp_path, '[[feeds]]\nurl = "https://a.example/rss"\nfetch = "sometimes"\n') == [
        "feeds.toml:3: [[feeds]] #1: fetch 'sometimes' is not one of: auto, always, never"
    ]


def test_bad_interval_names_its_line(tmp_path: Path) -> None:
    assert problems(tmp_path, '[[feeds]]\nurl = "https://a.example/rss"\n  interval = "15 minutes"\n') == [
        "feeds.toml:3: [[feeds]] #1: interval '15 minutes' is not a duration: write seconds (90) or '90s', '15m', '2h'"
    ]


def test_missing_url_names_the_table_header(tmp_path: Path) -> None:
    text = '[[feeds]]\nurl = "https://a.example/rss"\n\n[[feeds]]\nsource = "بلا عنوان"\n'
    assert problems(tmp_path, text) == ["feeds.toml:4: [[feeds]] #2: missing required key 'url'"]


def test_duplicate_feed_names_both_lines(tmp_path: Path) -> None:
    text = (
        '[[feeds]]\nurl = "https://www.aljazeera.net/rss"\n\n'
        '[[feeds]]\nurl = "https://b.example/rss"\n\n'
        '[[feeds]]\nsource = "again"\nurl = "http://aljazeera.net/rss/?utm_source=x"\n'
    )
    assert problems(tmp_path, text) == [
        "feeds.toml:9: [[feeds]] #3: the same feed as [[feeds]] #1 (line 2): both are https://aljazeera.net/rss"
    ]


def test_bad_toml_gives_tomllib_message_with_file_and_line(tmp_path: Path) -> None:
    text = '[[feeds]]\nurl = "https://a.example/rss"\ninterval = 5 minutes\n'
    with pytest.raises(tomllib.TOMLDecodeError) as own:
        tomllib.loads(text)
    assert problems(tmp_path, text) == [f"feeds.toml:3: invalid TOML: {own.value}"]
    assert "line 3, column" in str(own.value)


@pytest.mark.parametrize("text", ["", "# only a comment\n", '[defaults]\nlanguage = "ar"\n'])
def test_no_feeds_is_an_error(tmp_path: Path, text: str) -> None:
    assert problems(tmp_path, text) == ["feeds.toml: no feeds: add at least one [[feeds]] table with a url"]


def test_only_feeds_and_defaults_at_top_level(tmp_path: Path) -> None:
    text = 'interval = 5\n[[feeds]]\nurl = "https://a.example/rss"\n\n[feed]\nurl = "https://b.example/rss"\n'
    assert problems(tmp_path, text) == [
        "feeds.toml:1: unknown top-level key 'interval': only [[feeds]] tables and [defaults] belong here",
        "feeds.toml:5: unknown top-level key 'feed': only [[feeds]] tables and [defaults] belong here",
    ]


def test_a_single_feeds_table_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, '# feeds\n[feeds]\nurl = "https://a.example/rss"\n') == [
        "feeds.toml:2: 'feeds' must be a list of tables: write [[feeds]], not [feeds]"
    ]


def test_bad_defaults_name_their_lines(tmp_path: Path) -> None:
    text = '[defaults]\nfetch = "maybe"\nsource = "x"\n\n[[feeds]]\nurl = "https://a.example/rss"\n'
    assert problems(tmp_path, text) == [
        "feeds.toml:2: [defaults]: fetch 'maybe' is not one of: auto, always, never",
        "feeds.toml:3: [defaults]: unknown key 'source' (known: interval, fetch, language)",
    ]


def test_every_mistake_is_listed_top_to_bottom(tmp_path: Path) -> None:
    text = (
        '[[feeds]]\nurl = "https://a.example/rss"\n\n'  # 1-3
        '[[feeds]]\nurl = "ftp://b"\nfetch = "no"\n\n'  # 4-7
        '[[feeds]]\nurl = "https://a.example/rss/"\n\n'  # 8-10
        '[[feeds]]\nlanguage = "Arabic"\n'  # 11-12
    )
    assert problems(tmp_path, text) == [
        "feeds.toml:5: [[feeds]] #2: url 'ftp://b' is not an http(s) URL",
        "feeds.toml:6: [[feeds]] #2: fetch 'no' is not one of: auto, always, never",
        "feeds.toml:9: [[feeds]] #3: the same feed as [[feeds]] #1 (line 2): both are https://a.example/rss",
        "feeds.toml:11: [[feeds]] #4: missing required key 'url'",
        "feeds.toml:12: [[feeds]] #4: language 'Arabic' is not an ISO 639 code of 2-3 lower-case letters (e.g. 'ar')",
    ]


def test_multiline_strings_do_not_confuse_the_line_numbers(tmp_path: Path) -> None:
    text = '[[feeds]]\nurl = "https://a.example/rss"\nsource = """\n[[feeds]]\n"""\n\n[[feeds]]\nurl = "gopher://b"\n'
    assert problems(tmp_path, text) == ["feeds.toml:8: [[feeds]] #2: url 'gopher://b' is not an http(s) URL"]


def test_an_inline_array_points_at_its_start(tmp_path: Path) -> None:
    text = '# x\nfeeds = [\n  { url = "https://a.example/rss" },\n  { url = 5 },\n]\n'
    assert problems(tmp_path, text) == ["feeds.toml:2: [[feeds]] #2: url 5 is not a string"]


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(FeedConfigError, match=r"absent\.toml: cannot read"):
        load_feeds(missing)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[[feeds]]\nurl = "https://a.example/rss"\nsource = "caf\xe9"\n')
    with pytest.raises(FeedConfigError, match=r"latin\.toml:3: not UTF-8"):
        load_feeds(latin)


def test_parse_feeds_names_the_given_file() -> None:
    with pytest.raises(FeedConfigError, match=r"^conf/news\.toml:2: \[\[feeds\]\] #1: url"):
        parse_feeds('[[feeds]]\nurl = "mailto:x@example.com"\n', "conf/news.toml")


# --- the bundled example ----------------------------------------------------------------------------------------------


def test_the_bundled_example_loads() -> None:
    feeds = load_feeds(REPO / "feeds.example.toml")
    assert 15 <= len(feeds) <= 25
    assert len({feed.key for feed in feeds}) == len(feeds)
    assert all(feed.language == "ar" and feed.source for feed in feeds)
    assert {feed.fetch for feed in feeds} == {"auto", "always", "never"}
    assert any(feed.interval for feed in feeds)
    assert "NOT VERIFIED" in (REPO / "feeds.example.toml").read_text(encoding="utf-8")


# --- OPML -------------------------------------------------------------------------------------------------------------

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>اشتراكاتي</title></head>
  <body>
    <outline text="أخبار" title="أخبار">
      <outline text="عربي">
        <outline type="rss" text="الجزيرة &quot;نت&quot; \\ مباشر" title="Al Jazeera"
                 xmlUrl="https://www.aljazeera.net/rss" htmlUrl="https://www.aljazeera.net/" language="ar-QA"/>
        <outline type="rss" title="بي بي سي عربي" xmlUrl="https://feeds.bbci.co.uk/arabic/rss.xml"/>
      </outline>
      <outline type="link" text="a page, not a feed" htmlUrl="https://example.com/"/>
    </outline>
    <outline text="Tech">
      <outline type="rss" text="repeat" xmlUrl="http://aljazeera.net/rss/?utm_source=opml"/>
    </outline>
    <outline type="rss" xmlURL="https://example.com/feed.xml"/>
  </body>
</opml>
"""


def test_opml_import_turns_outlines_into_feeds() -> None:
    text = import_opml(OPML.encode())
    feeds = parse_feeds(text)
    assert [(f.url, f.source, f.language) for f in feeds] == [
        ("https://www.aljazeera.net/rss", 'الجزيرة "نت" \\ مباشر', "ar"),
        ("https://feeds.bbci.co.uk/arabic/rss.xml", "بي بي سي عربي", None),
        ("https://example.com/feed.xml", None, None),
    ]
    assert '# أخبار / عربي\n[[feeds]]\nurl = "https://www.aljazeera.net/rss"' in text
    assert 'source = "الجزيرة \\"نت\\" \\\\ مباشر"' in text  # Arabic as is, quote and backslash escaped
    assert "1 repeated outline" in text and "اشتراكاتي" in text
    assert "a page, not a feed" not in text


def test_opml_round_trips_through_load_feeds(tmp_path: Path) -> None:
    path = write(tmp_path, import_opml(OPML.encode()))
    assert [feed.name for feed in load_feeds(path)] == ['الجزيرة "نت" \\ مباشر', "بي بي سي عربي", "example.com"]


def test_opml_1_0_with_unusable_urls_keeps_them_as_comments() -> None:
    data = b"""<opml version="1.0"><head/><body>
      <outline text="ok" xmlUrl="feed://example.com/rss"/>
      <outline text="ftp" xmlUrl="ftp://example.com/rss"/>
      <outline text="empty" xmlUrl="  "/>
    </body></opml>"""
    text = import_opml(data)
    assert [feed.url for feed in parse_feeds(text)] == ["http://example.com/rss"]
    assert "# skipped ftp: url 'ftp://example.com/rss' is not an http(s) URL" in text


def test_opml_control_characters_stay_valid_toml() -> None:
    data = '<opml version="2.0"><body><outline text="a&#9;b" title="t" xmlUrl="https://example.com/r"/></body></opml>'
    assert parse_feeds(import_opml(data.encode()))[0].source == "a b"
    assert toml_string('a"b\\c\nd\x01e') == '"a\\"b\\\\c\\nd\\u0001e"'
    tricky = 'سطر\tو"\x7f'
    assert tomllib.loads(f"s = {toml_string(tricky)}")["s"] == tricky


def test_opml_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    in_text = f"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>
<opml version="2.0"><head><title>t &xxe;</title></head>
<body><outline text="x" xmlUrl="https://example.com/rss"/></body></opml>""".encode()
    text = import_opml(in_text)
    assert "TOP-SECRET-VALUE" not in text
    assert parse_feeds(text)[0].url == "https://example.com/rss"

    in_attribute = in_text.replace(b'text="x"', b'text="&xxe;"')
    with pytest.raises(FeedConfigError) as info:
        import_opml(in_attribute)
    assert "TOP-SECRET-VALUE" not in str(info.value)

    parameter = f"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>
<opml version="2.0"><body><outline text="x" xmlUrl="https://example.com/rss"/></body></opml>""".encode()
    assert "TOP-SECRET-VALUE" not in import_opml(parameter)


def test_opml_entity_expansion_bomb_is_refused() -> None:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    data = f'<!DOCTYPE opml [{entities}]><opml><body><outline text="&a9;" xmlUrl="https://e.com/r"/></body></opml>'
    with pytest.raises(FeedConfigError, match="OPML: not well-formed XML"):
        import_opml(data.encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "OPML: the document is empty"),
        (b"this is not xml", "OPML: not well-formed XML"),
        (b"<opml><body><outline", "OPML: not well-formed XML"),
        (b"<rss><channel/></rss>", "OPML: not an OPML document: the root element is <rss>, not <opml>"),
        (b"<opml><head/></opml>", "OPML: not an OPML document: it has no <body>"),
        (b'<opml><body><outline text="folder"/></body></opml>', "OPML: no feeds"),
        (b'<opml><body><outline text="x" xmlUrl="javascript:alert(1)"/></body></opml>', "OPML: no feeds"),
        (b"\x00\xff\xfe garbage", "OPML: not"),
    ],
)
def test_bad_opml_is_a_feed_config_error(data: bytes, message: str) -> None:
    with pytest.raises(FeedConfigError) as info:
        import_opml(data)
    assert str(info.value).startswith(message)

"""Article pages to text: extract_page's body (the story's paragraphs, none of the boilerplate, "related" boxes
pruned, the repeated <h1> dropped), its title without the outlet's name, author, date and language, pages with
nothing to extract; and html_to_text on feed fragments.

The pages below are written for these tests (made-up stories, an imaginary outlet), shaped like the templates of
samples/feeds/make_pages.py: menus, cookie banner, share buttons, an "اقرأ أيضا" box inside the story,
comments, footer.
"""

from __future__ import annotations

import pytest

from producers.feeds.decode import decode_html
from producers.feeds.extract import RELATED_LABELS, RELATED_MAX_CHARS, extract_page, html_to_text, page_language

SITE = "الوادي الأخضر"
TITLE = "بلدية الخيران تفتتح حديقة عامة على ضفة الوادي بعد عامين من الأعمال"
AUTHOR = "ليلى العمري"
PARAGRAPHS = (
    "افتتحت بلدية الخيران مساء أمس حديقة عامة جديدة على الضفة الشرقية للوادي، تمتد على مساحة ثمانية هكتارات وتضم ممرات للمشي ومساحات خضراء وملاعب صغيرة للأطفال.",
    "وقال رئيس البلدية في كلمة خلال الافتتاح إن الأعمال استغرقت عامين كاملين، بسبب الحاجة إلى تدعيم ضفة الوادي قبل زراعة الأشجار ومد شبكة الري بالتنقيط في كامل المساحة.",
    "وزرعت في الحديقة أكثر من ألف وخمسمئة شجرة من أصناف محلية تتحمل الحرارة وقلة الماء، واختيرت بالتعاون مع كلية الزراعة في الجامعة الإقليمية بعد دراسة استمرت عدة أشهر.",
    "وتفتح الحديقة أبوابها يوميا من السادسة صباحا حتى الحادية عشرة ليلا، والدخول إليها مجاني، فيما تعتزم البلدية تنظيم أمسيات ثقافية فيها خلال عطلة نهاية الأسبوع طوال فصل الربيع.",
)
BODY = "\n\n".join(PARAGRAPHS)
RELATED = (
    "ارتفاع منسوب المياه في سد الجبل الأخضر بعد أمطار الأسبوع الماضي",
    "مدرسة القرية القديمة تتحول إلى مركز للفنون والحرف اليدوية",
)
COOKIE = (
    "يستخدم هذا الموقع ملفات تعريف الارتباط لتحسين تجربة التصفح وقياس عدد الزوار. باستمرارك في التصفح فإنك تقبل ذلك."
)
COMMENTS = ("مبادرة رائعة، نتمنى أن تحافظ البلدية على نظافة المكان.", "متى ستفتح الحديقة المماثلة في الحي الغربي؟")
MENU = ("الرئيسية", "محليات", "رياضة", "ثقافة")
SHARE = ("فيسبوك", "واتساب", "نسخ الرابط")
FOOTER = "جميع الحقوق محفوظة لموقع الوادي الأخضر 2026"
BOILERPLATE = (*RELATED, COOKIE, *COMMENTS, *SHARE, FOOTER, "التعليقات", "اتصل بنا", "من نحن", "موافق")
# A paragraph of the story that happens to open with a "related" label: longer than RELATED_MAX_CHARS, so kept.
LONG_RELATED_LIKE = (
    "ذات صلة وثيقة بهذا المشروع خطة البلدية لإعادة تأهيل مجرى الوادي كله، إذ يقول المهندسون المشرفون على الأعمال "
    "إن الحديقة ليست سوى المرحلة الأولى من برنامج يمتد على خمس سنوات، يشمل تنظيف المجرى من الردم والنفايات التي "
    "تراكمت فيه منذ عقود، وبناء جدران حجرية منخفضة تحمي الضفتين من الانجراف خلال السيول الشتوية، وإنشاء ممر "
    "للدراجات الهوائية يربط الأحياء الجنوبية بوسط المدينة، إضافة إلى زراعة شريط من الأشجار المحلية على طول "
    "الضفة الغربية. ويؤكد هؤلاء أن نجاح المرحلة الأولى سيحدد سرعة تنفيذ المراحل التالية، لأن تمويلها مرتبط "
    "بتقييم تجريه لجنة مستقلة بعد عام من افتتاح الحديقة، تنظر فيه في عدد الزوار وكلفة الصيانة وحالة الأشجار "
    "المزروعة ومدى رضا السكان المجاورين، ثم ترفع توصياتها إلى المجلس البلدي قبل إقرار ميزانية العام التالي."
)


def related_box() -> str:
    links = "".join(f'<li><a href="https://wadi.example/news/{i}">{t}</a></li>' for i, t in enumerate(RELATED))
    return f'<div class="read-also"><span class="label">اقرأ أيضا:</span><ul>{links}</ul></div>'


def article_page(
    *,
    title: str = TITLE + " :: " + SITE,
    head: str = "",
    h1: str | None = TITLE,
    h1_in_body: bool = True,
    paragraphs: tuple[str, ...] = PARAGRAPHS,
    inside: str | None = None,
    html_attrs: str = 'lang="ar" dir="rtl"',
    comments_class: str = "comments-title",
) -> str:
    """A news page; ``inside`` goes into the story after its second paragraph (default: the related box)."""
    inside = related_box() if inside is None else inside
    story = [f"<p>{p}</p>" for p in paragraphs]
    story[2:2] = [inside]
    repeated = f"<h1>{h1}</h1>" if h1 and h1_in_body else ""
    heading = f'<h1 class="entry-title">{h1}</h1>' if h1 else ""
    menu = "".join(f'<li><a href="/s/{i}">{m}</a></li>' for i, m in enumerate(MENU))
    share = "".join(f'<a href="#">{s}</a>' for s in SHARE)
    comments = "".join(
        f'<li class="comment"><b class="fn">قارئ</b><div class="comment-content"><p>{c}</p></div></li>'
        for c in COMMENTS
    )
    body = "\n".join(story)
    return f"""<!DOCTYPE html>
<html {html_attrs}>
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="author" content="{AUTHOR}">
<meta property="article:published_time" content="2026-11-20T10:00:00+03:00">
<meta property="og:site_name" content="{SITE}">
{head}<script>window.dataLayer = window.dataLayer || []; var slots = ["<p>ad</p>"];</script>
<style>.entry-content p {{ line-height: 1.8 }}</style>
</head>
<body>
<div id="cookie-notice" class="cookie-banner"><p>{COOKIE}</p><button>موافق</button></div>
<header class="site-header"><a class="logo" href="/">{SITE}</a>
<nav class="main-navigation"><ul class="menu">{menu}</ul></nav></header>
<main id="main">
<article class="post">
<header class="entry-header">{heading}
<div class="entry-meta"><span class="byline">بقلم {AUTHOR}</span> <time datetime="2026-11-20T10:00:00+03:00">20 نوفمبر 2026</time></div>
</header>
<div class="share-buttons"><span>شارك:</span>{share}</div>
<div class="entry-content">
{repeated}
{body}
</div>
<div class="share-buttons"><span>شارك:</span>{share}</div>
</article>
<section id="comments" class="comments-area"><h2 class="{comments_class}">التعليقات (2)</h2><ol class="comment-list">{comments}</ol>
<div id="respond"><h3>أضف تعليقك</h3><form><textarea name="comment"></textarea><button>إرسال</button></form></div></section>
</main>
<footer class="site-footer"><nav><ul><li><a href="/about">من نحن</a></li><li><a href="/contact">اتصل بنا</a></li></ul></nav>
<p class="copyright">{FOOTER}</p></footer>
<script>document.querySelector(".cookie-banner button").onclick = function () {{}};</script>
</body>
</html>
"""


def assert_story_only(body: str, paragraphs: tuple[str, ...] = PARAGRAPHS) -> None:
    for paragraph in paragraphs:
        assert paragraph in body
    for text in BOILERPLATE:
        assert text not in body, text


# --- the body ------------------------------------------------------------------------------------------------------


def test_body_is_the_story_and_nothing_else() -> None:
    page = extract_page(article_page())
    assert page.body == BODY
    assert_story_only(page.body)


def test_repeated_h1_is_not_in_the_body() -> None:
    page = extract_page(article_page(h1_in_body=True))
    assert TITLE not in page.body
    assert page.body.startswith(PARAGRAPHS[0])


def test_repeated_h1_with_other_spacing_is_not_in_the_body() -> None:
    spaced = TITLE.replace(" ", "  ", 2)
    page = extract_page(article_page(h1=spaced, title=TITLE + " :: " + SITE))
    assert page.title == TITLE
    assert page.body == BODY


@pytest.mark.parametrize("label", RELATED_LABELS)
def test_related_paragraph_pruned(label: str) -> None:
    """The one-line form ("اقرأ أيضا: <a>headline</a>" as a paragraph), which trafilatura keeps without the prune."""
    inside = f'<p><strong>{label}:</strong> <a href="https://wadi.example/news/7">{RELATED[0]}</a></p>'
    page = extract_page(article_page(inside=inside))
    assert page.body == BODY
    assert label not in page.body


def test_related_plain_text_paragraph_pruned() -> None:
    page = extract_page(article_page(inside=f"<p>اقرأ أيضاً: {RELATED[1]}</p>"))
    assert page.body == BODY


def test_related_aside_pruned() -> None:
    inside = f'<aside class="story__related"><span>قد يهمك</span><a href="/news/9">{RELATED[0]}</a></aside>'
    page = extract_page(article_page(inside=inside))
    assert page.body == BODY


def test_long_paragraph_starting_with_a_label_is_story_text() -> None:
    assert LONG_RELATED_LIKE.startswith("ذات صلة")
    assert len(LONG_RELATED_LIKE) > RELATED_MAX_CHARS
    page = extract_page(article_page(inside=f"<p>{LONG_RELATED_LIKE}</p>"))
    assert LONG_RELATED_LIKE in page.body
    assert page.body == "\n\n".join([*PARAGRAPHS[:2], LONG_RELATED_LIKE, *PARAGRAPHS[2:]])


def test_short_paragraph_starting_with_the_same_label_is_pruned() -> None:
    page = extract_page(article_page(inside=f"<p>ذات صلة: {RELATED[0]}</p>"))
    assert page.body == BODY


SHORT_STORY = (
    "أعلنت هيئة الطرق إغلاق الجسر القديم أمام الشاحنات ابتداء من صباح الغد لإجراء أعمال صيانة عاجلة.",
    "وأوضحت الهيئة أن السيارات الصغيرة ستواصل العبور بشكل طبيعي طوال فترة الأعمال التي تستمر أسبوعا.",
)


def short_story_page(story: str) -> str:
    return (
        '<html lang="ar"><head><meta charset="utf-8"><title>إغلاق الجسر القديم أمام الشاحنات :: الموقع</title></head>'
        '<body><nav><a href="/">الرئيسية</a> <a href="/s/1">محليات</a></nav>'
        f'<article><div class="entry-content">{story}</div></article>'
        "<footer><p>جميع الحقوق محفوظة</p></footer></body></html>"
    )


def test_short_story_with_related_box_after_it() -> None:
    story = "".join(f"<p>{p}</p>" for p in SHORT_STORY) + f'<p>اقرأ أيضا: <a href="/n/1">{RELATED[1]}</a></p>'
    assert extract_page(short_story_page(story)).body == "\n\n".join(SHORT_STORY)


def test_short_story_opening_with_related_box_keeps_its_text() -> None:
    story = f'<p>اقرأ أيضا: <a href="/n/1">{RELATED[1]}</a></p>' + "".join(f"<p>{p}</p>" for p in SHORT_STORY)
    assert extract_page(short_story_page(story)).body == "\n\n".join(SHORT_STORY)


# --- title, author, date, language ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [" :: الموقع", " | الموقع", " || الموقع", " « الموقع", f" :: {SITE}"])
@pytest.mark.parametrize("h1", [TITLE, None], ids=["with-h1", "title-only"])
def test_title_without_site_suffix(suffix: str, h1: str | None) -> None:
    """With an <h1>, trafilatura takes the headline from it; without one (and without og:title), from <title>,
    where the outlet's name is left for _headline to cut. (The comments heading has no "title" class here:
    trafilatura would take it for the headline, see test_comments_heading_is_not_the_headline.)"""
    page = extract_page(article_page(title=TITLE + suffix, h1=h1, comments_class="comments-heading"))
    assert page.title == TITLE
    assert page.body == BODY


def test_title_with_site_prefix() -> None:
    page = extract_page(article_page(title="الموقع | " + TITLE, h1=None, comments_class="comments-heading"))
    assert page.title == TITLE


def test_comments_heading_is_not_the_headline() -> None:
    page = extract_page(article_page(title=TITLE + " :: الموقع", h1=None))
    assert page.title == TITLE


def test_title_from_og_title() -> None:
    head = f'<meta property="og:title" content="{TITLE}">\n'
    page = extract_page(article_page(title=TITLE + " | الموقع", h1=None, head=head))
    assert page.title == TITLE


def test_headline_with_dash_is_kept_whole_when_h1_has_it() -> None:
    headline = "وزير المالية - الميزانية الجديدة ستخفض العجز إلى النصف"
    page = extract_page(article_page(title=headline + " :: الموقع", h1=headline))
    assert page.title == headline


def test_headline_with_dash_is_kept_whole_from_title_only() -> None:
    headline = "وزير المالية - الميزانية الجديدة ستخفض العجز إلى النصف"
    page = extract_page(article_page(title=headline + " :: الموقع", h1=None, comments_class="comments-heading"))
    assert page.title == headline


def test_short_headline_with_long_site_name() -> None:
    site = "الوادي الأخضر للأخبار"
    page = article_page(title="أمطار غزيرة :: " + site, h1=None, comments_class="comments-heading").replace(
        f'content="{SITE}"', f'content="{site}"'
    )
    assert extract_page(page).title == "أمطار غزيرة"


def test_author_date_language_and_metadata() -> None:
    page = extract_page(article_page(), url="https://wadi.example/news/2026/11/park", encoding="utf-8")
    assert page.author == AUTHOR
    assert page.date == "2026-11-20"
    assert page.language == "ar"
    assert page.encoding == "utf-8"
    assert page.metadata["sitename"] == SITE


@pytest.mark.parametrize(
    ("html_tag", "language"),
    [
        ('<html lang="ar">', "ar"),
        ('<html dir="rtl" lang="ar-EG">', "ar"),
        ("<html lang='AR'>", "ar"),
        ("<html lang=ar_SA>", "ar"),
        ('<html xmlns="http://www.w3.org/1999/xhtml" lang="en" dir="ltr">', "en"),
        ("<html>", None),
        ('<html dir="rtl">', None),
    ],
)
def test_page_language(html_tag: str, language: str | None) -> None:
    assert page_language(f"<!DOCTYPE html>\n{html_tag}<head><title>x</title></head><body></body></html>") == language


def test_page_language_only_in_the_first_4_kib() -> None:
    assert page_language("<!--" + "x" * 5000 + '-->\n<html lang="ar"><body></body></html>') is None


def test_windows_1256_page_decoded_then_extracted() -> None:
    text = article_page().replace('<meta charset="utf-8">', '<meta charset="windows-1256">')
    decoded, codec = decode_html(text.encode("cp1256"))
    page = extract_page(decoded, encoding=codec)
    assert (page.title, page.body, page.encoding) == (TITLE, BODY, "cp1256")


# --- nothing to extract --------------------------------------------------------------------------------------------


NAV = "".join(f'<li><a href="/s/{i}">{m}</a></li>' for i, m in enumerate(MENU))
NO_STORY_HEAD = f'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>{SITE}</title></head><body>'
FOOTER_ONLY = (
    f'{NO_STORY_HEAD}<footer class="site-footer"><ul><li><a href="/about">من نحن</a></li>'
    f'<li><a href="/contact">اتصل بنا</a></li></ul><p>{FOOTER}</p></footer></body></html>'
)
NAV_AND_FOOTER = (
    f'{NO_STORY_HEAD}<header><nav class="main-navigation"><ul>{NAV}</ul></nav></header>'
    f"<footer><p>{FOOTER}</p></footer></body></html>"
)
COOKIE_NAV_FOOTER = (
    f'{NO_STORY_HEAD}<div id="cookie-notice" class="cookie-banner"><p>{COOKIE}</p><button>موافق</button></div>'
    f'<header><nav class="main-navigation"><ul>{NAV}</ul></nav></header><footer><p>{FOOTER}</p></footer></body></html>'
)


def test_footer_only_page_has_empty_body() -> None:
    page = extract_page(FOOTER_ONLY)
    assert page.body == ""
    assert page.language == "ar"


@pytest.mark.parametrize("html", [NAV_AND_FOOTER, COOKIE_NAV_FOOTER], ids=["nav-and-footer", "cookie-nav-footer"])
def test_boilerplate_only_page_has_empty_body(html: str) -> None:
    assert extract_page(html).body == ""


@pytest.mark.parametrize("text", ["", "   \n\t", "مرحبا", '{"items": [1, 2, 3]}', "<html></html>", "<p>"])
def test_empty_or_trivial_input_never_raises(text: str) -> None:
    page = extract_page(text)
    assert page.body == ""
    assert page.title is None


def test_non_html_bytes_decoded_give_empty_body() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00" + bytes(
        (i * 37 + 11) % 256 for i in range(400)
    )
    text, codec = decode_html(png)
    page = extract_page(text, encoding=codec)
    assert page.body == ""
    assert page.encoding == codec


# --- html_to_text --------------------------------------------------------------------------------------------------


def test_paragraphs_and_breaks_become_paragraph_breaks() -> None:
    assert html_to_text("<p>الفقرة الأولى</p><p>الفقرة الثانية</p>") == "الفقرة الأولى\n\nالفقرة الثانية"
    assert html_to_text("سطر أول<br>سطر ثان<br/>سطر ثالث") == "سطر أول\n\nسطر ثان\n\nسطر ثالث"
    assert html_to_text("<p>أول<br><br><br>ثان</p>\n\n\n<p>ثالث</p>") == "أول\n\nثان\n\nثالث"
    assert html_to_text("<ul><li>أ</li><li>ب</li></ul>") == "أ\n\nب"


def test_scripts_styles_and_comments_removed() -> None:
    fragment = (
        '<p>قبل</p><script>var x = "<p>لا</p>";</script><style>p { color: red }</style>'
        '<SCRIPT type="text/javascript">alert(1)</SCRIPT ><!-- تعليق --><p>بعد</p>'
    )
    assert html_to_text(fragment) == "قبل\n\nبعد"


def test_entities_unescaped() -> None:
    assert html_to_text("الصيد &amp; الزراعة") == "الصيد & الزراعة"
    assert html_to_text("<p>&#1575;&#1604;&#1605;&#1591;&#1585;</p>") == "المطر"
    assert html_to_text("&quot;خبر&quot; &lt;عاجل&gt;") == '"خبر" <عاجل>'
    assert html_to_text("<p>مسافات&nbsp;&nbsp;هنا</p>") == "مسافات هنا"
    assert html_to_text("x &amp;amp; y") == "x &amp; y"  # unescaped once


def test_inline_tags_and_spaces() -> None:
    assert html_to_text('<div><p>  نص   <a href="/x">فيه</a>\t رابط </p></div>') == "نص فيه رابط"


@pytest.mark.parametrize("text", ["خبر عاجل بلا وسوم", "سطر\nسطر آخر", "الفقرة الأولى\n\nالفقرة الثانية", "a > b"])
def test_plain_text_unchanged(text: str) -> None:
    assert html_to_text(text) == text


def test_plain_text_with_comparison_signs_unchanged() -> None:
    text = "نسبة البطالة < 5% والتضخم > 2%"
    assert html_to_text(text) == text


@pytest.mark.parametrize("fragment", [None, ""])
def test_none_and_empty(fragment: str | None) -> None:
    assert html_to_text(fragment) == ""

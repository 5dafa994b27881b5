"""Write the test article pages of samples/feeds/pages from articles.toml, deterministically.

Each article becomes NAME.html (its outlet's template, in its outlet's encoding, with the boilerplate real news
pages carry: menus, breadcrumb, "اقرأ أيضا" blocks inside and after the article, share buttons, tags, comments,
cookie banner, newsletter box, ad slots, scripts, styles, an image with its caption), NAME.txt (the ground-truth
body: exactly the article's paragraphs, one a line, UTF-8) and NAME.json (title, author, published, url_path,
encoding, outlet). Running it twice writes the same bytes.

    python samples/feeds/make_pages.py [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles.toml"
OUT = HERE / "pages"

WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر")
MENU = ("الرئيسية", "سياسة", "اقتصاد", "محليات", "رياضة", "ثقافة", "صحة", "تكنولوجيا", "منوعات", "رأي", "فيديو")
SUBMENU = ("أخبار عاجلة", "تقارير", "حوارات", "صور", "ملفات خاصة", "أرشيف")
FOOTER_LINKS = ("من نحن", "اتصل بنا", "سياسة الخصوصية", "شروط الاستخدام", "أعلن معنا", "خريطة الموقع", "الوظائف")
# Reader comments (written for these pages), picked per article by a hash so the pages stay deterministic.
COMMENTS = (
    ("أبو خالد", "خبر جميل، نتمنى أن تنفذ المشاريع في موعدها هذه المرة."),
    ("سارة م.", "شكرا على التغطية، لكن أين رأي السكان أنفسهم؟"),
    ("محمود", "سمعنا بهذا الكلام من قبل، ننتظر النتائج على الأرض."),
    ("نور الهدى", "تقرير مفصل وواضح، أتمنى أن تتابعوا الموضوع في الأشهر القادمة."),
    ("زائر", "هل من رابط للبيان الرسمي؟"),
    ("فؤاد", "خطوة في الاتجاه الصحيح رغم التأخير."),
    ("أم يوسف", "الله يوفق الجميع، المهم أن يستفيد الناس فعلا."),
    ("طالب جامعي", "أرجو نشر الأرقام كاملة في جدول حتى نقارن بالسنوات السابقة."),
)
COOKIE = "نستخدم ملفات تعريف الارتباط لتحسين تجربتك على موقعنا ولعرض محتوى يناسب اهتماماتك. بمتابعة التصفح فإنك توافق على ذلك."
NEWSLETTER = "اشترك في نشرتنا البريدية اليومية لتصلك أهم الأخبار كل صباح"


@dataclass(frozen=True)
class Article:
    name: str
    outlet: str
    section: str
    title: str
    author: str
    published: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]

    @property
    def url_path(self) -> str:
        return f"/news/2026/11/{self.name}"

    @property
    def date_text(self) -> str:
        dt = datetime.fromisoformat(self.published)
        return f"{WEEKDAYS[dt.weekday()]} {dt.day} {MONTHS[dt.month - 1]} {dt.year} - {dt:%H:%M}"

    @property
    def caption(self) -> str:
        return "صورة أرشيفية: " + " ".join(self.title.split()[:5])

    @property
    def teaser(self) -> str:
        return " ".join(self.paragraphs[0].split()[:22])


def load_articles(path: Path = ARTICLES) -> list[Article]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Article(
            name=a["name"],
            outlet=a["outlet"],
            section=a["section"],
            title=a["title"],
            author=a["author"],
            published=a["published"],
            tags=tuple(a["tags"]),
            paragraphs=tuple(line.strip() for line in a["body"].splitlines() if line.strip()),
        )
        for a in data["article"]
    ]


def _pick(key: str, n: int, pool_size: int) -> list[int]:
    """n distinct indexes into a pool, chosen by a hash of key (deterministic, differs per article)."""
    order = sorted(range(pool_size), key=lambda i: hashlib.sha256(f"{key}:{i}".encode()).hexdigest())
    return order[:n]


def _others(article: Article, articles: list[Article], n: int) -> list[Article]:
    pool = [a for a in articles if a.name != article.name]
    return [pool[i] for i in _pick(article.name, n, len(pool))]


def _css(prefix: str) -> str:
    """A stylesheet of the size real themes inline (~10 KB): pages are weighed as they come."""
    rules = []
    for i in range(120):
        rules.append(
            f".{prefix}-c{i}{{margin:{i % 7}px {i % 5}px;padding:{i % 3}px;color:#{(i * 2654435761) % 0xFFFFFF:06x};"
            f"font-size:{12 + i % 9}px;line-height:1.{i % 9}}}"
        )
    return "\n".join(rules)


def _js(site: str) -> str:
    """Analytics and ad-loader scripts as pages inline them; extraction must ignore them."""
    lines = [
        "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());",
        f"gtag('config','UA-{int(hashlib.sha256(site.encode()).hexdigest()[:6], 16)}-1');",
        "var adSlots=[" + ",".join(f"{{id:'slot-{i}',size:[300,250],path:'/{site}/{i}'}}" for i in range(40)) + "];",
        "document.addEventListener('DOMContentLoaded',function(){adSlots.forEach(function(s){var d=document."
        "getElementById(s.id);if(d){d.setAttribute('data-loaded','1');}});});",
    ]
    return "\n".join(lines)


def _comments(article: Article) -> list[tuple[str, str]]:
    return [COMMENTS[i] for i in _pick(article.name + ":c", 3, len(COMMENTS))]


def _links(items: list[Article], host: str) -> str:
    return "".join(f'<li><a href="https://{host}{a.url_path}">{escape(a.title)}</a></li>' for a in items)


def madar(article: Article, articles: list[Article]) -> str:
    """A WordPress-like theme: header menu, breadcrumb, entry-content with a read-also box between paragraphs,
    tags, share bar, related posts, a comment list and form, a sidebar and a footer."""
    host = "madar.example"
    paras = [f"<p>{escape(p)}</p>" for p in article.paragraphs]
    inline = _others(article, articles, 2)
    read_also = f'<div class="read-also"><span class="label">اقرأ أيضا:</span><ul>{_links(inline, host)}</ul></div>'
    body = "\n".join([*paras[:2], read_also, *paras[2:]])
    menu = "".join(
        f'<li class="menu-item"><a href="/category/{i}">{m}</a>'
        + (
            '<ul class="sub-menu">'
            + "".join(f'<li><a href="/c/{i}/{j}">{s}</a></li>' for j, s in enumerate(SUBMENU))
            + "</ul>"
            if i % 3 == 1
            else ""
        )
        + "</li>"
        for i, m in enumerate(MENU)
    )
    share = (
        '<div class="share-buttons"><span>شارك:</span><a class="fb" href="#">فيسبوك</a><a class="tw" href="#">إكس</a>'
        '<a class="wa" href="#">واتساب</a><a class="tg" href="#">تيليغرام</a><a class="copy" href="#">نسخ الرابط</a></div>'
    )
    comments = "".join(
        f'<li class="comment"><div class="comment-author vcard"><b class="fn">{escape(who)}</b>'
        f'<span class="says">قال:</span></div><div class="comment-meta">منذ ساعتين</div>'
        f'<div class="comment-content"><p>{escape(text)}</p></div><a class="reply" href="#">رد</a></li>'
        for who, text in _comments(article)
    )
    most_read = _others(article, articles, 6)
    related = _others(article, articles, 8)[4:]
    tags = "".join(f'<a href="/tag/{i}" rel="tag">{escape(t)}</a>' for i, t in enumerate(article.tags))
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(article.title)} | مدار</title>
<meta name="description" content="{escape(article.teaser)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:site_name" content="مدار">
<meta property="og:url" content="https://{host}{article.url_path}">
<meta name="author" content="{escape(article.author)}">
<meta property="article:published_time" content="{article.published}">
<meta property="article:section" content="{escape(article.section)}">
<link rel="canonical" href="https://{host}{article.url_path}">
<link rel="stylesheet" href="/wp-content/themes/madar/style.css?ver=4.2">
<style>{_css("madar")}</style>
<script>{_js("madar")}</script>
</head>
<body class="post-template-default single single-post">
<div id="cookie-notice" class="cookie-banner"><p>{COOKIE}</p><button>موافق</button><a href="/privacy">اعرف المزيد</a></div>
<div class="top-bar"><span class="today">{article.date_text.split(" - ")[0]}</span><a href="/login">تسجيل الدخول</a></div>
<header id="masthead" class="site-header">
<div class="site-branding"><a href="/" rel="home" class="logo">مدار</a><p class="site-description">أخبار على مدار الساعة</p></div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{menu}</ul></nav>
<form role="search" class="search-form" action="/"><input type="search" placeholder="ابحث في الموقع..." name="s"><button>بحث</button></form>
</header>
<div class="ad ad-leaderboard" id="slot-0" data-size="728x90"><span>إعلان</span></div>
<div id="content" class="site-content">
<nav class="breadcrumbs"><a href="/">الرئيسية</a> &raquo; <a href="/category/{escape(article.section)}">{escape(article.section)}</a> &raquo; <span>{escape(article.title)}</span></nav>
<main id="main" class="site-main">
<article id="post-{int(hashlib.sha256(article.name.encode()).hexdigest()[:5], 16)}" class="post type-post status-publish">
<header class="entry-header">
<span class="cat-links"><a href="/category/{escape(article.section)}">{escape(article.section)}</a></span>
<h1 class="entry-title">{escape(article.title)}</h1>
<div class="entry-meta"><span class="byline">بقلم <a class="url fn n" rel="author" href="/author/{article.name[:6]}">{escape(article.author)}</a></span>
<time class="entry-date published" datetime="{article.published}">{article.date_text}</time></div>
</header>
{share}
<figure class="wp-block-image"><img src="/wp-content/uploads/2026/11/{article.name}.jpg" alt="{escape(article.title)}" width="800" height="450"><figcaption>{escape(article.caption)}</figcaption></figure>
<div class="entry-content">
{body}
</div>
<footer class="entry-footer"><div class="tags-links">الوسوم: {tags}</div></footer>
{share}
</article>
<section class="related-posts"><h3 class="widget-title">اقرأ أيضا</h3><ul>{_links(related, host)}</ul></section>
<div class="ad ad-inarticle" id="slot-3" data-size="300x250"><span>مساحة إعلانية</span></div>
<section id="comments" class="comments-area"><h2 class="comments-title">التعليقات (3)</h2><ol class="comment-list">{comments}</ol>
<div id="respond"><h3>أضف تعليقك</h3><form class="comment-form"><textarea name="comment" placeholder="اكتب تعليقك هنا"></textarea><input name="author" placeholder="الاسم"><button>إرسال التعليق</button></form>
<p class="comment-notes">لن يتم نشر عنوان بريدك الإلكتروني. التعليقات تعبر عن آراء أصحابها.</p></div></section>
</main>
<aside id="secondary" class="widget-area">
<section class="widget widget-most-read"><h3 class="widget-title">الأكثر قراءة</h3><ol>{_links(most_read, host)}</ol></section>
<section class="widget widget-newsletter"><h3>النشرة البريدية</h3><p>{NEWSLETTER}</p><form><input type="email" placeholder="بريدك الإلكتروني"><button>اشترك</button></form></section>
<div class="ad ad-sidebar" id="slot-5" data-size="300x600"><span>إعلان</span></div>
</aside>
</div>
<footer id="colophon" class="site-footer">
<nav class="footer-menu"><ul>{"".join(f'<li><a href="/p/{i}">{x}</a></li>' for i, x in enumerate(FOOTER_LINKS))}</ul></nav>
<div class="site-info">&copy; 2026 مدار. جميع الحقوق محفوظة. يمنع نسخ المحتوى دون إذن.</div>
</footer>
<script src="/wp-includes/js/jquery.min.js"></script>
<script>jQuery(function($){{$('.cookie-banner button').on('click',function(){{$('.cookie-banner').hide();}});}});</script>
</body>
</html>
"""


def sahil(article: Article, articles: list[Article]) -> str:
    """An older in-house CMS, served in windows-1256: div ids, the text in one div with <p> paragraphs and a
    "اقرأ أيضا" line as its own paragraph, the byline above the text, a "most read" list and a print bar."""
    host = "alsahil.example"
    inline = _others(article, articles, 1)[0]
    paras = [f"<p>{escape(p)}</p>" for p in article.paragraphs]
    also = f'<p class="alsoread"><strong>اقرأ أيضا:</strong> <a href="https://{host}{inline.url_path}">{escape(inline.title)}</a></p>'
    body = "\n".join([*paras[:3], also, *paras[3:]])
    menu = " | ".join(f'<a href="/section.php?id={i}">{m}</a>' for i, m in enumerate(MENU))
    most_read = _others(article, articles, 5)
    more = _others(article, articles, 9)[5:]
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="ar" dir="rtl">
<head>
<meta charset="windows-1256" />
<title>صحيفة الساحل - {escape(article.title)}</title>
<meta name="keywords" content="{escape(", ".join(article.tags))}" />
<meta name="author" content="{escape(article.author)}" />
<meta property="og:title" content="{escape(article.title)}" />
<meta name="pubdate" content="{article.published}" />
<link rel="canonical" href="https://{host}{article.url_path}" />
<style type="text/css">{_css("sahil")}</style>
<script type="text/javascript">{_js("sahil")}</script>
</head>
<body>
<div id="cookies" style="position:fixed;bottom:0">{COOKIE} <a href="#" onclick="return false">إغلاق</a></div>
<div id="wrapper">
<div id="top"><div id="logo"><a href="/"><img src="/images/logo.gif" alt="صحيفة الساحل" /></a></div>
<div id="date">{article.date_text.split(" - ")[0]}</div><div id="banner"><iframe src="/ads/top.html" width="468" height="60"></iframe></div></div>
<div id="menu">{menu}</div>
<div id="ticker"><b>عاجل:</b> <marquee>{" ... ".join(escape(a.title) for a in more)}</marquee></div>
<div id="path">أنت هنا: <a href="/">الرئيسية</a> &gt; <a href="/section.php?id=3">{escape(article.section)}</a></div>
<div id="main">
<div id="newsbox">
<div class="newstitle"><h1>{escape(article.title)}</h1></div>
<div class="newsinfo">كتب: {escape(article.author)} &nbsp;|&nbsp; نشر في: {article.date_text} &nbsp;|&nbsp; <a href="#" onclick="window.print()">طباعة</a> &nbsp;|&nbsp; <a href="#">إرسال لصديق</a> &nbsp;|&nbsp; حجم الخط: <a href="#">أ+</a> <a href="#">أ-</a></div>
<div class="newsimg"><img src="/photos/2026/11/{article.name}.jpg" alt="" width="500" /><div class="imgcaption">{escape(article.caption)}</div></div>
<div id="newstext">
{body}
</div>
<div class="newstags">كلمات مفتاحية: {" - ".join(f'<a href="/tags.php?t={i}">{escape(t)}</a>' for i, t in enumerate(article.tags))}</div>
<div class="sharebar"><a href="#">شارك على فيسبوك</a> <a href="#">غرد</a> <a href="#">واتساب</a></div>
<div class="morenews"><h3>أخبار ذات صلة</h3><ul>{_links(more, host)}</ul></div>
</div>
<div id="sidebar">
<div class="box"><h3>الأكثر قراءة</h3><ol>{_links(most_read, host)}</ol></div>
<div class="box"><h3>استطلاع الرأي</h3><p>هل تؤيد توسيع خدمات النقل العام في المدينة؟</p><form><input type="radio" name="v" /> نعم <input type="radio" name="v" /> لا <input type="submit" value="صوت" /></form></div>
<div class="box ads"><a href="/ads/click.php?id=7"><img src="/ads/side.gif" alt="إعلان" /></a></div>
</div>
</div>
<div id="footer"><p>{" | ".join(f'<a href="/page.php?id={i}">{x}</a>' for i, x in enumerate(FOOTER_LINKS))}</p>
<p>جميع الحقوق محفوظة &copy; صحيفة الساحل 2026 - تصميم وتطوير قسم الإعلام الرقمي</p></div>
</div>
<script type="text/javascript">var _counter=new Image();_counter.src="/stats/hit.php?p={article.name}";</script>
</body>
</html>
"""


def wadi(article: Article, articles: list[Article]) -> str:
    """A modern site: JSON-LD, <main>/<article>, the story body with an inline related-story aside and a
    newsletter box between paragraphs, a tag list, a "more stories" rail and a comments block."""
    host = "wadi24.example"
    paras = [f"<p>{escape(p)}</p>" for p in article.paragraphs]
    inline = _others(article, articles, 1)[0]
    aside = (
        f'<aside class="story__related"><span class="story__related-label">اقرأ أيضا</span>'
        f'<a href="https://{host}{inline.url_path}">{escape(inline.title)}</a></aside>'
    )
    news = f'<div class="story__newsletter"><strong>{NEWSLETTER}</strong><form><input type="email" placeholder="البريد الإلكتروني"><button>اشتراك</button></form></div>'
    body = "\n".join([paras[0], aside, *paras[1:3], news, *paras[3:]])
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "datePublished": article.published,
            "author": {"@type": "Person", "name": article.author},
            "publisher": {"@type": "Organization", "name": "وادي 24"},
            "mainEntityOfPage": f"https://{host}{article.url_path}",
        },
        ensure_ascii=False,
    )
    rail = _others(article, articles, 6)
    comments = "".join(
        f'<div class="comment"><span class="comment__name">{escape(w)}</span><p class="comment__text">{escape(t)}</p></div>'
        for w, t in _comments(article)
    )
    return f"""<!doctype html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<title>{escape(article.title)} - وادي 24</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:description" content="{escape(article.teaser)}">
<meta property="og:image" content="https://cdn.{host}/img/{article.name}.webp">
<script type="application/ld+json">{ld}</script>
<link rel="preload" href="/fonts/noto-naskh.woff2" as="font" crossorigin>
<style>{_css("wadi")}</style>
</head>
<body>
<div class="consent" role="dialog" aria-label="ملفات تعريف الارتباط"><p>{COOKIE}</p><button class="consent__ok">قبول الكل</button><button class="consent__no">رفض</button></div>
<header class="masthead"><a class="masthead__logo" href="/">وادي 24</a>
<nav class="nav" aria-label="الأقسام"><ul>{"".join(f'<li><a href="/{i}">{m}</a></li>' for i, m in enumerate(MENU))}</ul></nav>
<button class="nav__search" aria-label="بحث">بحث</button><a class="btn-live" href="/live">بث مباشر</a></header>
<div class="adslot adslot--top" id="slot-1"></div>
<main class="page">
<ol class="crumbs"><li><a href="/">الرئيسية</a></li><li><a href="/s/1">{escape(article.section)}</a></li></ol>
<article class="story">
<h1 class="story__title">{escape(article.title)}</h1>
<div class="story__meta"><a class="story__author" href="/authors/{article.name[:5]}">{escape(article.author)}</a>
<time datetime="{article.published}">{article.date_text}</time><span class="story__read">قراءة في 3 دقائق</span></div>
<div class="share"><button>مشاركة</button><a href="#">فيسبوك</a><a href="#">إكس</a><a href="#">لينكد إن</a></div>
<figure class="story__media"><picture><source srcset="https://cdn.{host}/img/{article.name}.webp" type="image/webp"><img src="https://cdn.{host}/img/{article.name}.jpg" alt="{escape(article.caption)}"></picture>
<figcaption class="story__caption">{escape(article.caption)} (وادي 24)</figcaption></figure>
<div class="story__body">
{body}
</div>
<ul class="story__tags">{"".join(f'<li><a href="/tags/{i}">#{escape(t)}</a></li>' for i, t in enumerate(article.tags))}</ul>
</article>
<section class="rail"><h2>المزيد من وادي 24</h2><div class="rail__items">{"".join(f'<a class="card" href="https://{host}{a.url_path}"><span class="card__section">{escape(a.section)}</span><span class="card__title">{escape(a.title)}</span></a>' for a in rail)}</div></section>
<section class="comments" id="comments"><h2>آراء القراء</h2>{comments}<p class="comments__note">يرجى الالتزام بآداب الحوار. التعليقات تخضع للمراجعة قبل النشر.</p></section>
</main>
<footer class="footer"><div class="footer__apps">حمل تطبيق وادي 24 على هاتفك</div>
<ul>{"".join(f'<li><a href="/p/{i}">{x}</a></li>' for i, x in enumerate(FOOTER_LINKS))}</ul><small>&copy; وادي 24، 2026</small></footer>
<script>{_js("wadi")}</script>
<script async src="https://ads.{host}/loader.js"></script>
</body>
</html>
"""


def manara(article: Article, articles: list[Article]) -> str:
    """An HTML 4 table layout served in ISO-8859-6 (declared with http-equiv): the text in a table cell
    between a print/email bar and a related-news table; a side column of links and ads."""
    host = "almanara.example"
    paras = "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    related = _others(article, articles, 4)
    side = _others(article, articles, 8)[4:]
    rows = "".join(
        f'<tr><td class="rel"><a href="https://{host}{a.url_path}">{escape(a.title)}</a></td><td class="reldate">{a.date_text.split(" - ")[0]}</td></tr>'
        for a in related
    )
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html dir="rtl" lang="ar">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-6">
<title>{escape(article.title)} :: المنارة نيوز</title>
<meta name="description" content="{escape(article.teaser)}">
<meta name="author" content="{escape(article.author)}">
<style type="text/css">{_css("manara")}</style>
<script language="javascript" type="text/javascript">{_js("manara")}</script>
</head>
<body bgcolor="#ffffff" topmargin="0">
<div id="cookiebar">{COOKIE}</div>
<table width="980" align="center" cellpadding="0" cellspacing="0" border="0">
<tr><td colspan="2" class="header"><a href="/"><img src="/img/manara_logo.png" alt="المنارة نيوز" border="0"></a> <span class="slogan">نور الخبر</span></td></tr>
<tr><td colspan="2" class="menu">{" &middot; ".join(f'<a href="/cat/{i}.html">{m}</a>' for i, m in enumerate(MENU))}</td></tr>
<tr><td colspan="2" class="ad728"><!-- ad zone 1 --><a href="/adclick?z=1"><img src="/ads/728x90.gif" width="728" height="90" alt=""></a></td></tr>
<tr>
<td valign="top" width="680" class="content">
<div class="path"><a href="/">الرئيسية</a> / <a href="/cat/5.html">{escape(article.section)}</a></div>
<table width="100%" class="article"><tr><td>
<div class="headline">{escape(article.title)}</div>
<div class="byline">{escape(article.author)} - {article.date_text}</div>
<div class="tools"><a href="#">طباعة</a> | <a href="#">أرسل إلى صديق</a> | <a href="#">أضف تعليقا</a></div>
<table align="left" width="320" class="photo"><tr><td><img src="/photos/{article.name}.jpg" width="300" alt=""></td></tr><tr><td class="caption">{escape(article.caption)}</td></tr></table>
{paras}
<div class="share">شارك هذا الخبر: <a href="#">فيسبوك</a> - <a href="#">تويتر</a> - <a href="#">البريد</a></div>
</td></tr></table>
<table width="100%" class="related"><tr><th colspan="2">أخبار ذات صلة</th></tr>{rows}</table>
<div class="comments"><b>التعليقات</b><p>لا توجد تعليقات بعد. كن أول من يعلق على هذا الخبر.</p></div>
</td>
<td valign="top" width="300" class="side">
<div class="sidebox"><div class="sidetitle">آخر الأخبار</div><ul>{_links(side, host)}</ul></div>
<div class="sidebox"><div class="sidetitle">القائمة البريدية</div>{NEWSLETTER} <input type="text" size="18"> <input type="button" value="اشتراك"></div>
<div class="sidebox"><!-- ad zone 2 --><img src="/ads/300x250.gif" width="300" height="250" alt=""></div>
</td>
</tr>
<tr><td colspan="2" class="footer">{" | ".join(f'<a href="/page/{i}.html">{x}</a>' for i, x in enumerate(FOOTER_LINKS))}<br>&copy; 2026 المنارة نيوز - جميع الحقوق محفوظة</td></tr>
</table>
<script language="javascript">document.write('<img src="/counter.gif?'+Math.random()+'">');</script>
</body>
</html>
"""


Template = Callable[[Article, list[Article]], str]
# outlet -> (template, encoding of the bytes as stored)
OUTLETS: dict[str, tuple[Template, str]] = {
    "madar": (madar, "utf-8"),
    "sahil": (sahil, "windows-1256"),
    "wadi": (wadi, "utf-8"),
    "manara": (manara, "iso-8859-6"),
}


def write_page(out: Path, article: Article, html: str, encoding: str, outlet: str) -> None:
    """NAME.html in `encoding` (strict: a character the encoding lacks is an error in the texts, not a '?'),
    NAME.txt with the paragraphs, NAME.json with the metadata."""
    (out / f"{article.name}.html").write_bytes(html.encode(encoding))
    (out / f"{article.name}.txt").write_text("\n".join(article.paragraphs) + "\n", encoding="utf-8")
    meta = {
        "title": article.title,
        "author": article.author,
        "published": article.published,
        "url_path": article.url_path,
        "encoding": encoding,
        "outlet": outlet,
    }
    (out / f"{article.name}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    articles = load_articles()
    for article in articles:
        template, encoding = OUTLETS[article.outlet]
        write_page(args.out, article, template(article, articles), encoding, article.outlet)
    print(f"wrote {len(articles)} pages to {args.out}")


if __name__ == "__main__":
    main()

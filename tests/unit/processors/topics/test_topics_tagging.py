"""Topic/geo/keyword tagging on short news paragraphs written for these tests (not from any corpus)."""

from __future__ import annotations

import pytest

from processors.topics import (
    DEFAULT_TOPIC_THRESHOLD,
    GEO_LABELS,
    MODEL_PATH,
    TOPIC_LABELS,
    get_bundle,
    tag_article,
)

# One hand-written paragraph per topic; each is unambiguous for a reader.
ARTICLES: dict[str, tuple[str, str]] = {
    "sports": (
        "الهلال يفوز على النصر في ديربي الرياض",
        "حقق فريق الهلال فوزا ثمينا على منافسه النصر بهدفين مقابل هدف في المباراة التي جمعت الفريقين مساء "
        "الجمعة ضمن الجولة العاشرة من الدوري السعودي للمحترفين. وسجل المهاجم هدف الفوز في الدقيقة الأخيرة "
        "من الوقت بدل الضائع، ليرفع الفريق رصيده إلى خمسة وعشرين نقطة في صدارة جدول الترتيب، بينما تجمد "
        "رصيد النصر عند عشرين نقطة. وأشاد مدرب الفريق بأداء اللاعبين وروحهم القتالية في الشوط الثاني.",
    ),
    "economy": (
        "ارتفاع أسعار النفط وسط توقعات بخفض الإنتاج",
        "ارتفعت أسعار النفط في تعاملات الأسواق العالمية اليوم، إذ صعد سعر خام برنت بنسبة اثنين في المئة "
        "ليتجاوز ثمانين دولارا للبرميل، مدعوما بتوقعات المستثمرين بأن تقرر الدول المنتجة خفض الإنتاج في "
        "اجتماعها المقبل. وقال محللون إن تراجع المخزونات التجارية وارتفاع الطلب في آسيا يدعمان الأسعار، "
        "فيما سجلت مؤشرات البورصات الخليجية مكاسب في قطاعي البنوك والطاقة.",
    ),
    "politics": (
        "وزير الخارجية يبحث مع نظيره مستجدات الأزمة",
        "بحث وزير الخارجية خلال اتصال هاتفي مع نظيره الفرنسي مستجدات الأوضاع في المنطقة والجهود الدولية "
        "الرامية إلى وقف إطلاق النار واستئناف المفاوضات بين الأطراف المتنازعة. وأكد الوزيران أهمية الحل "
        "السياسي وتنفيذ قرارات مجلس الأمن، كما ناقشا العلاقات الثنائية وسبل تعزيز التعاون الدبلوماسي بين "
        "البلدين، وفق بيان صادر عن الوزارة.",
    ),
    "health": (
        "دراسة: المشي اليومي يقلل خطر الإصابة بأمراض القلب",
        "أظهرت دراسة طبية حديثة أن المشي لمدة ثلاثين دقيقة يوميا يخفض خطر الإصابة بأمراض القلب والسكري "
        "وارتفاع ضغط الدم. وأوضح الأطباء المشرفون على الدراسة أن النشاط البدني المنتظم يحسن الدورة الدموية "
        "ويقوي عضلة القلب، ونصحوا المرضى باستشارة الطبيب قبل البدء بأي برنامج رياضي، خاصة المصابين "
        "بأمراض مزمنة. وشملت الدراسة آلاف المرضى في عدة مستشفيات.",
    ),
    "technology": (
        "شركة تطلق هاتفا ذكيا جديدا بمعالج أسرع",
        "أعلنت شركة تقنية كبرى إطلاق هاتفها الذكي الجديد المزود بمعالج أسرع وكاميرا بدقة عالية وبطارية تدوم "
        "يومين، إضافة إلى تحديث لنظام التشغيل يتيح ميزات جديدة تعتمد على الذكاء الاصطناعي. وأوضحت الشركة أن "
        "الجهاز يدعم شبكات الجيل الخامس ويتضمن تحسينات لحماية بيانات المستخدمين وأمن التطبيقات، على أن "
        "يطرح في الأسواق الشهر المقبل.",
    ),
    "culture": (
        "افتتاح معرض الكتاب بمشاركة مئات دور النشر",
        "افتتح معرض الكتاب الدولي أبوابه أمام الزوار بمشاركة مئات دور النشر العربية والأجنبية، ويتضمن "
        "برنامجه الثقافي أمسيات شعرية وندوات أدبية وحفلات توقيع لروايات جديدة. وقال مدير المعرض إن الدورة "
        "الحالية تحتفي بالمسرح والفنون التشكيلية، وتكرم عددا من الأدباء والفنانين الرواد، إلى جانب ورش "
        "للأطفال في القراءة والكتابة الإبداعية.",
    ),
    "religion": (
        "خطيب الجمعة يدعو إلى التراحم وصلة الرحم",
        "دعا خطيب الجمعة المصلين إلى التمسك بتعاليم الإسلام السمحة والحرص على الصلاة وصلة الرحم والتراحم "
        "بين الناس، مستشهدا بآيات من القرآن الكريم وأحاديث النبي صلى الله عليه وسلم. وأوضح الإمام أن الصيام "
        "والزكاة من أركان الدين التي تهذب النفس، وحث على الإكثار من الدعاء والاستغفار وقراءة القرآن في "
        "المساجد والبيوت.",
    ),
}


@pytest.fixture(scope="module", autouse=True)
def _shipped_model() -> None:
    if not MODEL_PATH.exists():
        pytest.skip("shipped topic model missing")


def test_shipped_bundle_loads() -> None:
    b = get_bundle()
    assert set(b.topic.classes) == set(TOPIC_LABELS)
    assert set(b.geo.classes) <= set(GEO_LABELS)
    assert b.topic.temperature > 0
    assert b.keyword_df.n_docs > 1000
    assert "attribution" in b.meta and len(b.meta["attribution"]) == 3
    assert MODEL_PATH.stat().st_size < 20_000_000


@pytest.mark.parametrize("label", sorted(ARTICLES))
def test_each_topic_is_top_label(label: str) -> None:
    title, body = ARTICLES[label]
    out = tag_article(title, body)
    assert out["topics"][0]["label"] == label, out["topic_scores"]


def test_scores_are_calibrated_probabilities() -> None:
    for title, body in ARTICLES.values():
        out = tag_article(title, body)
        scores = out["topic_scores"]
        assert set(scores) == set(TOPIC_LABELS)
        assert all(0.0 <= v <= 1.0 for v in scores.values())
        assert abs(sum(scores.values()) - 1.0) < 1e-2
        listed = [t["score"] for t in out["topics"]]
        assert listed == sorted(listed, reverse=True)
        assert out["topics"][0]["score"] == max(scores.values())


def test_threshold_controls_secondary_labels() -> None:
    title, body = ARTICLES["economy"]
    everything = tag_article(title, body, threshold=0.0)
    assert len(everything["topics"]) == len(TOPIC_LABELS)
    only_top = tag_article(title, body, threshold=1.01)
    assert len(only_top["topics"]) == 1
    default = tag_article(title, body)
    assert all(t["score"] >= DEFAULT_TOPIC_THRESHOLD for t in default["topics"][1:])


def test_mixed_article_can_carry_two_topics() -> None:
    title = "النادي يعلن خسائر مالية ويبيع حقوق البث"
    body = (
        "كشف النادي في تقريره المالي السنوي عن خسائر بلغت عشرات الملايين بسبب ارتفاع رواتب اللاعبين "
        "وتراجع إيرادات التذاكر، وأعلن مجلس الإدارة بيع حقوق البث التلفزيوني للمباريات لشركة استثمارية "
        "وطرح أسهم للمستثمرين في البورصة لسداد الديون، فيما يستعد الفريق لمباراته المقبلة في الدوري."
    )
    out = tag_article(title, body, threshold=0.1)
    labels = [t["label"] for t in out["topics"]]
    assert {"sports", "economy"} <= set(labels), out["topic_scores"]


def test_geo_scope_values() -> None:
    world = tag_article(
        "الرئيس الأمريكي يلتقي نظيره الروسي",
        "التقى الرئيس الأمريكي في واشنطن نظيره الروسي لبحث ملفات الحد من التسلح والعلاقات بين الولايات المتحدة "
        "وروسيا، كما تطرق اللقاء إلى الحرب في أوكرانيا والعلاقات مع الصين والاتحاد الأوروبي.",
    )
    assert world["geo_scope"] == "world"
    me = tag_article(
        "اجتماع في الرياض لبحث الأوضاع في اليمن",
        "استضافت الرياض اجتماعا لوزراء خارجية دول الخليج لبحث تطورات الأوضاع في اليمن وسوريا والعراق، "
        "وأكد البيان الختامي دعم الحلول السياسية في المنطقة العربية.",
    )
    assert me["geo_scope"] == "middle_east"
    short = tag_article("خبر", "نص قصير")
    assert short["geo_scope"] is None
    for title, body in ARTICLES.values():
        assert tag_article(title, body)["geo_scope"] in (*GEO_LABELS, None)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("", ""),
        ("   ", "\n\n\t"),
        ("Breaking news", "The quick brown fox jumps over the lazy dog. " * 20),
        ("", "١٢٣٤ 5678 ٪ ... !!! ???"),
        ("", "كرة " * 100_000),
        ("\u200f\u202e", "\ufeff\u0640\u0640\u064b"),
        ("عنوان", "x" * 300_000),
    ],
)
def test_never_raises_and_top_label_present(title: str, body: str) -> None:
    out = tag_article(title, body)
    assert len(out["topics"]) >= 1
    assert out["topics"][0]["label"] in TOPIC_LABELS
    assert out["geo_scope"] in (*GEO_LABELS, None)
    assert isinstance(out["keywords"], list)


def test_deterministic() -> None:
    title, body = ARTICLES["sports"]
    assert tag_article(title, body) == tag_article(title, body)

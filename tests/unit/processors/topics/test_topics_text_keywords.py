"""Normalisation, boilerplate stripping, features and keyword extraction (no trained model needed)."""

from __future__ import annotations

import numpy as np

from processors.arabic import fold_for_keywords, fold_for_topics
from processors.topics.boilerplate import strip_boilerplate
from processors.topics.hashing import FeatureConfig, Featurizer
from processors.topics.keywords import DocFreq, extract_keywords, fold_clitics
from processors.topics.stopwords import STOPWORDS, is_stopword
from processors.topics.words import light_stem, prepare
from training.topics.doc_freq import build_doc_freq

# Hand-written toy corpus for document frequencies.
CORPUS = [
    ("الحكومة تقر الموازنة", "أقرت الحكومة الموازنة العامة الجديدة بعد نقاش في مجلس الوزراء حول الإنفاق."),
    ("الحكومة تناقش الأسعار", "ناقشت الحكومة ارتفاع الأسعار في الأسواق المحلية مع التجار."),
    ("مباراة قوية", "فاز الفريق في المباراة بهدف نظيف أمام جماهيره في الملعب."),
    ("الأمم المتحدة تحذر", "حذرت الأمم المتحدة من تفاقم الأزمة الإنسانية في المنطقة."),
    ("الأمم المتحدة ترسل مساعدات", "أرسلت الأمم المتحدة قافلة مساعدات إلى المدينة المحاصرة."),
    ("تقرير الأمم المتحدة", "أصدرت الأمم المتحدة تقريرها السنوي حول التنمية."),
    ("مهرجان الشعر", "انطلق مهرجان الشعر بمشاركة شعراء من عدة دول."),
    ("افتتاح مستشفى", "افتتح الوزير مستشفى جديدا يضم مئتي سرير."),
    ("تطبيق جديد", "أطلقت شركة ناشئة تطبيقا لحجز المواعيد الطبية."),
    ("أمطار غزيرة", "هطلت أمطار غزيرة على المدينة وأغلقت بعض الطرق."),
    ("معرض السيارات", "يعرض معرض السيارات أحدث الطرازات الكهربائية."),
    ("نتائج الامتحانات", "أعلنت الوزارة نتائج الامتحانات ونسب النجاح."),
]


def test_topics_folding_folds_orthography() -> None:
    assert fold_for_topics("أَحْمَدُ إِلى آخِرِ") == "احمد الي اخر"
    assert fold_for_topics("مدرسة") == "مدرسه"
    assert fold_for_topics("مبنى") == "مبني"
    assert fold_for_topics("عامـــــل") == "عامل"
    assert fold_for_topics("عام ٢٠٢٦ و1999") == "عام 0000 و0000"
    assert fold_for_topics("CNN News") == "cnn news"
    assert fold_for_topics("\u200f\u202eنص") == "نص"


def test_keywords_folding_keeps_ta_marbuta_and_alef_maqsura() -> None:
    assert fold_for_keywords("الحكومةُ أعلنت المستوى") == "الحكومة اعلنت المستوى"


def test_strip_boilerplate_removes_outlet_furniture() -> None:
    text = "دبي، الإمارات العربية المتحدة (CNN)-- أعلنت الشركة أرباحها.\nاقرأ أيضا: خبر آخر\nالمصدر: وكالة"
    out = strip_boilerplate(text)
    assert "CNN" not in out and "اقرأ" not in out and "المصدر" not in out
    assert "أعلنت الشركة أرباحها" in out
    assert "«الخليج»" not in strip_boilerplate("دبي: «الخليج» افتتح المعرض أمس.")
    assert "فرانس" not in strip_boilerplate("قال الوزير في مقابلة مع فرانس 24 إن المحادثات مستمرة " * 20)
    assert "#" not in strip_boilerplate("أطلقت #غوغل خدمة جديدة عبر #الذكاء_الاصطناعي")
    assert strip_boilerplate("") == ""


def test_light_stem() -> None:
    assert light_stem("والمدارس") == "مدارس"
    assert light_stem("المعلمون") == "معلم"
    assert light_stem("في") == "في"


def test_prepare_truncates_and_never_raises() -> None:
    assert prepare("", "") == ""
    assert len(prepare("عنوان", "كلمة " * 10_000, max_chars=100)) < 200


def test_featurizer_is_normalised_and_deterministic() -> None:
    f = Featurizer(FeatureConfig(n_features_log2=12))
    x = f.transform([("عنوان", "نص عن الاقتصاد والأسواق"), ("", "")])
    assert x.shape == (2, 4096)
    assert abs(float(np.sqrt(x[0].multiply(x[0]).sum())) - 1.0) < 1e-5
    assert x[1].nnz == 0
    y = Featurizer(FeatureConfig(n_features_log2=12)).transform([("عنوان", "نص عن الاقتصاد والأسواق")])
    assert (x[0] != y[0]).nnz == 0


def test_stopwords_are_folded() -> None:
    assert "الي" in STOPWORDS and "اذا" in STOPWORDS
    assert is_stopword("هذه") and is_stopword("هذة")
    assert is_stopword("على") and is_stopword("علي") and is_stopword(fold_for_keywords("إلى"))
    assert not is_stopword("الحكومة")


def _df() -> DocFreq:
    return build_doc_freq(CORPUS)


def test_fold_clitics_uses_frequencies() -> None:
    df = _df()
    assert fold_clitics("والحكومة", df.unigrams) == "الحكومة"
    assert fold_clitics("للحكومة", df.unigrams) == "الحكومة"
    assert fold_clitics("فالنسيا", df.unigrams) == "فالنسيا"  # no frequent "النسيا": kept whole


def test_keywords_are_normalised_terms_without_stopwords() -> None:
    df = _df()
    title = "الأمم المتحدة تطلق نداء لإغاثة المنكوبين"
    body = (
        "أطلقت الأمم المتحدة اليوم نداء عاجلا لإغاثة المنكوبين بعد الفيضانات، وقالت إن الفيضانات شردت آلاف "
        "الأسر. وأكدت الأمم المتحدة أن فرق الإغاثة وصلت إلى المناطق المنكوبة وأن الفيضانات دمرت الجسور."
    )
    kws = extract_keywords(title, body, df, max_keywords=6)
    assert 0 < len(kws) <= 6
    assert "الامم المتحدة" in kws  # multi-word term, alef folded
    assert "الفيضانات" in kws
    for k in kws:
        for w in k.split():
            assert not is_stopword(w)
            assert not any(ch in w for ch in "أإآًٌٍَُِّْـ")
    assert extract_keywords(title, body, df, max_keywords=0) == []
    assert extract_keywords("", "", df) == []
    assert extract_keywords("", "في من على إلى عن 2026", df) == []

"""``akhbar eval topics`` on a small JSON-lines file written for this test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from akhbar.commands.topics import eval_topics_cmd
from processors.topics import MODEL_PATH

ROWS = [
    {
        "title": "المنتخب يتأهل إلى نهائي البطولة",
        "text": "تأهل المنتخب الوطني لكرة القدم إلى المباراة النهائية بعد فوزه بثلاثة أهداف في نصف النهائي، "
        "وسجل المهاجم هدفين وصنع الثالث، فيما أشاد المدرب بأداء اللاعبين والجماهير في الملعب.",
        "topic_unified": "sports",
        "geo_scope": None,
    },
    {
        "title": "البنك المركزي يرفع أسعار الفائدة",
        "text": "قرر البنك المركزي رفع أسعار الفائدة ربع نقطة مئوية للحد من التضخم، وتراجعت أسهم البنوك في "
        "البورصة بعد القرار، فيما توقع محللون تباطؤ نمو القروض والاستثمار خلال الربع المقبل.",
        "topic_unified": "economy",
        "geo_scope": None,
    },
    {
        "title": "مؤتمر دولي في باريس",
        "text": "استضافت العاصمة الفرنسية باريس مؤتمرا دوليا بمشاركة وزراء من ألمانيا وبريطانيا والولايات "
        "المتحدة لبحث الأمن الأوروبي والعلاقات مع روسيا والصين.",
        "topic_unified": None,
        "geo_scope": "world",
    },
]


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="shipped topic model missing")
def test_eval_topics_prints_json(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\nnot json\n\n", encoding="utf-8")
    result = CliRunner().invoke(eval_topics_cmd, ["--jsonl", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["n"] == 2
    assert out["skipped_null_topic"] == 1
    assert out["invalid_lines"] == 1
    assert out["accuracy"] == 1.0 and out["macro_f1"] == 1.0
    assert out["geo_n"] == 1 and out["geo_accuracy"] == 1.0

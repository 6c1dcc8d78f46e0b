"""Legal texts read as the regulation prints them: full-width punctuation in Chinese text (九江's
citations came with half-width , ; : ( ) and a lost 〕 in 国办发〔2019〕57号), half-width where it is right."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.fullwidth import half_width_marks, to_full_width

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
CITIES = sorted(p.parent.name for p in PROCESSES.glob("*/citations.json"))


@pytest.mark.parametrize("city", CITIES)
def test_no_citation_has_half_width_punctuation_in_chinese_text(city):
    citations = json.loads((PROCESSES / city / "citations.json").read_text(encoding="utf-8"))
    found = {article: marks for article, text in citations.items() if (marks := half_width_marks(text))}
    assert found == {}


def test_jiujiang_article_one_cites_its_documents_with_their_numbers_whole():
    text = json.loads((PROCESSES / "jiujiang" / "citations.json").read_text(encoding="utf-8"))["第一条"]
    assert "（国办发〔2019〕57号）、" in text and "（赣府发〔2023〕8号）" in text and "（赣府厅发〔2023〕12号）" in text
    assert "，结合我市实际，制定本办法。" in text


def test_the_conversion_leaves_numbers_times_and_latin_text_alone():
    assert to_full_width("投资1,000万元,工期9:30至17:00") == "投资1,000万元，工期9:30至17:00"
    assert to_full_width("符合《定义和范围》(GB/T 40692-2021)规定:") == "符合《定义和范围》（GB/T 40692-2021）规定："
    assert to_full_width("see (a) and (b), ok?") == "see (a) and (b), ok?"
    assert to_full_width("单位(行业(含下属))职能") == "单位（行业（含下属））职能"
    assert half_width_marks("投资1,000万元，工期9:30") == []
    assert half_width_marks("办法(试行)") == ["办法(试行)", "办法(试行)"]

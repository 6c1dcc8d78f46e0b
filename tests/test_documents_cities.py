"""The documents each city's regulation has its bureaus send, issued by the step its documents.json
names and read back from the PDF: 宿迁 第十五条 受理/不予受理, 第十九条 补正, 第二十条 批复; 淮安 储备库
入库 (机制四.2) and 联合审查 (机制四.4); 九江 初审 (第十九条、第二十二条) and 联合会审 (第二十条); 瑶海
受理审查 二（二）6 and 专家评审 二（二）8."""
from __future__ import annotations

import pytest

from engine.services import documents
from tests import test_huaian_support as huaian
from tests import test_jiujiang_walk as jiujiang
from tests import test_suqian_support as suqian
from tests import test_yaohai_walk as yaohai
from tests.conftest import at
from tests.test_documents import pdf_text


def kinds(people, iid) -> list[tuple[str, str]]:
    return [(d["kind"], d["title"]) for d in people.instance(iid)["documents"]]


def text_of(people, iid, kind: str, who: str) -> tuple[dict, str]:
    doc = next(d for d in people.instance(iid)["documents"] if d["kind"] == kind)
    _, content = documents.pdf_for(people.ctx, getattr(people, who), doc["id"])
    return doc, pdf_text(content)


def test_suqian_registers_a_declaration_with_an_acceptance_notice_of_the_data_bureau(ctx):
    people = suqian.personas(ctx)
    iid = suqian.declared(people)
    suqian.advance(people, iid, "PreReview", "2026-09-10 10:00")
    doc, text = text_of(people, iid, "acceptance", "ann")
    assert doc["number"] == "宿数〔2026〕1号"
    for words in ("宿迁市数据局", "宿数〔2026〕1号", "受理通知书", "第十五条", "予以受理", "2026年9月10日"):
        assert words in text, words


def test_suqian_refuses_registration_with_the_reason_and_article(ctx):
    people = suqian.personas(ctx)
    iid = suqian.declared(people)
    _, answers = suqian.ANSWERS["RegisterReview"]
    people.do("dora", iid, "RegisterReview", {**answers, "decision": "reject", "comment": "申报材料缺少集体研究意见"},
              now=at("2026-09-10 10:00"))
    assert kinds(people, iid) == [("non_acceptance", "不予受理通知书")]
    _, text = text_of(people, iid, "non_acceptance", "ann")
    for words in ("不予受理通知书", "第十五条", "第十四条", "申报材料缺少集体研究意见", "决定不予受理"):
        assert words in text, words


def test_suqian_approvals_are_issued_by_the_ndrc(ctx):
    people = suqian.personas(ctx)
    iid = suqian.started(people, until="Procurement", total_investment=500)   # 第二十条: above 400万元
    approvals = [title for kind, title in kinds(people, iid) if kind == "approval"]
    assert approvals == ["项目建议书批复", "可行性研究报告批复", "初步设计方案和投资概算批复"]
    _, text = text_of(people, iid, "approval", "ann")
    assert "宿迁市发展和改革委员会" in text and "第二十条" in text and "此复" in text


def test_huaian_library_review_accepts_or_refuses_entry(ctx):
    people = huaian.personas(ctx)
    iid = huaian.started(people, until="PreparePlan")
    assert ("acceptance", "入库受理通知书") in kinds(people, iid)
    refused = people.start("amy", "huaian", huaian.FACTS, now=at("2026-11-01 10:00"))
    huaian.advance(people, refused, "LibraryReview", "2026-12-01 10:00")
    people.do("dan", refused, "LibraryReview", {"decision": "reject", "comment": "与已建系统功能重复"},
              now=at("2026-12-01 10:00"))
    doc, text = text_of(people, refused, "non_acceptance", "amy")
    assert doc["title"] == "不予入库通知书" and doc["number"].startswith("淮数〔2026〕")
    for words in ("淮安市数据局", "与已建系统功能重复", "机制四.2"):
        assert words in text, words


@pytest.fixture
def jiujiang_people(ctx, monkeypatch):
    return jiujiang.fast_personas(ctx, monkeypatch, "jiujiang", jiujiang.JIUJIANG_PEOPLE)


def test_jiujiang_joint_review_returned_then_summarised(jiujiang_people, ctx):
    people = jiujiang_people
    iid = jiujiang.consulted(people, ctx)
    assert [k for k, _ in kinds(people, iid)] == ["acceptance"]          # 第十九条 初审通过
    when = at("2026-09-21 10:00")
    for who, element in jiujiang.JOINT:
        answer = {"decision": "return", "comment": "请补充国资企业出资比例"} if element == "JointReviewSasac" \
            else jiujiang.OK
        people.do(who, iid, element, answer, now=when)
    assert kinds(people, iid)[-1] == ("correction", "联合会审补正通知")
    _, text = text_of(people, iid, "correction", "alice")
    assert "请补充国资企业出资比例" in text and "第二十条" in text
    people.do("alice", iid, "ReviseForJointReview", {"revision_note": "已补充出资比例"}, now=when)
    for who, element in jiujiang.JOINT:
        people.do(who, iid, element, jiujiang.OK, now=when)
    people.do("dora", iid, "JointOpinion", jiujiang.JOINT_OPINION, now=when)
    doc, text = text_of(people, iid, "joint_opinions", "alice")
    assert doc["title"] == "联合会审意见"
    for words in ("九江市数据管理部门", "九江市发展和改革委员会", "九江市财政局", "九江市国有资产监督管理委员会",
                  "各审查部门均同意通过审查"):
        assert words in text, words


def test_jiujiang_preliminary_review_refusal_cites_article_twenty_two(jiujiang_people, ctx):
    people = jiujiang_people
    iid = jiujiang.declared(people, ctx)
    if people.ready(iid) == ["CountyScreenDeclaration"]:
        people.do("cody", iid, "CountyScreenDeclaration", jiujiang.OK, now=at("2026-09-10 10:00"))
    people.do("olga", iid, "PreliminaryReview", {**jiujiang.PRELIMINARY_OK, "decision": "reject",
                                                 "comment": "单独新建机房，不符合集约建设要求"},
              now=at("2026-09-10 10:00"))
    _, text = text_of(people, iid, "non_acceptance", "alice")
    for words in ("九江市数字政府建设工作领导小组办公室", "第二十二条", "单独新建机房"):
        assert words in text, words


@pytest.fixture
def yaohai_people(ctx, monkeypatch):
    return jiujiang.fast_personas(ctx, monkeypatch, "yaohai", yaohai.YAOHAI_PEOPLE)


def test_yaohai_acceptance_expert_summary_correction_and_approval(yaohai_people):
    people = yaohai_people
    iid = yaohai.started(people)
    yaohai.advance(people, iid, "ApproveDesign")
    assert [k for k, _ in kinds(people, iid)] == ["acceptance", "joint_opinions", "correction"]
    _, summary = text_of(people, iid, "joint_opinions", "amy")
    for words in ("评审意见汇总", "瑶海区信息化项目评审专家组", "合肥市瑶海区发展和改革委员会", "合肥市瑶海区财政局",
                  "二（二）8"):
        assert words in summary, words
    people.do("dora", iid, "ApproveDesign", yaohai.STEPS["ApproveDesign"][1], now=at("2026-03-10 10:00"))
    doc, text = text_of(people, iid, "approval", "amy")
    assert doc["number"] == "瑶数资〔2026〕4号"
    assert "可研报告、初设方案批复" in text and "二（三）11" in text and "批复投资" in text

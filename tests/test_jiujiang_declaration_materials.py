"""九江市数字化项目建设管理办法(试行) 第十七条 (the meeting that approves a declaration follows the
declaring unit's level) and 第十八条（二） (涉密 projects add the 分级保护建设方案, 购买服务 projects the
实施方案): a declaration that lacks them comes back to the applicant, who is told what to add."""
import pytest

from tests.conftest import at
from tests.test_jiujiang_walk import DECLARE, FACTS, started
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

WHEN = at("2026-09-10 09:00")


def _after_declaring(people, facts, answers):
    iid = started(people, {**FACTS, **facts}, WHEN)
    people.do("alice", iid, "DeclareAnnual", answers, now=WHEN)
    return iid


def _title(people, iid):
    return people.task("alice", iid, "DeclareAnnual")["title"]


# 第十七条 — 市直部门: 本部门党委（党组）会议; 县（市、区）: 党委（党工委）会议或政府办公会议

@pytest.mark.parametrize("meeting", ["county_party_committee", "county_government"])
def test_a_city_department_declaration_approved_by_a_county_meeting_comes_back(people, meeting):
    iid = _after_declaring(people, {}, {**DECLARE, "meeting_type": meeting})
    assert people.ready(iid) == ["DeclareAnnual"]
    assert "本部门党委（党组）会议" in _title(people, iid)


def test_a_city_department_declaration_approved_by_its_party_group_goes_to_the_preliminary_review(people):
    assert people.ready(_after_declaring(people, {}, DECLARE)) == ["PreliminaryReview"]


def test_a_county_declaration_approved_by_a_department_party_group_comes_back(people):
    iid = _after_declaring(people, {"level": "county", "county": "修水县"}, DECLARE)
    assert people.ready(iid) == ["DeclareAnnual"]
    assert "党委（党工委）会议或政府办公会议" in _title(people, iid)
    people.do("alice", iid, "DeclareAnnual", {**DECLARE, "meeting_type": "county_government"}, now=WHEN)
    assert people.ready(iid) == ["CountyScreenDeclaration"]


@pytest.mark.parametrize("meeting", ["county_party_committee", "county_government"])
def test_a_county_declaration_approved_by_the_county_goes_to_the_county_screening(people, meeting):
    iid = _after_declaring(people, {"level": "county", "county": "修水县"}, {**DECLARE, "meeting_type": meeting})
    assert people.ready(iid) == ["CountyScreenDeclaration"]


# 第十八条（二） — 涉密: 分级保护建设方案; 购买服务类: 实施方案

def test_a_classified_declaration_without_its_graded_protection_plan_comes_back(people):
    iid = _after_declaring(people, {"is_classified": True}, DECLARE)
    assert people.ready(iid) == ["DeclareAnnual"]
    assert "分级保护建设方案" in _title(people, iid)
    people.do("alice", iid, "DeclareAnnual", {**DECLARE, "graded_protection_plan": "分保方案.pdf"}, now=WHEN)
    assert people.ready(iid) == ["PreliminaryReview"]


def test_a_service_declaration_without_its_implementation_plan_comes_back(people):
    iid = _after_declaring(people, {"project_type": "service"}, DECLARE)
    assert people.ready(iid) == ["DeclareAnnual"]
    assert "实施方案" in _title(people, iid)
    people.do("alice", iid, "DeclareAnnual", {**DECLARE, "service_plan": "实施方案.pdf"}, now=WHEN)
    assert people.ready(iid) == ["PreliminaryReview"]


@pytest.mark.parametrize("project_type", ["construction", "equipment"])
def test_other_declarations_need_neither_plan(people, project_type):
    assert people.ready(_after_declaring(people, {"project_type": project_type}, DECLARE)) == ["PreliminaryReview"]

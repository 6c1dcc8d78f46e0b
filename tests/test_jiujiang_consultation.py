"""九江市数字化项目建设管理办法(试行) 第十九条 (咨询论证: 办公室初审 → 咨询机构三种以上备选方案 → 数据管理部门
初步论证, 涉密项目省保密科技领域专家参与) and 第二十二条 (七种原则上不予支持的情形)."""
import pytest

from engine.errors import ValidationFailed
from engine.services import runtime
from tests.conftest import at
from tests.test_jiujiang_walk import DECLARE, OK, PRELIMINARY_OK, SOLUTIONS, declared, started  # noqa: F401
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

WHEN = at("2026-09-10 10:00")


def _reviewed(people, ctx, answers) -> dict:
    iid = declared(people, ctx)
    people.do("olga", iid, "PreliminaryReview", {**PRELIMINARY_OK, **answers}, now=WHEN)
    return {"iid": iid, "inst": people.instance(iid), "ready": people.ready(iid)}


# 第十九条 — 办公室初步审核必要性、急迫性

def test_the_office_reviews_necessity_and_urgency_first(people, ctx):
    iid = declared(people, ctx)
    assert people.ready(iid) == ["PreliminaryReview"]
    assert [t["name"] for t in people.inbox("olga")] == ["PreliminaryReview"]


def test_a_declaration_sent_back_by_the_office_is_revised_and_reviewed_again(people, ctx):
    result = _reviewed(people, ctx, {"decision": "return", "comment": "请补充急迫性说明"})
    iid = result["iid"]
    assert result["ready"] == ["ReviseDeclaration"]
    people.do("alice", iid, "ReviseDeclaration", {"revision_note": "已补充"}, now=WHEN)
    assert people.ready(iid) == ["PreliminaryReview"]


def test_a_declaration_failing_the_preliminary_review_ends(people, ctx):
    result = _reviewed(people, ctx, {"decision": "reject", "comment": "非急需项目"})
    assert (result["inst"]["outcome"], result["inst"]["outcome_reason"]) == ("rejected", "非急需项目")


# 第二十二条 — 有下列情形之一的，原则上不予支持

@pytest.mark.parametrize("n", range(1, 8))
def test_any_of_the_seven_conditions_ends_the_project_unsupported(people, ctx, n):
    result = _reviewed(people, ctx, {f"art22_{n}": True})
    inst = result["inst"]
    assert (inst["status"], inst["outcome"]) == ("terminated", "not_supported")
    assert "第二十二条第（" + "一二三四五六七"[n - 1] + "）项" in inst["outcome_reason"]


def test_an_authorised_overrule_with_a_recorded_reason_lets_the_project_continue(people, ctx):
    result = _reviewed(people, ctx, {"art22_3": True, "art22_overruled": True,
                                     "art22_overrule_reason": "系统须部署在专用机房，已报市委审定"})
    assert result["ready"] == ["ConsultancySolutions"]


def test_an_overrule_without_a_reason_is_refused(people, ctx):
    iid = declared(people, ctx)
    task = people.task("olga", iid, "PreliminaryReview")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.olga, task["id"],
                              {**PRELIMINARY_OK, "art22_1": True, "art22_overruled": True}, now=WHEN)
    assert "art22_overrule_reason" in err.value.errors


def _upgrade(people, ctx, accepted_on, failed=False, now="2026-09-01 10:00") -> str:
    iid = started(people, {"project_name": "九江市智慧教育平台二期", "project_type": "construction",
                                             "total_investment": 300, "in_reserve": True,
                                             "reserve_entered_on": "2025-12-01"}, now=at(now))
    people.do("alice", iid, "DeclareAnnual", {**DECLARE, "build_kind": "rebuild", "original_accepted_on": accepted_on,
                                              "original_evaluation_failed": failed}, now=at(now))
    people.do("olga", iid, "PreliminaryReview", PRELIMINARY_OK, now=at(now))
    return people.instance(iid)["outcome"]


def test_an_upgrade_less_than_one_year_after_its_acceptance_is_not_supported_even_if_unticked(people, ctx):
    assert _upgrade(people, ctx, "2025-09-02") == "not_supported"   # 未满一年 on 2026-09-01


def test_an_upgrade_a_full_year_after_its_acceptance_is_supported(people, ctx):
    assert _upgrade(people, ctx, "2025-08-31") is None      # the year ended with 2026-08-31


# 第十一条 and 第二十二条（七） count a year alike: the starting day not counted, the period ends with the
# anniversary (its 对应日), which still lies inside it — valid in the reserve, 未满一年 since acceptance

def test_on_the_anniversary_of_its_acceptance_an_upgrade_is_still_less_than_a_year_old(people, ctx):
    assert _upgrade(people, ctx, "2025-09-01") == "not_supported"


def test_an_upgrade_of_a_project_whose_performance_evaluation_failed_is_not_supported(people, ctx):
    assert _upgrade(people, ctx, "2020-01-01", failed=True) == "not_supported"


# 第十九条 — 咨询机构编制解决方案（原则上三种以上备选方案）

def _solutions_errors(people, ctx, answers) -> dict:
    result = _reviewed(people, ctx, {})
    task = people.task("cora", result["iid"], "ConsultancySolutions")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.cora, task["id"], answers, now=WHEN)
    return err.value.errors


def test_fewer_than_three_alternatives_need_a_reason(people, ctx):
    two = {"alternatives": SOLUTIONS["alternatives"][:2], "recommended": "方案一"}
    assert set(_solutions_errors(people, ctx, two)) == {"fewer_reason"}


def test_two_alternatives_with_a_reason_are_accepted(people, ctx):
    iid = _reviewed(people, ctx, {})["iid"]
    people.do("cora", iid, "ConsultancySolutions", {"alternatives": SOLUTIONS["alternatives"][:2],
                                                    "recommended": "方案一", "fewer_reason": "技术路线唯一可行"},
              now=WHEN)
    assert people.ready(iid) == ["PreliminaryAssessment"]


def test_a_classified_project_is_assessed_with_experts_from_the_provincial_pool(people, ctx):
    iid = declared(people, ctx, {"is_classified": True})
    people.do("olga", iid, "PreliminaryReview", PRELIMINARY_OK, now=WHEN)
    people.do("cora", iid, "ConsultancySolutions", SOLUTIONS, now=WHEN)
    people.do("cris", iid, "ConfirmClassified", {"is_classified_holds": "yes"}, now=WHEN)   # 市委保密机要局 confirms
    assert people.ready(iid) == ["ClassifiedExpertReview"]
    task = people.task("ezra", iid, "ClassifiedExpertReview")
    with pytest.raises(ValidationFailed):
        runtime.complete_task(people.ctx, people.ezra, task["id"],
                              {"experts": [{"name": "王专家"}], "opinion": "同意"}, now=WHEN)
    people.do("ezra", iid, "ClassifiedExpertReview",
              {"experts": [{"name": "王专家"}], "from_provincial_pool": True, "opinion": "同意"}, now=WHEN)
    assert people.ready(iid) == ["PreliminaryAssessment"]


def test_a_project_failing_the_preliminary_assessment_gets_no_joint_review_and_no_funds(people, ctx):
    iid = _reviewed(people, ctx, {})["iid"]
    people.do("cora", iid, "ConsultancySolutions", SOLUTIONS, now=WHEN)
    people.do("dora", iid, "PreliminaryAssessment", {"decision": "reject", "comment": "数据共享分析不足"}, now=WHEN)
    inst = people.instance(iid)
    assert (inst["outcome"], inst["outcome_label"]) == ("assessment_failed", "未通过初步论证，不予审批，不安排项目资金")


def test_a_project_passing_the_preliminary_assessment_goes_to_the_joint_review(people, ctx):
    iid = _reviewed(people, ctx, {})["iid"]
    people.do("cora", iid, "ConsultancySolutions", SOLUTIONS, now=WHEN)
    people.do("dora", iid, "PreliminaryAssessment", OK, now=WHEN)
    assert people.ready(iid) == ["JointReviewData", "JointReviewFinance", "JointReviewNdrc", "JointReviewSasac"]

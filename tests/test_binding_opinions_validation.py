"""Binding opinions in the diagram check (engine/validation.py, docs/modelling.md): a consolidating
task's `consolidates`/`binding`/`overridable` name user tasks of the bundle, a misspelt property is
an unknown one, and an overridable opinion needs the form's `override_reason`."""
import pytest

from tests.test_validation import broken, check, only_problem, shipped


@pytest.mark.parametrize("old, new, message", [
    (b'name="binding" value="ExpertOpinion"', b'name="bindng" value="ExpertOpinion"',
     "未知的扩展属性 bindng（是否应为 binding？）"),
    (b'name="binding" value="ExpertOpinion"', b'name="binding" value="ExpertOpnion"',
     "属性 binding 引用的审查任务 ExpertOpnion 不是本流程（及其调用的流程）中的用户任务"),
    (b'name="binding" value="ExpertOpinion"', b'name="binding" value="UnitReview"',
     "属性 binding 中的 UnitReview 须同时列在 consolidates 中"),
    (b'name="binding" value="ExpertOpinion"', b'name="binding" value="NdrcOpinion"',
     "审查任务 NdrcOpinion 不能既有约束力（binding）又可不采纳（overridable）"),
    (b'<spiffworkflow:property name="consolidates" value="ExpertOpinion,NdrcOpinion,FinanceOpinion"/>', b"",
     "须与 consolidates（汇总的审查任务）一起使用"),
    (b'name="form" value="yaohai/expert_conclusion"', b'name="form" value="yaohai/acceptance_check"',
     "表单须有 override_reason 字段"),
])
def test_it_names_a_consolidation_that_does_not_hold(old, new, message):
    problem = only_problem("yaohai.bpmn", broken("yaohai.bpmn", old, new))
    assert problem.element == "ExpertConclusion" and message in problem.message


def test_the_shipped_consolidations_are_clean():
    assert check({"yaohai.bpmn": broken("yaohai.bpmn", b"x", b"x")}) == []


def test_a_consolidation_that_binds_needs_a_decision_in_its_form():
    problems = check({"yaohai.bpmn": broken("yaohai.bpmn", b'name="form" value="yaohai/expert_conclusion"',
                                             b'name="form" value="jiujiang/joint_opinion"')})
    assert any(p.element == "ExpertConclusion" and "须有 decision 字段" in p.message for p in problems)


def test_a_consolidation_that_only_shows_the_opinions_needs_no_decision():
    """九江 第二十条: 联合会审意见 is written, not decided; its task shows the four reviews side by side."""
    source = shipped("jiujiang.bpmn")
    assert b'name="consolidates" value="JointReviewData' in source
    assert check({"jiujiang.bpmn": source}) == []

"""The diagram check (engine/validation.py): every file of the corpus (tests/fixtures/corpus: the public
example sets of SpiffWorkflow, bpmn-js, dmn-js and Camunda, and hand-written broken files) gets a clear
verdict — a list of problems with Chinese messages, or none — and never an exception; the shipped
procedures and the sixth-city fixture are clean; each govflow rule catches a shipped diagram broken
in one place, naming the element and its line."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from engine import validation
from engine.config import ROOT
from engine.errors import DiagramInvalid
from engine.runtime_env import Runtime
from engine.services.deploy import bundle_for, validate_bundle, validate_files
from web.cli import main

RUNTIME = Runtime.from_data_dir(ROOT)
CORPUS = Path(__file__).parent / "fixtures" / "corpus"
HANDWRITTEN = CORPUS / "handwritten"
CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".bpmn", ".dmn"))
SHIPPED = sorted((ROOT / "bpmn_diagrams").glob("*/*.bpmn")) + sorted((ROOT / "bpmn_diagrams").glob("*/*.dmn"))
CHINESE = re.compile("[\u4e00-\u9fff]")


def check(files: dict[str, bytes]) -> list[validation.Problem]:
    return validation.check_files(RUNTIME, files)


def shipped(name: str) -> bytes:
    return next(p for p in SHIPPED if p.name == name).read_bytes()


def line_of(content: bytes, marker: bytes) -> int:
    assert content.count(marker) >= 1, marker
    return content[:content.index(marker)].count(b"\n") + 1


def triples(problems) -> list[tuple]:
    return [(p.file, p.element, p.line) for p in problems]


# --- the corpus ----------------------------------------------------------------------------------

def test_the_corpus_is_a_few_hundred_files_from_four_sets_under_five_megabytes():
    sets = {p.relative_to(CORPUS).parts[0] for p in CORPUS_FILES}
    assert sets == {"spiffworkflow", "bpmn-js", "dmn-js", "camunda", "handwritten"}
    assert 300 <= len(CORPUS_FILES) <= 500
    assert sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file()) < 5 * 1024 * 1024
    for folder in ("spiffworkflow", "bpmn-js", "dmn-js", "camunda"):
        assert any((CORPUS / folder / name).is_file() for name in ("LICENSE", "COPYING")), folder


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.relative_to(CORPUS).as_posix() for p in CORPUS_FILES])
def test_every_corpus_file_gets_a_clear_verdict(path):
    problems = check({path.name: path.read_bytes()})
    for problem in problems:
        assert problem.file == path.name
        assert problem.element and isinstance(problem.element, str)
        assert problem.line is None or problem.line >= 1
        assert problem.stage in (1, 2, 3, 4, 5)
        assert CHINESE.search(problem.message), problem.message
        assert "Traceback" not in problem.message
    assert [p.stage for p in problems] == sorted(p.stage for p in problems)      # in the order of the checks


HANDWRITTEN_VERDICTS = {      # file → (check, what the first message says); None: clean
    "clean.bpmn": None,
    "bom.bpmn": None,
    "dmn11.dmn": None,
    "dmn12.dmn": None,
    "dmn13.dmn": None,
    "gbk.bpmn": (1, "不是 UTF-8 编码：第 3 行"),
    "gbk_undeclared.bpmn": (1, "不是 UTF-8 编码"),
    "utf16.bpmn": (1, "文件是 UTF-16 编码，应为 UTF-8"),
    "latin1_declared.bpmn": (1, "XML 声明的编码为 ISO-8859-1，应为 UTF-8"),
    "truncated.bpmn": (1, "结束之前就中断了（文件不完整？）"),
    "empty.bpmn": (1, "文件为空"),
    "whitespace.dmn": (1, "文件为空"),
    "not_xml.bpmn": (1, "这不是 XML 文件"),
    "html.bpmn": (1, "既不是 BPMN 也不是 DMN 文件：根元素为 html"),
    "bpmn_beta_namespace.bpmn": (1, "不是 BPMN 2.0 文件"),
    "entities.bpmn": (1, "不允许 DOCTYPE 声明"),
    "unbound_prefix.bpmn": (1, "命名空间前缀 spiffworkflow 未声明"),
    "dmn_as_bpmn.bpmn": (1, "文件内容是 DMN 决策表，扩展名却是 .bpmn"),
    "dmn14.dmn": (1, "不支持的 DMN 版本"),
    "unknown_element.bpmn": (2, "此处不应出现元素 bpmn:reviewTask"),
    "unknown_attribute.bpmn": (2, "元素 bpmn:userTask 不允许有属性 priority"),
    "dmn13_schema_error.dmn": (2, "不符合 DMN 1.3 规范：此处不应出现元素 dmn:inputValues"),
    "complex_gateway.bpmn": (3, "SpiffWorkflow 无法执行 bpmn:complexGateway"),
    "feel_cells.dmn": (4, "决策表输入单元格“[400..1000]”不是合法的 Python 表达式"),
    "sandbox_cell.dmn": (5, "决策表输出单元格："),      # the sandbox's own words follow, naming __import__
}


def test_each_handwritten_case_gets_its_verdict():
    assert set(HANDWRITTEN_VERDICTS) == {p.name for p in HANDWRITTEN.iterdir() if p.suffix in (".bpmn", ".dmn")}
    for name, verdict in HANDWRITTEN_VERDICTS.items():
        problems = check({name: (HANDWRITTEN / name).read_bytes()})
        if verdict is None:
            assert problems == [], (name, [str(p) for p in problems])
            continue
        stage, text = verdict
        assert problems, name
        assert (problems[0].stage, text in problems[0].message) == (stage, True), (name, str(problems[0]))
        if name == "sandbox_cell.dmn":
            assert "__import__" in problems[0].message


def test_the_line_and_column_of_a_syntax_error_are_given():
    broken = (HANDWRITTEN / "clean.bpmn").read_bytes().replace(b"</bpmn:laneSet>", b"</bpmn:laneSett>")
    [problem] = check({"broken.bpmn": broken})
    line = line_of(broken, b"</bpmn:laneSett>")
    assert (problem.stage, problem.line) == (1, line)
    assert problem.message.startswith("XML 格式错误：开始标签 laneSet（第 ")
    assert f"（第 {line} 行第 " in problem.message


def chain(key: str, length: int) -> bytes:
    from tests.diagrams import Diagram
    d = Diagram(key, "长流程", [("applicant", "建设单位")])
    d.start("Begin", lane="applicant", col=0, name="开始")
    previous = "Begin"
    for i in range(length):
        d.user_task(f"Step{i}", lane="applicant", col=1 + i, name=f"第{i}步",
                    properties={"form": "common/confirm", "legalBasis": "第六条"})
        d.flow(previous, f"Step{i}")
        previous = f"Step{i}"
    d.end("Done", lane="applicant", col=length + 1, name="结束", properties={"outcome": "completed"})
    d.flow(previous, "Done")
    return d.to_xml()


def test_a_huge_file_is_refused_before_parsing_and_a_large_one_is_checked():
    huge = b'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions>' + b" " * validation.MAX_BYTES
    [problem] = check({"huge.bpmn": huge})
    assert (problem.stage, problem.message) == (1, "文件过大（8.0 MB，上限 8 MB）")
    large = chain("yeji.corpus_large", 250)
    assert len(large) > 100_000
    assert check({"large.bpmn": large}) == []


def test_a_chain_too_long_for_spiffworkflow_is_a_problem_not_a_crash():
    problems = check({"long.bpmn": chain("yeji.corpus_long", 700)})
    assert [p.stage for p in problems] == [3]
    assert problems[0].message.startswith("首尾相连的节点过多")


def test_dmn_1_1_1_2_and_1_3_are_checked_against_their_own_xsd():
    for version in ("11", "12", "13"):
        table = (HANDWRITTEN / f"dmn{version}.dmn").read_bytes()
        broken = table.replace(b'hitPolicy="FIRST"', b'hitPolicy="SOMETIMES"')
        [problem] = check({"table.dmn": broken})
        assert problem.stage == 2 and problem.element == "Table_corpus_route"
        assert problem.line == line_of(broken, b"<decisionTable")
        assert "SOMETIMES" in problem.message and f"DMN {version[0]}.{version[1]}" in problem.message


def rule_task_process(key: str = "yeji.corpus_rule") -> bytes:
    """开始 → 业务规则任务 (corpus_route) → 按 route 分支 → 两个结束事件."""
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_rule" targetNamespace="x">
  <bpmn:process id="{key}" name="决策表样例" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="Route" name="确定审批路径">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>corpus_route</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:exclusiveGateway id="GwRoute" name="完整程序？" default="F4">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="EndFull" name="完整程序">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="outcome" value="completed"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F3</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="EndSimple" name="简易程序">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="outcome" value="completed"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F4</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Route"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Route" targetRef="GwRoute"/>
    <bpmn:sequenceFlow id="F3" sourceRef="GwRoute" targetRef="EndFull">
      <bpmn:conditionExpression>route == "full"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F4" sourceRef="GwRoute" targetRef="EndSimple"/>
  </bpmn:process>
</bpmn:definitions>
'''.encode()


def test_a_bpmn_is_checked_with_the_decision_table_it_calls():
    table = (HANDWRITTEN / "dmn13.dmn").read_bytes()
    assert check({"rule.bpmn": rule_task_process(), "route.dmn": table}) == []
    assert check({"rule.bpmn": rule_task_process()}) == [
        ("rule.bpmn", "Route", "业务规则任务引用的决策表 corpus_route 不存在")]
    unknown = table.replace(b"<text>total_investment</text>", b"<text>total_invest</text>")
    [problem] = check({"rule.bpmn": rule_task_process(), "route.dmn": unknown})
    marker = b'<inputExpression id="InputExpression_investment"'
    assert (problem.file, problem.element, problem.line) == ("route.dmn", "InputExpression_investment",
                                                             line_of(unknown, marker))
    assert "total_invest" in problem.message and "是否应为 total_investment" in problem.message
    # the same table alone: nothing says which fields exist, so its input expression is not judged
    assert check({"route.dmn": unknown}) == []


def test_spiffworkflow_cannot_load_a_dmn_1_2_table_into_a_process():
    """SpiffWorkflow 3.2's own DMN 1.2 XSD does not compile, so a version calling a DMN 1.2 table
    cannot be loaded; checked alone (against engine/modeling/schemas/dmn12) the table is fine."""
    table = (HANDWRITTEN / "dmn12.dmn").read_bytes()
    assert check({"route.dmn": table}) == []
    [problem] = check({"rule.bpmn": rule_task_process(), "route.dmn": table})
    assert (problem.stage, problem.file) == (3, "route.dmn")
    assert "另存为 DMN 1.3" in problem.message


# --- the shipped procedures ----------------------------------------------------------------------

def test_the_five_shipped_procedures_validate_clean_file_by_file_and_together():
    assert check({p.name: p.read_bytes() for p in SHIPPED}) == []
    for path in SHIPPED:
        assert check({path.name: path.read_bytes()}) == [], path.name


@pytest.mark.parametrize("key", [k for j in RUNTIME.registry.jurisdictions().values() for k in j.processes])
def test_every_shipped_process_deploys_clean(key):
    files = bundle_for(RUNTIME, key)
    version = validate_bundle(RUNTIME, key, files)
    assert version.process_key == key


def test_the_sixth_city_fixture_validates_clean(tmp_path):
    root = tmp_path / "data"
    fixture = Path(__file__).parent / "fixtures" / "sixth_city"
    for tree in ("processes", "bpmn_diagrams", "forms"):
        shutil.copytree(fixture / tree, root / tree)
    shutil.copytree(ROOT / "forms" / "common", root / "forms" / "common")
    runtime = Runtime.from_data_dir(root)
    path = root / "bpmn_diagrams" / "xincheng" / "xincheng.bpmn"
    assert validation.check_files(runtime, {path.name: path.read_bytes()}) == []
    validate_bundle(runtime, "xincheng", bundle_for(runtime, "xincheng"))


# --- each govflow rule catches a diagram broken in one place -------------------------------------

def broken(name: str, old: bytes, new: bytes, count: int = 1) -> bytes:
    """A shipped file with the first `count` occurrences of `old` replaced (-1: all of them)."""
    content = shipped(name)
    assert content.count(old) >= max(count, 1), old
    return content.replace(old, new, count)


def only_problem(name: str, content: bytes, **others: bytes) -> validation.Problem:
    problems = check({name: content, **others})
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


RULES = [
    # (case, file, old, new, element, line marker in the broken file, text of the message)
    ("a lane whose role the city does not declare", "yeji.bpmn", b'id="lane_government"',
     b'id="lane_governmen"', "GovernmentApproval", b'<bpmn:userTask id="GovernmentApproval"',
     "泳道角色 governmen 未在 processes/yeji/jurisdiction.json 的 roles 中声明"),
    ("a lane not named after a role", "yeji.bpmn", b'id="lane_government"', b'id="Government"',
     "GovernmentApproval", b'<bpmn:userTask id="GovernmentApproval"',
     "泳道 id 应为 lane_<角色> 或 <子流程id>_lane_<角色>"),
    ("a form that does not exist", "yeji.bpmn", b'name="form" value="yeji/declare"', b'name="form" value="yeji/nope"',
     "Declare", b'name="form" value="yeji/nope"', "表单文件不存在：forms/yeji/nope.schema.json"),
    ("a user task without a form", "yeji.bpmn", b'<spiffworkflow:property name="form" value="yeji/declare"/>', b"",
     "Declare", b'<bpmn:userTask id="Declare"', "用户任务缺少 form 属性"),
    ("an article the citations do not have", "yeji.bpmn", "第六条,第九条,第十条".encode(),
     "第六条,第九十九条,第十条".encode(), "Declare", "第九十九条".encode(), "法律依据 第九十九条 未在辖区条文表中"),
    ("an unknown extension property", "yeji.bpmn", b'name="dueAt" value="None if urgent',
     b'name="dueBy" value="None if urgent', "Declare", b'name="dueBy"', "未知的扩展属性 dueBy"),
    ("a dueIn that is not a duration", "jiujiang.bpmn", b'name="dueIn" value="5wd"', b'name="dueIn" value="5 days"',
     "ApproveProposal", b'name="dueIn" value="5 days"', "属性 dueIn 的取值“5 days”不合法：应写作 10wd"),
    ("a clock name of the wrong form", "jiujiang.bpmn", b'name="clock" value="tech_review"',
     b'name="clock" value="Tech Review"', "TechReview", b'value="Tech Review"', "属性 clock 的取值“Tech Review”不合法"),
    ("an outcome the city does not know", "yeji.bpmn", b'name="outcome" value="out_of_scope"',
     b'name="outcome" value="out_of_scop"', "EndOutOfScope", b'value="out_of_scop"', "结果代码 out_of_scop 未知"),
    ("an end event without an outcome", "yeji.bpmn", b'<spiffworkflow:property name="outcome" value="out_of_scope"/>',
     b"", "EndOutOfScope", b'<bpmn:endEvent id="EndOutOfScope"', "结束事件缺少 outcome 属性"),
    ("an exclusive gateway without a default or conditions", "yeji.bpmn", b' default="Flow_GwScope_Declare"', b"",
     "GwScope", b'<bpmn:exclusiveGateway id="GwScope"', "排他网关的出口顺序流 Flow_GwScope_Declare 没有条件"),
    ("a timer date that is no date", "yeji.bpmn", b">next_quarter_start()</bpmn:timeDate>",
     b">'next quarter'</bpmn:timeDate>", "QuarterStart", b'id="QuarterStart"',
     "定时器的取值“next quarter”不合法"),
    ("a condition reading a name nobody sets", "yeji.bpmn", b">is_key_project</bpmn:conditionExpression>",
     b">is_key_projekt</bpmn:conditionExpression>", "Flow_GwKey_KeyProjectApproval", b">is_key_projekt<",
     "条件使用了未定义的名称 is_key_projekt"),
    ("a script reading a name nobody sets", "yeji.bpmn", b"reviews = [ReviewDataBureau, ReviewExperts,",
     b"reviews = [ReviewDataBureau, ReviewExpert,", "TallyReview", b"reviews = [ReviewDataBureau, ReviewExpert,",
     "脚本使用了未定义的名称 ReviewExpert"),
    ("a process key of no jurisdiction", "yeji.rectification.bpmn", b'"yeji.rectification"', b'"yeij.rectification"',
     "yeij.rectification", b'<bpmn:process id="yeij.rectification"', "流程标识 yeij.rectification 不属于任何辖区"),
    ("a business rule task calling a missing decision", "suqian.bpmn",
     b"<spiffworkflow:calledDecisionId>suqian_approval_route<",
     b"<spiffworkflow:calledDecisionId>suqian_approval_rout<", "DecideRoute", b'id="DecideRoute"',
     "业务规则任务引用的决策表 suqian_approval_rout 不存在（是否应为 suqian_approval_route？）"),
    ("a reads naming neither a step nor the unit's systems", "suqian.bpmn", b'name="reads" value="unit_systems"',
     b'name="reads" value="unit_system"', "CheckFollowUp", b'name="reads" value="unit_system"',
     "属性 reads 的取值“unit_system”不合法"),
    ("code the sandbox refuses", "yeji.bpmn", b">is_key_project</bpmn:conditionExpression>",
     b">().__class__</bpmn:conditionExpression>", "Flow_GwKey_KeyProjectApproval", b">().__class__<", "__class__"),
]


@pytest.mark.parametrize("case, name, old, new, element, marker, text", RULES, ids=[r[0] for r in RULES])
def test_each_rule_catches_a_shipped_diagram_broken_in_one_place(case, name, old, new, element, marker, text):
    content = broken(name, old, new, -1 if case == "a process key of no jurisdiction" else 1)
    problem = only_problem(name, content)
    assert (problem.file, problem.element, problem.line) == (name, element, line_of(content, marker))
    assert text in problem.message, problem.message


def test_the_property_problems_point_at_the_property_line():
    content = broken("yeji.bpmn", b'name="form" value="yeji/declare"', b'name="form" value="yeji/nope"')
    problem = only_problem("yeji.bpmn", content)
    assert problem.line == line_of(content, b'value="yeji/nope"')


def test_a_decision_table_input_naming_a_missing_field_is_caught_with_the_process():
    table = broken("suqian_approval_route.dmn", b"<text>in_plan</text>", b"<text>in_the_plan</text>")
    problem = only_problem("suqian_approval_route.dmn", table, **{"suqian.bpmn": shipped("suqian.bpmn")})
    assert problem.file == "suqian_approval_route.dmn"
    assert problem.element == "InputExpression_suqian_approval_route_0"
    assert problem.line == line_of(table, b'<inputExpression id="InputExpression_suqian_approval_route_0"')
    assert "in_the_plan" in problem.message


def test_a_decision_table_cell_that_is_not_python_is_caught():
    table = broken("jiujiang_limit.dmn", b'<text>"operation"</text>', b"<text>[1..5]</text>")
    problem = only_problem("jiujiang_limit.dmn", table)
    assert (problem.element, problem.line) == ("In_jiujiang_limit_0_0", line_of(table, b'id="In_jiujiang_limit_0_0"'))
    assert problem.message.startswith("决策表输入单元格“[1..5]”不是合法的 Python 表达式")


def test_an_element_spiffworkflow_cannot_run_is_named_by_its_tag():
    content = broken("yeji.bpmn", b'<bpmn:parallelGateway id="ForkSecurity"', b'<bpmn:complexGateway id="ForkSecurity"')
    start = content.index(b'<bpmn:complexGateway id="ForkSecurity"')
    end = content.index(b"</bpmn:parallelGateway>", start)
    content = content[:end] + b"</bpmn:complexGateway>" + content[end + len(b"</bpmn:parallelGateway>"):]
    problems = check({"yeji.bpmn": content})
    line = line_of(content, b'<bpmn:complexGateway id="ForkSecurity"')
    assert triples(problems) == [("yeji.bpmn", "ForkSecurity", line)]
    assert problems[0].message == "SpiffWorkflow 无法执行 bpmn:complexGateway（不支持这种节点）"


def test_a_schema_problem_keeps_its_line_and_says_it_in_chinese():
    content = broken("yeji.bpmn", b'<bpmn:exclusiveGateway id="GwScope"',
                     b'<bpmn:exclusiveGateway id="GwScope" gatewayDirection="Sideways"')
    [problem] = check({"yeji.bpmn": content})
    assert (problem.stage, problem.element, problem.line) == (2, "GwScope", line_of(content, b'id="GwScope"'))
    assert problem.message == ("不符合 BPMN 2.0 规范：元素 bpmn:exclusiveGateway 的属性 gatewayDirection 取值"
                               "“Sideways”不在允许的取值 'Unspecified', 'Converging', 'Diverging', 'Mixed' 之中")


def test_a_called_process_knows_the_names_its_callers_set():
    """yaohai.collective_decision has no start form: its expressions read what yaohai.bpmn sets."""
    assert check({"yaohai.collective_decision.bpmn": shipped("yaohai.collective_decision.bpmn")}) == []
    broken_call = broken("yaohai.collective_decision.bpmn", b"collective_matter", b"collective_mater")
    problems = check({"yaohai.collective_decision.bpmn": broken_call})
    assert problems and all("collective_mater" in p.message for p in problems)


# --- deploy and the command line -----------------------------------------------------------------

def test_deploy_refuses_with_lines_in_its_problem_body():
    content = broken("yeji.bpmn", b'name="form" value="yeji/declare"', b'name="form" value="yeji/nope"')
    with pytest.raises(DiagramInvalid) as refused:
        validate_bundle(RUNTIME, "yeji", {"yeji.bpmn": content})
    [(file, element, reason)] = refused.value.problems
    assert (file, element, reason) == ("yeji.bpmn", "Declare", "表单文件不存在：forms/yeji/nope.schema.json")
    [body] = refused.value.to_problem()["problems"]
    assert body == {"file": "yeji.bpmn", "element": "Declare", "line": line_of(content, b"yeji/nope"),
                    "message": reason, "reason": reason}


def test_bundle_for_names_a_missing_called_process():
    content = broken("yaohai.bpmn", b'calledElement="yaohai.collective_decision"', b'calledElement="yaohai.nope"', -1)
    with pytest.raises(DiagramInvalid) as refused:
        bundle_for(RUNTIME, "yaohai", {"yaohai.bpmn": content})
    assert all("调用活动引用的流程 yaohai.nope 不存在" in reason for _f, _e, reason in refused.value.problems)


def test_validate_files_reads_paths(tmp_path):
    path = tmp_path / "yeji.bpmn"
    path.write_bytes(shipped("yeji.bpmn"))
    assert validate_files(RUNTIME, [path]) == []


def test_govflow_validate_prints_file_line_element_and_reason(tmp_path, capsys):
    content = broken("yeji.bpmn", b'name="form" value="yeji/declare"', b'name="form" value="yeji/nope"')
    path = tmp_path / "yeji.bpmn"
    path.write_bytes(content)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    line = line_of(content, b"yeji/nope")
    assert out.out == f"{path}:{line}: Declare: 表单文件不存在：forms/yeji/nope.schema.json\n"
    assert "共 1 个问题" in out.err


def test_govflow_validate_checks_a_dmn_alone_and_with_its_process(tmp_path, capsys):
    table = tmp_path / "route.dmn"
    table.write_bytes((HANDWRITTEN / "dmn13.dmn").read_bytes().replace(b"</rule>", b"</rul>", 1))
    assert main(["validate", str(table)]) == 1
    assert f"{table}:" in capsys.readouterr().out
    table.write_bytes((HANDWRITTEN / "dmn13.dmn").read_bytes())
    assert main(["validate", str(table)]) == 0
    assert "校验通过：1 个文件" in capsys.readouterr().out
    process = tmp_path / "rule.bpmn"
    process.write_bytes(rule_task_process())
    assert main(["validate", str(process), str(table)]) == 0
    assert main(["validate", str(process)]) == 1
    assert "业务规则任务引用的决策表 corpus_route 不存在" in capsys.readouterr().out


def test_govflow_validate_accepts_every_shipped_file_at_once(capsys):
    assert main(["validate", *map(str, SHIPPED)]) == 0
    assert f"校验通过：{len(SHIPPED)} 个文件" in capsys.readouterr().out


def test_govflow_validate_refuses_other_files(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert "只能校验 .bpmn（流程图）或 .dmn（决策表）文件" in capsys.readouterr().out


# --- a field whose choices are records (`x-choices`, engine/services/choices.py) -------------------

def _data_with_form(tmp_path, form: str, change) -> Runtime:
    """A copy of the shipped data with one form's schema changed by `change(schema)`."""
    root = tmp_path / "data"
    for tree in ("processes", "bpmn_diagrams", "forms"):
        shutil.copytree(ROOT / tree, root / tree)
    path = root / "forms" / f"{form}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return Runtime.from_data_dir(root)


def _yeji_problems(runtime) -> list[str]:
    path = ROOT / "bpmn_diagrams" / "yeji" / "yeji.bpmn"
    return [f"{p.element}: {p.message}" for p in validation.check_files(runtime, {path.name: path.read_bytes()})]


@pytest.mark.parametrize("change, text", [
    (lambda s: s["properties"]["maintained_project_id"].update({"x-choices": "unit_projectz"}),
     "x-choices 来源 unit_projectz 未知"),
    (lambda s: s["properties"]["maintained_project_id"].update({"type": "string"}), "类型应为 integer"),
    (lambda s: s["properties"]["maintained_project_id"].update({"x-choices-filter": {"phase": ["运维"]}}),
     "x-choices-filter 只能有 status、outcome、facts"),
], ids=["an unknown source", "a field that is not a number", "a filter on something else"])
def test_a_choice_field_naming_what_the_engine_cannot_list_is_refused(tmp_path, change, text):
    problems = _yeji_problems(_data_with_form(tmp_path, "yeji/declare", change))
    assert [p for p in problems if text in p and p.startswith("Declare: 表单 yeji/declare：")], problems


def test_a_start_form_cannot_take_its_choices_from_records(tmp_path):
    def add(schema):
        schema["properties"]["earlier_project"] = {"type": "integer", "title": "前期项目", "x-choices": "unit_projects"}
    problems = _yeji_problems(_data_with_form(tmp_path, "common/project_facts", add))
    assert [p for p in problems if "开始表单 common/project_facts 不能使用 x-choices" in p], problems

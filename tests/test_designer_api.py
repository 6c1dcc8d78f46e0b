"""Process designers over HTTP (CONTRACT.md, "Process designers"): the versions of a process and their
files (byte for byte as deployed), validate, deploy with forms, the diff of two versions — and who may
call them (designer of the process's jurisdiction or admin; others 403). Every JSON answer is checked
against the OpenAPI document (tests/test_openapi_shapes.Api)."""
from __future__ import annotations

import hashlib
import json

import pytest

from engine.config import ROOT
from engine.services import designer
from tests.conftest import at
from tests.support import PASSWORD, Personas
from tests.test_openapi_shapes import Api
from tests.test_suqian_support import SUQIAN_PEOPLE, advance, declared
from tests.yeji_walk import DECLARE, FACTS

DIAGRAMS = ROOT / "bpmn_diagrams"
FORMS = ROOT / "forms"
YEJI = (DIAGRAMS / "yeji" / "yeji.bpmn").read_text(encoding="utf-8")
DECLARE_NOTE = ("第六条：每年10月份前", "第六条：每年十月份前")
NO_FORM = '          <spiffworkflow:property name="form" value="yeji/declare"/>\n'


def token_for(client, username: str) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def api(client, people) -> Api:
    return Api(client, people)


def _other_designer(ctx, api: Api) -> str:
    """sue: a designer of 宿迁, who may not design 叶集's processes."""
    other = Personas(ctx, "suqian", {"sue": ("市数据局", ["designer"])})
    assert other.sue
    api.tokens["sue"] = token_for(api.client, "sue")["Authorization"].removeprefix("Bearer ")
    return "sue"


def _edited(text: str = YEJI) -> str:
    assert DECLARE_NOTE[0] in text
    return text.replace(*DECLARE_NOTE)


def test_a_designer_deploys_over_http_and_downloads_the_very_bytes_deployed(api, people, client):
    people.deploy("yeji")
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    body = "\ufeff" + _edited().replace("\n", "\r\n")            # a BOM and CRLF line ends, as some editors write
    created = api.call("post", "/api/v1/processes/{key}/versions", "desi", expect=201, key="yeji",
                       json={"files": {"yeji.bpmn": body}, "note": "申报期限说明改为汉字"}).get_json()
    assert created == {"version": 2, "created": True}

    versions = api.call("get", "/api/v1/processes/{key}/versions", "desi", key="yeji").get_json()
    assert [(v["version"], v["deployed_by"], v["note"], v["running_instances"]) for v in versions] == [
        (2, "desi", "申报期限说明改为汉字", 0), (1, None, None, 1)]
    assert people.instance(iid)["version"] == 1

    files = api.call("get", "/api/v1/processes/{key}/versions/{version}/files", "desi", key="yeji",
                     version=2).get_json()
    assert files == [{"name": "yeji.bpmn", "kind": "bpmn", "sha256": hashlib.sha256(body.encode()).hexdigest()}]
    download = client.get("/api/v1/processes/yeji/versions/2/files/yeji.bpmn", headers=api.auth("desi"))
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert download.data == body.encode("utf-8")
    assert download.data.startswith(b"\xef\xbb\xbf<?xml") and b"\r\n" in download.data
    first = client.get("/api/v1/processes/yeji/versions/1/files/yeji.bpmn", headers=api.auth("desi"))
    assert first.data == (DIAGRAMS / "yeji" / "yeji.bpmn").read_bytes()

    again = api.call("post", "/api/v1/processes/{key}/versions", "desi", key="yeji",
                     json={"files": {"yeji.bpmn": body}, "note": "再次提交"}).get_json()
    assert again == {"version": 2, "created": False}            # nothing changed: 200, no new version


def test_a_suqian_dmn_deployed_over_http_keeps_running_projects_on_their_threshold(ctx, client):
    """第二十条 at 400 万元 in v1 (tests/test_suqian_thresholds: exactly 400 does not go to the ndrc);
    v2 lowers it to 300: a project of 350 万元 started before goes by 400, a new one by 300."""
    people = Personas(ctx, "suqian", {**SUQIAN_PEOPLE, "sue": ("市数据局", ["designer"])})
    people.deploy("suqian")
    before = declared(people, total_investment=350)
    table = (DIAGRAMS / "suqian" / "suqian_ndrc_approval.dmn").read_text(encoding="utf-8")
    assert table.count("<text>&gt; 400</text>") == 1
    assert people.sue
    response = client.post("/api/v1/processes/suqian/versions", headers=token_for(client, "sue"),
                           json={"files": {"suqian_ndrc_approval.dmn": table.replace("&gt; 400", "&gt; 300")},
                                 "note": "立项门槛调整为300万元（测试）"})
    assert response.status_code == 201, response.get_json()
    after = declared(people, total_investment=350)
    assert (people.instance(before)["version"], people.instance(after)["version"]) == (1, 2)

    advance(people, before, "Procurement", "2026-12-20 10:00")
    assert "ApprovalRoute" not in [e["element"] for e in people.instance(before)["history"]]
    assert advance(people, after, "ApprovalRoute", "2026-12-20 10:00") == ["ApprovalRoute"]


def test_everyone_but_the_jurisdictions_designers_and_admins_is_refused(api, people, ctx, client):
    people.deploy("yeji")
    sue = _other_designer(ctx, api)
    calls = [("get", "/api/v1/processes/{key}/versions", None),
             ("get", "/api/v1/processes/{key}/versions/1/files", None),
             ("post", "/api/v1/processes/{key}/validate", {"files": {}}),
             ("post", "/api/v1/processes/{key}/versions", {"files": {}, "note": "x"}),
             ("get", "/api/v1/processes/{key}/diff?from=1&to=1", None),
             ("post", "/api/v1/migrations", {"process": "yeji", "from_version": 1, "to_version": 1, "dry_run": True})]
    for who in ("alice", "mona", sue):                         # an applicant, a manager, a designer of 宿迁
        for method, path, body in calls:
            response = getattr(client, method)(path.format(key="yeji"), headers=api.auth(who), json=body)
            assert response.status_code == 403, (who, path, response.get_json())
            assert response.mimetype == "application/problem+json"
    refused = client.get("/api/v1/processes/yeji/versions/1/files/yeji.bpmn", headers=api.auth("alice"))
    assert refused.status_code == 403
    assert client.get("/api/v1/processes/yeji/versions").status_code == 401
    api.call("get", "/api/v1/processes/{key}/versions", "alice", expect=403, key="yeji")
    # an admin designs every jurisdiction's processes
    assert api.call("get", "/api/v1/processes/{key}/versions", "ada", key="suqian").get_json() == []
    assert [v["version"] for v in api.call("get", "/api/v1/processes/{key}/versions", sue,
                                           key="suqian").get_json()] == []


def test_unknown_processes_versions_and_files_are_404(api, people, client):
    people.deploy("yeji")
    api.call("get", "/api/v1/processes/{key}/versions", "desi", expect=404, key="nowhere.process")
    api.call("get", "/api/v1/processes/{key}/versions", "desi", expect=404, key="yeji.nothing")
    api.call("get", "/api/v1/processes/{key}/versions/{version}/files", "desi", expect=404, key="yeji", version=9)
    assert client.get("/api/v1/processes/yeji/versions/1/files/other.bpmn",
                      headers=api.auth("desi")).status_code == 404
    api.call("get", "/api/v1/processes/{key}/diff", "desi", expect=404, key="yeji", query={"from": 1, "to": 7})
    api.call("get", "/api/v1/processes/{key}/diff", "desi", expect=422, key="yeji", query={"from": "x", "to": 1})


def test_validate_answers_no_problems_or_each_problem_with_file_element_and_line(api, people):
    people.deploy("yeji")
    ok = api.call("post", "/api/v1/processes/{key}/validate", "desi", key="yeji", json={"files": {}}).get_json()
    assert ok == {"problems": []}
    assert api.call("post", "/api/v1/processes/{key}/validate", "desi", key="yeji",
                    json={"files": {"yeji.bpmn": _edited()}}).get_json() == {"problems": []}

    broken = api.call("post", "/api/v1/processes/{key}/validate", "desi", expect=422, key="yeji",
                      json={"files": {"yeji.bpmn": YEJI.replace("</bpmn:userTask>", "</bpmn:task>", 1)}}).get_json()
    [problem] = broken["problems"]
    assert problem["file"] == "yeji.bpmn" and "XML" in problem["message"] and isinstance(problem["line"], int)

    assert NO_FORM in YEJI
    no_form = api.call("post", "/api/v1/processes/{key}/validate", "desi", expect=422, key="yeji",
                       json={"files": {"yeji.bpmn": YEJI.replace(NO_FORM, "")}}).get_json()["problems"]
    found = [p for p in no_form if p["element"] == "Declare"]
    assert found and found[0]["file"] == "yeji.bpmn" and "form" in found[0]["message"]
    assert isinstance(found[0]["line"], int) and found[0]["line"] > 1

    stray = api.call("post", "/api/v1/processes/{key}/validate", "desi", expect=422, key="yeji",
                     json={"files": {"suqian_ndrc_approval.dmn":
                                     (DIAGRAMS / "suqian" / "suqian_ndrc_approval.dmn").read_text()}}).get_json()
    assert "不属于流程 yeji" in stray["problems"][0]["message"]
    api.call("post", "/api/v1/processes/{key}/validate", "desi", expect=422, key="yeji",
             json={"files": {"../yeji.bpmn": YEJI}})
    api.call("post", "/api/v1/processes/{key}/validate", "desi", expect=422, key="yeji", json={"files": "yeji"})


def test_a_deployment_with_problems_deploys_nothing(api, people):
    people.deploy("yeji")
    refused = api.call("post", "/api/v1/processes/{key}/versions", "desi", expect=422, key="yeji",
                       json={"files": {"yeji.bpmn": YEJI.replace(NO_FORM, "")}, "note": "漏了表单"}).get_json()
    assert any(p["element"] == "Declare" for p in refused["problems"])
    assert [v["version"] for v in api.call("get", "/api/v1/processes/{key}/versions", "desi",
                                           key="yeji").get_json()] == [1]


def _declare_schema(**extra) -> dict:
    schema = json.loads((FORMS / "yeji" / "declare.schema.json").read_text(encoding="utf-8"))
    schema["properties"]["extra_note"] = {"type": "string", "title": "补充说明", "minLength": 1}
    schema["required"] = [*schema["required"], "extra_note"]
    return {**schema, **extra}


def test_forms_are_deployed_with_the_version_and_a_running_version_keeps_its_own(api, people, ctx, client):
    first = api.call("post", "/api/v1/processes/{key}/versions", "desi", expect=201, key="yeji",
                     json={"files": {}, "note": "首次部署"}).get_json()           # from bpmn_diagrams/yeji/
    assert first == {"version": 1, "created": True}
    old = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))

    bad = api.call("post", "/api/v1/processes/{key}/versions", "desi", expect=422, key="yeji",
                   json={"files": {}, "forms": {"yeji/declare": {"type": "nonsense"}}}).get_json()["problems"]
    assert bad[0]["file"] == "forms/yeji/declare.schema.json" and "不是有效的 JSON Schema" in bad[0]["message"]
    unused = api.call("post", "/api/v1/processes/{key}/versions", "desi", expect=422, key="yeji",
                      json={"files": {}, "forms": {"yeji/unused_form": {"type": "object"}}}).get_json()["problems"]
    assert "未被该流程版本" in unused[0]["message"]

    second = api.call("post", "/api/v1/processes/{key}/versions", "desi", expect=201, key="yeji",
                      json={"files": {}, "note": "申报表增加补充说明", "forms": {"yeji/declare": _declare_schema()}})
    assert second.get_json() == {"version": 2, "created": True}             # same diagrams, other forms
    new = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))

    old_task, new_task = people.task("alice", old, "Declare"), people.task("alice", new, "Declare")
    old_form = api.call("get", "/api/v1/tasks/{id}", "alice", id=old_task["id"]).get_json()["form"]["schema"]
    new_form = api.call("get", "/api/v1/tasks/{id}", "alice", id=new_task["id"]).get_json()["form"]["schema"]
    assert "extra_note" not in old_form["properties"] and "extra_note" in new_form["required"]
    people.do("alice", old, "Declare", DECLARE, now=at("2026-08-03 10:00"))      # v1's form: as before
    refused = client.post(f"/api/v1/tasks/{new_task['id']}/complete", headers=api.auth("alice"),
                          json={"data": DECLARE})
    assert refused.status_code == 422 and "extra_note" in refused.get_json()["errors"]
    people.do("alice", new, "Declare", {**DECLARE, "extra_note": "已列入规划"}, now=at("2026-08-03 10:00"))

    with ctx.db.transaction() as session:
        from engine.models import ProcessVersion
        rows = {r.version: r.forms for r in session.query(ProcessVersion).filter_by(process_key="yeji")}
    assert json.loads(rows[1]["yeji/declare"]) == json.loads((FORMS / "yeji" / "declare.schema.json").read_text())
    assert "extra_note" in json.loads(rows[2]["yeji/declare"])["properties"]
    assert {"common/project_facts", "yeji/declare", "common/review"} <= set(rows[1])


def test_the_diff_lists_a_changed_decision_cell_and_a_changed_property(ctx, client):
    people = Personas(ctx, "suqian", {**SUQIAN_PEOPLE, "sue": ("市数据局", ["designer"])})
    people.deploy("suqian")
    table = (DIAGRAMS / "suqian" / "suqian_ndrc_approval.dmn").read_text(encoding="utf-8")
    diagram = (DIAGRAMS / "suqian" / "suqian.bpmn").read_text(encoding="utf-8")
    start = diagram.index('<bpmn:userTask id="IndustryReview"')
    old_due = "None if mandated_this_year else date_of(plan_year - 1, 9, 30)"
    at_due = diagram.index(old_due, start)
    new_due = "None if mandated_this_year else date_of(plan_year - 1, 9, 25)"
    diagram = diagram[:at_due] + new_due + diagram[at_due + len(old_due):]
    assert people.sue
    headers = token_for(client, "sue")
    response = client.post("/api/v1/processes/suqian/versions", headers=headers, json={"files": {
        "suqian_ndrc_approval.dmn": table.replace("&gt; 400", "&gt; 300"), "suqian.bpmn": diagram}})
    assert response.status_code == 201, response.get_json()
    result = client.get("/api/v1/processes/suqian/diff?from=1&to=2", headers=headers).get_json()
    assert (result["added"], result["removed"]) == ([], [])
    changed = {e["id"]: e for e in result["changed"]}
    assert set(changed) == {"IndustryReview", "suqian_ndrc_approval"}
    assert changed["IndustryReview"]["changes"] == [
        {"field": "property", "key": "dueAt", "rule": None, "column": None, "old": old_due,
         "new": "None if mandated_this_year else date_of(plan_year - 1, 9, 25)"}]
    assert changed["suqian_ndrc_approval"]["kind"] == "decision"
    assert changed["suqian_ndrc_approval"]["changes"] == [
        {"field": "input_entry", "key": "3", "rule": 1, "column": "总投资（万元）", "old": "> 400", "new": "> 300"}]


# --- the diff as a pure function -------------------------------------------------------------------

BPMN_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
             'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d">\n'
             '<bpmn:process id="p" isExecutable="true">\n')
CONDITION = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{}</bpmn:conditionExpression>'
TIMER = ('<bpmn:intermediateCatchEvent id="T" name="等待"><bpmn:timerEventDefinition id="TD">'
         '<bpmn:timeDuration>{}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
PROPERTY = '<spiffworkflow:property name="{}" value="{}"/>'


def _bpmn(*lines: str) -> bytes:
    return (BPMN_HEAD + "\n".join(lines) + "\n</bpmn:process>\n</bpmn:definitions>\n").encode()


def _lane(lane_id: str, name: str, *nodes: str) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    return f'<bpmn:lane id="{lane_id}" name="{name}">{refs}</bpmn:lane>'


def _task_a(name: str, note: str, properties: str, outgoing: str) -> str:
    return (f'<bpmn:userTask id="A" name="{name}"><bpmn:documentation>{note}</bpmn:documentation>'
            f'<bpmn:extensionElements><spiffworkflow:properties>{properties}</spiffworkflow:properties>'
            f'</bpmn:extensionElements>{outgoing}</bpmn:userTask>')


COMMON = ['<bpmn:sequenceFlow id="F1" sourceRef="A" targetRef="G"/>',
          '<bpmn:exclusiveGateway id="G"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>'
          '</bpmn:exclusiveGateway>',
          '<bpmn:userTask id="B" name="审核"><bpmn:incoming>F2</bpmn:incoming></bpmn:userTask>']
V1 = _bpmn(
    "<bpmn:laneSet>" + _lane("lane_applicant", "申报单位", "A") + _lane("lane_data_bureau", "数据局", "B")
    + "</bpmn:laneSet>",
    _task_a("申报", "旧说明", PROPERTY.format("form", "x/a") + PROPERTY.format("dueIn", "10wd"),
            "<bpmn:outgoing>F1</bpmn:outgoing>"),
    *COMMON,
    '<bpmn:sequenceFlow id="F2" sourceRef="G" targetRef="B">' + CONDITION.format("x &gt; 1") + "</bpmn:sequenceFlow>",
    '<bpmn:scriptTask id="S" name="计算"><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>',
    TIMER.format('"P10D"'),
    '<bpmn:endEvent id="E_old"/>')
V2 = _bpmn(
    "<bpmn:laneSet>" + _lane("lane_applicant", "申报单位", "A", "B") + "</bpmn:laneSet>",
    _task_a("项目申报", "新说明", PROPERTY.format("form", "x/a") + PROPERTY.format("dueIn", "15wd")
            + PROPERTY.format("clock", "c"), "<bpmn:outgoing>F1</bpmn:outgoing><bpmn:outgoing>F3</bpmn:outgoing>"),
    *COMMON,
    '<bpmn:sequenceFlow id="F2" sourceRef="G" targetRef="B">' + CONDITION.format("x &gt; 2") + "</bpmn:sequenceFlow>",
    '<bpmn:scriptTask id="S" name="计算"><bpmn:script>y = 2</bpmn:script></bpmn:scriptTask>',
    TIMER.format('"P20D"'),
    '<bpmn:sequenceFlow id="F3" sourceRef="A" targetRef="E_new"/>',
    '<bpmn:endEvent id="E_new"/>')

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="t" namespace="n">
<decision id="dec" name="门槛"><decisionTable id="tbl" hitPolicy="{policy}">
<input id="i1" label="总投资"><inputExpression id="ie1"><text>total</text></inputExpression></input>
<output id="o1" label="须立项" name="needs"/>
{rules}
</decisionTable></decision></definitions>"""
RULE = ('<rule id="r{n}"><inputEntry id="ie{n}"><text>{cell}</text></inputEntry>'
        '<outputEntry id="oe{n}"><text>{out}</text></outputEntry></rule>')


def _dmn(policy: str, *rules: tuple[str, str]) -> bytes:
    cells = "\n".join(RULE.format(n=n, cell=c, out=o) for n, (c, o) in enumerate(rules))
    return DMN.format(policy=policy, rules=cells).encode()


def _changes(result, element):
    [entry] = [e for e in result["changed"] if e["id"] == element]
    return [(c["field"], c["key"], c["rule"], c["column"], c["old"], c["new"]) for c in entry["changes"]]


def test_diff_files_reports_every_kind_of_change_of_a_diagram():
    result = designer.diff_files({"p.bpmn": V1}, {"p.bpmn": V2})
    assert [(e["id"], e["kind"]) for e in result["added"]] == [("E_new", "endEvent"), ("F3", "sequenceFlow")]
    assert [(e["id"], e["kind"], e["process"], e["file"]) for e in result["removed"]] == [
        ("E_old", "endEvent", "p", "p.bpmn")]
    assert _changes(result, "A") == [
        ("name", None, None, None, "申报", "项目申报"),
        ("documentation", None, None, None, "旧说明", "新说明"),
        ("property", "clock", None, None, None, "c"),
        ("property", "dueIn", None, None, "10wd", "15wd"),
        ("outgoing", None, None, None, ["F1"], ["F1", "F3"])]
    assert _changes(result, "B") == [("lane", None, None, None, "数据局", "申报单位"),
                                     ("role", None, None, None, "data_bureau", "applicant")]
    assert _changes(result, "F2") == [("condition", None, None, None, "x > 1", "x > 2")]
    assert _changes(result, "S") == [("script", None, None, None, "y = 1", "y = 2")]
    assert _changes(result, "T") == [("timer", "timeDuration", None, None, '"P10D"', '"P20D"')]
    assert {e["id"] for e in result["changed"]} == {"A", "B", "F2", "S", "T"}
    assert designer.diff_files({"p.bpmn": V1}, {"p.bpmn": V1}) == {"added": [], "removed": [], "changed": []}


def test_diff_files_reports_decision_cells_by_rule_and_column_and_the_hit_policy():
    before = _dmn("FIRST", ("&gt; 400", "True"), ("-", "False"))
    after = _dmn("UNIQUE", ("&gt; 300", "True"), ("-", "False"), ("&lt; 0", "False"))
    result = designer.diff_files({"t.dmn": before}, {"t.dmn": after})
    assert (result["added"], result["removed"]) == ([], [])
    assert _changes(result, "dec") == [
        ("hit_policy", None, None, None, "FIRST", "UNIQUE"),
        ("rule_added", None, 3, None, None, {"inputs": ["< 0"], "outputs": ["False"], "description": None}),
        ("input_entry", "1", 1, "总投资", "> 400", "> 300")]
    assert result["changed"][0]["process"] is None and result["changed"][0]["kind"] == "decision"


def test_govflow_demo_and_govflow_deploy_deploy_the_forms_with_each_version(ctx, tmp_path):
    from sqlalchemy import select
    from sqlalchemy.orm import undefer

    from engine.models import ProcessVersion
    from web.cli import main
    from web.demo import run_demo

    list(run_demo(ctx))
    changed = tmp_path / "yeji.bpmn"
    changed.write_text(_edited(), encoding="utf-8")
    assert main(["deploy", str(changed)]) == 0
    with ctx.db.transaction() as session:
        rows = list(session.scalars(select(ProcessVersion).options(undefer(ProcessVersion.forms))))
    assert rows and all(row.forms for row in rows)
    newest = max((r for r in rows if r.process_key == "yeji"), key=lambda r: r.version)
    assert (newest.version, newest.deployed_by) == (2, "cli") and "yeji/declare" in newest.forms

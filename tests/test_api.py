"""The REST API of CONTRACT.md, driven through the Flask app against the real database."""
import pytest

from tests.conftest import at
from tests.support import PASSWORD, upload_documents
from tests.yeji_walk import DECLARE, FACTS, declared


def token(client, people, who):
    getattr(people, who)
    response = client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_it_refuses_bad_credentials_with_401_problem_json(client, people):
    assert people.alice  # creates her
    response = client.post("/api/v1/auth/token", json={"username": "alice", "password": "wrong"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == "未登录或凭据无效"


def test_it_requires_a_token(client):
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_it_lists_deployed_processes(client, people):
    people.deploy("yeji")
    response = client.get("/api/v1/processes", headers=token(client, people, "alice"))
    assert response.json == [{"key": "yeji", "name": "叶集区政务信息化项目管理流程", "jurisdiction": "yeji",
                              "jurisdiction_name": "六安市叶集区", "version": 1,
                              "deployed_at": response.json[0]["deployed_at"]}]


def test_it_starts_an_instance_and_answers_its_state(client, people):
    people.deploy("yeji")
    response = client.post("/api/v1/instances", headers=token(client, people, "alice"),
                           json={"process": "yeji", "data": {**FACTS, "plan_year": None}})
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "running" and body["version"] == 1 and body["outcome"] is None
    assert [t["name"] for t in body["active_tasks"]] == ["Declare"]
    assert body["active_tasks"][0]["role"] == "applicant"
    assert response.headers["Location"] == f"/api/v1/instances/{body['id']}"


def test_it_answers_422_with_a_chinese_message_per_field(client, people):
    people.deploy("yeji")
    response = client.post("/api/v1/instances", headers=token(client, people, "alice"),
                           json={"process": "yeji", "data": {"project_type": "rocket", "total_investment": -1}})
    assert response.status_code == 422
    assert response.json["errors"] == {"project_name": "请填写“项目名称”", "project_type": "“项目类型”请选择有效的选项",
                                       "total_investment": "“总投资”不得小于 0"}


def test_it_answers_403_when_the_caller_may_not_start_the_process(client, people):
    people.deploy("yeji")
    response = client.post("/api/v1/instances", headers=token(client, people, "dora"),
                           json={"process": "yeji", "data": FACTS})
    assert response.status_code == 403


def test_it_serves_the_inbox_with_total_count_and_filters(client, people):
    for n in range(3):
        people.start("alice", "yeji", {**FACTS, "project_name": f"项目{n}"}, now=at("2026-08-01 10:00"))
    headers = token(client, people, "alice")
    response = client.get("/api/v1/tasks?per_page=2", headers=headers)
    assert response.headers["X-Total-Count"] == "3" and len(response.json) == 2
    task = response.json[0]
    assert set(task) >= {"id", "instance_id", "name", "title", "role", "lane", "created_at", "due_at"}
    assert task["due_at"] == "2026-09-30T23:59:59+08:00"
    assert client.get("/api/v1/tasks?q=项目1", headers=headers).headers["X-Total-Count"] == "1"
    assert client.get("/api/v1/tasks", headers=token(client, people, "bob")).json == []


def test_it_returns_the_task_with_its_form_and_legal_basis(client, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    headers = token(client, people, "alice")
    task_id = client.get("/api/v1/tasks", headers=headers).json[0]["id"]
    body = client.get(f"/api/v1/tasks/{task_id}", headers=headers).json
    assert body["instance_id"] == iid
    assert body["form"]["schema"]["title"].startswith("项目申报")
    assert body["legal_basis"][0]["article"] == "第六条"
    assert "每年10月份前" in body["legal_basis"][0]["text"]


def test_it_completes_a_task_and_checks_401_403_409_422_in_order(client, people):
    people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    alice, bob = token(client, people, "alice"), token(client, people, "bob")
    task_id = client.get("/api/v1/tasks", headers=alice).json[0]["id"]
    url = f"/api/v1/tasks/{task_id}/complete"
    assert client.post(url, json={"data": DECLARE}).status_code == 401
    assert client.post(url, headers=bob, json={"data": {}}).status_code == 403
    bad = client.post(url, headers=alice, json={"data": {**DECLARE, "phone": "x"}})
    assert bad.status_code == 422 and bad.json["errors"] == {"phone": "“联系电话”格式不正确"}
    assert client.post(url, headers=alice, json={}).status_code == 422
    done = client.post(url, headers=alice, json={"data": upload_documents(client, alice, task_id, DECLARE)})
    assert done.status_code == 200
    # completed on the real date, after 1 October: the review window is open, the reviews start at once
    assert len(done.json["instance"]["active_tasks"]) == 6
    again = client.post(url, headers=alice, json={"data": {"nonsense": 1}})
    assert again.status_code == 409 and "已由" in again.json["detail"]


def test_it_hides_instances_of_other_units(client, people):
    iid = declared(people)
    assert client.get(f"/api/v1/instances/{iid}", headers=token(client, people, "alice")).status_code == 200
    assert client.get(f"/api/v1/instances/{iid}", headers=token(client, people, "bob")).status_code == 403
    assert client.get(f"/api/v1/instances/{iid}", headers=token(client, people, "mona")).status_code == 200
    assert client.get("/api/v1/instances/999999", headers=token(client, people, "mona")).status_code == 404


def test_it_serves_an_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/tasks", "/api/v1/tasks/{id}/complete", "/api/v1/instances"} <= set(spec["paths"])
    assert "409" in spec["paths"]["/api/v1/tasks/{id}/complete"]["post"]["responses"]


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v1/tasks/abc"])
def test_it_answers_unknown_api_paths_with_problem_json(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_it_refuses_a_non_json_body_with_422(client, people):
    response = client.post("/api/v1/auth/token", data="x", content_type="text/plain")
    assert response.status_code == 422


def test_it_lets_a_manager_terminate_a_project_through_the_api(client, people):
    iid = declared(people)
    url = f"/api/v1/instances/{iid}/terminate"
    assert client.post(url, headers=token(client, people, "alice"), json={"reason": "不做了"}).status_code == 403
    assert client.post(url, headers=token(client, people, "mona"), json={}).status_code == 422
    done = client.post(url, headers=token(client, people, "mona"), json={"reason": "年度资金取消"})
    assert done.status_code == 200 and done.json["status"] == "terminated"
    again = client.post(url, headers=token(client, people, "mona"), json={"reason": "再次"})
    assert again.status_code == 409


def test_it_lists_side_processes_on_their_project(client, people, ctx):
    from engine.services import runtime
    iid = declared(people)
    people.deploy("yeji.rectification")
    rid = runtime.start_instance(ctx, people.dora, "yeji.rectification", {"issue": "材料不全", "deadline_days": 10},
                                 now=at("2026-08-05 10:00"), parent_instance_id=iid)
    body = client.get(f"/api/v1/instances/{iid}", headers=token(client, people, "mona")).json
    assert body["children"][0]["id"] == rid and body["children"][0]["name"] == "限期整改（第二十六条）"


def test_it_documents_every_api_route_in_openapi(app, client):
    import re
    documented = set(client.get("/api/v1/openapi.json").json["paths"])
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).replace("{task_id}", "{id}")
              .replace("{instance_id}", "{id}").replace("{timer_id}", "{id}")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert routes - documented == {"/api/v1/openapi.json"}  # the document itself


def test_a_bureau_sees_the_side_process_it_started_on_another_units_project(client, people, ctx):
    """区数管局 orders 限期整改 of 区教育局's project: the answer is the new process, not a 403 (a client
    retrying after a 403 would start it twice)."""
    iid = declared(people)
    people.deploy("yeji.rectification")
    dora = token(client, people, "dora")
    response = client.post("/api/v1/instances", headers=dora, json={
        "process": "yeji.rectification", "parent_instance_id": iid,
        "data": {"issue": "材料不全", "deadline_days": 10}})
    assert response.status_code == 201, response.json
    again = client.get(f"/api/v1/instances/{response.json['id']}", headers=dora)
    assert again.status_code == 200 and again.json["process"] == "yeji.rectification"
    outsider = client.get(f"/api/v1/instances/{response.json['id']}", headers=token(client, people, "bob"))
    assert outsider.status_code == 403

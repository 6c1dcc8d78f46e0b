"""A sixth jurisdiction is three folders and no Python: tests/fixtures/sixth_city holds 示例市新城区
(`xincheng`) — processes/xincheng/ (jurisdiction.json with a role no other city has,
`smart_city_office`, citations.json, demo.json), bpmn_diagrams/xincheng/ and forms/xincheng/. Laid
beside the five shipped cities in a data folder, it deploys, routes its tasks to the holders of the
new role, shows the role's Chinese name, and `govflow demo` loads it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import ROOT
from engine.registry import JurisdictionConfigError, Registry
from engine.runtime_env import Runtime
from tests.support import PASSWORD, Personas
from tests.web.helpers import form_token

FIXTURE = Path(__file__).parent / "fixtures" / "sixth_city"
TREES = ("processes", "bpmn_diagrams", "forms")
PEOPLE = {"amy": ("区城市管理局", ["applicant"]), "bea": ("区教育局", ["applicant"]),
          "sam": ("区智慧城市运行管理中心", ["smart_city_office"]), "ming": ("区智慧城市运行管理中心", ["manager"])}
FACTS = {"project_name": "新城区城市运行一网统管平台", "project_type": "construction", "total_investment": 300}


def data_dir(tmp_path: Path, shipped: bool = True) -> Path:
    """A data folder: the five shipped cities (or only the shared forms) plus the fixture city."""
    root = tmp_path / "data"
    for tree in TREES:
        if shipped:
            shutil.copytree(ROOT / tree, root / tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        shutil.copytree(FIXTURE / tree, root / tree, dirs_exist_ok=True)
    if not shipped:
        shutil.copytree(ROOT / "forms" / "common", root / "forms" / "common")
    return root


@pytest.fixture
def xincheng(ctx, tmp_path):
    ctx.runtime = Runtime.from_data_dir(data_dir(tmp_path), versions=ctx.versions)  # the ctx fixture restores it
    return Personas(ctx, "xincheng", PEOPLE)


def test_it_loads_the_sixth_city_beside_the_five(xincheng):
    registry = xincheng.ctx.registry
    assert set(registry.jurisdictions()) == {"yeji", "huaian", "suqian", "jiujiang", "yaohai", "xincheng"}
    city = registry.get("xincheng")
    assert city.role_label("smart_city_office") == "区智慧城市运行管理中心"
    assert city.unit_roles == {"applicant"}
    assert city.legal_basis("第四条")[0]["text"].startswith("区智慧城市运行管理中心应当在五个工作日内")


def test_it_routes_the_review_to_holders_of_the_new_role_and_back_on_return(xincheng):
    people = xincheng
    iid = people.start("amy", "xincheng", FACTS)
    people.do("amy", iid, "Declare", {"scheme_summary": "建设城市运行一网统管平台。"})
    review = people.task("sam", iid, "CityReview")
    assert review["role"] == "smart_city_office" and review["due_at"]
    assert people.inbox("amy") == [] and people.inbox("bea") == []

    people.do("sam", iid, "CityReview", {"decision": "return", "comment": "请补充数据共享清单"})
    assert people.ready(iid) == ["Declare"]
    assert [t["name"] for t in people.inbox("bea")] == []        # another applicant unit sees nothing
    people.do("amy", iid, "Declare", {"scheme_summary": "已补充数据共享清单。", "comment": "已补充"})
    people.do("sam", iid, "CityReview", {"decision": "approve"})
    detail = people.instance(iid, who="ming")
    assert (detail["status"], detail["outcome_label"]) == ("completed", "审核通过")


def test_it_shows_the_new_roles_chinese_name_in_the_inbox(xincheng, settings):
    from web.app import create_app
    people = xincheng
    iid = people.start("amy", "xincheng", FACTS)
    people.do("amy", iid, "Declare", {"scheme_summary": "建设城市运行一网统管平台。"})
    people.sam  # noqa: B018 - the persona exists
    client = create_app(settings, context=people.ctx).test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "sam", "password": PASSWORD, "csrf_token": token})
    page = client.get("/").get_data(as_text=True)
    assert "智慧城市审核" in page and "区智慧城市运行管理中心" in page and "smart_city_office" not in page


def test_it_refuses_a_misspelt_key_naming_the_file_and_the_key(tmp_path):
    root = data_dir(tmp_path, shipped=False)
    path = root / "processes" / "xincheng" / "jurisdiction.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["processes"]["xincheng"]["startable_bi"] = raw["processes"]["xincheng"].pop("startable_by")
    raw["roles"]["smart_city_office"]["lable"] = raw["roles"]["smart_city_office"].pop("label")
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(JurisdictionConfigError) as err:
        Registry(root / "processes", root / "bpmn_diagrams").jurisdictions()
    message = err.value.detail
    assert f"{path}: processes.xincheng.startable_bi: 未知的键（是否应为 startable_by？）" in message
    assert f"{path}: roles.smart_city_office.lable: 未知的键（是否应为 label？）" in message
    assert f"{path}: roles.smart_city_office.label: 缺少必填项" in message


def test_it_refuses_a_lane_whose_role_the_city_does_not_declare(tmp_path):
    from engine.errors import DiagramInvalid
    from engine.services.deploy import bundle_for, validate_bundle
    root = data_dir(tmp_path, shipped=False)
    path = root / "processes" / "xincheng" / "jurisdiction.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    del raw["roles"]["smart_city_office"], raw["units"]["smart_city_office"]
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    runtime = Runtime.from_data_dir(root)
    with pytest.raises(DiagramInvalid) as err:
        validate_bundle(runtime, "xincheng", bundle_for(runtime, "xincheng"))
    assert any(element == "CityReview" and "smart_city_office" in reason
               for _file, element, reason in err.value.problems)


def test_govflow_demo_loads_the_sixth_city_from_its_folders(tmp_path):
    root = data_dir(tmp_path, shipped=False)
    env = dict(os.environ, GOVFLOW_DATA_DIR=str(root), GOVFLOW_INSTANCE_DIR=str(tmp_path / "instance"),
               GOVFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "web.cli", "demo"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "示例市新城区（xincheng）" in done.stdout
    assert "流程 xincheng v1（新部署）" in done.stdout
    assert "示例项目：新城区城市运行一网统管平台" in done.stdout
    assert "跳过" not in done.stdout

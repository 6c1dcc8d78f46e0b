"""The `govflow` command line of CONTRACT.md."""
import re
from pathlib import Path

import pytest

from tests.conftest import at
from tests.yeji_walk import declared
from web.cli import main

YEJI = Path("bpmn_diagrams/yeji/yeji.bpmn")


def test_it_migrates_idempotently(ctx, capsys):
    assert main(["init-db"]) == 0
    assert main(["init-db"]) == 0
    assert "数据库已就绪" in capsys.readouterr().out


def test_it_adds_a_user_with_roles(ctx, capsys):
    assert main(["user", "add", "zhang", "--password", "pw-123456", "--jurisdiction", "yeji",
                 "--unit", "区财政局", "--role", "finance", "--role", "manager"]) == 0
    assert "finance, manager" in capsys.readouterr().out


def test_it_refuses_an_unknown_role(ctx, capsys):
    assert main(["user", "add", "zhang", "--password", "pw", "--jurisdiction", "yeji",
                 "--unit", "区财政局", "--role", "emperor"]) == 1
    assert "未知的角色" in capsys.readouterr().err


def test_it_validates_the_yeji_diagram(capsys):
    assert main(["validate", "bpmn_diagrams/yeji/yeji.bpmn"]) == 0


def test_it_reports_each_problem_with_file_element_and_reason(tmp_path, capsys):
    source = YEJI.read_text(encoding="utf-8")
    broken = source.replace('name="form" value="yeji/declare"', 'name="form" value="yeji/nope"', 1)
    broken = broken.replace('name="outcome" value="rejected"', 'name="outcomeX" value="rejected"', 1)
    path = tmp_path / "yeji.bpmn"
    path.write_text(broken, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"yeji\.bpmn:\d+: Declare: 表单文件不存在：forms/yeji/nope\.schema\.json", out)
    assert re.search(r"yeji\.bpmn:\d+: EndRejected: .*outcome", out), out


def test_it_deploys_a_new_version_only_when_the_files_change(ctx, tmp_path, capsys):
    assert main(["deploy", "bpmn_diagrams/yeji/yeji.bpmn"]) == 0
    assert main(["deploy", "bpmn_diagrams/yeji/yeji.bpmn"]) == 0
    changed = tmp_path / "yeji.bpmn"
    changed.write_text(YEJI.read_text(encoding="utf-8")
                       .replace("项目后评价完成", "后评价完成"), encoding="utf-8")
    assert main(["deploy", str(changed)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("yeji: 新版本 v1") and out[1].startswith("yeji: 未变化，沿用 v1")
    assert out[2].startswith("yeji: 新版本 v2")


def test_it_keeps_running_projects_on_their_version(people, ctx, tmp_path):
    iid = declared(people)
    changed = tmp_path / "yeji.bpmn"
    changed.write_text(YEJI.read_text(encoding="utf-8")
                       .replace("项目后评价完成", "后评价完成"), encoding="utf-8")
    assert main(["deploy", str(changed)]) == 0
    newer = people.start("alice", "yeji", {"project_name": "新项目", "project_type": "construction",
                                           "total_investment": 50, "plan_year": 2027}, now=at("2026-08-05 10:00"))
    assert people.instance(iid)["version"] == 1
    assert people.instance(newer)["version"] == 2


def test_it_ticks_at_an_injected_time_and_prints_what_fired(people, ctx, capsys):
    iid = declared(people)
    assert main(["tick", "--now", "2026-10-01T08:00:00+08:00"]) == 0
    out = capsys.readouterr().out
    assert f"定时器触发：项目 {iid} · 每年10月集中审查论证 [WaitReviewWindow]" in out
    assert len(people.ready(iid)) == 6


@pytest.mark.parametrize("argv", [["tick", "--now", "yesterday"], ["validate", "nope.bpmn"]])
def test_it_answers_bad_input_with_a_message_not_a_traceback(ctx, argv, capsys):
    assert main(argv) == 1
    assert "Traceback" not in capsys.readouterr().err

"""A diagram's scripts and conditions may not import, open files or reach for internals."""
import pytest

from engine import workflow as wfx
from engine.errors import ScriptError
from engine.sandbox import SandboxViolation, check_code
from tests.diagrams import Diagram


def _run_script(script: str):
    d = Diagram(process_id="yeji.sandbox", process_name="沙箱", lanes=[("applicant", "建设单位")])
    d.start("Begin", lane="applicant", col=0, name="开始")
    d.script_task("Evil", lane="applicant", col=1, name="恶意脚本", script=script)
    d.end("Finish", lane="applicant", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("Begin", "Evil")
    d.flow("Evil", "Finish")
    version = wfx.load_version("yeji.sandbox", {"sandbox.bpmn": d.to_xml()})
    return wfx.start(version, {"x": 1}, "yeji")


@pytest.mark.parametrize("script, reason", [
    ("__import__('os').system('id')", "__import__"),
    ("import os", "import"),
    ("from subprocess import run", "import"),
    ("open('/etc/passwd').read()", "open"),
    ("os.listdir('/')", "os"),
    ("y = ().__class__.__base__.__subclasses__()", "脚本不得访问属性 __"),
    ("y = getattr(x, '__class__')", "getattr"),
    ("y = [c for c in ().__class__.__mro__]", "脚本不得访问属性 __"),
    ("eval('1+1')", "eval"),
])
def test_it_refuses_dangerous_scripts_naming_the_element(script, reason):
    with pytest.raises(ScriptError) as err:
        _run_script(script)
    assert "Evil" in err.value.detail and "恶意脚本" in err.value.detail
    assert reason in err.value.detail


def test_it_runs_ordinary_scripts_with_date_helpers():
    wf = _run_script("y = x + 1\nz = sorted([3, 1, 2])\nd = date_of(2026, 9, 30)")
    assert wf.is_completed()
    assert wf.data["y"] == 2 and wf.data["z"] == [1, 2, 3]
    assert wf.data["d"] == "2026-09-30T23:59:59+08:00"


def test_it_reports_a_failing_condition_with_its_element():
    with pytest.raises(ScriptError) as err:
        _run_script("y = undefined_name + 1")
    assert "Evil" in err.value.detail and "NameError" in err.value.detail


@pytest.mark.parametrize("code", ["(lambda: 1)()", "class A: pass", "x._secret", "'__class__'"])
def test_it_refuses_constructs_that_open_escape_routes(code):
    with pytest.raises(SandboxViolation):
        check_code(code)


def test_it_refuses_an_unsafe_diagram_at_validation(tmp_path, ctx):
    from engine.services.deploy import validate_files
    d = Diagram(process_id="yeji.bad", process_name="坏流程", lanes=[("applicant", "建设单位")])
    d.start("Begin", lane="applicant", col=0, name="开始")
    d.script_task("Evil", lane="applicant", col=1, name="恶意脚本", script="import os")
    d.end("Finish", lane="applicant", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("Begin", "Evil")
    d.flow("Evil", "Finish")
    path = d.write(tmp_path / "bad.bpmn")
    problems = validate_files(ctx.runtime, [path])
    assert ("bad.bpmn", "Evil", "脚本不得导入模块（import）") in problems

"""A diagram's scripts, conditions, timer / dueAt / subject expressions and DMN cells come from the
network (designers deploy over HTTP): the sandbox (engine/sandbox.py) refuses every known way out of
it when the code is compiled — at `govflow validate` / deploy, naming the element — and again when it
runs, and bounds every evaluation in time and size. Each escape below is a test that fails when its
protection is removed: the compile-time refusal and the run-time guard are tested separately."""
from __future__ import annotations

import glob
import time
from decimal import Decimal

import pytest
from lxml import etree

from engine import sandbox
from engine import workflow as wfx
from engine.errors import ScriptError
from engine.sandbox import SandboxEnvironment, SandboxViolation, StepFailed, check_code, guarded_getattr
from engine.script_helpers import helpers_for
from tests.diagrams import Diagram


@pytest.fixture
def short_timeout(monkeypatch):
    """A 200 ms script timeout (read once per process: the cache is cleared around the test)."""
    monkeypatch.setenv("GOVFLOW_SCRIPT_TIMEOUT_MS", "200")
    sandbox.timeout_ms.cache_clear()
    yield 0.2
    monkeypatch.delenv("GOVFLOW_SCRIPT_TIMEOUT_MS")
    sandbox.timeout_ms.cache_clear()


def _diagram(script: str, key: str = "yeji.sandbox") -> Diagram:
    d = Diagram(process_id=key, process_name="沙箱", lanes=[("applicant", "建设单位")])
    d.start("Begin", lane="applicant", col=0, name="开始")
    d.script_task("Evil", lane="applicant", col=1, name="恶意脚本", script=script)
    d.end("Finish", lane="applicant", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("Begin", "Evil")
    d.flow("Evil", "Finish")
    return d


def _run_script(script: str, data: dict | None = None):
    version = wfx.load_version("yeji.sandbox", {"sandbox.bpmn": _diagram(script).to_xml()})
    return wfx.start(version, data or {"x": 1}, helpers_for("yeji"))


def _env() -> SandboxEnvironment:
    return SandboxEnvironment(helpers_for("yeji"))


def _refused(source: str, mode: str = "eval") -> str:
    with pytest.raises(SandboxViolation) as err:
        check_code(source, mode)
    return str(err.value)


# --- escapes refused when compiled (validate / deploy) --------------------------------------------

ESCAPES = [  # (code, mode, what the Chinese reason names)
    ("(x for x in [1]).gi_frame.f_back.f_globals", "eval", "f_globals"),
    ("().__class__.__base__.__subclasses__()", "eval", "__subclasses__"),
    ("getattr(x, '__cl' + 'ass__')", "eval", "getattr"),
    ("'{0.__class__.__mro__}'.format(1)", "eval", "{0.__class__.__mro__}"),
    ("'{a.__globals__}'.format_map({'a': add_days})", "eval", "{a.__globals__}"),
    ("f'{x.__class__}'", "eval", "__class__"),
    ("__import__('os').system('id')", "eval", "__import__"),
    ("import os", "exec", "导入模块"),
    ("from subprocess import run", "exec", "导入模块"),
    ("open('/etc/passwd').read()", "eval", "open"),
    ("globals()", "eval", "globals"),
    ("vars()", "eval", "vars"),
    ("type(1).__subclasses__", "eval", "type"),
    ("(lambda: 1).__code__", "eval", "__code__"),
    ("eval('1+1')", "eval", "eval"),
    ("'a' * 10**10", "eval", "过大"),
    ("10**10**10", "eval", "整数过大"),
    ("[0] * 10**9", "eval", "过大"),
    ("'x'.ljust(10**10)", "eval", "ljust"),
    ("list(range(10**10))", "eval", "range"),
    ("def f():\n    return 1", "exec", "定义函数"),
    ("class A:\n    pass", "exec", "定义类"),
    ("try:\n    x = 1\nfinally:\n    x = 2", "exec", "finally"),
    ("try:\n    x = 1\nexcept:\n    x = 2", "exec", "except 须写明异常类型"),
    ("print(x)", "eval", "print"),
    ("x.y = 1", "exec", "不得给属性"),
]


@pytest.mark.parametrize("code, mode, reason", ESCAPES)
def test_it_refuses_each_escape_when_the_code_is_compiled(code, mode, reason):
    assert reason in _refused(code, mode)


def test_it_refuses_an_escape_at_validation_naming_the_element_in_chinese(tmp_path, ctx):
    from engine.services.deploy import validate_files
    d = Diagram(process_id="yeji.bad", process_name="坏流程", lanes=[("applicant", "建设单位")])
    d.start("Begin", lane="applicant", col=0, name="开始")
    d.script_task("Evil", lane="applicant", col=1, name="恶意脚本", script="g = (x for x in [1]).gi_frame.f_back")
    d.exclusive("Choose", lane="applicant", col=2, name="判断")
    d.end("Finish", lane="applicant", col=3, name="结束", properties={"outcome": "completed"})
    d.end("Other", lane="applicant", col=3, row=1, name="另一结束", properties={"outcome": "completed"})
    d.flow("Begin", "Evil")
    d.flow("Evil", "Choose")
    d.flow("Choose", "Finish", condition="'{0.__class__}'.format(x) == ''")
    d.flow("Choose", "Other", condition="'a' * 10**10 == ''")
    problems = validate_files(ctx.runtime, [d.write(tmp_path / "bad.bpmn")])
    reasons = {element: reason for _file, element, reason in problems}
    assert "f_back" in reasons["Evil"] and "不得访问属性" in reasons["Evil"]
    assert "不得访问属性或下标" in reasons["Flow_Choose_Finish"]
    assert "过大" in reasons["Flow_Choose_Other"]


# --- the same escapes refused when they run (the guards behind the policy) ------------------------

def test_it_refuses_frame_generator_and_dunder_attributes_however_the_name_is_built():
    generator = (x for x in [1])
    for name in ("gi_frame", "gi_code", "__class__", "__cl" + "ass__", "_secret"):
        with pytest.raises(SandboxViolation):
            guarded_getattr(generator if name.startswith("gi") else 1, name)
    with pytest.raises(SandboxViolation):
        guarded_getattr(helpers_for("yeji")["add_days"], "__self__")
    with pytest.raises(SandboxViolation):
        guarded_getattr(str, "mro")                   # a class's walk up to object
    with pytest.raises(SandboxViolation):
        guarded_getattr(str, "join")                  # the unbound method would bypass the size check
    assert guarded_getattr({"a": 1}, "get")("a") == 1


@pytest.mark.parametrize("expression, data, reason", [
    ("template.format(x)", {"template": "{0.__class__.__mro__}"}, "不得访问属性或下标"),
    ("template.format_map(d)", {"template": "{a.__globals__}", "d": {"a": 1}}, "不得访问属性或下标"),
    ("template.format(x)", {"template": "{0[0]}"}, "不得访问属性或下标"),
    ("f'{x:{width}}'", {"width": 10**10}, "格式宽度"),
    ("s * n", {"s": "a", "n": 10**10}, "过大"),
    ("x ** n", {"x": 10, "n": 10**10}, "整数过大"),
    ("l * n", {"l": [0], "n": 10**9}, "过大"),
    ("[l] * 1000", {"l": list(range(10**5))}, "过大"),         # shared references count each time
    ("x << n", {"x": 1, "n": 10**10}, "整数过大"),
    ("s.ljust(n)", {"s": "x", "n": 10**10}, "ljust"),
    ("s.replace('a', s)", {"s": "a" * 2000}, "replace"),
    ("list(range(n))", {"n": 10**10}, "range"),
    ("sum(l, [])", {"l": [[0]] * 10}, "sum 只能对数字求和"),
    ("int(d)", {"d": Decimal("1e100000000")}, "Decimal 的指数过大"),
    ("f'{d:f}'", {"d": Decimal("1e100000000")}, "Decimal 的指数过大"),
    ("'%*d' % (n, 1)", {"n": 10**9}, "不得用 *"),
    ("date.today()", {}, "date.today"),
])
def test_it_refuses_at_run_time_what_only_the_data_makes_dangerous(expression, data, reason):
    check_code(expression, "eval")                   # nothing to see when compiled
    with pytest.raises(SandboxViolation) as err:
        _env().evaluate(expression, {"x": 1, **data})
    assert reason in str(err.value)


def test_it_bounds_what_a_script_adds_to_the_data_by_reference():
    """A list appended to itself a thousand times is small in memory and huge once serialized."""
    big = "x" * 500_000
    context = {"big": big}
    with pytest.raises(SandboxViolation, match="数据过多"):
        _env().execute("l = []\nfor i in range(1000):\n    l.append(big)", context)


# --- time ------------------------------------------------------------------------------------------

def test_it_stops_an_endless_script_within_about_a_second():
    began = time.monotonic()
    with pytest.raises(StepFailed) as err:
        _run_script("while True:\n    pass")
    assert time.monotonic() - began < 2.5
    assert "Evil" in err.value.detail and "执行超过时限" in err.value.detail


@pytest.mark.parametrize("code, mode", [
    ("while True: pass", "exec"),                             # jumps to itself: no new line event
    ("try:\n    while True:\n        pass\nexcept Exception:\n    pass", "exec"),   # cannot catch the stop
    ("[0 for a in range(10**6) for b in range(10**6)]", "eval"),
    ("add_workdays(10**9)", "eval"),                          # a helper looping over days
])
def test_it_bounds_every_python_level_loop(code, mode, short_timeout):
    env, began = _env(), time.monotonic()
    with pytest.raises(sandbox.ScriptTimedOut):
        env.evaluate(code, {}) if mode == "eval" else env.execute(code, {})
    assert time.monotonic() - began < short_timeout + 1.0


# --- what the diagrams need keeps working ----------------------------------------------------------

def test_it_runs_ordinary_scripts_with_date_helpers():
    wf = _run_script("y = x + 1\nz = sorted([3, 1, 2])\nd = date_of(2026, 9, 30)\n"
                     "w = '、'.join(str(n) for n in range(1, 4))\nv = {'a': 1}\nv['b'] = v.get('a') + 1\n"
                     "q = f'{y:>3}年'\nn = 0\nn += 2\ndel z")
    assert wf.is_completed()
    data = wf.data
    assert (data["y"], data["w"], data["v"], data["q"], data["n"]) == (2, "1、2、3", {"a": 1, "b": 2}, "  2年", 2)
    assert data["d"] == "2026-09-30T23:59:59+08:00" and "z" not in data


def test_it_reports_a_failing_script_with_its_element_in_chinese():
    with pytest.raises(ScriptError) as err:
        _run_script("y = undefined_name + 1")
    assert "Evil" in err.value.detail and "恶意脚本" in err.value.detail
    assert "使用了未定义的名称" in err.value.detail and "NameError" in err.value.detail


def _expressions():
    """Every piece of code in the shipped diagrams, with the mode it runs in."""
    modes = {"conditionExpression": "eval", "script": "exec", "preScript": "exec", "postScript": "exec",
             "timeDate": "eval", "timeDuration": "eval", "timeCycle": "eval"}
    for path in sorted(glob.glob("bpmn_diagrams/*/*.bpmn")):
        for el in etree.parse(path).getroot().iter():
            tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if tag in modes and (el.text or "").strip():
                yield path, el.text.strip(), modes[tag]
            if tag == "property" and el.get("name") in ("dueAt", "subject"):
                yield path, el.get("value"), "eval"
    for path in sorted(glob.glob("bpmn_diagrams/*/*.dmn")):
        for el in etree.parse(path).getroot().iter():
            if isinstance(el.tag, str) and etree.QName(el).localname == "text" and (el.text or "").strip() != "-":
                text = el.text.strip()      # as the DMN engine composes a cell with its input
                yield path, text.replace("?", "v") if "?" in text else f"v {text}" if text[:1] in "<>=!" else text, \
                    "eval"


def test_every_expression_of_the_five_procedures_passes_the_policy():
    found = list(_expressions())
    assert len(found) > 150
    refused = []
    for path, code, mode in found:
        try:
            check_code(code, mode)
        except SandboxViolation as exc:
            refused.append((path, code, str(exc)))
    assert refused == []


def test_it_keeps_compiled_code_cached_by_source():
    first = sandbox.compile_code("decision == 'approve'", "eval")
    assert sandbox.compile_code("decision == 'approve'", "eval") is first

"""The script sandbox: diagram scripts, conditions, timer expressions and DMN cells are Python, and
SpiffWorkflow would run them with full builtins. Here every piece of code is parsed first and refused
if it imports, names a dunder or reaches for a `_`-prefixed attribute; it then runs with a small
whitelist of builtins plus govflow's date helpers."""
from __future__ import annotations

import ast
import copy
import datetime as _dt
import decimal

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import clock
from engine.errors import ScriptError

SAFE_BUILTINS = {
    name: getattr(__builtins__, name, None) if not isinstance(__builtins__, dict) else __builtins__[name]
    for name in (
        "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance",
        "len", "list", "map", "max", "min", "range", "round", "set", "sorted", "str", "sum",
        "tuple", "zip", "True", "False", "None",
    )
}
SAFE_BUILTINS["Decimal"] = decimal.Decimal
SAFE_BUILTINS["date"] = _dt.date
SAFE_BUILTINS["timedelta"] = _dt.timedelta

_FORBIDDEN_NAMES = {"eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr",
                    "setattr", "delattr", "input", "breakpoint", "help", "memoryview", "type",
                    "object", "super", "os", "sys", "subprocess"}


class SandboxViolation(Exception):
    """Raised for code the sandbox refuses; the message is Chinese and names the construct."""


def check_code(source: str, mode: str = "exec") -> ast.AST:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise SandboxViolation(f"语法错误（第{exc.lineno}行）：{exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise SandboxViolation("脚本不得导入模块（import）")
        if isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.AsyncFunctionDef, ast.ClassDef)):
            raise SandboxViolation(f"脚本不得使用 {type(node).__name__}")
        if isinstance(node, ast.Name) and (node.id.startswith("__") or node.id in _FORBIDDEN_NAMES):
            raise SandboxViolation(f"脚本不得使用名称 {node.id}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise SandboxViolation(f"脚本不得访问属性 {node.attr}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("__"):
            raise SandboxViolation("脚本不得使用以 __ 开头的字符串")
    return tree


# Checked and compiled code by (source, mode), shared by every script engine: a workflow loaded for
# one step gets a fresh engine, and code objects are immutable.
_COMPILED: dict[tuple[str, str], object] = {}


class SandboxEnvironment(TaskDataEnvironment):
    """A TaskDataEnvironment whose code is checked before it runs (message correlation calls the
    environment directly, so the check lives here rather than in the engine)."""

    def __init__(self, helpers: dict | None = None):
        env_globals = {"__builtins__": dict(SAFE_BUILTINS)}
        env_globals.update(helpers or {})
        super().__init__(env_globals)
        self._compiled = _COMPILED

    def _compile(self, source: str, mode: str):
        key = (source, mode)
        code = self._compiled.get(key)
        if code is None:
            tree = check_code(source, mode)
            code = compile(tree, "<string>", mode)
            self._compiled[key] = code
        return code

    def evaluate(self, expression, context, external_context=None):
        code = self._compile(expression, "eval")
        my_globals = copy.copy(self.globals)
        my_globals.update(external_context or {})
        my_globals.update(context)
        my_globals["__builtins__"] = self.globals["__builtins__"]
        return eval(code, my_globals)  # noqa: S307 - checked by check_code, restricted builtins

    def execute(self, script, context, external_context=None):
        code = self._compile(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        try:
            exec(code, context)  # noqa: S102 - checked by check_code, restricted builtins
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class SandboxScriptEngine(PythonScriptEngine):
    """Turns every failure into a ScriptError naming the BPMN element."""

    own_clock = None    # a callable answering this workflow's current instant; None: engine.clock.now()

    def __init__(self, helpers: dict | None = None):
        super().__init__(environment=SandboxEnvironment(helpers))

    def now(self) -> _dt.datetime:
        """The instant (timezone-aware) the workflow's timers compare their deadlines with: the
        engine's own clock if it was given one, else engine.clock.now() (which clock.frozen_at moves)."""
        return self.own_clock() if self.own_clock is not None else clock.now()

    def validate(self, expression):
        # A plain SyntaxError must escape: the DMN engine probes cells like `> 400` with it.
        ast.parse(expression)
        check_code(expression, "exec")

    def evaluate(self, task, expression, external_context=None):
        try:
            return super().evaluate(task, expression, external_context)
        except (SpiffWorkflowException, WorkflowTaskException) as exc:
            raise _script_error(task, exc) from exc

    def execute(self, task, script, external_context=None):
        try:
            return super().execute(task, script, external_context)
        except (SpiffWorkflowException, WorkflowTaskException) as exc:
            raise _script_error(task, exc) from exc


def _script_error(task, exc: Exception) -> ScriptError:
    cause = exc.__cause__ or getattr(exc, "exception", None) or exc
    element = task.task_spec.bpmn_name or task.task_spec.name if task is not None else "?"
    element_id = task.task_spec.name if task is not None else "?"
    reason = str(cause) if isinstance(cause, SandboxViolation) else f"{type(cause).__name__}: {cause}"
    return ScriptError(f"{element_id}（{element}）", reason)

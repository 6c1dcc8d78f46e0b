"""The script sandbox. Every script, condition, timer / dueAt / subject expression and DMN cell of a
diagram is input from the network (designers deploy over HTTP), and SpiffWorkflow would run it as
plain Python. Here each piece of code is compiled by RestrictedPython with govflow's policy
(`GovflowPolicy`) and runs against guards of our own, with a deadline.

What code may use is listed in docs/modelling.md (Sandbox). What the policy refuses when the code is
compiled — at `govflow validate` / deploy, with a Chinese message naming the element:

* imports, `def`, `lambda`, `class`, `try … finally`, `with`, a bare `except:`, `global`, `print`,
  async code, `match`; any name or attribute starting with `_` (so no dunder however spelled in the
  source), frame / generator / code attributes (`gi_frame`, `f_back`, `f_globals`, `co_code` …), and
  the names `eval`, `exec`, `open`, `getattr`, `globals`, `vars`, `type`, `object`, `__import__` …
  (the sandbox does not offer them);
* a constant that would be too big (`'a' * 10**10`, `10**10**10`, `[0] * 10**9`,
  `range(10**10)`, `'x'.ljust(10**10)`), and a constant `str.format` / `format_map` string whose
  fields reach attributes or items (`'{0.__class__}'.format(x)`).

What the guards refuse at run time (the step fails as an incident, see engine.services.incidents):

* attribute access goes through `_getattr_`: only the attributes listed in `_ATTRIBUTES` for the
  exact type of the object (str, list, dict, int, Decimal, date …); everything else — a name built
  at run time, a helper function's internals, a class's `mro` — is refused. `str.format` and
  `format_map` are offered checked: a field may not reach an attribute or an item, a width may not
  exceed `MAX_WIDTH`;
* size (memory): `*`, `**`, `<<`, `+` and `%` are compiled into calls of guards that compute the
  size of the result before making it (`'a' * n`, `[0] * n`, `10 ** n`, `1 << n`, `s + s`), and so
  do the offered growing methods (`ljust`, `center`, `zfill`, `replace`, `join`, `extend`, format
  widths in f-strings); `range` is at most `MAX_LENGTH` long, integers at most `MAX_INT_BITS` bits,
  `sum` adds numbers only, `int()` / `round()` refuse a Decimal of huge exponent; what one evaluation
  adds to existing lists and dicts, what a script leaves in the task data and what an expression
  answers are measured as they would be serialized (shared references counted each time) and refused
  beyond `MAX_DATA`. These catch the C-level blow-ups that no deadline can interrupt: a single C call
  allocating gigabytes (`'a' * 10**10`, `[0] * 10**9`, `10**10**10`, `'x'.ljust(10**10)`,
  `list(range(10**10))`).
* time: each evaluation runs under `sys.settrace` (this thread only) with a deadline of
  `GOVFLOW_SCRIPT_TIMEOUT_MS` (default 1000 ms); the trace function raises `_Timeout` at the first
  instruction or call past it. Code that can loop (a `while`, a `for`, a comprehension: a backward
  jump in its bytecode) is traced opcode by opcode — `while True: pass` jumps to itself without a
  new line event —, which catches every Python-level loop. Trusted code it calls (a date helper, whose
  first call may load the holiday calendar; a guard) runs with the script's clock paused, against an
  allowance of `HELPER_FACTOR` × the timeout, so `add_workdays(10**9)` is stopped too. Straight code
  (no loop) that reads no function but builtins and guards runs untraced: its length and the size
  guards bound it (task data holds no functions, see below). `_Timeout` is a BaseException the script
  cannot catch (`except Exception` does not; a bare `except:` and `finally` are refused), and since no
  function can be defined there is no recursion to exhaust the stack inside the trace function.
  A whole engine run (every automatic step after one completion, start, timer or retry:
  `EngineRun`) is bounded too: at most `MAX_STEPS` steps and `RUN_TIMEOUT_FACTOR` × the timeout,
  which catches a loop of automatic steps without a user task.
* what a script leaves in the task data must be storable (str, numbers, Decimal, dates, dicts and
  lists of them: no function, set or timedelta) and within `MAX_DATA`, else it is put back as it was.

A failure raises `StepFailed` (a ScriptError) naming the element, with the task, the phase it failed
in and — from an engine run — the workflow as the failure left it, so that the caller records an
incident instead of losing the user's answers."""
from __future__ import annotations

import ast
import datetime as _dt
import decimal
import dis
import functools
import operator
import os
import re
import string
import sys
import threading
import time
import types

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.errors import ScriptError

DEFAULT_TIMEOUT_MS = 1000
MAX_SOURCE = 20_000          # characters of one script or expression
MAX_LENGTH = 1_000_000       # characters or items one operation may produce
MAX_INT_BITS = 65_536        # about 19 700 decimal digits
MAX_WIDTH = 1_000            # a width or precision in a format spec
MAX_DATA = 2_000_000         # items + characters of what a script leaves or an expression answers
MAX_ARGS = 100               # arguments passed with * / **
MAX_STEPS = 2_000            # automatic steps of one engine run
RUN_TIMEOUT_FACTOR = 5       # an engine run may take this many script timeouts
FILENAME = "<string>"        # of all sandboxed code (SpiffWorkflow finds the failing line of a script by it)
_BACKWARD = frozenset(("JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "FOR_ITER"))
_LOOPING: set[int] = set()   # ids of sandboxed code objects that loop: traced instruction by instruction
_PLAN: dict[int, tuple[bool, tuple[str, ...]]] = {}   # id of compiled code → (it or a part loops, names read)

FORBIDDEN_NAMES = frozenset((
    "eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "hasattr", "input", "breakpoint", "help", "memoryview", "bytearray", "type", "object", "super",
    "dir", "id", "iter", "next", "classmethod", "staticmethod", "property", "print", "exit", "quit",
    "os", "sys", "subprocess", "builtins", "format", "repr", "ascii", "pow", "callable", "issubclass"))


_STATE = threading.local()   # per thread: the running evaluation's limit and clocks, what it added to containers
_monotonic = time.monotonic


class SandboxViolation(Exception):
    """Code the sandbox refuses (when compiled or when run); the message is Chinese."""


class _Timeout(BaseException):
    """Raised by the trace function inside the evaluated code: no `except Exception` catches it."""


@functools.lru_cache(maxsize=1)
def timeout_ms() -> int:
    """GOVFLOW_SCRIPT_TIMEOUT_MS (default 1000), read once per process (`timeout_ms.cache_clear()`
    makes the next evaluation read it again)."""
    raw = os.environ.get("GOVFLOW_SCRIPT_TIMEOUT_MS", "").strip()
    try:
        return max(1, int(raw)) if raw else DEFAULT_TIMEOUT_MS
    except ValueError:
        return DEFAULT_TIMEOUT_MS


# --- size guards ----------------------------------------------------------------------------------

def _too_big(what: str, size) -> SandboxViolation:
    return SandboxViolation(f"{what}过大（约 {size:,} ，上限 {MAX_LENGTH:,}）")


_SEQUENCES = (list, tuple, set, frozenset)
_SIZED = (str, bytes, dict, *_SEQUENCES)


def data_size(value, budget: int = MAX_DATA) -> int:
    """Items plus characters of `value` as it would be serialized (a shared list counts each time it
    is referenced; a cycle never ends), counted until `budget` is exceeded."""
    used, stack = 0, [value]
    while stack and used <= budget:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bytes:
            used += len(item) + 1
            continue
        if kind is dict:
            parts = [part for pair in item.items() for part in pair]
        elif kind in _SEQUENCES:
            parts = item
        else:
            used += 1
            continue
        used += 1
        for part in parts:
            part_kind = type(part)
            if part_kind is str:
                used += len(part) + 1
            elif part_kind in _SIZED:
                stack.append(part)
            else:
                used += 1
    return used


def check_data(value, what: str) -> None:
    """What an expression answers: not a function, not too big."""
    if type(value) in (bool, int, float, type(None)):
        return
    if callable(value):
        raise SandboxViolation(f"{what}不能是函数或类型")
    if data_size(value) > MAX_DATA:
        raise SandboxViolation(f"{what}的数据量过大（超过 {MAX_DATA:,} 项/字符）")


_STORABLE = (int, float, bool, type(None), decimal.Decimal, _dt.date, _dt.datetime)


def storable_problem(data: dict) -> str | None:
    """Why the task data a script leaves cannot be stored (a value the workflow's serializer does not
    keep — a function, a set, a timedelta — or too much of it), or None."""
    used, stack = 0, list(data.values())
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            used += len(item) + 1
        elif kind is dict:
            used += len(item) + 1
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            used += len(item) + 1
            stack.extend(item)
        elif kind in _STORABLE:
            used += 1
        else:
            return f"含有不能保存的值（{kind.__name__}）"
        if used > MAX_DATA:
            return f"数据量过大（超过 {MAX_DATA:,} 项/字符）"
    return None


def _check_int(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxViolation(f"整数过大（约 {bits:,} 位二进制，上限 {MAX_INT_BITS:,}）")


def _is_int(value) -> bool:
    return type(value) in (int, bool)


def _repeat_size(seq, times: int) -> int:
    if times <= 0:
        return 0
    if isinstance(seq, (str, bytes)):
        return len(seq) * times
    return data_size(seq, MAX_LENGTH) * times


def guarded_mul(a, b):
    if _is_int(a) and _is_int(b):
        _check_int(a.bit_length() + b.bit_length())
    elif isinstance(a, (str, bytes, list, tuple)) and _is_int(b):
        if _repeat_size(a, b) > MAX_LENGTH:
            raise _too_big("重复结果", _repeat_size(a, b))
    elif isinstance(b, (str, bytes, list, tuple)) and _is_int(a):
        return guarded_mul(b, a)
    return a * b


def guarded_pow(a, b):
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        _check_int(b * abs(a).bit_length())
    return a ** b


def guarded_lshift(a, b):
    if _is_int(a) and _is_int(b) and b > 0 and a:
        _check_int(a.bit_length() + b)
    return a << b


def guarded_add(a, b):
    if isinstance(a, (str, bytes, list, tuple)) and isinstance(b, (str, bytes, list, tuple)):
        if len(a) + len(b) > MAX_LENGTH:
            raise _too_big("拼接结果", len(a) + len(b))
    return a + b


_PERCENT_STAR = re.compile(r"%[-+ #0]*\*|%[-+ #0]*\d*\.\*")


def guarded_mod(a, b):
    if isinstance(a, str):
        _check_spec_numbers(a)
        if _PERCENT_STAR.search(a):
            raise SandboxViolation("% 格式化不得用 * 指定宽度或精度")
        size = len(a) + data_size(b, MAX_LENGTH)
        if size > MAX_LENGTH:
            raise _too_big("格式化结果", size)
    return a % b


_DIGITS = re.compile(r"\d+")


def _check_spec_numbers(spec: str) -> None:
    """Every number in a format spec (width, precision, a strftime width) is at most MAX_WIDTH."""
    for digits in _DIGITS.findall(spec):
        if len(digits) > 4 or int(digits) > MAX_WIDTH:
            raise SandboxViolation(f"格式宽度或精度 {digits[:12]} 过大（上限 {MAX_WIDTH}）")


def _check_format_value(value) -> None:
    if isinstance(value, decimal.Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_WIDTH:
        raise SandboxViolation("Decimal 的指数过大，不能按定点格式输出")
    check_data(value, "格式化的值")


def guarded_format(value, conversion: int = -1, spec: str = "") -> str:
    """An f-string field `{value!conversion:spec}`."""
    _check_format_value(value)
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    elif conversion == ord("s"):
        value = str(value)
    _check_spec_numbers(spec)
    return format(value, spec)


def check_format_string(template: str) -> None:
    """A str.format template whose fields name only positions or keywords (no `.attribute`, no
    `[item]`), with bounded widths, nested specs included."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise SandboxViolation(f"format 模板有误：{exc}") from None
    for _literal, field, spec, _conversion in parts:
        if field and ("." in field or "[" in field):
            raise SandboxViolation(f"format 模板的字段 {{{field}}} 不得访问属性或下标")
        if spec:
            _check_spec_numbers(spec)
            check_format_string(spec)


def _format_method(template: str, mapping: bool):
    def checked(*args, **kwargs):
        check_format_string(template)
        values = list(args) + list(kwargs.values()) + (list(args[0].values()) if mapping and args else [])
        for value in values:
            _check_format_value(value)
        fields = sum(1 for part in string.Formatter().parse(template) if part[1] is not None)
        if len(template) + fields * data_size(values, MAX_LENGTH) > MAX_LENGTH:
            raise _too_big("格式化结果", fields * data_size(values, MAX_LENGTH))
        return template.format_map(*args) if mapping else template.format(*args, **kwargs)
    return checked


def _padding_method(text: str, name: str):
    def checked(width, *args):
        if _is_int(width) and width > MAX_LENGTH:
            raise _too_big(f"{name} 结果", width)
        return getattr(text, name)(width, *args)
    return checked


def _replace_method(text: str):
    def checked(old, new, count=-1):
        found = text.count(old) if old else len(text) + 1
        times = found if count < 0 else min(count, found)
        size = len(text) + times * (len(new) - len(old))
        if size > MAX_LENGTH:
            raise _too_big("replace 结果", size)
        return text.replace(old, new, count)
    return checked


def _join_method(separator: str):
    def checked(iterable):
        items = list(iterable)
        size = sum(len(item) for item in items if isinstance(item, str)) + len(separator) * len(items)
        if size > MAX_LENGTH:
            raise _too_big("join 结果", size)
        return separator.join(items)
    return checked


def _grow(amount: int) -> None:
    """Count what one evaluation adds to existing lists, dicts and sets (a shared list appended a
    thousand times is serialized a thousand times) against MAX_DATA."""
    _STATE.grown = getattr(_STATE, "grown", 0) + amount
    if _STATE.grown > MAX_DATA:
        raise SandboxViolation(f"向列表或字典中加入的数据过多（超过 {MAX_DATA:,} 项/字符）")


_CONTAINERS = (list, tuple, str, bytes, dict, set, frozenset, range)


def _growing_method(target, name: str):
    """list.append / insert / extend, dict.update / setdefault, set.add / update, measured."""
    method = getattr(target, name)

    def checked(*args, **kwargs):
        args = [a if isinstance(a, _CONTAINERS) or not hasattr(a, "__iter__") else list(a) for a in args]
        _grow(sum(data_size(a) for a in args) + sum(data_size(v) for v in kwargs.values()))
        if name == "extend" and len(target) + len(args[0]) > MAX_LENGTH:
            raise _too_big("列表", len(target) + len(args[0]))
        return method(*args, **kwargs)
    return checked


def _strftime_method(moment):
    def checked(pattern):
        if len(pattern) > MAX_WIDTH:
            raise SandboxViolation("strftime 格式过长")
        _check_spec_numbers(pattern)
        return moment.strftime(pattern)
    return checked


# --- attribute, item and call guards --------------------------------------------------------------

_STR = frozenset((
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii",
    "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "upper"))
_LIST = frozenset(("append", "clear", "copy", "count", "index", "insert", "pop", "remove", "reverse", "sort"))
_DICT = frozenset(("clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"))
_FROZENSET = frozenset(("copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset",
                        "symmetric_difference", "union"))
_SET = _FROZENSET | {"add", "clear", "discard", "pop", "remove", "update", "difference_update",
                     "intersection_update", "symmetric_difference_update"}
_NUMBER = frozenset(("real", "imag", "conjugate", "is_integer", "bit_length", "numerator", "denominator"))
_DECIMAL = frozenset(("adjusted", "compare", "copy_abs", "copy_negate", "is_finite", "is_infinite", "is_nan",
                      "is_signed", "is_zero", "normalize", "quantize", "to_integral_value"))
_DATE = frozenset(("year", "month", "day", "weekday", "isoweekday", "isoformat", "isocalendar", "toordinal",
                   "replace"))
_DATETIME = _DATE | {"hour", "minute", "second", "microsecond", "date", "timestamp", "astimezone", "utcoffset"}

# Exact type → the attributes code may read; a name here that needs a size check is wrapped below.
_ATTRIBUTES = {
    str: _STR | {"center", "ljust", "rjust", "zfill", "replace", "join", "format", "format_map"},
    list: _LIST | {"extend"}, tuple: frozenset(("count", "index")), dict: _DICT, set: _SET,
    frozenset: _FROZENSET, int: _NUMBER, bool: _NUMBER, float: _NUMBER, decimal.Decimal: _DECIMAL,
    _dt.date: _DATE | {"strftime"}, _dt.datetime: _DATETIME | {"strftime"},
    _dt.timedelta: frozenset(("days", "seconds", "microseconds", "total_seconds")),
}
_CLASS_ATTRIBUTES = {_dt.date: frozenset(("fromisoformat",))}
_WRAPPED = {
    (str, "format"): lambda s: _format_method(s, mapping=False),
    (str, "format_map"): lambda s: _format_method(s, mapping=True),
    (str, "replace"): _replace_method, (str, "join"): _join_method,
    **{(kind, name): functools.partial(lambda name, obj: _growing_method(obj, name), name)
       for kind, names in ((list, ("append", "insert", "extend")), (dict, ("update", "setdefault")),
                           (set, ("add", "update"))) for name in names},
    (_dt.date, "strftime"): _strftime_method, (_dt.datetime, "strftime"): _strftime_method,
    **{(str, name): functools.partial(lambda name, s: _padding_method(s, name), name)
       for name in ("center", "ljust", "rjust", "zfill")},
}


def guarded_getattr(obj, name, *default):
    """`obj.name` in sandboxed code: only the attributes `_ATTRIBUTES` lists for obj's exact type."""
    if not isinstance(name, str) or name.startswith("_") or name in INSPECT_ATTRIBUTES:
        raise SandboxViolation(f"不得访问属性 {name!r}")
    kind = type(obj)
    if isinstance(obj, type):
        allowed = _CLASS_ATTRIBUTES.get(obj, frozenset())
    elif isinstance(obj, BaseException):
        allowed = frozenset(("args",))
    else:
        allowed = _ATTRIBUTES.get(kind, frozenset())
    if name not in allowed:
        raise SandboxViolation(f"不得访问 {kind.__name__ if not isinstance(obj, type) else obj.__name__}.{name}")
    wrap = _WRAPPED.get((kind, name))
    return wrap(obj) if wrap is not None else getattr(obj, name)


class _Writable:
    """What `obj[key] = value` / `del obj[key]` writes through: the value is measured first."""

    __slots__ = ("target",)

    def __init__(self, target):
        self.target = target

    def __setitem__(self, key, value):
        _grow(data_size(value))
        self.target[key] = value

    def __delitem__(self, key):
        del self.target[key]


def guarded_write(obj):
    """`obj[key] = …`, `del obj[key]`: dicts and lists only (attributes are never assigned)."""
    if type(obj) in (dict, list):
        return _Writable(obj)
    raise SandboxViolation(f"不得修改 {type(obj).__name__} 对象")


_INPLACE = {"+=": (guarded_add, operator.iadd), "*=": (guarded_mul, operator.imul),
            "**=": (guarded_pow, operator.ipow), "<<=": (guarded_lshift, operator.ilshift),
            "%=": (guarded_mod, operator.imod)}
_PLAIN_INPLACE = {"-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv,
                  ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor}


def guarded_inplace(op: str, target, value):
    if type(target) in (list, dict, set):
        _grow(data_size(value))     # changed in place: what it gains stays
    if op in _INPLACE:
        check, apply = _INPLACE[op]
        if isinstance(target, list) and op in ("+=", "*="):
            check(target, value)    # lists change in place: check the size, then apply
            return apply(target, value)
        return check(target, value)
    if op in _PLAIN_INPLACE:
        return _PLAIN_INPLACE[op](target, value)
    raise SandboxViolation(f"不支持的运算 {op}")


def guarded_apply(function, *args, **kwargs):
    """A call with *args / **kwargs."""
    if len(args) > MAX_ARGS or len(kwargs) > MAX_ARGS:
        raise SandboxViolation(f"一次调用的参数不得超过 {MAX_ARGS} 个")
    return function(*args, **kwargs)


# --- builtins -------------------------------------------------------------------------------------

def safe_range(*args):
    result = range(*args)
    if len(result) > MAX_LENGTH:
        raise _too_big("range", len(result))
    return result


def safe_sum(values, start=0):
    if not isinstance(start, (int, float, decimal.Decimal)):
        raise SandboxViolation("sum 只能对数字求和")
    total = start
    for value in values:
        if not isinstance(value, (int, float, decimal.Decimal)):
            raise SandboxViolation("sum 只能对数字求和")
        total = guarded_add(total, value)
    return total


def _check_magnitude(value) -> None:
    if isinstance(value, decimal.Decimal) and value.is_finite() and value.adjusted() > sys.get_int_max_str_digits():
        raise SandboxViolation("Decimal 的指数过大，不能转换为整数")


def safe_int(value=0, *args):
    _check_magnitude(value)
    return int(value, *args)


def safe_round(value, *args):
    _check_magnitude(value)
    return round(value, *args)


def safe_str(value="", *args):
    check_data(value, "str() 的参数")
    return str(value, *args)


def _few_iterables(function, name: str):
    def checked(*iterables, **kwargs):
        if len(iterables) > 10:
            raise SandboxViolation(f"{name} 最多接受 10 个序列")
        return function(*iterables, **kwargs)
    checked.__name__ = name
    return checked


SAFE_BUILTINS = {
    **{name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
       for name in ("abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "frozenset",
                    "isinstance", "len", "list", "max", "min", "reversed", "set", "sorted", "tuple",
                    "Exception", "ArithmeticError", "LookupError", "ValueError", "TypeError", "KeyError",
                    "IndexError", "ZeroDivisionError")},
    "True": True, "False": False, "None": None,
    "int": safe_int, "round": safe_round, "str": safe_str, "range": safe_range, "sum": safe_sum,
    "zip": _few_iterables(zip, "zip"), "map": _few_iterables(map, "map"),
    "Decimal": decimal.Decimal, "date": _dt.date, "timedelta": _dt.timedelta,
}

GUARDS = {
    "_getattr_": guarded_getattr, "_getitem_": operator.getitem, "_write_": guarded_write,
    "_getiter_": iter, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence, "_inplacevar_": guarded_inplace, "_apply_": guarded_apply,
    "_mul_": guarded_mul, "_pow_": guarded_pow, "_lshift_": guarded_lshift, "_add_": guarded_add,
    "_mod_": guarded_mod, "_format_": guarded_format,
}
_FIXED = {**GUARDS, "__builtins__": SAFE_BUILTINS}


# --- the compile-time policy ----------------------------------------------------------------------

_REFUSED = {
    "Import": "脚本不得导入模块（import）", "ImportFrom": "脚本不得导入模块（import）",
    "FunctionDef": "脚本不得定义函数（def）", "AsyncFunctionDef": "脚本不得定义函数（def）",
    "Lambda": "脚本不得使用 lambda", "ClassDef": "脚本不得定义类（class）", "With": "脚本不得使用 with",
    "Global": "脚本不得使用 global", "Nonlocal": "脚本不得使用 nonlocal", "Await": "脚本不得使用异步语法",
    "AsyncFor": "脚本不得使用异步语法", "AsyncWith": "脚本不得使用异步语法", "Yield": "脚本不得使用 yield",
    "YieldFrom": "脚本不得使用 yield", "TryStar": "脚本不得使用 except*", "Match": "脚本不得使用 match",
    "MatMult": "脚本不得使用 @ 运算",
}
_TRANSLATED = (
    ("Augmented assignment of object items", "不支持对下标使用 +=（请写成 x[k] = x[k] + …）"),
    ("Augmented assignment of attributes", "不得给属性赋值"),
    ("Unpacking in comprehensions", "推导式中不得使用 * 解包"),
    ("Assignment expressions are only allowed", ":= 只能赋给简单名称"),
)
_GUARDED_OPS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Add: "_add_", ast.Mod: "_mod_"}
_CONSTANT_OPS = {ast.Mult: guarded_mul, ast.Pow: guarded_pow, ast.LShift: guarded_lshift, ast.Add: guarded_add,
                 ast.Mod: guarded_mod, ast.Sub: operator.sub}
_NOT_CONSTANT = object()
_PADDING = frozenset(("center", "ljust", "rjust", "zfill"))


def _constant(node):
    """The value of a constant expression (literals, + - * ** << % of literals), computed with the
    size guards (which raise SandboxViolation for a result too big); _NOT_CONSTANT otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_constant(item) for item in node.elts]
        if any(item is _NOT_CONSTANT for item in items):
            return _NOT_CONSTANT
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _constant(node.operand)
        if not isinstance(value, (int, float)):
            return _NOT_CONSTANT
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _CONSTANT_OPS:
        left, right = _constant(node.left), _constant(node.right)
        if left is _NOT_CONSTANT or right is _NOT_CONSTANT:
            return _NOT_CONSTANT
        try:
            return _CONSTANT_OPS[type(node.op)](left, right)
        except SandboxViolation:
            raise
        except Exception:  # noqa: BLE001 - e.g. 1 % 0: left for run time
            return _NOT_CONSTANT
    return _NOT_CONSTANT


class GovflowPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, narrowed (see the module docstring) and in Chinese; binary
    operators that can grow a value and f-string fields are compiled into calls of the guards."""

    def error(self, node, info):
        for english, chinese in _TRANSLATED:
            if info.startswith(english):
                info = chinese
        if "statements are not allowed" in info:
            info = f"脚本不得使用 {type(node).__name__}"
        message = f"第{getattr(node, 'lineno', '?')}行：{info}"
        if message not in self.errors:
            self.errors.append(message)

    def visit(self, node):
        refused = _REFUSED.get(type(node).__name__)
        if refused:
            self.error(node, refused)
            return node
        return super().visit(node)

    def check_name(self, node, name, allow_magic_methods=False):
        if name is None:
            return
        if name.startswith("_") and name != "_":
            self.error(node, f"不得使用以下划线开头的名称 {name}")
        elif name in FORBIDDEN_NAMES:
            self.error(node, f"不得使用 {name}（沙箱不提供）")

    def visit_Name(self, node):
        if node.id in ("print", "printed"):
            self.error(node, "不得使用 print（沙箱不提供）")
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node):
        if node.attr.startswith("_"):
            self.error(node, f"不得访问属性 {node.attr}")
        elif node.attr in INSPECT_ATTRIBUTES:
            self.error(node, f"不得访问属性 {node.attr}（帧、生成器或代码对象的内部）")
        elif not isinstance(node.ctx, ast.Load):
            self.error(node, f"不得给属性 {node.attr} 赋值")
        else:
            return super().visit_Attribute(node)
        return self.node_contents_visit(node)      # refused: still report what is inside

    def visit_Try(self, node):
        if node.finalbody:
            self.error(node, "脚本不得使用 finally")
        return super().visit_Try(node)

    def visit_ExceptHandler(self, node):
        if node.type is None:
            self.error(node, "except 须写明异常类型（如 except ValueError:）")
        return super().visit_ExceptHandler(node)

    def _check_constant(self, node) -> None:
        try:
            _constant(node)
        except SandboxViolation as exc:
            self.error(node, f"常量表达式：{exc}")

    def visit_BinOp(self, node):
        self._check_constant(node)
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call

    def visit_Call(self, node):
        self._check_constant_call(node)
        return super().visit_Call(node)

    def _check_constant_call(self, node) -> None:
        """range(10**10), 'x'.ljust(10**10), '{0.__class__}'.format(x): refused when compiled."""
        args = [_constant(arg) for arg in node.args]
        try:
            if isinstance(node.func, ast.Name) and node.func.id == "range" and args and _NOT_CONSTANT not in args:
                safe_range(*args)
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if not (isinstance(receiver, ast.Constant) and isinstance(receiver.value, str)):
                return
            if node.func.attr in ("format", "format_map"):
                check_format_string(receiver.value)
            elif node.func.attr in _PADDING and args and _is_int(args[0]) and args[0] > MAX_LENGTH:
                raise _too_big(f"{node.func.attr} 结果", args[0])
        except SandboxViolation as exc:
            self.error(node, str(exc))
        except (TypeError, ValueError):
            pass

    def visit_FormattedValue(self, node):
        """f'{value!r:spec}' → f'{_format_(value, conversion, spec)}'."""
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        call = ast.Call(func=ast.Name("_format_", ast.Load()),
                        args=[node.value, ast.Constant(node.conversion), spec], keywords=[])
        copy_locations(call, node)
        result = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(result, node)
        return result


@functools.lru_cache(maxsize=4096)
def compile_code(source: str, mode: str):
    """The restricted code object of `source` ("eval" or "exec"), cached by source; raises
    SandboxViolation with every reason (Chinese, with line numbers when the code has several lines)."""
    if len(source) > MAX_SOURCE:
        raise SandboxViolation(f"代码过长（{len(source)} 个字符，上限 {MAX_SOURCE}）")
    try:
        tree = ast.parse(source, FILENAME, mode)
    except SyntaxError as exc:
        raise SandboxViolation(f"语法错误（第{exc.lineno}行）：{exc.msg}") from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise SandboxViolation(f"无法解析：{type(exc).__name__}") from None
    compile_mode = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compile_mode(tree, FILENAME, policy=GovflowPolicy)
    except RecursionError:
        raise SandboxViolation("表达式嵌套过深") from None
    if result.errors:
        reasons = list(dict.fromkeys(result.errors))
        if "\n" not in source.strip():
            reasons = [reason.split("：", 1)[1] if reason.startswith("第") else reason for reason in reasons]
        raise SandboxViolation("；".join(reasons))
    names: set[str] = set()
    if len(_PLAN) > 50_000:
        _PLAN.clear()           # safe: code without a plan runs with the clock (and _LOOPING is never cleared)
    _PLAN[id(result.code)] = (_note_loops(result.code, names), tuple(sorted(names - set(GUARDS))))
    return result.code


def _note_loops(code, names: set) -> bool:
    """Remember the code objects (the script, its comprehensions) that can jump backwards; collect
    the names they read. True if any of them loops."""
    names.update(code.co_names)
    loops = any(instruction.opname in _BACKWARD for instruction in dis.get_instructions(code))
    if loops:
        _LOOPING.add(id(code))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            loops = _note_loops(const, names) or loops
    return loops


def needs_clock(code, namespace: dict) -> bool:
    """Whether running `code` needs the deadline: it loops, or it reads a name that is a function
    here (a helper, whose loops depend on its arguments). Straight code calling only builtins and
    guards is bounded by its length and the size guards (task data holds no functions: check_data)."""
    loops, names = _PLAN.get(id(code), (True, ()))
    return loops or any(callable(namespace.get(name)) for name in names)


def check_code(source: str, mode: str = "exec"):
    """Compile `source` under the policy (what `govflow validate` and deploy call); raises
    SandboxViolation naming every construct refused."""
    return compile_code(source, mode)


# --- the deadline ---------------------------------------------------------------------------------

class ScriptTimedOut(SandboxViolation):
    pass


HELPER_FACTOR = 5      # trusted code (helpers, guards) called from a script may take this many timeouts


def _trace_lines(frame, event, arg):
    """The local trace function of sandboxed frames (opcode events for code with loops)."""
    if _monotonic() > _STATE.limit:
        raise _Timeout
    return _trace_lines


def _trace_calls(frame, event, arg):
    """Called for every new frame. Sandboxed code runs against the evaluation's deadline; trusted
    code it calls (a date helper — whose first call loads the holiday calendar —, a guard) runs with
    the script's clock paused, against an allowance of its own (`add_workdays(10**9)` is stopped too)."""
    now = _monotonic()
    if now > _STATE.limit:
        raise _Timeout
    if frame.f_code.co_filename == FILENAME:
        if id(frame.f_code) not in _LOOPING:
            return None                 # straight code: the calls it makes are traced
        frame.f_trace_opcodes = True    # `while True: pass` jumps to itself: no line event after the first
        return _trace_lines
    if _STATE.helper is not None:
        return None
    _STATE.helper, _STATE.helper_since = frame, now      # the script calls trusted code: pause its clock
    _STATE.script_left = _STATE.limit - now
    _STATE.limit = now + _STATE.helper_left
    frame.f_trace_lines = False
    return _trace_helper


def _trace_helper(frame, event, arg):
    if event == "return" and frame is _STATE.helper:     # back in the script: its clock runs again
        now = _monotonic()
        _STATE.helper_left -= now - _STATE.helper_since
        _STATE.helper, _STATE.limit = None, now + _STATE.script_left
    return _trace_helper


def _bounded(run, code, namespace: dict, seconds: float):
    """run(code, namespace) — eval or exec — with trace functions (this thread only) that raise
    _Timeout at the first instruction or call past the deadline: code with loops is traced instruction
    by instruction, code without loops at each call it makes."""
    if not needs_clock(code, namespace):
        _STATE.grown = 0
        return run(code, namespace)
    previous = sys.gettrace()
    now = _monotonic()
    _STATE.limit, _STATE.helper, _STATE.helper_left, _STATE.grown = now + seconds, None, seconds * HELPER_FACTOR, 0
    sys.settrace(_trace_calls)
    try:
        return run(code, namespace)
    except _Timeout:
        raise ScriptTimedOut("执行超过时限，已中止（是否有死循环？时限见 GOVFLOW_SCRIPT_TIMEOUT_MS，"
                             f"当前 {timeout_ms()} 毫秒）") from None
    finally:
        sys.settrace(previous)
        _STATE.helper = None


class SandboxEnvironment(TaskDataEnvironment):
    """A TaskDataEnvironment whose code is restricted, guarded and bounded (message correlation calls
    the environment directly, so the sandbox lives here rather than in the engine). `globals` holds
    the helpers the script engine was given."""

    def __init__(self, helpers: dict | None = None):
        super().__init__(dict(helpers or {}))
        self.run_deadline: float | None = None      # set by EngineRun: the whole run's deadline
        self.run_timeout: float | None = None       # and the timeout it read (seconds)

    def seconds(self) -> float:
        """How long the next evaluation may take: the timeout, within what is left of the run."""
        if self.run_deadline is None:
            return timeout_ms() / 1000
        return max(0.0, min(self.run_timeout, self.run_deadline - _monotonic()))

    def evaluate(self, expression, context, external_context=None):
        code = compile_code(expression, "eval")
        namespace = dict(self.globals)
        if external_context:
            namespace.update(external_context)
        namespace.update(context)
        namespace.update(_FIXED)        # after the data: no task data can replace a guard
        result = _bounded(eval, code, namespace, self.seconds())
        check_data(result, "表达式的结果")
        return result

    def execute(self, script, context, external_context=None):
        code = compile_code(script, "exec")
        external = external_context or {}
        self.check_for_overwrite(context, external)
        before = dict(context)
        context.update(self.globals)
        context.update(external)
        context.update(_FIXED)
        try:
            _bounded(exec, code, context, self.seconds())
        finally:
            self._remove_globals_and_functions_from_context(context, external)
            problem = storable_problem(context)
            if problem:
                _restore(context, before)
        if problem:
            raise SandboxViolation(f"脚本留下的数据{problem}，已撤销")
        return True


def _restore(context: dict, before: dict) -> None:
    """Put back the names as they were, then drop the values that still cannot be stored (a list
    changed in place keeps its change), biggest first."""
    context.clear()
    context.update(before)
    while context and storable_problem(context):
        del context[max(context, key=lambda name: data_size(context[name]) + (storable_problem({name: context[name]})
                                                                              is not None) * MAX_DATA)]


# --- the script engine and failing steps ----------------------------------------------------------

_REASONS = {
    "NameError": "使用了未定义的名称", "KeyError": "取不到的键", "IndexError": "下标越界",
    "ZeroDivisionError": "除数为零", "TypeError": "类型不符", "ValueError": "取值有误",
    "AttributeError": "没有这个属性", "OverflowError": "数值溢出", "MemoryError": "内存不足",
    "RecursionError": "嵌套过深", "InvalidOperation": "Decimal 运算无效",
}


def reason_of(cause: BaseException, line: int | None = None) -> str:
    """A Chinese account of why code failed (the Python error kept in brackets for the designer)."""
    if isinstance(cause, (SandboxViolation, ScriptError)):
        text = getattr(cause, "reason", None) or str(cause)
    else:
        name = type(cause).__name__
        text = f"{_REASONS.get(name, '执行出错')}（{name}: {cause}）"
    return f"第{line}行：{text}" if line else text


class StepFailed(ScriptError):
    """A step of a workflow failed: the element (id and title), why (Chinese), the SpiffWorkflow task,
    the phase it failed in ('run': the task's own work — script, gateway conditions, DMN;
    'prescript' / 'postscript'; 'update': while it was being reached — a timer's expression;
    'engine': too many automatic steps; 'due_at' / 'subject': computing a user task's projection),
    and, from an engine run, the workflow as the failure left it."""

    def __init__(self, element_id: str, title: str | None, reason: str, *, task_guid: str | None = None,
                 phase: str = "run", workflow=None):
        label = f"{element_id}（{title}）" if title and title != element_id else element_id
        super().__init__(label, reason)
        self.element_id, self.title, self.reason = element_id, title or element_id, reason
        self.task_guid, self.phase, self.workflow = task_guid, phase, workflow


def cause_of(exc: BaseException) -> BaseException:
    """The exception SpiffWorkflow wrapped (it raises its WorkflowTaskException while handling the
    original one): a StepFailed on the way, else the innermost."""
    seen = 0
    while isinstance(exc, SpiffWorkflowException) and seen < 20:
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc, seen = inner, seen + 1
        if isinstance(exc, StepFailed):
            break
    return exc


def _failure(task, cause: BaseException, phase: str, line: int | None = None) -> StepFailed:
    if isinstance(cause, StepFailed):
        return cause
    spec = task.task_spec if task is not None else None
    return StepFailed(spec.name if spec else "?", (spec.bpmn_name if spec else None) or "流程引擎",
                      reason_of(cause, line), task_guid=str(task.id) if task is not None else None, phase=phase)


class SandboxScriptEngine(PythonScriptEngine):
    """The sandboxed engine; every failure becomes a StepFailed naming the BPMN element."""

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
        except SpiffWorkflowException as exc:
            raise _failure(task, cause_of(exc), "run") from exc

    def execute(self, task, script, external_context=None):
        spec = task.task_spec if task is not None else None
        phase = ("prescript" if script == getattr(spec, "prescript", None) else
                 "postscript" if script == getattr(spec, "postscript", None) else "run")
        try:
            return super().execute(task, script, external_context)
        except SpiffWorkflowException as exc:
            raise _failure(task, cause_of(exc), phase,
                           getattr(exc, "line_number", None) if "\n" in script.strip() else None) from exc


def _task_in_traceback(exc: BaseException):
    """The innermost SpiffWorkflow task the failing code was working on (`my_task` by convention)."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("my_task") or tb.tb_frame.f_locals.get("task")
        if isinstance(candidate, Task):
            found = candidate
        tb = tb.tb_next
    return found


def failure_of(exc: BaseException, workflow) -> StepFailed:
    """Any exception out of an engine run as the StepFailed of the element it happened at, with the
    workflow; the phase is told from the task's state ('run' if SpiffWorkflow marked it ERROR)."""
    cause = cause_of(exc)
    if isinstance(cause, StepFailed):
        failure = cause
    else:
        task = getattr(exc, "task", None) or _task_in_traceback(exc)
        failure = _failure(task, cause, "run")
    if failure.phase == "run" and failure.task_guid:
        task = _find(workflow, failure.task_guid)
        if task is not None and task.state != TaskState.ERROR:
            failure.phase = "update"
    failure.workflow = workflow
    return failure


def _find(workflow, guid: str):
    from uuid import UUID
    try:
        return workflow.get_task_from_id(UUID(guid))
    except (KeyError, ValueError, TypeError):
        return None


class EngineRun:
    """Bounds one run of automatic steps (after a start, a completion, a timer, a retry) and turns
    whatever fails in it into a StepFailed carrying the workflow:

        with EngineRun(workflow) as run:
            workflow.do_engine_steps(will_complete_task=run.step)
    """

    def __init__(self, workflow):
        self.workflow = workflow
        environment = getattr(workflow.script_engine, "environment", None)
        self.environment = environment if isinstance(environment, SandboxEnvironment) else None
        self.steps = 0

    def __enter__(self):
        timeout = timeout_ms() / 1000
        self.deadline = _monotonic() + timeout * RUN_TIMEOUT_FACTOR
        if self.environment is not None:
            self.previous = self.environment.run_deadline, self.environment.run_timeout
            self.environment.run_deadline = min(self.deadline, self.previous[0] or self.deadline)
            self.environment.run_timeout = timeout
        return self

    def step(self, task) -> None:
        """Called before each automatic task runs: refuse the step past MAX_STEPS or the deadline."""
        self.steps += 1
        if self.steps > MAX_STEPS or _monotonic() > self.deadline:
            raise StepFailed(task.task_spec.name, task.task_spec.bpmn_name,
                             f"自动步骤超过上限（{MAX_STEPS} 步或 {RUN_TIMEOUT_FACTOR} 倍脚本时限），"
                             "流程中可能有不经人工任务的循环", task_guid=str(task.id), phase="engine")

    def __exit__(self, kind, exc, tb):
        if self.environment is not None:
            self.environment.run_deadline, self.environment.run_timeout = self.previous
        if isinstance(exc, Exception):
            raise failure_of(exc, self.workflow) from (None if isinstance(exc, StepFailed) else exc)
        return False

"""Input at the edge, checked before any service sees it: ids in URLs (`<int:…>` answers 404 beyond
the database's 64-bit range), query parameters (malformed → 422 with a Chinese message naming the
parameter; search strings capped), and JSON bodies (too large → 413, nested too deep, NUL
characters, lone surrogates, numbers beyond 64 bits, NaN/Infinity → 422, never a RecursionError or
a database error). `register(app)` installs the converter and the request class before the
blueprints are registered, `guard(app)` the check of paths, parameters and forms after them."""
from __future__ import annotations

import json
import math
from collections.abc import Iterable

from flask import Flask, request
from flask.wrappers import Request
from werkzeug.routing import IntegerConverter

from engine.errors import GovflowError, NotFound, ValidationFailed

DB_INT_MAX = 2 ** 63 - 1      # BIGINT / SQLite INTEGER
INT32_MAX = 2 ** 31 - 1       # INTEGER columns on PostgreSQL (process version numbers)
SEARCH_MAX = 100              # characters of a search string (q=), as the inbox always cut it
JSON_MAX_DEPTH = 64
JSON_MAX_BYTES = 4 * 1024 * 1024
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class PayloadTooLarge(GovflowError):
    status, code, title = 413, "payload_too_large", "请求内容过大"


def at_most(limit: int) -> str:
    """A regex of the decimal numbers 0 … `limit` (without leading zeros beyond the length of
    `limit`): the URL rule then simply does not match a larger id, whatever the method."""
    digits = str(limit)
    parts = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        if d != "0":
            rest = len(digits) - i - 1
            parts.append(digits[:i] + (f"[0-{int(d) - 1}]" if d != "1" else "0") + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>`: ASCII digits within 0 … 2^63−1; anything else does not match the rule (404, never a
    405 from a rule of another method whose converter refused the value)."""

    regex = at_most(DB_INT_MAX)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = DB_INT_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=DB_INT_MAX if max is None else max,
                         signed=False)


# --- query parameters -----------------------------------------------------------------------------

# What a page calls each query parameter, so a browser's error page names it in Chinese (the
# `errors` member of the problem keeps the parameter's own name for API clients).
PARAMETER_LABELS = {"page": "页码", "per_page": "每页条数", "q": "搜索关键字", "process": "流程", "status": "办理状态",
                    "sort": "排序方式", "tab": "页签", "overdue": "“只看已逾期”", "parent": "所属项目",
                    "parent_instance_id": "所属项目", "from": "起始版本", "to": "对比版本", "version": "版本",
                    "jurisdiction": "辖区", "unread": "“只看未读”", "all": "“显示全部”", "field": "字段"}


def _refuse(name: str, message: str, detail: str | None = None):
    label = PARAMETER_LABELS.get(name)
    if label is None:
        raise ValidationFailed(f"参数 {name} {detail or message}", errors={name: message})
    raise ValidationFailed(f"{label}{detail or message}", errors={name: message})


def int_arg(name: str, default: int, low: int = 1, high: int = 10_000, source=None) -> int:
    """An integer parameter (clamped to low…high); 422 when it is not an integer."""
    raw = (request.args if source is None else source).get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 30:
        _refuse(name, "应为整数")
    return max(low, min(high, int(text)))


def id_arg(name: str, source=None, label: str = "记录", maximum: int = DB_INT_MAX) -> int | None:
    """An id parameter: None when absent, 422 when malformed, 404 beyond `maximum` (the column's
    range: BIGINT ids, INT32_MAX for a version number)."""
    raw = (request.args if source is None else source).get(name)
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()):
        _refuse(name, "应为正整数编号")
    if len(text) > 19 or int(text) > maximum:
        raise NotFound(f"{label}不存在：{text[:30]}")
    return int(text)


def bool_arg(name: str, source=None) -> bool:
    raw = (request.args if source is None else source).get(name)
    if raw is None or raw.strip() == "":
        return False
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    _refuse(name, "应为 true 或 false（1 或 0）", "应为“是”或“否”")


def choice_arg(name: str, choices: Iterable[str], default: str | None = None, source=None) -> str | None:
    raw = (request.args if source is None else source).get(name)
    if raw is None or raw == "":
        return default
    allowed = list(choices)
    if raw not in allowed:
        _refuse(name, "取值应为 " + "、".join(allowed), "的取值无效，请从页面提供的选项中选择")
    return raw


def text_arg(name: str, max_length: int = SEARCH_MAX, source=None) -> str | None:
    """A free text parameter (a search string): stripped, cut to `max_length` characters."""
    raw = (request.args if source is None else source).get(name)
    text = " ".join((raw or "").split())[:max_length]
    return text or None


# --- bodies -----------------------------------------------------------------------------------------

def _bad(path: str, message: str):
    field = path or "_body"
    raise ValidationFailed(f"请求体有误：{field} {message}", errors={field: message})


def _check_scalar(value, path: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            _bad(path, "不能包含空字符（U+0000）")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _bad(path, "包含无效的 Unicode 字符（孤立代理项）")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > DB_INT_MAX:
            _bad(path, "数值超出范围（64 位整数）")
    elif isinstance(value, float) and not math.isfinite(value):
        _bad(path, "数值超出范围")


def check_json(value) -> None:
    """Walk a parsed body without recursion: depth, strings, numbers."""
    stack = [(value, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > JSON_MAX_DEPTH:
                _bad("", f"JSON 嵌套超过 {JSON_MAX_DEPTH} 层")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str):
                    _check_scalar(key, path)
                stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))
        else:
            _check_scalar(node, path)


def _no_constants(name: str):
    raise ValidationFailed(f"请求体有误：不支持 {name}", errors={"_body": f"不支持 {name}"})


def check_body(data: bytes) -> None:
    """Refuse a JSON body no service should see: over JSON_MAX_BYTES (413), nested deeper than
    JSON_MAX_DEPTH, NaN/Infinity, numbers beyond 64 bits, NUL characters or lone surrogates (422).
    Malformed JSON passes: werkzeug answers it (400, or None for a caller that asked for `silent`)."""
    if len(data) > JSON_MAX_BYTES:
        raise PayloadTooLarge(f"JSON 请求体超过 {JSON_MAX_BYTES // (1024 * 1024)} MB 上限")
    try:
        value = json.loads(data, parse_constant=_no_constants)
    except RecursionError:
        _bad("", f"JSON 嵌套超过 {JSON_MAX_DEPTH} 层")
    except ValueError:
        return
    check_json(value)


class GovflowRequest(Request):
    """Flask's request whose JSON body is checked (check_body) before it is parsed."""

    _body_checked = False

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if (force or self.is_json) and not self._body_checked:
            check_body(self.get_data(cache=True))
            self._body_checked = True
        return super().get_json(force=force, silent=silent, cache=cache)


def _guard() -> None:
    """NUL characters never reach a query: in the path → 404, in a parameter or form field → 422."""
    if "\x00" in request.path:
        raise NotFound("您访问的地址不存在。")
    sources = [request.args] + ([request.form] if request.method not in ("GET", "HEAD", "OPTIONS") else [])
    for source in sources:
        for key, values in source.lists():
            key = key if isinstance(key, str) else ""      # a multipart part without a name
            if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
                name = key.replace("\x00", "")[:40] or "_param"
                _refuse(name, "不能包含空字符（U+0000）")


def register(app: Flask) -> None:
    """Before the blueprints are registered: `<int:…>` takes IdConverter, bodies the checked JSON."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = GovflowRequest


def guard(app: Flask) -> None:
    """After every other hook is registered (the pages' error layout is chosen by one of them)."""
    app.before_request(_guard)

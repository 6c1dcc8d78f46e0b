"""The JSON Schema forms of a data folder's forms/ (common/, <jurisdiction>/): load a task's form and
validate answers against it, with one Chinese message per field. The engine reads forms/ as data
(like processes/ and bpmn_diagrams/); one `FormLibrary` belongs to each runtime (engine.runtime_env)."""
from __future__ import annotations

import hashlib
import json
import re
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path

from jsonschema import Draft202012Validator

from engine.errors import NotFound, ValidationFailed

_TYPE_NAMES = {"string": "文本", "number": "数字", "integer": "整数", "boolean": "是/否",
               "array": "列表", "object": "对象"}
_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)+$")
_CHECKED: set[bytes] = set()
# a field whose choices are records (engine/services/choices.py): the source's name, and its filter
CHOICES, CHOICES_FILTER = "x-choices", "x-choices-filter"
CHOICE_SOURCES = ("unit_projects",)   # digests of schema files that passed the metaschema, shared by every runtime


class FormLibrary:
    """The forms under `root`, parsed and checked once each."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[dict, dict, Draft202012Validator]] = {}

    def path(self, name: str) -> Path:
        return self.root / f"{name}.schema.json"

    def exists(self, name: str) -> bool:
        return bool(_NAME.match(name or "")) and self.path(name).is_file()

    def load(self, name: str) -> tuple[dict, dict]:
        """(schema, ui_schema) of a form named like `yeji/review`."""
        return self._get(name)[:2]

    def names(self, jurisdiction: str | None = None) -> list[str]:
        """Every form of a jurisdiction (and the common ones), as `folder/name`."""
        folders = ["common"] + ([jurisdiction] if jurisdiction else [])
        return sorted(f"{folder}/{p.name[:-len('.schema.json')]}" for folder in folders
                      for p in (self.root / folder).glob("*.schema.json"))

    def _get(self, name: str):
        with self._lock:
            if name in self._cache:
                return self._cache[name]
        if not self.exists(name):
            raise NotFound(f"表单不存在：{name}")
        raw = self.path(name).read_bytes()
        schema = json.loads(raw.decode("utf-8"))
        ui_path = self.root / f"{name}.uischema.json"
        ui_schema = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.is_file() else {}
        digest = hashlib.sha256(raw).digest()
        if digest not in _CHECKED:      # the metaschema check (~30 ms) once per content and process
            Draft202012Validator.check_schema(schema)
            _CHECKED.add(digest)
        entry = (schema, ui_schema, Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER))
        with self._lock:
            self._cache[name] = entry
        return entry

    def validate(self, name: str, data: object) -> dict:
        """Return the cleaned answers (defaults applied, money as Decimal) or raise ValidationFailed."""
        schema, _ui, validator = self._get(name)
        return validated(schema, validator, data)


def _field_of(error) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(path) or "_form"


def _property_schema(schema: dict, field: str) -> dict:
    node = schema
    for part in field.split("."):
        if part.isdigit():
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node


def _message(error, schema: dict, field: str) -> str:
    prop = _property_schema(schema, field)
    custom = (prop.get("x-messages") or {}).get(error.validator)
    if custom:
        return custom
    label = prop.get("title") or field
    v = error.validator_value
    messages = {
        "required": "请填写“{label}”",
        "type": "“{label}”应为{type_name}",
        "minimum": "“{label}”不得小于 {v}",
        "exclusiveMinimum": "“{label}”必须大于 {v}",
        "maximum": "“{label}”不得大于 {v}",
        "enum": "“{label}”请选择有效的选项",
        "const": "“{label}”取值不符合要求",
        "minItems": "“{label}”至少需要 {v} 项",
        "maxItems": "“{label}”最多 {v} 项",
        "minLength": "“{label}”至少 {v} 个字",
        "maxLength": "“{label}”不得超过 {v} 个字",
        "format": "“{label}”格式不正确",
        "pattern": "“{label}”格式不正确",
        "additionalProperties": "表单包含未定义的字段",
        "uniqueItems": "“{label}”中有重复项",
    }
    if error.validator == "minLength" and v == 1:
        return f"请填写“{label}”"
    type_name = _TYPE_NAMES.get(v, "正确的类型") if isinstance(v, str) else "正确的类型"
    template = messages.get(error.validator, "“{label}”填写不正确")
    return template.format(label=label, v=v, type_name=type_name)


def _coerce_money(schema: dict, data: dict) -> dict:
    """Fields marked `"x-unit": "万元"` become Decimal, so 400.01 > 400 holds exactly."""
    result = dict(data)
    for key, prop in schema.get("properties", {}).items():
        if prop.get("x-unit") == "万元" and isinstance(result.get(key), (int, float, str)) \
                and not isinstance(result.get(key), bool):
            try:
                result[key] = Decimal(str(result[key]))
            except InvalidOperation:
                pass
    return result


def validated(schema: dict, validator, data: object) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed("提交的数据应为对象（JSON object）", errors={"_form": "提交的数据应为对象"})
    # An empty field arrives as null: treat it as not given, so defaults and `required` apply.
    cleaned = {k: v for k, v in data.items() if v is not None and v != ""}
    for key, prop in schema.get("properties", {}).items():
        if key not in cleaned and "default" in prop:
            cleaned[key] = prop["default"]
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(cleaned), key=lambda e: list(e.absolute_path)):
        field = _field_of(error)
        errors.setdefault(field, _message(error, schema, field))
    if errors:
        raise ValidationFailed("表单有 %d 处需要修改" % len(errors), errors=errors)
    return _coerce_money(schema, cleaned)


def validate_against(schema: dict, data: object) -> dict:
    """Validate answers against a schema in hand (e.g. the one a task detail carries from its
    version's form snapshot)."""
    return validated(schema, Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER), data)


def fields_with_choices(schema: dict) -> dict[str, dict]:
    """{field: its schema} of the top-level fields taking their choices from records (`x-choices`)."""
    return {name: prop for name, prop in ((schema or {}).get("properties") or {}).items()
            if isinstance(prop, dict) and prop.get(CHOICES)}


def choice_problems(schema: dict) -> list[str]:
    """Chinese messages about the `x-choices` fields naming no known source, not numbers, or a bad filter."""
    found = []
    for name, prop in fields_with_choices(schema).items():
        if prop[CHOICES] not in CHOICE_SOURCES:
            found.append(f"字段 {name} 的 x-choices 来源 {prop[CHOICES]} 未知（可用：{'、'.join(CHOICE_SOURCES)}）")
        if prop.get("type") != "integer":
            found.append(f"字段 {name} 取自 x-choices（项目编号），类型应为 integer")
        where = prop.get(CHOICES_FILTER)
        if where is not None and not (isinstance(where, dict) and set(where) <= {"status", "outcome", "facts"}):
            found.append(f"字段 {name} 的 x-choices-filter 只能有 status、outcome、facts")
    return found

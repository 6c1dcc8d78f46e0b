"""Forms from JSON Schema: `build` turns a schema, the values to show and the server's messages into
fields a template draws; `parse` turns a submitted form back into typed data for the services
(and keeps what was typed, so nothing is lost when the server answers 422); `describe` shows
saved data read-only with the form's Chinese labels.

Names in the HTML are the data paths the validator reports errors for: `total_investment`,
`quotes.0.price`. An attachment field is a hidden input holding the attachment id plus a file
input named `<path>__file`."""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from web.ui.labels import cn_date, number

FILE_SUFFIX = "__file"
EMPTY_ROWS = 1


@dataclass
class Field:
    name: str
    label: str
    widget: str
    required: bool = False
    unit: str | None = None
    help: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    value: object = ""
    error: str | None = None
    attrs: dict = field(default_factory=dict)
    columns: list["Field"] = field(default_factory=list)
    rows: list[list["Field"]] = field(default_factory=list)
    attachment: dict | None = None
    limit: int | None = None      # the schema's maxLength (of each line, for a list of lines)

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def limit_text(self) -> str:
        """The Chinese hint beside a field with a length limit."""
        if not self.limit:
            return ""
        return f"每行最多 {self.limit} 字" if self.widget == "lines" else f"最多 {self.limit} 字"


def widget_of(prop: dict) -> str:
    hint = prop.get("x-widget")
    if hint in ("textarea", "attachment"):
        return hint
    kind = prop.get("type")
    if "enum" in prop:
        return "radio" if hint == "radio" or (hint != "select" and len(prop["enum"]) <= 4) else "select"
    if kind == "boolean":
        return "yesno" if hint == "radio" else "checkbox"
    if kind in ("integer", "number"):
        return kind
    if kind == "array":
        items = prop.get("items") or {}
        if "enum" in items:
            return "multichoice"  # a multiple choice: one Chinese checkbox per option
        return "rows" if items.get("type") == "object" else "lines"
    if prop.get("format") in ("date", "email"):
        return prop["format"]
    return "text"


def _options(prop: dict) -> list[tuple[str, str]]:
    if prop.get("type") == "boolean":
        return [("true", "是"), ("false", "否")]
    if prop.get("type") == "array" and "enum" in (prop.get("items") or {}):
        prop = {**prop["items"], "x-enumNames": prop.get("x-enumNames") or prop["items"].get("x-enumNames")}
    names = prop.get("x-enumNames") or []
    return [(str(v), names[i] if i < len(names) else str(v)) for i, v in enumerate(prop.get("enum", []))]


def _attrs(prop: dict, widget: str) -> dict:
    attrs = {}
    if widget in ("integer", "number"):
        attrs["inputmode"] = "numeric" if widget == "integer" else "decimal"
    if "maxLength" in prop and widget in ("text", "textarea", "email"):
        attrs["maxlength"] = prop["maxLength"]
    return attrs


def _limit(prop: dict, widget: str) -> int | None:
    """The length limit a person is told about: texts, and each line of a list of lines."""
    if widget in ("text", "textarea", "email"):
        return prop.get("maxLength")
    if widget == "lines":
        return (prop.get("items") or {}).get("maxLength")
    return None


def _display(value, widget: str):
    if widget in ("checkbox",):
        return bool(value)
    if widget == "yesno":
        return "" if value in (None, "") else ("true" if value in (True, "true") else "false")
    if widget == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if widget == "multichoice":
        return [str(v) for v in value] if isinstance(value, list) else []
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return value


def _field(name: str, prop: dict, required: bool, value, errors: dict, attachments: dict) -> Field:
    widget = widget_of(prop)
    f = Field(name=name, label=prop.get("title") or name, widget=widget, required=required,
              unit=prop.get("x-unit"), help=prop.get("description"), options=_options(prop),
              value=_display(value, widget), error=errors.get(name) or _item_error(name, widget, errors),
              attrs=_attrs(prop, widget), limit=_limit(prop, widget))
    if widget == "attachment" and value not in (None, ""):
        f.attachment = attachments.get(str(value)) or {"id": None, "filename": str(value)}
    if widget == "rows":
        _fill_rows(f, prop, value if isinstance(value, list) else [], errors, attachments)
    return f


def _item_error(name: str, widget: str, errors: dict) -> str | None:
    """A multiple choice shows the message about one of its items (`measures.0`) beside itself."""
    if widget != "multichoice":
        return None
    return next((message for key, message in errors.items() if key.startswith(name + ".")), None)


def _fill_rows(f: Field, prop: dict, rows: list, errors: dict, attachments: dict) -> None:
    items = prop.get("items") or {}
    required = set(items.get("required") or [])
    columns = items.get("properties") or {}
    wanted = max(len(rows), int(prop.get("minItems", 0)), EMPTY_ROWS)
    rows = list(rows) + [{} for _ in range(wanted - len(rows))]
    f.rows = [[_field(f"{f.name}.{i}.{key}", col, key in required, (row or {}).get(key), errors, attachments)
               for key, col in columns.items()] for i, row in enumerate(rows)]
    f.columns = [_field(f"{f.name}.__INDEX__.{key}", col, key in required, None, {}, {})
                 for key, col in columns.items()]
    f.attrs["data-min-rows"] = int(prop.get("minItems", 0))


def build(schema: dict, values: dict | None = None, errors: dict | None = None,
          attachments: dict | None = None) -> list[Field]:
    """The fields of `schema` showing `values` (defaults where absent) and `errors` beside them."""
    values, errors, attachments = values or {}, errors or {}, attachments or {}
    required = set(schema.get("required") or [])
    result = []
    for key, prop in (schema.get("properties") or {}).items():
        value = values[key] if key in values else prop.get("default")
        result.append(_field(key, prop, key in required, value, errors, attachments))
    return result


def group_checkboxes(fields: list[Field], label: str = "请勾选适用的情形", at_least: int = 3) -> list[Field]:
    """Runs of `at_least` yes/no boxes in a row become one group (项目属性), drawn as a grid."""
    result, run = [], []

    def flush():
        if len(run) >= at_least:
            result.append(Field(name=f"_group_{run[0].name}", label=label, widget="checkgroup", columns=list(run)))
        else:
            result.extend(run)
        run.clear()
    for f in fields:
        if f.widget == "checkbox":
            run.append(f)
            continue
        flush()
        result.append(f)
    flush()
    return result


def unplaced_errors(fields: list[Field], errors: dict) -> list[str]:
    """Messages no field shows (e.g. about the whole form), for the summary at the top."""
    placed = set()

    def walk(items):
        for f in items:
            placed.add(f.name)
            if f.widget == "multichoice":
                placed.update(key for key in errors if key.startswith(f.name + "."))
            walk(f.columns if f.widget == "checkgroup" else [])
            for row in f.rows:
                walk(row)
    walk(fields)
    return [message for key, message in errors.items() if key not in placed]


# --- reading a submitted form ------------------------------------------------------------------

def _number(raw: str, integer: bool):
    text = unicodedata.normalize("NFKC", raw).replace(",", "").replace(" ", "")
    try:
        if integer:
            return int(text)
        value = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return raw  # the validator answers "“总投资”应为数字" and the form shows what was typed
    return value if math.isfinite(value) else raw


def _typed(prop: dict, raw: str):
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return _number(raw, kind == "integer")
    if kind == "boolean":
        return raw == "true"
    return raw


def _read_value(prop: dict, name: str, form: MultiDict):
    """(typed value or None when left empty, raw value to show again)."""
    widget = widget_of(prop)
    if widget == "checkbox":
        checked = form.get(name) in ("true", "on", "1")
        return checked, checked
    if widget == "lines":
        lines = [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
        return (lines or None), form.get(name, "")
    if widget == "multichoice":  # nothing ticked is an answer too: none of them
        ticked = [v for v in form.getlist(name) if v]
        return ticked, ticked
    if widget == "rows":
        return _read_rows(prop, name, form)
    raw = form.get(name, "")
    # Browsers send a textarea's line breaks as CRLF but count each as one character against
    # maxlength: LF here, so the server counts what the browser allowed.
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(raw, str) else ""
    return (_typed(prop, raw) if raw != "" else None), raw


def _row_indices(name: str, form: MultiDict) -> list[int]:
    prefix = name + "."
    found = set()
    for key in form.keys():
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _read_rows(prop: dict, name: str, form: MultiDict):
    columns = (prop.get("items") or {}).get("properties") or {}
    data_rows, raw_rows = [], []
    for index in _row_indices(name, form):
        data_row, raw_row = {}, {}
        for key, col in columns.items():
            value, raw = _read_value(col, f"{name}.{index}.{key}", form)
            raw_row[key] = raw
            if value is not None and not (widget_of(col) == "checkbox" and value is False):
                data_row[key] = value
        if data_row:  # rows left entirely empty are dropped (the page offers spare rows)
            for key, col in columns.items():
                if widget_of(col) == "checkbox":
                    data_row.setdefault(key, False)
            data_rows.append(data_row)
            raw_rows.append(raw_row)
    return (data_rows if data_rows or prop.get("minItems") else None), raw_rows


def parse(schema: dict, form: MultiDict) -> tuple[dict, dict]:
    """(data for the service, values to show again) from a submitted form."""
    data, values = {}, {}
    for key, prop in (schema.get("properties") or {}).items():
        value, raw = _read_value(prop, key, form)
        values[key] = raw
        if value is not None:
            data[key] = value
    return data, values


def edit_rows(values: dict, form: MultiDict) -> bool:
    """Handle the no-JavaScript "添加一行" / "删除" buttons; True when one was pressed."""
    add, remove = form.get("_add_row"), form.get("_remove_row")
    if add and isinstance(values.get(add, []), list):
        values[add] = list(values.get(add) or []) + [{}]
        return True
    if remove and "." in remove:
        name, _, index = remove.rpartition(".")
        rows = list(values.get(name) or [])
        if index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
        values[name] = rows
        return True
    return False


def attachment_paths(schema: dict, path: str) -> bool:
    """Is `path` (`plan`, `quotes.0.file`) an attachment field of the schema?"""
    node = schema
    for part in path.split("."):
        node = node.get("items", {}) if part.isdigit() else (node.get("properties") or {}).get(part)
        if not isinstance(node, dict):
            return False
    return node.get("x-widget") == "attachment"


# --- read-only display -------------------------------------------------------------------------

def _text(prop: dict, value, attachments: dict) -> dict:
    widget = widget_of(prop)
    if widget == "attachment":
        found = attachments.get(str(value))
        return {"kind": "file", "file": found, "text": str(value)}
    if widget in ("checkbox", "yesno") or isinstance(value, bool):
        return {"kind": "flag", "value": bool(value), "text": "是" if value else "否"}
    if "enum" in prop:
        return {"kind": "text", "text": dict(_options(prop)).get(str(value), str(value))}
    if widget == "date":
        return {"kind": "text", "text": cn_date(value)}
    if isinstance(value, (int, float)):
        return {"kind": "text", "text": number(value) + (f" {prop['x-unit']}" if prop.get("x-unit") else "")}
    if widget == "rows" and isinstance(value, list):
        columns = (prop.get("items") or {}).get("properties") or {}
        return {"kind": "table", "head": [c.get("title") or k for k, c in columns.items()],
                "rows": [[_text(c, row.get(k), attachments) if row.get(k) is not None else {"kind": "text",
                          "text": ""} for k, c in columns.items()] for row in value if isinstance(row, dict)]}
    if widget == "multichoice" and isinstance(value, list):
        names = dict(_options(prop))
        return {"kind": "text", "text": "、".join(names.get(str(v), str(v)) for v in value) or "无"}
    if isinstance(value, list):
        return {"kind": "text", "text": "；".join(str(v) for v in value)}
    return {"kind": "long" if widget == "textarea" else "text", "text": str(value)}


def describe(schema: dict, data: dict | None, attachments: dict | None = None) -> list[dict]:
    """[{label, kind, text | file | head+rows}] of the saved `data`, in the form's order."""
    data, attachments = data or {}, attachments or {}
    props = (schema or {}).get("properties") or {}
    items = []
    for key, prop in props.items():
        if key in data and data[key] not in (None, ""):
            items.append({"label": prop.get("title") or key, **_text(prop, data[key], attachments)})
    for key, value in data.items():
        if key not in props and value not in (None, "", [], {}) and not isinstance(value, dict):
            items.append({"label": key, **_text({}, value, attachments)})
    return items

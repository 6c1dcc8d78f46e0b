"""The jurisdiction registry: everything particular to a city is looked up here by key, read from
`processes/<key>/jurisdiction.json`. Adding a sixth city is adding a folder and a diagram."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date

from engine.config import DIAGRAMS_DIR, PROCESSES_DIR
from engine.errors import NotFound

GENERIC_OUTCOMES = {
    "completed": "已完成", "rejected": "审查不通过", "out_of_scope": "不适用本办法",
    "not_registered": "不予登记", "not_in_plan": "未列入年度计划", "terminated": "已终止",
}


@dataclass(frozen=True)
class ProcessDef:
    key: str
    name: str
    file: str
    startable_by: tuple[str, ...] = ("applicant",)
    start_form: str | None = None
    # "required": started from a running project (变更, 整改 …); "ended": from a finished one too (停用);
    # "optional": on its own, or for a project, running or finished (九江 运维经费 for a built system)
    parent: str | None = None
    declaration: dict | None = None     # this process's own yearly rule (overrides the jurisdiction's)

    @property
    def path(self):
        return DIAGRAMS_DIR / self.file


@dataclass(frozen=True)
class Jurisdiction:
    key: str
    name: str
    document: str
    processes: dict[str, ProcessDef]
    units: dict[str, str | list[str]]
    citations: dict[str, str]
    outcomes: dict[str, str]
    declaration: dict = field(default_factory=dict)

    def outcome_label(self, code: str | None) -> str | None:
        if code is None:
            return None
        return self.outcomes.get(code) or GENERIC_OUTCOMES.get(code) or code

    def legal_basis(self, keys: str | None) -> list[dict]:
        result = []
        for key in [k.strip() for k in (keys or "").replace("，", ",").split(",") if k.strip()]:
            result.append({"article": key, "text": self.citations.get(key, ""),
                           "document": self.document})
        return result

    def declaration_rule(self, process_key: str | None = None) -> dict:
        """The yearly declaration rule of a process: its own, else the jurisdiction's."""
        pdef = self.processes.get(process_key or "")
        if pdef is not None and pdef.declaration is not None:
            return pdef.declaration
        return self.declaration

    def declaration_deadline(self, plan_year: int, process_key: str | None = None) -> date | None:
        """The last day to declare for `plan_year` (e.g. 宿迁/叶集: 9月30日 of the year before;
        九江: the closing day of the call for that year)."""
        return declaration_window(self.declaration_rule(process_key), plan_year)[1]

    def declaration_opens(self, plan_year: int, process_key: str | None = None) -> date | None:
        """The first day declarations for `plan_year` are accepted (None: any time before the deadline)."""
        return declaration_window(self.declaration_rule(process_key), plan_year)[0]


def _month_day(text: str, year: int) -> date:
    month, day = (int(p) for p in text.split("-"))
    return date(year, month, day)


def declaration_window(rule: dict, plan_year: int) -> tuple[date | None, date | None]:
    """(first day, last day) of the declaration for `plan_year` under a rule of jurisdiction.json:

    * ``{"deadline": "09-30"}`` — until that day of the year before, no opening day;
    * ``{"window": {"opens": "08-31", "closes": "09-30", "calls": {"2027": {"opens": "2026-08-20",
      "closes": "2026-09-20"}}}}`` — the yearly call: the dates configured for that plan year when
      the call is published, otherwise the default month-days of the year before.
    """
    if rule.get("deadline"):
        return None, _month_day(rule["deadline"], plan_year - 1)
    window = rule.get("window")
    if not window:
        return None, None
    call = (window.get("calls") or {}).get(str(plan_year))
    if call:
        return date.fromisoformat(call["opens"]), date.fromisoformat(call["closes"])
    opens = _month_day(window["opens"], plan_year - 1) if window.get("opens") else None
    return opens, _month_day(window["closes"], plan_year - 1)


def _load(folder) -> Jurisdiction:
    raw = json.loads((folder / "jurisdiction.json").read_text(encoding="utf-8"))
    processes = {key: ProcessDef(key=key, name=p["name"], file=p["file"],
                                 startable_by=tuple(p.get("startable_by", ["applicant"])),
                                 start_form=p.get("start_form"), declaration=p.get("declaration"),
                                 parent=p.get("parent"))
                 for key, p in raw["processes"].items()}
    return Jurisdiction(key=raw["key"], name=raw["name"], document=raw["document"], processes=processes,
                        units=raw.get("units", {}), citations=raw.get("citations", {}),
                        outcomes=raw.get("outcomes", {}), declaration=raw.get("declaration", {}))


_lock = threading.Lock()
_cache: dict[str, Jurisdiction] | None = None


def jurisdictions() -> dict[str, Jurisdiction]:
    global _cache
    with _lock:
        if _cache is None:
            found = {}
            for folder in sorted(PROCESSES_DIR.iterdir()):
                if (folder / "jurisdiction.json").is_file():
                    j = _load(folder)
                    found[j.key] = j
            _cache = found
        return _cache


def get(key: str) -> Jurisdiction:
    try:
        return jurisdictions()[key]
    except KeyError:
        raise NotFound(f"未知的辖区：{key}") from None


def jurisdiction_of(process_key: str) -> Jurisdiction:
    return get(process_key.split(".", 1)[0])


def process_def(process_key: str) -> ProcessDef:
    j = jurisdiction_of(process_key)
    try:
        return j.processes[process_key]
    except KeyError:
        raise NotFound(f"未知的流程：{process_key}") from None

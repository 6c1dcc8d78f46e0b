"""A dry run of a deployed procedure: one project's path through the real diagram, computed in memory
and stored nowhere. A fresh SpiffWorkflow workflow is started on the parsed version with the project
facts and driven by the same facade (engine.workflow), sandboxed script engine and script helpers as a
real project; every ready user task is completed with a "happy path" answer built from its form
(approve where a decision is asked, required fields filled with plausible values, the facts where a
form asks for one again), and when only timers remain the earliest one fires at its deadline — the
virtual clock moves there, so the time between the start and the end is the least the regulation
allows when nobody takes a day. No database, no Flask: engine.services.compare feeds it the deployed
versions."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jsonschema import Draft202012Validator

from engine import clock
from engine import workflow as wfx
from engine.errors import GovflowError, ValidationFailed
from engine.sandbox import StepFailed

STEP_BUDGET = 400           # user tasks and timers; a run that takes more is reported as not terminating
HAPPY_CHOICES = ("approve", "approved", "pass", "passed", "agree", "yes", "qualified", "accept", "accepted",
                 "consistent", "compliant", "normal", "complete", "completed", "none")
DEFAULT_UNIT = "比对试算申报单位"
# A box a reviewer ticks: the passing answer is "yes" when it attests compliance (材料齐全, 符合要求, 已落实,
# 具备条件 …) and "no" when it records a failing (存在…情形, 不合格, 被淘汰 …) or a neutral circumstance.
_ATTESTS = re.compile(r"^已|已按|已附|已在|已实现|已纳入|已核查|已执行|已落实|已征求|齐全|符合|具备|达到|一致|"
                      r"完整|满足|同意|采用安全可靠|基于全市统一政务云|依托政务|未超出|不变|安排项目预算|整体招标|"
                      r"全程参加|无明显")
_FLAGS = re.compile(r"^（[一二三四五六七八九十]+）|不合格|不符合|存在|淘汰|需整改|原因导致|确需|例外|终止|暂停|"
                    r"申请分散|涉及新建|一家供应商|合并编制|同时申报|不得|违规|逾期|迟缓")
_DUE_UNITS = {"wd": "个工作日", "d": "日", "m": "个月"}


@dataclass
class Walk:
    """What a dry run saw: the steps in order, the groups of tasks ready at once, the clocks that made it
    wait, where it ended and why it stopped."""

    steps: list[dict] = field(default_factory=list)
    parallel: list[list[str]] = field(default_factory=list)
    clocks: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ended_at: datetime | None = None
    workdays: int | None = None      # working days from the start to the end
    end: dict | None = None          # {element, title, outcome}
    finished: bool = False
    stopped: str | None = None       # why the run stopped before the end (budget, a step failed, waiting)
    recurring: str | None = None     # the clock that came round again, where the run stopped (年度运维)
    fired: set = field(default_factory=set)


@dataclass(frozen=True)
class Procedure:
    """One deployed procedure to run: its parsed version, forms, helpers, calendar and role labels."""

    key: str
    version: wfx.LoadedVersion
    forms: object                    # FormLibrary or FormSnapshot (exists/load/validate)
    helpers: dict
    calendar: object                 # engine.workcalendar.BusinessCalendar
    role_label: object               # role key → Chinese label


# --- happy-path answers from a form's JSON Schema ------------------------------------------------

def _choice(values: list):
    for wanted in HAPPY_CHOICES:
        if wanted in values:
            return wanted
    return values[0]


def _text(prop: dict, title: str) -> str:
    if prop.get("x-widget") == "attachment":
        value = "dryrun"
    elif prop.get("format") == "date" or "日期" in title or prop.get("x-widget") == "date":
        return clock.now().astimezone(clock.SHANGHAI).date().isoformat()
    elif prop.get("format") == "date-time":
        return clock.now().isoformat()
    elif prop.get("format") == "email":
        return "dryrun@example.gov.cn"
    else:
        value = f"比对试算：{title}" if title else "比对试算"
    pattern = prop.get("pattern")
    if pattern and not re.search(pattern, value):
        value = _pattern_sample(pattern) or value
    low, high = prop.get("minLength", 0), prop.get("maxLength")
    value = value.ljust(low, "。")
    return value[:high] if high else value


def _pattern_sample(pattern: str) -> str | None:
    for sample in ("2026", "1", "A1", "SQ-2026-001", "13800000000", "dryrun"):
        if re.search(pattern, sample):
            return sample
    return None


def _number(prop: dict, name: str, facts: dict):
    value = prop.get("minimum", prop.get("exclusiveMinimum", 0))
    if "exclusiveMinimum" in prop and "minimum" not in prop:
        value += 1
    if value <= 0 and prop.get("type") != "integer":
        value = facts.get("total_investment", 1) if "invest" in name or "amount" in name or "budget" in name else 1
    elif value <= 0:
        value = 1
    if prop.get("maximum") is not None:
        value = min(value, prop["maximum"])
    return int(value) if prop.get("type") == "integer" else value


def _attests(title: str) -> bool:
    return bool(_ATTESTS.search(title)) and not _FLAGS.search(title)


def _fits(prop: dict, value) -> bool:
    """A fact may answer a field that asks for the same thing: a value of its type (and of its enum)."""
    if "enum" in prop and value not in prop["enum"]:
        return False
    kinds = {"string": str, "boolean": bool, "number": (int, float), "integer": int, "array": list, "object": dict}
    kind = prop.get("type")
    return not isinstance(kind, str) or kind not in kinds or isinstance(value, kinds[kind])


def happy_value(name: str, prop: dict, facts: dict):  # noqa: C901 - one branch per JSON Schema type
    """A plausible answer to one field: the fact of that name, the schema's const/default, the approving
    choice of an enum, otherwise a value of the field's type within its limits."""
    if name in facts and facts[name] is not None and _fits(prop, facts[name]):
        return facts[name]
    if "const" in prop:
        return prop["const"]
    if prop.get("type") == "boolean" and _attests(prop.get("title", "")):
        return True
    if "default" in prop:
        return prop["default"]
    kind = prop.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if "enum" in prop:
        return _choice([v for v in prop["enum"] if v is not None])
    if kind == "boolean":
        return False
    if kind in ("number", "integer"):
        return _number(prop, name, facts)
    if kind == "array":
        items = prop.get("items") or {}
        if items.get("enum"):
            return [_choice(items["enum"])][: max(1, prop.get("minItems", 1))]
        return [_numbered(happy_value(name, items, {}), i + 1) for i in range(prop.get("minItems", 0))]
    if kind == "object":
        return happy_answers(prop, facts)
    return _text(prop, prop.get("title", ""))


def _numbered(value, number: int):
    """The n-th of several made-up entries (厂商报价 three times): unique, as a list may require."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return f"{value[:-1]}{number}" if number > 1 else value
    if isinstance(value, dict):
        return {k: _numbered(v, number) for k, v in value.items()}
    return value + number - 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def happy_answers(schema: dict, facts: dict) -> dict:
    """Required fields, a `decision` and the boxes a reviewer ticks, answered the way a project passes;
    then what the schema's conditions (`if`/`then`, also inside `allOf`) ask of those answers: fields
    they make required, values they fix (`const`)."""
    props = schema.get("properties") or {}
    wanted = list(schema.get("required") or [])
    wanted += [name for name, prop in props.items() if name not in wanted
               and (name == "decision" or prop.get("type") == "boolean" or "default" in prop)]
    answers = {name: happy_value(name, props.get(name) or {}, facts) for name in wanted}
    for rule in [schema, *(schema.get("allOf") or [])]:
        condition, then = rule.get("if"), rule.get("then")
        if not (condition and then) or not Draft202012Validator(condition).is_valid(answers):
            continue
        for name, prop in (then.get("properties") or {}).items():
            if "const" in prop:
                answers[name] = prop["const"]
        for name in then.get("required") or []:
            if name not in answers:
                answers[name] = happy_value(name, {**(props.get(name) or {}), **((then.get("properties") or {})
                                                                               .get(name) or {})}, facts)
    return answers


# --- the walk ------------------------------------------------------------------------------------

def time_limit(info: wfx.ElementInfo) -> str | None:
    """The statutory time a step is given, in Chinese (`dueIn` 10wd → 10个工作日; `dueAt` a date rule)."""
    text = (info.properties.get("dueIn") or "").strip()
    found = re.fullmatch(r"(\d+)\s*(wd|d|m)", text)
    if found:
        return f"{found.group(1)}{_DUE_UNITS[found.group(2)]}"
    return "按规定日期" if info.properties.get("dueAt") else None


def _step(proc: Procedure, task, kind: str) -> dict:
    info = proc.version.element(task.task_spec.name)
    role = info.role if info else None
    return {"element": task.task_spec.name, "title": (info.title if info else task.task_spec.bpmn_name) or "",
            "role": role, "role_label": proc.role_label(role) if role else "", "kind": kind,
            "time_limit": time_limit(info) if info and kind == "user_task" else None}


def _answers(proc: Procedure, task, facts: dict, walk: Walk) -> dict:
    info = proc.version.element(task.task_spec.name)
    form = info.properties.get("form") if info else None
    if not form or not proc.forms.exists(form):
        return {}
    schema, _ui = proc.forms.load(form)
    answers = happy_answers(schema, facts)
    try:
        return proc.forms.validate(form, answers)
    except ValidationFailed as exc:
        fields = "、".join(f"{k}（{v}）" for k, v in (exc.errors or {}).items())
        walk.notes.append(f"“{info.title}”的表单未能按常规填写：{fields or exc.detail}")
        return answers


def _decides(proc: Procedure, task) -> bool:
    """An approval: a task whose form asks for a decision (通过 / 退回修改 / 不通过)."""
    info = proc.version.element(task.task_spec.name)
    form = info.properties.get("form") if info else None
    if not form or not proc.forms.exists(form):
        return False
    return "decision" in (proc.forms.load(form)[0].get("properties") or {})


def _clock(proc: Procedure, timer: dict, since: datetime, fires: datetime) -> dict:
    start, end = (v.astimezone(clock.SHANGHAI).date() for v in (since, fires))
    return {"element": timer["element_id"], "title": timer["title"], "from": since, "to": fires,
            "days": (end - start).days, "workdays": proc.calendar.workdays_between(start, end)}


def _record_end(proc: Procedure, workflow, walk: Walk) -> None:
    ends = wfx.reached_end_events(workflow)
    if ends:
        info = proc.version.element(ends[-1].task_spec.name)
        reason = ends[-1].data.get("outcome_reason")
        walk.end = {"element": ends[-1].task_spec.name, "title": info.title if info else "",
                    "outcome": (info.properties.get("outcome") if info else None) or "completed",
                    "reason": reason if isinstance(reason, str) and reason else None}


def _step_on(proc: Procedure, workflow, facts: dict, walk: Walk, seen: set, done: set,
             now: datetime) -> tuple[bool, datetime]:
    """One move: complete a ready task, or fire the earliest timer. (moved, the virtual time after it)."""
    ready = wfx.ready_user_tasks(workflow)
    timers = sorted(wfx.pending_timers(workflow), key=lambda t: t["fires_at"])
    if ready and timers and all(t.task_spec.name in done for t in ready):
        ready = []      # a task come round again while a clock runs (试运行期间反馈问题): let the clock end it
    if ready:
        fresh = [t for t in ready if t.id not in seen]
        if len(fresh) > 1:
            walk.parallel.append([_step(proc, t, "user_task")["role_label"] or t.task_spec.bpmn_name for t in fresh])
        seen.update(t.id for t in fresh)
        task = ready[0]
        step = _step(proc, task, "user_task")
        step["decides"] = _decides(proc, task)
        done.add(task.task_spec.name)
        walk.steps.append(step)
        with clock.frozen_at(now):
            wfx.complete(workflow, task, _answers(proc, task, facts, walk))
        return True, now
    if not timers:
        return False, now
    timer = timers[0]
    if timer["element_id"] in walk.fired:
        # a clock that comes round again (年度运维周期): the steady state after the project is built
        walk.recurring = timer["title"]
        return False, now
    walk.fired.add(timer["element_id"])
    deadline = max(timer["fires_at"], now)
    walk.clocks.append(_clock(proc, timer, now, deadline))
    fires = deadline + timedelta(seconds=1)     # a deadline passes once it lies behind now
    walk.steps.append({"element": timer["element_id"], "title": timer["title"], "role": None, "role_label": "",
                       "kind": "timer", "time_limit": None})
    with clock.frozen_at(fires):
        wfx.fire_timers(workflow)
    return True, fires


def walk(proc: Procedure, start_data: dict, start: datetime, budget: int = STEP_BUDGET) -> Walk:
    """Run the procedure from `start_data` at the instant `start` to its end (or the step budget)."""
    result, now, seen, done = Walk(), start, set(), set()
    try:
        with clock.frozen_at(start):
            workflow = wfx.start(proc.version, start_data, proc.helpers)
        for _ in range(budget):
            if workflow.is_completed():
                break
            moved, now = _step_on(proc, workflow, start_data, result, seen, done, now)
            if not moved:
                if result.recurring:
                    result.notes.append(f"“{result.recurring}”按周期重复（项目建成后的常态），试算到第一个周期为止")
                else:
                    result.stopped = "流程在等待外部事件（消息或其他流程的结果），试算到此为止"
                break
        else:
            if not workflow.is_completed():
                result.stopped = f"超过 {budget} 步仍未结束（可能存在循环），试算中止"
        result.finished = workflow.is_completed()
        if result.finished:
            _record_end(proc, workflow, result)
    except StepFailed as failure:
        result.stopped = f"流程步骤“{failure.title or failure.element}”执行失败：{failure.reason}"
    except GovflowError as exc:
        result.stopped = f"试算中止：{exc.detail}"
    result.ended_at = now
    result.workdays = proc.calendar.workdays_between(*(v.astimezone(clock.SHANGHAI).date() for v in (start, now)))
    return result


def elapsed_days(start: datetime, end: datetime) -> int:
    """Calendar days from the start to the end, in Shanghai dates."""
    a, b = (v.astimezone(clock.SHANGHAI).date() for v in (start, end))
    return (b - a).days


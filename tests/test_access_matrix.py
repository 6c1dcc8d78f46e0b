"""The persona × route access-control matrix. Personas of two cities (叶集: two applicant units, every
bureau role, a manager, a designer and an admin; 淮安: an applicant, two bureaus, a manager and a
designer) and an anonymous caller are driven through every route of `app.url_map` — every API call
and every page, every method but HEAD/OPTIONS — on each other's objects (projects, ready and done
tasks, attachments, a side process, versions and files, faults and timers, calendars, tokens, users)
and on guessed ids (the next id, 0, 2³¹−1, a bogus kind or key).

ROUTES gives, as data, who may use each route on which object; a route without an entry fails
`test_every_route_and_method_has_an_access_expectation`. Each answer is judged: a persona refused is
answered 403 or 404 (problem+json with a Chinese title on the API, a Chinese page in the browser;
the anonymous caller 401, or a redirect to the sign-in page), never a 2xx or a redirect to content,
never a 5xx; no answer shows a marker (project name, file name or content, version note, calendar,
someone else's notice, a token) of an object the persona may not see; every 403/404 to a signed-in
persona leaves a `refused` audit row; and the personas allowed get their answer (200 on a GET), so
the matrix cannot pass by refusing everyone. Unsafe calls of allowed personas carry a body that is
refused as invalid (422) or meet a finished object (409), so the world stays as built — which the
test checks at the end."""
from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import func, select

from engine.models import Attachment as AttachmentRow
from engine.models import AuditEvent, CalendarYear, HumanTask, Incident, ProcessInstance, ProcessVersion, Timer, User
from engine.services import notices, users
from tests.access_matrix_support import BIG, UNIT_ROLES, Persona, World, build_world
from tests.web.helpers import PDF, form_token
from web.exports import TABLES

ALLOW, DENY, NO, ANY = "allow", "deny", "no", "any"   # NO: 403/404/409/422 — nothing done, not necessarily refused
# who may start each side process: 第二十条 the applicant; 第二十六条 each supervising department it names
SIDE_STARTERS = {"yeji.change_request": {"applicant"},
                 "yeji.rectification": {"data_bureau", "ndrc", "finance", "audit", "crypto", "cac",
                                        "procurement_office"}}
BAD_NOTICE = "这不是一份节假日安排通知"
FULLY_ENUMERATED = {None, "instance", "task", "attachment", "document"}     # every persona tries every one of these
TOKEN_OWNERS = ("alice", "bob", "dora", "mona", "ada", "amy", "hmona")  # whose second token the others try


@dataclass(frozen=True)
class Process:
    key: str
    city: str


@dataclass(frozen=True)
class Target:
    values: dict
    obj: object = None
    guess: bool = False


@dataclass(frozen=True)
class Probe:
    """One way of calling a route: `rule(world, persona, object)` → ALLOW/DENY/NO/ANY for a real object
    (a guessed one is DENY for everyone); `query`/`body` build the request (`allowed` tells whether
    the rule lets the persona through)."""

    method: str
    rule: Callable
    target: str | None = None
    query: Callable | None = None
    body: Callable | None = None
    public: bool = False            # the anonymous caller may use it too
    anonymous_only: bool = False    # only the anonymous caller sends it (a failed sign-in: throttling)
    throwaway: bool = False         # sent with a fresh token/session of the persona (the call ends it)
    last: bool = False              # allowed calls sent after every other (they end others' credentials)
    shows_projects: bool = False    # designers see the project names of their city here (migration)
    skip_open: bool = False         # allowed personas do not retry an open fault (it would run the engine)
    check: Callable | None = None   # (world, persona, response) → a problem or None, on allowed answers


# --- who may: the expectations, written from the regulations' roles (not from engine/policy.py) ----

def _city(p: Persona, city: str, then: str) -> str:
    """Objects of another city: refused — except for an admin, who may see every city (policy) but whom
    the services still scope to its own city for projects and tasks."""
    if p.city != city:
        return ANY if p.admin else DENY
    return then


def acts(p: Persona, task) -> bool:
    return p.city == task.city and task.role in p.roles and (task.role not in UNIT_ROLES or p.unit == task.unit)


def may_view(p: Persona, inst) -> bool:
    if p.admin or p.province:      # a province-wide viewer reads every city's projects
        return True
    involved = any(acts(p, t) or t.completed_by == p.name for t in inst.tasks)
    return p.city == inst.city and (p.manager or p.unit == inst.unit or p.name == inst.started_by or involved)


def signed_in(w: World, p: Persona, obj) -> str:
    return ALLOW


def staff(w: World, p: Persona, obj) -> str:
    return ALLOW if p.manager or p.admin else DENY


def portfolio(w: World, p: Persona, obj) -> str:
    """The dashboard and the project search: managers (their city), admins and province-wide viewers."""
    return ALLOW if p.manager or p.admin or p.province else DENY


def portfolio_of(w: World, p: Persona, city: str) -> str:
    """…of a named city: its managers, admins and province-wide viewers."""
    return ALLOW if p.admin or p.province or (p.manager and p.city == city) else DENY


def admin(w: World, p: Persona, obj) -> str:
    return ALLOW if p.admin else DENY


def designs_somewhere(w: World, p: Persona, obj) -> str:
    return ALLOW if p.designer or p.admin else DENY


def applicant(w: World, p: Persona, obj) -> str:
    return ALLOW if "applicant" in p.roles else DENY


def applicant_or_nothing(w: World, p: Persona, obj) -> str:
    return ALLOW if "applicant" in p.roles else NO


def view_instance(w: World, p: Persona, inst) -> str:
    if p.province:
        return ALLOW
    return _city(p, inst.city, ALLOW if may_view(p, inst) else DENY)


def view_task(w: World, p: Persona, task) -> str:
    seen = acts(p, task) or task.completed_by == p.name or p.manager or p.admin
    return _city(p, task.city, ALLOW if seen else DENY)


def act_task(w: World, p: Persona, task) -> str:
    """Completing or uploading: its role holders pass the access check (422 for the empty answer,
    409 on a done task); those who may only see it get 403 or 409; everyone else 403/404."""
    if acts(p, task):
        return ALLOW
    return NO if view_task(w, p, task) == ALLOW else view_task(w, p, task)


def release_task(w: World, p: Persona, task) -> str:
    """退签 / 转办: its role holders, and the managers of its city (who may release or reassign a claim)."""
    if acts(p, task) or p.manager or p.admin:
        return _city(p, task.city, ALLOW)
    return NO if view_task(w, p, task) == ALLOW else view_task(w, p, task)


def view_attachment(w: World, p: Persona, att) -> str:
    return view_instance(w, p, w.instances[att.instance])


def comment_instance(w: World, p: Persona, inst) -> str:
    """Comments: whoever may view the project, except a province-wide viewer, who only reads."""
    return DENY if p.province and not p.admin else view_instance(w, p, inst)


def view_document(w: World, p: Persona, doc) -> str:
    return view_instance(w, p, w.instances[doc.instance])


def manage(w: World, p: Persona, obj) -> str:
    return _city(p, obj.city, ALLOW if p.manager or p.admin else DENY)


def design(w: World, p: Persona, obj) -> str:
    return ALLOW if p.admin or (p.designer and p.city == obj.city) else DENY


def start_main(w: World, p: Persona, proc: Process) -> str:
    return ALLOW if p.city == proc.city and "applicant" in p.roles else DENY


def start_side(process: str) -> Callable:
    def rule(w: World, p: Persona, parent) -> str:
        roles = SIDE_STARTERS[process] & p.roles
        if p.city != w.processes[process] or parent.city != p.city or not roles:
            return DENY
        return DENY if roles <= UNIT_ROLES and p.unit != parent.unit else ALLOW
    return rule


def side_page(w: World, p: Persona, parent) -> str:
    """/projects/new?parent=: those who see the project and may start a side process of their city."""
    seen = view_instance(w, p, parent)
    if seen != ALLOW:
        return seen
    return ALLOW if p.city == "yeji" and p.roles & set().union(*SIDE_STARTERS.values()) else DENY


def create_side_page(process: str) -> Callable:
    def rule(w: World, p: Persona, parent) -> str:
        seen = view_instance(w, p, parent)
        if seen != ALLOW:
            return seen
        return ALLOW if start_side(process)(w, p, parent) == ALLOW else NO
    return rule


def own_token(w: World, p: Persona, owner: str) -> str:
    return ALLOW if owner == p.name else DENY


def own_notice(w: World, p: Persona, owner: str) -> str:
    return ALLOW if p.name == owner else DENY


def local_calendar(w: World, p: Persona, city: str) -> str:
    return ALLOW if p.admin or (p.manager and p.city == city) else DENY


def design_city(w: World, p: Persona, city: str) -> str:
    return ALLOW if p.admin or (p.designer and p.city == city) else DENY


# --- how to call: bodies that an allowed persona gets refused as invalid --------------------------

def other_city(p: Persona | None) -> str:
    return "huaian" if p is None or p.city == "yeji" else "yeji"


def _json(payload) -> Callable:
    return lambda w, p, t, allowed: {"json": payload}


def _form(payload) -> Callable:
    return lambda w, p, t, allowed: {"data": dict(payload)}


def _upload(w: World, p, t: Target, allowed: bool) -> dict:
    """A real file for those refused (the attack); none for the allowed (422, nothing stored)."""
    if allowed:
        return {"data": {}, "content_type": "multipart/form-data"}
    return {"data": {"file": (io.BytesIO(PDF), "矩阵攻击.pdf")}, "content_type": "multipart/form-data"}


def _side_start(process: str) -> Callable:
    return lambda w, p, t, allowed: {"json": {"process": process, "data": {},
                                              "parent_instance_id": t.values["instance_id"]}}


def _side_form(process: str) -> Callable:
    return lambda w, p, t, allowed: {"data": {"process": process, "parent_instance_id": t.values["instance_id"]}}


def _migration(w: World, p, t: Target, allowed: bool) -> dict:
    key = t.values["key"]
    newest = max((v.version for v in w.versions if v.key == key), default=1)
    return {"json": {"process": key, "from_version": 1, "to_version": newest, "dry_run": True,
                     "instance_ids": sorted(w.instances)}}


def _foreign_notices(w: World, p, t: Target, allowed: bool) -> dict:
    return {"json": {"ids": [i for owner, (i, _) in w.notifications.items() if p is None or owner != p.name]}}


def _nothing_marked(w: World, p, response) -> str | None:
    updated = (response.get_json(silent=True) or {}).get("updated")
    return None if updated == 0 else f"marked {updated} notices of others read"


BROKEN_FILES = {"files": {"broken.bpmn": "<bpmn:definitions"}}
P = Probe
ROUTES: dict[str, list[Probe]] = {
    # the API: accounts
    "api.token": [P("POST", signed_in, public=True, anonymous_only=True,
                    body=_json({"username": "nobody", "password": "wrong"}))],
    "api.revoke_token": [P("DELETE", signed_in, throwaway=True)],
    "api.list_tokens": [P("GET", signed_in)],
    "api.revoke_token_by_id": [P("DELETE", own_token, "token")],
    "admin.revoke_user_tokens": [P("DELETE", admin, "username", last=True)],
    # the API: projects and tasks
    "api.processes": [P("GET", signed_in)],
    "api.diagram": [P("GET", signed_in, "process")],      # process diagrams: public to signed-in users
    "api.start_instance": [
        P("POST", start_main, "main", body=lambda w, p, t, a: {"json": {"process": t.values["key"], "data": {}}}),
        *[P("POST", start_side(key), "instance", body=_side_start(key)) for key in SIDE_STARTERS]],
    "api.list_instances": [P("GET", signed_in)],
    "api.get_instance": [P("GET", view_instance, "instance")],
    "api.get_document": [P("GET", view_document, "document")],
    "api.terminate_instance": [P("POST", manage, "instance", body=_json({"reason": ""}))],
    "api.suspend_instance": [P("POST", manage, "instance", body=_json({"reason": ""}))],
    "api.resume_instance": [P("POST", manage, "instance", body=_json({"reason": ""}))],
    "api.inbox": [P("GET", signed_in)],
    "api.completed_tasks": [P("GET", signed_in)],
    "api.get_task": [P("GET", view_task, "task")],
    "api.complete_task": [P("POST", act_task, "task", body=_json({"data": {}}))],
    "api.upload_attachment": [P("POST", act_task, "task", body=_upload)],
    # 签收 / 委托 / 暂存 / comments (web/claims_api.py): 退签 first, so the allowed 签收 below leave tasks claimed
    "claims_api.unclaim": [P("POST", release_task, "task")],
    "claims_api.assign": [P("POST", release_task, "task", body=_json({"username": ""}))],
    "claims_api.delegate": [P("POST", act_task, "task", body=_json({"username": ""}))],
    "claims_api.recall": [P("POST", act_task, "task")],
    "claims_api.save_draft": [P("PUT", act_task, "task", body=_json({"data": "不是对象"}))],
    "claims_api.submit": [P("POST", act_task, "task", body=_json({"data": {}}))],
    "claims_api.confirm": [P("POST", act_task, "task", body=_json({}))],
    "claims_api.task_comments": [P("GET", view_task, "task"), P("POST", view_task, "task", body=_json({"text": ""}))],
    "claims_api.instance_comments": [P("GET", view_instance, "instance"),
                                     P("POST", comment_instance, "instance", body=_json({"text": ""}))],
    "claims_api.claim": [P("POST", act_task, "task")],
    # the API: administration
    "admin.calendar_years": [P("GET", staff), P("GET", staff, query=lambda w, p, t: {"jurisdiction": other_city(p)})],
    "admin.import_calendar_year": [P("POST", local_calendar, "city", body=lambda w, p, t, a: {
        "json": {"text": BAD_NOTICE, "jurisdiction": t.values["city"]}})],
    "admin.timer_incidents": [P("GET", staff, query=lambda w, p, t: {"all": "1"})],
    "admin.retry_timer": [P("POST", manage, "timer", skip_open=True)],
    "admin.incident_list": [P("GET", staff)],
    "admin.override_list": [P("GET", staff)],
    "admin.retry_incident": [P("POST", manage, "fault", skip_open=True)],
    "admin.schedule_list": [P("GET", staff)],
    "admin.notification_list": [P("GET", signed_in)],
    "admin.notifications_read": [P("POST", signed_in, body=_foreign_notices, check=_nothing_marked)],
    "notices.urge": [P("POST", manage, "task", body=_json({"message": ""}))],
    "notices.preferences": [P("GET", signed_in)],
    "notices.set_preferences": [P("PUT", signed_in, body=_json({"preferences": []}))],
    "openapi.openapi_json": [P("GET", signed_in, public=True)],
    # the API: the managers' portfolio (dashboard, its tables, the project search)
    "manage_api.dashboard": [P("GET", portfolio), P("GET", portfolio_of, "city",
                                                    query=lambda w, p, t: {"jurisdiction": t.values["city"]})],
    "manage_api.dashboard_table": [
        P("GET", portfolio, "table", query=lambda w, p, t: {"format": "csv"}),
        P("GET", portfolio, "table", query=lambda w, p, t: {"format": "xlsx"})],
    "manage_api.instances": [
        P("GET", portfolio), P("GET", portfolio_of, "city", query=lambda w, p, t: {"jurisdiction": t.values["city"]}),
        P("GET", portfolio, query=lambda w, p, t: {"format": "csv"}),
        P("GET", portfolio, query=lambda w, p, t: {"format": "xlsx"})],
    # the API: the portfolio on the diagram, the cities compared
    "overlay_api.statistics": [P("GET", manage, "process")],
    "overlay_api.waiting": [P("GET", manage, "process")],
    "overlay_api.compare_cities": [P("POST", staff, body=_json({"facts": []}))],
    # the API: designers
    "design_api.versions": [P("GET", design, "process")],
    "design_api.deploy": [P("POST", design, "process", body=_json({**BROKEN_FILES, "note": "矩阵"}))],
    "design_api.validate": [P("POST", design, "process", body=_json(BROKEN_FILES))],
    "design_api.files": [P("GET", design, "version")],
    "design_api.file": [P("GET", design, "file")],
    "design_api.diff": [P("GET", design, "version", query=lambda w, p, t: {"from": t.values["version"], "to": 1})],
    "design_api.migrations": [P("POST", design, "process", body=_migration, shows_projects=True)],
    # the pages
    "auth.login": [P("GET", signed_in, public=True),
                   P("POST", signed_in, public=True, anonymous_only=True,
                     body=_form({"username": "nobody", "password": "wrong"}))],
    "auth.logout": [P("POST", signed_in, public=True, throwaway=True)],
    "inbox.index": [P("GET", signed_in), P("GET", signed_in, query=lambda w, p, t: {"tab": "done"})],
    "projects.index": [P("GET", signed_in)],
    "projects.show": [P("GET", view_instance, "instance")],
    "orders.suspend": [P("POST", manage, "instance", body=_form({"reason": ""}))],
    "orders.resume": [P("POST", manage, "instance", body=_form({"reason": ""}))],
    "projects.new": [P("GET", applicant),
                     P("GET", side_page, "instance", query=lambda w, p, t: {"parent": t.values["instance_id"]})],
    "projects.create": [
        P("POST", applicant_or_nothing, body=lambda w, p, t, a: {"data": {"process": p.city if p else "yeji"}}),
        *[P("POST", create_side_page(key), "instance", body=_side_form(key)) for key in SIDE_STARTERS]],
    "tasks.show": [P("GET", view_task, "task")],
    "tasks.submit": [P("POST", act_task, "task", body=_form({}))],
    "claims.act": [P("POST", view_task, "task", body=_form({"action": "不存在的操作"}))],
    "claims.task_comment": [P("POST", view_task, "task", body=_form({"text": ""}))],
    "claims.project_comment": [P("POST", comment_instance, "instance", body=_form({"text": ""}))],
    "attachments.download": [P("GET", view_attachment, "attachment")],
    "documents.download": [P("GET", view_document, "document")],
    "manage.index": [P("GET", portfolio), P("GET", portfolio_of, "city",
                                            query=lambda w, p, t: {"jurisdiction": t.values["city"]})],
    "manage.running": [P("GET", staff)],
    "portfolio.search": [P("GET", portfolio), P("GET", portfolio_of, "city",
                                               query=lambda w, p, t: {"jurisdiction": t.values["city"]})],
    "manage.overrides": [P("GET", staff)],
    "overlay.diagram": [P("GET", manage, "process")],
    "overlay.waiting": [P("GET", manage, "process")],
    "overlay.compare_page": [P("GET", staff)],
    "admin_pages.calendar": [P("GET", staff)],
    "admin_pages.calendar_import": [P("POST", staff, body=_form({"text": BAD_NOTICE, "scope": "local"})),
                                    P("POST", admin, body=_form({"text": BAD_NOTICE, "scope": "national"}))],
    "admin_pages.incidents": [P("GET", staff)],
    "admin_pages.retry": [P("POST", manage, "timer", skip_open=True)],
    "admin_pages.retry_incident": [P("POST", manage, "fault", skip_open=True)],
    "notice_pages.notice_list": [P("GET", signed_in), P("GET", signed_in, query=lambda w, p, t: {"unread": "1"})],
    "notice_pages.read_all": [P("POST", signed_in)],
    "notice_pages.read_one": [P("POST", own_notice, "notice")],
    "notice_pages.settings": [P("GET", signed_in)],
    "notice_pages.save_settings": [P("POST", signed_in, body=_form({f"{k}.{c}": "on" for k in notices.KINDS
                                                                    for c in ("in_app", "email")}))],
    "notice_pages.urge": [P("POST", manage, "task", body=_form({"message": ""}))],
    "design.library": [P("GET", designs_somewhere),
                       P("GET", design_city, "city", query=lambda w, p, t: {"jurisdiction": t.values["city"]})],
    "design.modeler": [P("GET", design, "process")],
    "design.context": [P("GET", design, "process")],
    "design.diff": [P("GET", design, "process")],
    "design.migrate": [P("GET", design, "process"),
                       P("POST", design, "process", body=_form({"action": "preview"}), shows_projects=True)],
    "design.validate": [P("POST", design, "process", body=_json(BROKEN_FILES))],
    "design.deploy": [P("POST", design, "process", body=_json({**BROKEN_FILES, "note": ""}))],
    "design.download_zip": [P("GET", design, "version")],
    "design.download": [P("GET", design, "file")],
    # files anyone may fetch
    "ui.static": [P("GET", signed_in, "asset", public=True)],
    "static": [P("GET", signed_in, "static", public=True)],
    "vendor.bpmn_js": [P("GET", signed_in, "vendor", public=True)],
}


# --- the objects a route is called on --------------------------------------------------------------

def _guesses(name: str, ids) -> list[Target]:
    """The next id, 0 and 2³¹−1: ids of nothing."""
    return [Target({name: value}, guess=True) for value in (max(ids, default=0) + 1, 0, BIG)]


def _faults(w: World, kinds: tuple[str, ...]) -> list:
    return [f for f in w.faults if f.kind in kinds]


def targets(w: World) -> dict[str | None, list[Target]]:
    processes = [Process(k, c) for k, c in w.processes.items()]
    steps = [f.id for f in _faults(w, ("step",))]
    return {
        None: [Target({})],
        "instance": [Target({"instance_id": i.id}, i) for i in w.instances.values()]
        + _guesses("instance_id", w.instances),
        "task": [Target({"task_id": t.id}, t) for t in w.tasks.values()] + _guesses("task_id", w.tasks),
        "attachment": [Target({"attachment_id": a.id}, a) for a in w.attachments.values()]
        + _guesses("attachment_id", w.attachments),
        "document": [Target({"document_id": d.id}, d) for d in w.documents.values()]
        + _guesses("document_id", w.documents),
        "timer": [Target({"timer_id": f.id}, f) for f in _faults(w, ("timer",))]
        + _guesses("timer_id", [f.id for f in _faults(w, ("timer",))]),
        "fault": [Target({"kind": f.kind, "incident_id": f.id}, f) for f in w.faults]
        + [Target({"kind": "step", "incident_id": max(steps) + 1}, guess=True),
           Target({"kind": "timer", "incident_id": 0}, guess=True),
           Target({"kind": "step", "incident_id": BIG}, guess=True),
           Target({"kind": "fault", "incident_id": steps[0]}, guess=True)],
        "process": [Target({"key": p.key}, p) for p in processes] + [Target({"key": "yeji.nosuch"}, guess=True)],
        "main": [Target({"key": p.key}, p) for p in processes if "." not in p.key]
        + [Target({"key": "nosuch"}, guess=True)],
        "version": [Target({"key": v.key, "version": v.version}, v) for v in w.versions]
        + [Target({"key": "yeji", "version": max(v.version for v in w.versions) + 1}, guess=True),
           Target({"key": "huaian", "version": 0}, guess=True),
           Target({"key": "yeji.rectification", "version": BIG}, guess=True)],
        "file": [Target({"key": f.key, "version": f.version, "name": f.name}, f) for f in w.files]
        + [Target({"key": "yeji", "version": 1, "name": "nosuch.bpmn"}, guess=True),
           Target({"key": "huaian", "version": 2, "name": "huaian.bpmn"}, guess=True)],
        "token": [Target({"token_id": w.spare_tokens[owner]}, owner) for owner in TOKEN_OWNERS]
        + [Target({"token_id": "0" * 16}, guess=True), Target({"token_id": "not-a-token"}, guess=True)],
        "username": [Target({"username": name}, name) for name in w.personas]
        + [Target({"username": "nobody"}, guess=True)],
        "city": [Target({"city": c}, c) for c in ("yeji", "huaian")] + [Target({"city": "nowhere"}, guess=True)],
        "notice": [Target({"notice_id": i}, owner) for owner, (i, _) in w.notifications.items()]
        + _guesses("notice_id", [i for i, _ in w.notifications.values()]),
        "table": [Target({"name": name}, name) for name in TABLES] + [Target({"name": "nosuch"}, guess=True)],
        "asset": [Target({"filename": "css/app.css"})],
        "static": [Target({"filename": "matrix.css"})],
        "vendor": [Target({"filename": "assets/diagram-js.css"})],
    }


# --- planning, sending, judging --------------------------------------------------------------------

@dataclass
class Call:
    persona: str | None
    endpoint: str
    probe: Probe
    target: Target
    expect: str
    url: str

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")


def expectation(w: World, probe: Probe, persona: str | None, target: Target) -> str:
    if persona is None:
        return ALLOW if probe.public else DENY
    if target.guess:
        return DENY
    return probe.rule(w, w.personas[persona], target.obj)


def _skipped(probe: Probe, persona: str | None, target: Target, expect: str) -> bool:
    if probe.anonymous_only and persona is not None:
        return True
    return probe.skip_open and expect != DENY and getattr(target.obj, "open", False)


def _city_of(w: World, obj) -> str:
    if hasattr(obj, "city"):
        return obj.city
    return w.personas[obj].city if obj in w.personas else obj


def tried(w: World, probe: Probe, persona: str | None, candidates: list[Target]) -> list[tuple[Target, str]]:
    """(target, expectation) of each object the persona is tried on: every project, task and attachment
    and every guessed id of them; of the other objects (faults, timers, versions, tokens, users …)
    all of them too when the route lets the persona through on some, and when it refuses them every
    one (a role the persona lacks: a manager's or designer's route) one object of each city and one
    guessed id. The anonymous caller: one."""
    judged = [(t, expectation(w, probe, persona, t)) for t in candidates]
    if persona is None:
        return judged[:1]
    if probe.target in FULLY_ENUMERATED or any(e != DENY for t, e in judged if not t.guess):
        return judged
    cities, sample = set(), []
    for target, expect in judged:
        city = None if target.guess else _city_of(w, target.obj)
        if city not in cities:
            cities.add(city)
            sample.append((target, expect))
    return sample


def plan(app, w: World) -> list[Call]:
    adapter = app.url_map.bind("localhost")
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    every, calls = targets(w), []
    for endpoint, probe in ((e, p) for e, probes in ROUTES.items() for p in probes):
        for persona in [*w.personas, None]:
            for target, expect in tried(w, probe, persona, every[probe.target]):
                if _skipped(probe, persona, target, expect):
                    continue
                values = {k: v for k, v in target.values.items() if k in rules[endpoint].arguments}
                query = probe.query(w, w.personas.get(persona), target) if probe.query else {}
                url = adapter.build(endpoint, {**values, **query}, method=probe.method)
                calls.append(Call(persona, endpoint, probe, target, expect, url))
    # refusals first (they must change nothing); calls that end credentials last, the caller's own last of all
    return sorted(calls, key=lambda c: (c.expect == ALLOW, c.probe.last and c.expect == ALLOW,
                                        c.target.obj == c.persona))


class Callers:
    """The API client (bearer tokens) and one signed-in browser per persona (a live server session)."""

    def __init__(self, app, ctx, w: World):
        self.app, self.ctx, self.world = app, ctx, w
        self.api = app.test_client()
        self.pages = {name: self.browser(name) for name in w.personas}
        anonymous = app.test_client()
        self.pages[None] = (anonymous, form_token(anonymous.get("/login").get_data(as_text=True)))

    def browser(self, name: str):
        client = self.app.test_client()
        with self.ctx.db.transaction() as session:
            secret = users.start_session(session, self.world.ids[name], self.ctx.settings.token_hours)
        csrf = f"matrix-{name}-csrf"
        with client.session_transaction() as cookie:
            cookie.update(user_id=self.world.ids[name], sid=secret, csrf=csrf)
        return client, csrf

    def token(self, name: str) -> str:
        with self.ctx.db.transaction() as session:
            user = session.get(User, self.world.ids[name])
            return users.issue_token(session, user, self.ctx.settings.token_hours)[0]

    def send(self, call: Call):
        kwargs = call.probe.body(self.world, self.world.personas.get(call.persona), call.target,
                                 call.expect == ALLOW) if call.probe.body else {}
        headers = {}
        if call.api:
            client = self.api
            if call.persona is not None:
                token = self.token(call.persona) if call.probe.throwaway else self.world.tokens[call.persona]
                headers["Authorization"] = f"Bearer {token}"
        else:
            client, csrf = self.browser(call.persona) if call.probe.throwaway and call.persona else \
                self.pages[call.persona]
            headers["X-CSRF-Token"] = csrf
        return client.open(call.url, method=call.probe.method, headers=headers, **kwargs)


def _chinese(text) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _shape(call: Call, response) -> str | None:
    """A refusal as the contract draws it: problem+json with a Chinese title, or a Chinese page."""
    if call.api:
        body = response.get_json(silent=True) or {}
        if response.mimetype != "application/problem+json" or not _chinese(body.get("title")):
            return f"refusal is not problem+json with a Chinese title ({response.mimetype})"
        return None
    if response.mimetype != "text/html" or not _chinese(response.get_data(as_text=True)):
        return f"refusal is not a Chinese page ({response.mimetype})"
    return None


def _to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and urlsplit(response.headers.get("Location", "")).path == "/login"


def _anonymous(call: Call, response) -> str | None:
    if call.probe.public:
        return None
    if call.api:
        return None if response.status_code == 401 else "anonymous caller not answered 401"
    return None if _to_sign_in(response) else "anonymous caller not sent to the sign-in page"


def _answer(call: Call, response) -> str | None:
    status = response.status_code
    if call.persona is None:
        return _anonymous(call, response)
    if call.expect == DENY:
        return None if status in (403, 404) else "not refused (403/404 expected)"
    if call.expect == NO:
        return None if status in (403, 404, 409, 422) else "done (403/404/409/422 expected)"
    if call.expect == ANY or call.probe.public:
        return None
    if call.probe.method == "GET":
        return None if 200 <= status < 300 or (300 <= status < 400 and not _to_sign_in(response)) else \
            "allowed persona not served"
    return None if status not in (401, 403, 404) else "allowed persona refused"


def visible(w: World, p: Persona | None, marker, shows_projects: bool) -> bool:
    if p is None or marker.kind == "secret":
        return False
    if marker.kind == "notification":
        return marker.subject == p.name
    if p.admin:
        return True
    if marker.kind == "project":
        same = [i for i in w.instances.values() if i.name == marker.subject]
        return any(may_view(p, i) for i in same) or (shows_projects and p.designer and p.city == same[0].city)
    if marker.kind == "attachment":
        return may_view(p, w.instances[marker.subject])
    if marker.kind == "note":
        return p.designer and p.city == marker.subject
    return p.manager and p.city == marker.subject      # a city's local calendar


def judge(w: World, markers: list, call: Call, response) -> list[str]:
    problems, status, body = [], response.status_code, response.get_data()
    if status >= 500 and not (call.probe.public and status == 503):
        problems.append("server error")
    p = w.personas.get(call.persona)
    problems += [f"shows {m.kind} {m.text!r}" for m in markers
                 if m.text.encode() in body and not visible(w, p, m, call.probe.shows_projects)]
    if status in (401, 403, 404) and not call.probe.public:
        problems.append(_shape(call, response))
    problems.append(_answer(call, response))
    if call.probe.check and call.expect == ALLOW and call.persona is not None:
        problems.append(call.probe.check(w, p, response))
    return [x for x in problems if x]


@dataclass
class Report:
    requests: int = 0
    refused: int = 0
    allowed_served: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    refusals: Counter = field(default_factory=Counter)     # (user id, method, path) of 403/404 answers
    elsewhere: Counter = field(default_factory=Counter)    # statuses of the admin's calls on another city

    def record(self, w: World, call: Call, response, problems: list[str]) -> None:
        self.requests += 1
        status = response.status_code
        if status in (401, 403, 404) or (call.persona is None and _to_sign_in(response)):
            self.refused += 1
        if status in (403, 404) and call.persona is not None:
            self.refusals[(w.ids[call.persona], call.probe.method, urlsplit(call.url).path)] += 1
        if call.expect == ALLOW and call.persona is not None and status < 400:
            self.allowed_served[call.persona] += 1
        if call.expect == ANY:
            self.elsewhere[status] += 1
        self.failures += [f"{call.persona or 'anonymous'} {call.probe.method} {call.url} → {status}: {x}"
                          for x in problems]


def run_matrix(app, ctx, w: World) -> Report:
    callers, markers, report = Callers(app, ctx, w), w.markers(), Report()
    for call in plan(app, w):
        response = callers.send(call)
        report.record(w, call, response, judge(w, markers, call, response))
        response.close()
    return report


# --- the audit and the world afterwards ------------------------------------------------------------

def last_audit_id(ctx) -> int:
    with ctx.db.transaction() as session:
        return session.scalar(select(func.max(AuditEvent.id))) or 0


def audited_refusals(ctx, after: int) -> Counter:
    with ctx.db.transaction() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.event == "refused", AuditEvent.id > after))
        return Counter((r.actor_id, r.data["method"], r.data["path"]) for r in rows)


def audit_failures(w: World, report: Report, audited: Counter) -> list[str]:
    def name(key):
        return f"{w.persona_of(key[0])} {key[1]} {key[2]}"
    missing = report.refusals - audited
    extra = audited - report.refusals
    return [f"refusal not audited: {name(k)} (×{n})" for k, n in missing.items()] + \
        [f"audited as refused but not answered 403/404: {name(k)} (×{n})" for k, n in extra.items()]


def snapshot(ctx) -> dict:
    """What no call of the matrix may change (tokens and sessions aside: the last calls end them)."""
    queries = {"tasks": select(HumanTask.id, HumanTask.state, HumanTask.completed_by_id),
               "instances": select(ProcessInstance.id, ProcessInstance.status),
               "attachments": select(AttachmentRow.id, AttachmentRow.instance_id),
               "incidents": select(Incident.id, Incident.state), "timers": select(Timer.id, Timer.state),
               "versions": select(ProcessVersion.id), "calendars": select(CalendarYear.id, CalendarYear.source)}
    with ctx.db.transaction() as session:
        return {name: sorted(tuple(row) for row in session.execute(stmt)) for name, stmt in queries.items()}


# --- the tests -------------------------------------------------------------------------------------

def test_every_route_and_method_has_an_access_expectation(app):
    """A route added later without an entry in ROUTES fails here (and an entry whose route is gone)."""
    served = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    expected = {(endpoint, probe.method) for endpoint, probes in ROUTES.items() for probe in probes}
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    missing = [f"route {method} {rules[endpoint]} ({endpoint}) has no access expectation"
               for endpoint, method in sorted(served - expected)]
    stale = [f"ROUTES has {method} {endpoint}, which the app does not serve" for endpoint, method in
             sorted(expected - served)]
    assert not missing + stale, "\n".join(missing + stale)
    assert len(served) >= 60


def test_personas_of_two_cities_are_refused_on_each_others_objects_and_every_refusal_is_audited(app, ctx):
    began = time.monotonic()
    world = build_world(ctx)
    built = time.monotonic() - began
    before, audit_from = snapshot(ctx), last_audit_id(ctx)
    report = run_matrix(app, ctx, world)
    failures = report.failures + audit_failures(world, report, audited_refusals(ctx, audit_from))
    changed = [name for name, rows in snapshot(ctx).items() if rows != before[name]]
    failures += [f"the matrix changed {name}" for name in changed]
    quiet = [name for name in world.personas if not report.allowed_served[name]]
    failures += [f"{name} was never served anything it may see" for name in quiet]
    routes = sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules())
    print(f"\naccess matrix: {routes} routes × methods, {len(world.personas)} personas + anonymous, "
          f"{report.requests} requests, {report.refused} refused ({sum(report.refusals.values())} audited 403/404), "
          f"{sum(report.allowed_served.values())} allowed answers; the admin on the other city's objects: "
          f"{dict(sorted(report.elsewhere.items()))}; world {built:.1f} s, "
          f"total {time.monotonic() - began:.1f} s")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:300])

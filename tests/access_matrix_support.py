"""The world the access matrix (tests/test_access_matrix.py) attacks: personas of two cities (叶集 and
淮安) and the objects each owns — projects in both cities, their ready and completed tasks, attachments
uploaded to tasks, a side process, deployed versions, local calendars, incidents and timers,
notifications and API tokens — built once through the real services. No tests here.

Every object carries a marker (a project name, a file name, a file's content, a version note …)
that must never appear in an answer to a persona who may not see the object."""
from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from engine import clock
from engine.config import ROOT
from engine.models import Attachment as AttachmentRow
from engine.models import CalendarYear, HumanTask, Incident, Notification, ProcessInstance, ProcessVersion, Timer, User
from engine.models import Document as DocumentRow
from engine.services import attachments, designer, runtime, users
from engine.services.timers import tick
from tests.conftest import at
from tests.support import PASSWORD_HASH, YEJI_PEOPLE, Personas
from tests.test_huaian_support import ANSWERS as HUAIAN_ANSWERS
from tests.test_huaian_support import FACTS as HUAIAN_FACTS
from tests.web.helpers import PDF
from tests.yeji_walk import DECLARE, FACTS, OK

UNIT_ROLES = frozenset({"applicant"})       # the unit-scoped roles of both cities (jurisdiction.json)
YEJI = {**YEJI_PEOPLE, "audi": ("区审计局", ["audit"])}   # every bureau role of 叶集
HUAIAN = {  # the other city: an applicant, two bureaus (one with the same role key as 叶集's dora), staff
    "amy": ("市政务服务管理办公室", ["applicant"]),
    "gina": ("市数据集团", ["data_group"]),
    "hdan": ("市数据局", ["data_bureau"]),
    "hmona": ("市数据局", ["manager"]),
    "hdesi": ("市数据局", ["designer"]),
    "pvic": ("省数字政府建设领导小组办公室", ["province_viewer"]),   # every city's portfolio, read only
}
NAMES = {"A": "矩阵甲·区教育局智慧课堂", "B": "矩阵乙·区卫健委健康档案", "H": "矩阵丙·淮安热线分析"}
BIG = 2 ** 31 - 1


@dataclass(frozen=True)
class Persona:
    name: str
    city: str
    unit: str
    roles: frozenset

    @property
    def manager(self) -> bool:
        return "manager" in self.roles

    @property
    def designer(self) -> bool:
        return "designer" in self.roles

    @property
    def admin(self) -> bool:
        return "admin" in self.roles

    @property
    def province(self) -> bool:
        return "province_viewer" in self.roles


@dataclass
class Task:
    id: int
    instance: int
    city: str
    element: str
    role: str
    unit: str
    state: str
    completed_by: str | None


@dataclass
class Instance:
    id: int
    city: str
    unit: str
    started_by: str
    name: str
    process: str
    tasks: list[Task] = field(default_factory=list)


@dataclass(frozen=True)
class Attachment:
    id: int
    instance: int
    filename: str
    content: str


@dataclass(frozen=True)
class OfficialDocument:
    id: int
    instance: int


@dataclass(frozen=True)
class Fault:
    """A failed step (kind `step`) or a timer (kind `timer`); `open` ones a retry would run."""

    kind: str
    id: int
    instance: int
    city: str
    open: bool


@dataclass(frozen=True)
class Version:
    key: str
    version: int
    city: str


@dataclass(frozen=True)
class File:
    key: str
    version: int
    name: str
    city: str


@dataclass(frozen=True)
class Marker:
    """Text that may appear only in answers to personas `visible(persona, shows_projects)` accepts."""

    text: str
    kind: str
    subject: object


@dataclass
class World:
    personas: dict[str, Persona]
    ids: dict[str, int]
    instances: dict[int, Instance] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    attachments: dict[int, Attachment] = field(default_factory=dict)
    documents: dict[int, OfficialDocument] = field(default_factory=dict)   # 受理通知书 … (services/documents.py)
    faults: list[Fault] = field(default_factory=list)
    processes: dict[str, str] = field(default_factory=dict)        # key: city
    versions: list[Version] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)            # version note: city
    notifications: dict[str, tuple[int, str]] = field(default_factory=dict)   # owner: (id, title)
    calendars: dict[str, str] = field(default_factory=dict)        # city: source of its local year
    tokens: dict[str, str] = field(default_factory=dict)           # persona: bearer token
    spare_tokens: dict[str, str] = field(default_factory=dict)     # persona: public id of a second token
    secrets: list[str] = field(default_factory=list)               # token values nobody may be shown

    def persona_of(self, user_id: int | None) -> str | None:
        return next((n for n, i in self.ids.items() if i == user_id), None)

    def markers(self) -> list[Marker]:
        found = [Marker(inst.name, "project", inst.name) for inst in self.instances.values()]
        for att in self.attachments.values():
            found += [Marker(att.filename, "attachment", att.instance), Marker(att.content, "attachment", att.instance)]
        found += [Marker(note, "note", city) for note, city in self.notes.items()]
        found += [Marker(title, "notification", owner) for owner, (_, title) in self.notifications.items()]
        found += [Marker(source, "calendar", city) for city, source in self.calendars.items()]
        found += [Marker(value, "secret", None) for value in self.secrets]
        return list({m.text: m for m in found}.values())


# --- building it ------------------------------------------------------------------------------------

def _pdf(marker: str) -> io.BytesIO:
    return io.BytesIO(PDF.replace(b"%%EOF", f"%{marker}\n%%EOF".encode()))


def _upload(ctx, world: World, who: str, task_id: int, field_name: str, tag: str) -> int:
    info = attachments.store(ctx, world.ids[who], task_id, field_name, f"{tag}-{field_name}.pdf",
                             _pdf(f"MATRIX-CONTENT-{tag}-{field_name}"))
    return info["id"]


def _ready_task(people: Personas, who: str, iid: int, element: str) -> int:
    return people.task(who, iid, element)["id"]


def _yeji_projects(ctx, world: World, yeji: Personas) -> tuple[int, int]:
    """A: 区教育局's project, declared (two documents), in review, one review done; B: 区卫健委's,
    waiting for its declaration with one document uploaded."""
    a = yeji.start("alice", "yeji", {**FACTS, "project_name": NAMES["A"]}, now=at("2026-08-01 10:00"))
    declare = _ready_task(yeji, "alice", a, "Declare")
    documents = {key: str(_upload(ctx, world, "alice", declare, key, "甲"))
                 for key in ("construction_plan", "feasibility_study")}
    runtime.complete_task(ctx, world.ids["alice"], declare, {**DECLARE, **documents}, now=at("2026-08-03 10:00"))
    b = yeji.start("bob", "yeji", {**FACTS, "project_name": NAMES["B"]}, now=at("2026-08-02 10:00"))
    _upload(ctx, world, "bob", _ready_task(yeji, "bob", b, "Declare"), "construction_plan", "乙")
    tick(ctx, at("2026-10-01 08:00"))
    yeji.do("dora", a, "ReviewDataBureau", OK, now=at("2026-10-20 10:00"))
    return a, b


def _side_process(ctx, world: World, yeji: Personas, parent: int) -> int:
    """限期整改 ordered by the data bureau on A; 区教育局 has uploaded its evidence."""
    rid = runtime.start_instance(ctx, world.ids["dora"], "yeji.rectification",
                                 {"issue": "未按要求开展等保测评", "deadline_days": 30},
                                 now=at("2026-11-20 10:00"), parent_instance_id=parent)
    _upload(ctx, world, "alice", _ready_task(yeji, "alice", rid, "Rectify"), "evidence", "整改")
    return rid


def _huaian_project(ctx, world: World, huaian: Personas) -> int:
    """H: 淮安 市政务办's project, its planning done, the data group's top-level design waiting with a file."""
    h = huaian.start("amy", "huaian", {**HUAIAN_FACTS, "project_name": NAMES["H"]}, now=at("2026-11-01 10:00"))
    huaian.do("amy", h, "Planning", HUAIAN_ANSWERS["Planning"][1], now=at("2026-11-02 10:00"))
    _upload(ctx, world, "gina", _ready_task(huaian, "gina", h, "TopLevelDesign"), "design_document", "丙")
    return h


def _second_yeji_version(ctx, world: World) -> None:
    text = (ROOT / "bpmn_diagrams" / "yeji" / "yeji.bpmn").read_text(encoding="utf-8")
    note = "矩阵·叶集第二版变更说明"
    designer.deploy_version(ctx, world.ids["desi"], "yeji",
                            {"yeji.bpmn": text.replace("</bpmn:definitions>", "<!-- v2 --></bpmn:definitions>")},
                            note=note)
    world.notes[note] = "yeji"


def _faults_calendars_notices(ctx, world: World, by_city: dict[str, int]) -> None:
    """Rows no procedure makes on demand: an open and a resolved failed step, a failed and a fired
    timer per city; a local calendar year per city; a notice per persona."""
    now = clock.now()
    with ctx.db.transaction() as session:
        for city, iid in by_city.items():
            for state in ("open", "resolved"):
                session.add(Incident(instance_id=iid, jurisdiction=city, element_id="MatrixStep", title="矩阵步骤",
                                     phase="run", error="元素 MatrixStep：矩阵故障", state=state))
            for state in ("failed", "fired"):
                session.add(Timer(instance_id=iid, task_guid=str(uuid.uuid4()), element_id="MatrixTimer",
                                  title="矩阵定时器", run_at=now, state=state, attempts=5, last_error="矩阵故障"))
            source = f"矩阵·{city}地方节假日安排"
            session.add(CalendarYear(jurisdiction=city, year=2031, holidays=["2031-01-02"], workdays=[],
                                     source=source, loaded_at=now, loaded_by="matrix"))
            world.calendars[city] = source
        for name, user_id in world.ids.items():
            row = Notification(user_id=user_id, kind="matrix", title=f"矩阵通知·{name}·{secrets.token_hex(4)}")
            session.add(row)
            session.flush()
            world.notifications[name] = (row.id, row.title)


def _tokens(ctx, world: World) -> None:
    with ctx.db.transaction() as session:
        for name, user_id in world.ids.items():
            user = session.get(User, user_id)
            world.tokens[name], _ = users.issue_token(session, user, ctx.settings.token_hours)
            spare, _ = users.issue_token(session, user, ctx.settings.token_hours)
            world.spare_tokens[name] = users.token_id(users.secret_hash(spare))
            world.secrets += [world.tokens[name], spare]


def _read_back(ctx, world: World, started: dict[int, str]) -> None:
    """Tasks, instances, faults, versions and files as the database holds them."""
    with ctx.db.transaction() as session:
        names = {u.id: u.username for u in session.scalars(select(User))}
        for inst in session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)):
            world.instances[inst.id] = Instance(inst.id, inst.jurisdiction, inst.applicant_unit.name,
                                                started[inst.id], inst.project_name, inst.process_key)
        for row in session.scalars(select(HumanTask).order_by(HumanTask.id)):
            task = Task(row.id, row.instance_id, row.jurisdiction, row.element_id, row.role_key,
                        world.instances[row.instance_id].unit, row.state, names.get(row.completed_by_id))
            world.tasks[row.id] = task
            world.instances[row.instance_id].tasks.append(task)
        for row in session.scalars(select(Incident)):
            world.faults.append(Fault("step", row.id, row.instance_id, row.jurisdiction, row.state == "open"))
        for row in session.scalars(select(Timer)):
            world.faults.append(Fault("timer", row.id, row.instance_id, world.instances[row.instance_id].city,
                                      row.state == "failed"))
        for row in session.scalars(select(ProcessVersion).order_by(ProcessVersion.id)):
            city = world.processes[row.process_key]
            world.versions.append(Version(row.process_key, row.version, city))
            world.files += [File(row.process_key, row.version, name, city) for name in sorted(row.files)
                            if name.endswith(".bpmn")]
        for row in session.scalars(select(DocumentRow)):
            world.documents[row.id] = OfficialDocument(row.id, row.instance_id)
        for row in session.scalars(select(AttachmentRow)):
            tag = row.filename.rsplit(".", 1)[0]
            world.attachments[row.id] = Attachment(row.id, row.instance_id, row.filename,
                                                   f"MATRIX-CONTENT-{tag}")


def build_world(ctx) -> World:
    yeji, huaian = Personas(ctx, "yeji", YEJI), Personas(ctx, "huaian", HUAIAN)
    personas = {n: Persona(n, "yeji", u, frozenset(r)) for n, (u, r) in YEJI.items()}
    personas.update({n: Persona(n, "huaian", u, frozenset(r)) for n, (u, r) in HUAIAN.items()})
    assert PASSWORD_HASH
    world = World(personas, {n: getattr(yeji, n) for n in YEJI} | {n: getattr(huaian, n) for n in HUAIAN})
    for key in ("yeji", "yeji.change_request", "yeji.rectification"):
        yeji.deploy(key)
        world.processes[key] = "yeji"
    huaian.deploy("huaian")
    world.processes["huaian"] = "huaian"
    a, b = _yeji_projects(ctx, world, yeji)
    rid = _side_process(ctx, world, yeji, a)
    h = _huaian_project(ctx, world, huaian)
    _second_yeji_version(ctx, world)
    _faults_calendars_notices(ctx, world, {"yeji": a, "huaian": h})
    _tokens(ctx, world)
    _read_back(ctx, world, {a: "alice", b: "bob", rid: "dora", h: "amy"})
    return world

"""Who may do what: the one place every API route, page and service asks. Roles come from the
jurisdictions (processes/<key>/jurisdiction.json `roles`); `manager`, `designer`, `admin` and
`province_viewer` are the only global ones (engine.registry.GLOBAL_ROLES; CONTRACT.md, "Roles that
are not a bureau").

- a bureau role (not unit-scoped) acts on tasks of its role anywhere in its jurisdiction;
- a unit-scoped role (`applicant`, a unit's inner roles) only inside the unit that started the
  instance;
- `manager` sees and manages every project of its jurisdiction; `designer` models, validates, deploys
  and migrates its jurisdiction's processes; `admin` is both, in every jurisdiction, and alone keeps
  the national holiday calendar;
- `province_viewer` (省级项目查看员) sees the portfolio and the projects of every jurisdiction, read
  only: it terminates, suspends, retries and assigns nothing."""
from __future__ import annotations

from engine.registry import Jurisdiction, ProcessDef

MANAGER, DESIGNER, ADMIN, PROVINCE_VIEWER = "manager", "designer", "admin", "province_viewer"


def _roles(user) -> set[str]:
    return set(user.role_keys)


def is_admin(user) -> bool:
    return ADMIN in _roles(user)


def in_jurisdiction(user, jurisdiction: str) -> bool:
    return user.jurisdiction == jurisdiction


def can_manage(user, jurisdiction: str) -> bool:
    """The portfolio of a jurisdiction: every project, 项目监控, termination, incidents, its calendar."""
    return is_admin(user) or (MANAGER in _roles(user) and in_jurisdiction(user, jurisdiction))


def is_manager(user) -> bool:
    """Manages the jurisdiction the user belongs to."""
    return can_manage(user, user.jurisdiction)


def sees_every_jurisdiction(user) -> bool:
    """Reads every jurisdiction's portfolio and projects: an admin, or a province-wide viewer."""
    return is_admin(user) or PROVINCE_VIEWER in _roles(user)


def reads_jurisdiction(user, jurisdiction: str) -> bool:
    """Reads a project, document or comment of this jurisdiction (404 otherwise): its own users, an
    admin and a province-wide viewer. What they may see inside it is for the other checks."""
    return in_jurisdiction(user, jurisdiction) or sees_every_jurisdiction(user)


def acts_in(user, jurisdiction: str) -> bool:
    """Writes in this jurisdiction (a comment, a 催办) where the other checks allow: its own users and
    an admin; a province-wide viewer only reads."""
    return (in_jurisdiction(user, jurisdiction) or is_admin(user)) and not only_reads(user)


def only_reads(user) -> bool:
    """A province-wide viewer with no other role: reads, writes nothing (not even a comment)."""
    roles = set(_roles(user))
    return PROVINCE_VIEWER in roles and roles <= {PROVINCE_VIEWER}


def can_view_portfolio(user, jurisdiction: str) -> bool:
    """The dashboard, the project search and their exports of a jurisdiction (read only)."""
    return can_manage(user, jurisdiction) or PROVINCE_VIEWER in _roles(user)


def portfolio_scope(user, every: list[str], asked: str | None = None) -> list[str]:
    """The jurisdictions whose portfolio the user reads: a manager their own; an admin or a
    province-wide viewer every one, or the one `asked` for. Empty: none (the caller answers 403)."""
    if sees_every_jurisdiction(user):
        return [asked] if asked in every else ([] if asked else list(every))
    return [user.jurisdiction] if can_manage(user, user.jurisdiction) and asked in (None, user.jurisdiction) else []


def can_design(user, jurisdiction: str) -> bool:
    """Model, validate, deploy and migrate the processes of a jurisdiction."""
    return is_admin(user) or (DESIGNER in _roles(user) and in_jurisdiction(user, jurisdiction))


def can_edit_calendar(user, jurisdiction: str | None) -> bool:
    """A jurisdiction's own 节假日安排 by its managers; the national calendar by an admin only."""
    if not jurisdiction:
        return is_admin(user)
    return can_manage(user, jurisdiction)


def holds(user, jurisdiction: Jurisdiction, role_key: str, applicant_unit_id: int | None) -> bool:
    """The user holds the task's role for this instance: the role in that jurisdiction, and for a
    unit-scoped role, in the unit that started the instance."""
    if not in_jurisdiction(user, jurisdiction.key) or role_key not in _roles(user):
        return False
    role = jurisdiction.role(role_key)
    return not (role and role.unit_scoped) or user.unit_id == applicant_unit_id


def can_act_on(user, jurisdiction: Jurisdiction, role_key: str, applicant_unit_id: int | None) -> bool:
    """See and complete a task of this role."""
    return holds(user, jurisdiction, role_key, applicant_unit_id)


def can_view_instance(user, jurisdiction: str, applicant_unit_id: int, involved: bool,
                      started_by_id: int | None = None) -> bool:
    """A project is seen by its managers, by its applicant unit, by whoever started it (a supervising
    bureau's 限期整改 of another unit's project) and by those who acted or may act on it."""
    if can_manage(user, jurisdiction) or PROVINCE_VIEWER in _roles(user):
        return True
    if not in_jurisdiction(user, jurisdiction):
        return False
    return user.unit_id == applicant_unit_id or user.id == started_by_id or involved


def can_start(user, jurisdiction: Jurisdiction, pdef: ProcessDef) -> bool:
    return in_jurisdiction(user, jurisdiction.key) and bool(_roles(user) & set(pdef.startable_by))


def can_start_for(user, jurisdiction: Jurisdiction, pdef: ProcessDef, parent_unit_id: int) -> bool:
    """A side process (变更, 整改 …) of a project: a supervising bureau (a role that is not unit-scoped)
    may start it on any project of its jurisdiction, a unit role only on its own unit's projects."""
    if not can_start(user, jurisdiction, pdef):
        return False
    bureau = {r for r in _roles(user) & set(pdef.startable_by) if r not in jurisdiction.unit_roles}
    return bool(bureau) or user.unit_id == parent_unit_id


def inbox_roles(user, jurisdiction: Jurisdiction) -> tuple[list[str], list[str]]:
    """(roles seen in the whole jurisdiction, roles seen only in the user's own unit)."""
    roles = sorted(_roles(user))
    unit = jurisdiction.unit_roles
    return [r for r in roles if r not in unit], [r for r in roles if r in unit]

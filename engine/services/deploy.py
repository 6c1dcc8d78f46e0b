"""Validate and deploy BPMN/DMN bundles. A deployed version never changes: running instances stay
on the version they started with, new instances take the newest."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import validation
from engine import workflow as wfx
from engine.models import ProcessVersion
from engine.runtime_env import Runtime
from engine.services import audit as audit_chain
from engine.validation import BundleInvalid, Problem, checksum, main_process_key

__all__ = ["bundle_for", "validate_bundle", "validate_files", "deploy", "checksum", "main_process_key",
           "latest_version", "deployed_processes", "files_json", "Problem"]


def bundle_for(runtime: Runtime, process_key: str, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The files one version needs: its BPMN, every process it calls, every decision it uses (from the
    jurisdiction's folder bpmn_diagrams/<jurisdiction>/, the given files winning); DiagramInvalid when
    the process or something it calls is missing."""
    files, problems = validation.collect_bundle(runtime, process_key, extra)
    if problems:
        raise BundleInvalid(problems)
    return files


def validate_bundle(runtime: Runtime, process_key: str, files: dict[str, bytes]) -> wfx.LoadedVersion:
    """Run every check of engine.validation on the bundle; raise DiagramInvalid listing the problems,
    else return the parsed version (shared with the runtime's version cache)."""
    result = validation.check_bundle(runtime, files, process_key, use_cache=True)
    if result.problems or result.version is None:
        raise BundleInvalid(result.problems or [Problem(f"{process_key}.bpmn", process_key, "无法载入该流程")])
    return result.version


def validate_files(runtime: Runtime, paths: list[Path]) -> list[Problem]:
    """`govflow validate`: every problem of the given .bpmn and .dmn files (each BPMN with what it
    calls, a DMN no given BPMN calls on its own). Each problem unpacks as (file, element, message)
    and has a `line`."""
    return validation.check_files(runtime, {p.name: p.read_bytes() for p in paths})


def deploy(runtime: Runtime, session: Session, process_key: str, extra: dict[str, bytes] | None = None,
           deployed_by: str | None = None) -> tuple[ProcessVersion, bool]:
    """Deploy the process as a new version unless the newest one has the same files.
    Returns (version row, created)."""
    files = bundle_for(runtime, process_key, extra)
    validate_bundle(runtime, process_key, files)
    digest = checksum(files)
    latest = latest_version(session, process_key)
    if latest is not None and latest.checksum == digest:
        return latest, False
    jurisdiction = runtime.registry.jurisdiction_of(process_key)
    pdef = jurisdiction.processes.get(process_key)
    number = (session.scalar(select(func.max(ProcessVersion.version))
                             .where(ProcessVersion.process_key == process_key)) or 0) + 1
    row = ProcessVersion(process_key=process_key, jurisdiction=jurisdiction.key,
                         name=pdef.name if pdef else process_key, version=number,
                         files={n: c.decode("utf-8") for n, c in files.items()},
                         checksum=digest, deployed_by=deployed_by)
    session.add(row)
    session.flush()
    audit_chain.append(session, "process_deployed", actor_id=audit_chain.actor_id_of(session, deployed_by),
                       data={"process": process_key, "version": number, "checksum": digest, "by": deployed_by},
                       at=row.deployed_at)
    return row, True


def latest_version(session: Session, process_key: str) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_key == process_key)
                          .order_by(ProcessVersion.version.desc()).limit(1))


def deployed_processes(session: Session) -> list[ProcessVersion]:
    newest = (select(ProcessVersion.process_key, func.max(ProcessVersion.version).label("v"))
              .group_by(ProcessVersion.process_key).subquery())
    return list(session.scalars(select(ProcessVersion).join(
        newest, (ProcessVersion.process_key == newest.c.process_key) & (ProcessVersion.version == newest.c.v))
        .order_by(ProcessVersion.process_key)))


def files_json(row: ProcessVersion) -> str:
    return json.dumps(row.files, ensure_ascii=False)

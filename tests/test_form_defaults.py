"""What an office finds is its own answer (issue 12): no form filled in by a bureau — a reviewer, an
approving or a confirming office — may pre-tick a yes/no finding, or the finding is made by whoever
did not untick it. Walks every user task of every shipped diagram, takes its lane's role and its form."""
import json
import re

from lxml import etree

from engine.config import ROOT

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
APPLICANT_ROLES = {"applicant"}   # the applicant's own statements may have a default (e.g. 使用预算安排资金)


def _bureau_forms() -> dict[str, set[str]]:
    """form name → the (file, task) of the bureau tasks using it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "bpmn_diagrams").glob("*/*.bpmn")):
        tree = etree.parse(str(path))
        role_of = {}
        for lane in tree.iter(f"{BPMN}lane"):
            role = re.sub(r"^(?:.*_)?lane_", "", lane.get("id"))
            for ref in lane.iter(f"{BPMN}flowNodeRef"):
                role_of[ref.text.strip()] = role
        for task in tree.iter(f"{BPMN}userTask"):
            role = role_of.get(task.get("id"))
            if role is None or role in APPLICANT_ROLES:
                continue
            for prop in task.iter(f"{SPIFF}property"):
                if prop.get("name") == "form":
                    found.setdefault(prop.get("value"), set()).add(f"{path.name}:{task.get('id')}({role})")
    return found


def _true_defaults(schema: dict, prefix: str = "") -> list[str]:
    hits = []
    for key, prop in (schema.get("properties") or {}).items():
        if prop.get("type") == "boolean" and prop.get("default") is True:
            hits.append(prefix + key)
        if prop.get("type") == "object":
            hits += _true_defaults(prop, f"{prefix}{key}.")
        if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
            hits += _true_defaults(prop["items"], f"{prefix}{key}[].")
    return hits


def test_no_bureau_form_pre_ticks_a_finding():
    forms = _bureau_forms()
    assert len(forms) > 60   # every city's reviews, approvals and confirmations are walked
    wrong = {}
    for form, tasks in sorted(forms.items()):
        schema = json.loads((ROOT / "forms" / f"{form}.schema.json").read_text(encoding="utf-8"))
        if hits := _true_defaults(schema):
            wrong[form] = (hits, sorted(tasks))
    assert wrong == {}


def test_the_walk_finds_a_pre_ticked_finding_when_there_is_one():
    assert _true_defaults({"properties": {"ok": {"type": "boolean", "default": True},
                                          "rows": {"type": "array", "items": {"properties": {
                                              "done": {"type": "boolean", "default": True}}}}}}) == [
        "ok", "rows[].done"]

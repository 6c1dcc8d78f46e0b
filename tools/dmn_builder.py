"""Write DMN 1.3 decision tables (with DMNDI) that SpiffWorkflow executes and dmn-js opens.

    from tools.dmn_builder import DecisionTable
    t = DecisionTable("suqian_thresholds", "宿迁市金额门槛", hit_policy="FIRST",
                      documentation="宿政办发〔2024〕45号 第十九、二十、二十五条")
    t.input("project_type", "项目类型")
    t.input("total_investment", "总投资（万元）")
    t.output("needs_ndrc", "需发改委立项", type_ref="boolean")
    t.rule(['"construction"', "> 400"], ["True"], annotation="第二十条：超过400万元")
    t.rule(["-", "-"], ["False"])
    t.write("bpmn_diagrams/suqian_thresholds.dmn")

Cells are Python (SpiffWorkflow), not FEEL: `> 400`, `<= 1000`, `"construction"`, `-` for any.
A business rule task names the table with `spiffworkflow:calledDecisionId` = decision id; the
outputs land in the task data under their names.
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree

DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMNDI = "https://www.omg.org/spec/DMN/20191111/DMNDI/"
DC = "http://www.omg.org/spec/DMN/20180521/DC/"
NSMAP = {None: DMN, "dmndi": DMNDI, "dc": DC}


class DecisionTable:
    def __init__(self, decision_id: str, name: str, hit_policy: str = "UNIQUE", documentation: str | None = None):
        self.decision_id, self.name, self.hit_policy = decision_id, name, hit_policy
        self.documentation = documentation
        self.inputs: list[tuple[str, str, str]] = []
        self.outputs: list[tuple[str, str, str]] = []
        self.rules: list[tuple[list[str], list[str], str | None]] = []

    def input(self, expression: str, label: str, type_ref: str = "string") -> None:
        self.inputs.append((expression, label, type_ref))

    def output(self, name: str, label: str, type_ref: str = "string") -> None:
        self.outputs.append((name, label, type_ref))

    def rule(self, inputs: list[str], outputs: list[str], annotation: str | None = None) -> None:
        if len(inputs) != len(self.inputs) or len(outputs) != len(self.outputs):
            raise ValueError(f"{self.decision_id}: rule {len(self.rules) + 1} has the wrong number of cells")
        self.rules.append((inputs, outputs, annotation))

    def to_xml(self) -> bytes:
        did = self.decision_id.replace(".", "_")
        root = etree.Element(f"{{{DMN}}}definitions", nsmap=NSMAP, id=f"Definitions_{did}",
                             name=self.name, namespace="http://govflow/dmn")
        decision = etree.SubElement(root, f"{{{DMN}}}decision", id=self.decision_id, name=self.name)
        if self.documentation:
            etree.SubElement(decision, f"{{{DMN}}}description").text = self.documentation
        table = etree.SubElement(decision, f"{{{DMN}}}decisionTable", id=f"Table_{did}",
                                 hitPolicy=self.hit_policy)
        for i, (expression, label, type_ref) in enumerate(self.inputs):
            el = etree.SubElement(table, f"{{{DMN}}}input", id=f"Input_{did}_{i}", label=label)
            ie = etree.SubElement(el, f"{{{DMN}}}inputExpression", id=f"InputExpression_{did}_{i}",
                                  typeRef=type_ref)
            etree.SubElement(ie, f"{{{DMN}}}text").text = expression
        for i, (name, label, type_ref) in enumerate(self.outputs):
            etree.SubElement(table, f"{{{DMN}}}output", id=f"Output_{did}_{i}", label=label, name=name,
                             typeRef=type_ref)
        for r, (inputs, outputs, annotation) in enumerate(self.rules):
            rule = etree.SubElement(table, f"{{{DMN}}}rule", id=f"Rule_{did}_{r}")
            if annotation:
                etree.SubElement(rule, f"{{{DMN}}}description").text = annotation
            for c, cell in enumerate(inputs):
                entry = etree.SubElement(rule, f"{{{DMN}}}inputEntry", id=f"In_{did}_{r}_{c}")
                etree.SubElement(entry, f"{{{DMN}}}text").text = cell
            for c, cell in enumerate(outputs):
                entry = etree.SubElement(rule, f"{{{DMN}}}outputEntry", id=f"Out_{did}_{r}_{c}")
                etree.SubElement(entry, f"{{{DMN}}}text").text = cell
        di = etree.SubElement(root, f"{{{DMNDI}}}DMNDI")
        diagram = etree.SubElement(di, f"{{{DMNDI}}}DMNDiagram", id=f"DMNDiagram_{did}")
        shape = etree.SubElement(diagram, f"{{{DMNDI}}}DMNShape", id=f"DMNShape_{did}",
                                 dmnElementRef=self.decision_id)
        etree.SubElement(shape, f"{{{DC}}}Bounds", height="80", width="180", x="160", y="100")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def write(self, path) -> Path:
        path = Path(path)
        path.write_bytes(self.to_xml())
        return path

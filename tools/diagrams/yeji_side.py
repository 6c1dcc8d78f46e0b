"""Sources of 叶集's side processes, started from a running project:

- bpmn_diagrams/yeji.change_request.bpmn — 第二十条 项目调整 (变更)
- bpmn_diagrams/yeji.rectification.bpmn  — 第二十六条 限期整改, 逾期不整改 → 暂缓/暂停/终止

Run `python -m tools.diagrams.yeji_side` to regenerate the laid-out files."""
from __future__ import annotations

from tools.diagram_builder import Diagram


def change_request() -> Diagram:
    d = Diagram(process_id="yeji.change_request", process_name="叶集区政务信息化项目调整（第二十条）",
                lanes=[("applicant", "项目建设单位"), ("government", "区政府"), ("data_bureau", "区数据资源管理局")],
                documentation="第二十条：投资规模未超出概算批复、建设目标不变，且符合三种情形之一的，向区政府申请调整，同时向区数管局备案；"
                              "不符合的，须按有关规定履行相应手续。")
    d.start("ChangeRequested", lane="applicant", col=0, name="提出调整申请")
    d.exclusive("GwQualifies", lane="applicant", col=1, name="符合第二十条调整条件？",
                documentation="第二十条：未超出概算批复、建设目标不变、属于（一）（二）（三）情形之一。")
    d.end("EndRedeclare", lane="applicant", col=2, row=1, name="须按规定重新履行审批手续",
          properties={"outcome": "redeclare"})
    d.user_task("GovernmentDecision", lane="government", col=2, name="区政府审批调整申请",
                properties={"form": "common/review_approve_reject", "legalBasis": "第二十条"})
    d.exclusive("GwGovernment", lane="government", col=3, name="同意调整？")
    d.end("EndChangeRejected", lane="government", col=4, row=1, name="不同意调整",
          properties={"outcome": "change_rejected"})
    d.user_task("ChangeFiling", lane="data_bureau", col=4, name="调整备案",
                properties={"form": "yeji/change_filing", "legalBasis": "第二十条"})
    d.end("EndChanged", lane="data_bureau", col=5, name="调整已批准并备案", properties={"outcome": "completed"})
    d.flow("ChangeRequested", "GwQualifies")
    d.flow("GwQualifies", "EndRedeclare", name="不符合", default=True)
    d.flow("GwQualifies", "GovernmentDecision", name="符合",
           condition="within_budget and goal_unchanged and reason in ('deployment', 'optimization', 'business')")
    d.flow("GovernmentDecision", "GwGovernment")
    d.flow("GwGovernment", "EndChangeRejected", name="不同意", condition="decision == 'reject'")
    d.flow("GwGovernment", "ChangeFiling", name="同意", default=True)
    d.flow("ChangeFiling", "EndChanged")
    return d


def rectification() -> Diagram:
    d = Diagram(process_id="yeji.rectification", process_name="叶集区政务信息化项目限期整改（第二十六条）",
                lanes=[("data_bureau", "区数据资源管理局"), ("applicant", "项目建设单位")],
                documentation="第二十六条：发现违反有关规定或者批复要求的，要求项目建设单位限期整改。逾期不整改或者整改后仍不符合要求的，"
                              "相关部门可对其暂缓安排投资计划、暂停项目建设直至终止项目。")
    d.start("RectificationOrdered", lane="data_bureau", col=0, name="下达限期整改通知")
    d.user_task("Rectify", lane="applicant", col=1, name="限期整改",
                properties={"form": "yeji/rectify", "legalBasis": "第二十六条,第二十七条",
                            "dueAt": "add_days(deadline_days)"})
    d.boundary_timer("RectifyDeadline", attached_to="Rectify", name="整改期限届满",
                     date="add_days(deadline_days)", interrupting=True)
    d.user_task("RectificationCheck", lane="data_bureau", col=2, name="整改复核",
                properties={"form": "common/review_approve_reject", "legalBasis": "第二十六条"})
    d.exclusive("GwCheck", lane="data_bureau", col=3, name="整改符合要求？")
    d.end("EndRectified", lane="data_bureau", col=4, name="整改完成", properties={"outcome": "completed"})
    d.exclusive("MergeSanction", lane="data_bureau", col=4, row=1)
    d.user_task("SanctionDecision", lane="data_bureau", col=5, row=1, name="作出处理决定",
                properties={"form": "yeji/sanction", "legalBasis": "第二十六条,第二十七条"})
    d.exclusive("GwSanction", lane="data_bureau", col=6, row=1, name="处理决定？")
    d.end("EndSuspended", lane="data_bureau", col=7, row=1, name="暂缓投资计划或暂停建设",
          properties={"outcome": "suspended"})
    d.end("EndTerminated", lane="data_bureau", col=7, row=2, name="终止项目",
          properties={"outcome": "project_terminated", "parentOutcome": "terminated"})
    d.flow("RectificationOrdered", "Rectify")
    d.flow("Rectify", "RectificationCheck")
    d.flow("RectificationCheck", "GwCheck")
    d.flow("GwCheck", "EndRectified", name="符合", condition="decision == 'approve'")
    d.flow("GwCheck", "MergeSanction", name="仍不符合", default=True)
    d.flow("RectifyDeadline", "MergeSanction")
    d.flow("MergeSanction", "SanctionDecision")
    d.flow("SanctionDecision", "GwSanction")
    d.flow("GwSanction", "EndTerminated", name="终止项目", condition="sanction == 'terminate'")
    d.flow("GwSanction", "EndSuspended", name="暂缓或暂停", default=True)
    return d


if __name__ == "__main__":
    print(f"wrote {change_request().write('bpmn_diagrams/yeji.change_request.bpmn')}")
    print(f"wrote {rectification().write('bpmn_diagrams/yeji.rectification.bpmn')}")

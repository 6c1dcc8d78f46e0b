"""Source of bpmn_diagrams/huaian.annual_funding.bpmn — the yearly capital increase (增资) of 淮安's city data
group: 机制三.1, 附件1三.2, 附件3流程.3. It runs once a year, apart from any project.

Run `python -m tools.diagrams.huaian_annual_funding` to regenerate the laid-out BPMN file."""
from __future__ import annotations

from tools.diagram_builder import Diagram

REVIEWERS = [  # 市国资委会同市财政局对增资方案进行审核
    ("ReviewSasac", "sasac", "市国资委牵头审核增资方案", "机制三.1,附件1三.2,附件3流程.3,机制二"),
    ("ReviewFinance", "finance", "市财政局会同审核增资方案", "机制三.1,附件1三.2,附件3流程.3"),
]


def build() -> Diagram:
    d = Diagram(
        process_id="huaian.annual_funding", process_name="淮安市市数据集团年度增资流程",
        lanes=[("transport_group", "市交投集团（数据集团）"), ("sasac", "市国资委"), ("finance", "市财政局"),
               ("government", "市政府")],
        documentation="淮安市市级政务信息化项目统筹集约建设机制 三.1、附件1 三.2、附件3 流程.3")
    d.start("StartFunding", lane="transport_group", col=0, name="年度注资额度确定")
    d.exclusive("MergeDraft", lane="transport_group", col=1)
    d.user_task("DraftIncrease", lane="transport_group", col=2, name="拟定增资方案（金额、用途）",
                properties={"form": "huaian/capital_increase_plan",
                            "legalBasis": "机制三.1,附件1三.2,附件3流程.3,机制二"})
    d.script_task("PrepareReview", lane="sasac", col=3, name="提请审核增资方案",
                  script="\n".join(f"{el} = {{}}" for el, *_ in REVIEWERS),
        documentation="机制三.1：市国资委会同市财政局审核增资方案；每轮审核前清空上一轮意见。")
    d.parallel("ForkReview", lane="sasac", col=4)
    d.parallel("JoinReview", lane="sasac", col=6)
    d.flow("StartFunding", "MergeDraft")
    d.flow("MergeDraft", "DraftIncrease")
    d.flow("DraftIncrease", "PrepareReview")
    d.flow("PrepareReview", "ForkReview")
    for element, lane, title, articles in REVIEWERS:
        d.user_task(element, lane=lane, col=5, name=title,
                    properties={"form": "common/review_approve_return", "legalBasis": articles})
        d.flow("ForkReview", element)
        d.flow(element, "JoinReview")
    d.exclusive("GwReview", lane="sasac", col=7, name="审核通过？",
                documentation="机制三.1：市国资委会同市财政局对增资方案进行审核，审核通过后由市交投集团报送市政府。")
    d.user_task("SubmitToGovernment", lane="transport_group", col=8, name="报送市政府",
                properties={"form": "huaian/submit_to_government", "legalBasis": "机制三.1,附件1三.2,机制二"})
    d.user_task("GovernmentDecision", lane="government", col=9, name="市政府审定增资方案",
                properties={"form": "common/review_approve_return", "legalBasis": "机制三.1,附件1三.2"})
    d.exclusive("GwGovernment", lane="government", col=10, name="市政府同意？",
                documentation="机制三.1：市财政局根据市政府意见编列预算，市国资委审批企业章程并履行股东职责。")
    d.flow("JoinReview", "GwReview")
    d.flow("GwReview", "MergeDraft", name="退回修改",
           condition="ReviewSasac['decision'] == 'return' or ReviewFinance['decision'] == 'return'")
    d.flow("GwReview", "SubmitToGovernment", name="通过", default=True)
    d.flow("SubmitToGovernment", "GovernmentDecision")
    d.flow("GovernmentDecision", "GwGovernment")
    d.flow("GwGovernment", "MergeDraft", name="退回修改", condition="decision == 'return'")
    d.parallel("ForkExecute", lane="finance", col=11)
    d.user_task("CompileBudget", lane="finance", col=12, name="编列预算",
                properties={"form": "huaian/budget_compilation", "legalBasis": "机制三.1,附件1三.2"})
    d.user_task("ApproveCharter", lane="sasac", col=12, name="审批企业章程、履行股东职责",
                properties={"form": "huaian/charter_approval", "legalBasis": "机制三.1,附件1三.2,机制二"})
    d.parallel("JoinExecute", lane="finance", col=13)
    d.end("EndFunded", lane="finance", col=14, name="年度注资完成", properties={"outcome": "completed"})
    d.flow("GwGovernment", "ForkExecute", name="同意", default=True)
    d.flow("ForkExecute", "CompileBudget")
    d.flow("ForkExecute", "ApproveCharter")
    d.flow("CompileBudget", "JoinExecute")
    d.flow("ApproveCharter", "JoinExecute")
    d.flow("JoinExecute", "EndFunded")
    return d


if __name__ == "__main__":
    path = build().write("bpmn_diagrams/huaian.annual_funding.bpmn")
    print(f"wrote {path}")

"""Source of bpmn_diagrams/suqian.change_request.bpmn and bpmn_diagrams/suqian_change_request.dmn —
建设内容调整 (宿迁 第二十三条), started from a running `suqian` project and linked to it.

Run `python -m tools.diagrams.suqian_change_request` to regenerate both files."""
from __future__ import annotations

from tools.diagram_builder import Diagram
from tools.dmn_builder import DecisionTable

FILINGS = [  # 同时报市数据局、市发展改革委、市财政局备案
    ("FilingDataBureau", "data_bureau", "市数据局备案"),
    ("FilingNdrc", "ndrc", "市发展改革委备案"),
    ("FilingFinance", "finance", "市财政局备案"),
]


def build() -> Diagram:
    d = Diagram(
        process_id="suqian.change_request", process_name="宿迁市信息化项目建设内容调整备案",
        lanes=[("applicant", "申报单位"), ("data_bureau", "市数据局"), ("ndrc", "市发展改革委"),
               ("finance", "市财政局")],
        documentation="宿迁市市级信息化项目管理办法（宿政办发〔2024〕45号）第二十三条")
    d.start("StartChange", lane="applicant", col=0, name="提出建设内容调整")
    d.script_task("ReceiveChange", lane="applicant", col=1, name="受理调整申请", script="change_problems = []",
        documentation="第二十三条：受理调整申请。")
    d.business_rule_task("DecideChange", lane="applicant", col=2, name="判定调整条件",
                         decision_id="suqian_change_request",
        documentation="第二十三条：决策表 suqian_change_request。")
    d.exclusive("GwChange", lane="applicant", col=3, name="符合第二十三条调整条件？",
                documentation="第二十三条：未超出招标控制价，调整金额不超过500万元或不超过合同金额10%，"
                              "且符合三种情形之一的，可由申报单位调整并备案；不符合的，应重新履行项目申报程序"
                              "（决策表 suqian_change_request 列出不符合之处）。")
    d.script_task("ExplainRefusal", lane="applicant", col=4, row=1, name="说明不符合的情形", script=(
        "outcome_reason = '；'.join(change_problems) + '，应重新履行项目申报程序（第二十三条）'"),
        documentation="第二十三条：不符合上述情形的，应重新履行项目申报程序。")
    d.end("EndRedeclare", lane="applicant", col=5, row=1, name="重新履行申报程序",
          properties={"outcome": "redeclare"})
    d.user_task("AdjustContent", lane="applicant", col=4, name="调整建设内容，报送备案",
                properties={"form": "suqian/change_adjust", "legalBasis": "第二十三条"})
    d.parallel("ForkFiling", lane="applicant", col=5)
    d.parallel("JoinFiling", lane="applicant", col=7)
    d.end("EndAdjusted", lane="applicant", col=8, name="调整已备案", properties={"outcome": "completed"})
    d.flow("StartChange", "ReceiveChange")
    d.flow("ReceiveChange", "DecideChange")
    d.flow("DecideChange", "GwChange")
    d.flow("GwChange", "AdjustContent", name="是", condition="not change_problems")
    d.flow("GwChange", "ExplainRefusal", name="否", default=True)
    d.flow("ExplainRefusal", "EndRedeclare")
    d.flow("AdjustContent", "ForkFiling")
    for element, lane, title in FILINGS:
        d.user_task(element, lane=lane, col=6, name=title,
                    properties={"form": "suqian/change_filing", "legalBasis": "第二十三条"})
        d.flow("ForkFiling", element)
        d.flow(element, "JoinFiling")
    d.flow("JoinFiling", "EndAdjusted")
    return d


def table() -> DecisionTable:
    t = DecisionTable("suqian_change_request", "建设内容调整条件（第二十三条）", hit_policy="COLLECT",
                      documentation="项目投资规模未超出招标控制价前提下，调整金额不超过500万元或调整数额不超过合同金额10%，"
                                    "并符合（一）至（三）情形之一的，可以由项目申报单位调整并备案；本表列出不符合之处，"
                                    "一项也没有的即可调整。“不超过”含本数。")
    t.input("adjusted_investment", "调整后项目投资规模（万元）", type_ref="number")
    t.input("change_amount", "调整金额（万元）", type_ref="number")
    t.input("change_amount * 100 / contract_amount", "调整数额占合同金额（%）", type_ref="number")
    t.input("change_reason", "调整情形")
    t.output("change_problems", "不符合之处")
    t.rule(["> control_price", "-", "-", "-"], ['"调整后项目投资规模超出招标控制价"'])
    t.rule(["-", "> 500", "> 10", "-"], ['"调整金额超过500万元且超过合同金额10%"'],
           annotation="不超过500万元或不超过合同金额10%的，均可调整")
    t.rule(["-", "-", "-", "? not in ('deployment', 'optimisation', 'business_need')"],
           ['"不属于第二十三条所列三种情形"'])
    return t


if __name__ == "__main__":
    print(f"wrote {build().write('bpmn_diagrams/suqian.change_request.bpmn')}")
    print(f"wrote {table().write('bpmn_diagrams/suqian_change_request.dmn')}")

"""The decision tables of bpmn_diagrams/suqian.bpmn — the thresholds of 宿迁 第十九、二十、二十五条, written to
bpmn_diagrams/<decision id>.dmn by `python -m tools.diagrams.suqian`. Cells are Python (`> 400`, `<= 1000`);
以上/以下 include the number, 超过 excludes it."""
from __future__ import annotations

from tools.dmn_builder import DecisionTable


def tables() -> list[DecisionTable]:
    """The thresholds of 第十九、二十、二十五条, editable by a designer."""
    limit = DecisionTable("suqian_procurement_limit", "政府采购限额标准（配置）", hit_policy="FIRST",
                          documentation="第十九条所称政府采购限额标准（万元）。原文未给数值：按江苏省现行政府集中采购目录及标准"
                                        "在此配置；默认100万元为建模假设。")
    limit.input("project_type", "项目类型")
    limit.output("procurement_limit", "政府采购限额标准（万元）", type_ref="number")
    limit.rule(["-"], ["100"], annotation="配置值：政府采购限额标准（万元）")

    scheme = DecisionTable("suqian_scheme_review", "方案审核（第十九条）", hit_policy="FIRST",
                           documentation="纳入年度清单且投资额在政府采购限额标准以上（含限额标准）的建设类项目，实施前须将项目方案报市大数据中心审核。")
    scheme.input("project_type", "项目类型")
    scheme.input("total_investment", "投资额（万元）", type_ref="number")
    scheme.output("needs_scheme_review", "须报市大数据中心审核", type_ref="boolean")
    scheme.rule(['"construction"', ">= procurement_limit"], ["True"], annotation="以上：含限额标准本数")
    scheme.rule(["-", "-"], ["False"])

    ndrc = DecisionTable("suqian_ndrc_approval", "立项审批（第二十条）", hit_policy="FIRST",
                         documentation="总投资超过400万元的使用预算安排资金的建设类项目，提交市发展改革委履行立项审批手续。")
    ndrc.input("project_type", "项目类型")
    ndrc.input("budget_funded", "使用预算安排资金", type_ref="boolean")
    ndrc.input("total_investment", "总投资（万元）", type_ref="number")
    ndrc.output("needs_ndrc", "须发改委立项", type_ref="boolean")
    ndrc.rule(['"construction"', "True", "> 400"], ["True"], annotation="超过400万元：不含400本数")
    ndrc.rule(["-", "-", "-"], ["False"])

    route = DecisionTable("suqian_approval_route", "简化立项审批程序（第二十条）", hit_policy="COLLECT",
                          documentation="列出可适用的编报方式：完整程序总可适用；（一）已列入国家、省、市信息化建设规划的可直接编报可研；"
                                        "（二）国家、省、市明确要求或涉及重大战略、国家安全，情况紧急且前期工作深度达标的，可直接编报可研、初设和概算；"
                                        "（三）总投资1000万元以下（含1000万元）的可合并编报审批。")
    route.input("in_plan", "已列入规划", type_ref="boolean")
    route.input("urgent", "明确要求或重大战略、国家安全，且情况紧急", type_ref="boolean")
    route.input("depth_ok", "前期工作深度达到规定要求", type_ref="boolean")
    route.input("total_investment", "总投资（万元）", type_ref="number")
    route.output("allowed_routes", "可适用的编报方式")
    route.rule(["-", "-", "-", "-"], ['"standard"'], annotation="完整程序")
    route.rule(["True", "-", "-", "-"], ['"from_fsr"'], annotation="第二十条（一）")
    route.rule(["-", "True", "True", "-"], ['"direct"'], annotation="第二十条（二）")
    route.rule(["-", "-", "-", "<= 1000"], ['"merged"'], annotation="第二十条（三）：以下含1000本数")

    supervision = DecisionTable("suqian_supervision", "工程监理（第二十五条）", hit_policy="FIRST",
                                documentation="投资预算超过100万元的建设类项目应实行工程监理制。")
    supervision.input("project_type", "项目类型")
    supervision.input("total_investment", "投资预算（万元）", type_ref="number")
    supervision.output("needs_supervision", "实行工程监理", type_ref="boolean")
    supervision.rule(['"construction"', "> 100"], ["True"], annotation="超过100万元：不含100本数")
    supervision.rule(["-", "-"], ["False"])
    return [limit, scheme, ndrc, route, supervision]

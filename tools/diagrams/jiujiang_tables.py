"""Source of the 九江市 decision tables (bpmn_diagrams/jiujiang_*.dmn) — 九江市数字化项目建设管理办法(试行).

The money thresholds of the 办法 live here, where a designer can edit them in a DMN editor without
touching the diagram. Cells are Python (`>= 1000`, `"construction"`, `-` for any). "以上" includes the
number itself, "小于" is strict (民法典 第一千二百五十九条). Run `python -m tools.diagrams.jiujiang_tables`
to regenerate the files; after that the .dmn files are the truth."""
from __future__ import annotations

from tools.dmn_builder import DecisionTable


def limit_table() -> DecisionTable:
    """限额 (第十三条, 第四十二条): 基础设施类/跨部门跨层级集成类 ≥ 1000 万元, other categories ≥ 500 万元,
    运维 never counts."""
    t = DecisionTable("jiujiang_limit", "九江市限额以上项目判定", hit_policy="FIRST",
                      documentation="第十三条、第四十二条：限额指基础设施类、跨部门跨层级集成类项目投资额1000万元和"
                                    "其他类别数字化项目（不包括运维）投资额500万元；“以上”含本数。")
    t.input("project_type", "项目类型")
    t.input("is_infrastructure or is_cross_department", "基础设施类或跨部门跨层级集成类", type_ref="boolean")
    t.input("total_investment", "总投资（万元）", type_ref="number")
    t.output("above_limit", "限额以上", type_ref="boolean")
    t.output("limit_amount", "适用限额（万元）", type_ref="number")
    t.rule(['"operation"', "-", "-"], ["False", "None"], annotation="运维类项目不适用限额")
    t.rule(["-", "True", ">= 1000"], ["True", "1000"], annotation="基础设施类、跨部门跨层级集成类：1000万元以上")
    t.rule(["-", "True", "-"], ["False", "1000"], annotation="基础设施类、跨部门跨层级集成类：不足1000万元")
    t.rule(["-", "-", ">= 500"], ["True", "500"], annotation="其他类别：500万元以上")
    t.rule(["-", "-", "-"], ["False", "500"], annotation="其他类别：不足500万元")
    return t


def route_table() -> DecisionTable:
    """Who handles the project (第九条, 第十二条, 第二十一条, 第三十五条)."""
    t = DecisionTable("jiujiang_route", "九江市项目办理层级", hit_policy="FIRST",
                      documentation="第十二条、第二十一条：县（市、区）投资额200万元以上（不含运维）的项目报市级；"
                                    "200万元以下的由县（市、区）批复立项后报市数字政府领导小组办公室备案"
                                    "（两条均写“200万元”，恰为200万元的按“以上”报市级）；"
                                    "第三十五条：运维经费按年度申请。")
    t.input("level", "申报层级")
    t.input("project_type", "项目类型")
    t.input("total_investment", "总投资（万元）", type_ref="number")
    t.output("route", "办理方式")
    t.rule(['"county"', '"operation"', "-"], ['"county_local"'], annotation="县级运维项目由县（市、区）负责（第九条）")
    t.rule(['"county"', "-", ">= 200"], ['"city"'],
           annotation="县级200万元以上：统筹把关后报市级（第十二条、第二十一条）")
    t.rule(['"county"', "-", "-"], ['"county_local"'], annotation="县级200万元以下：县级批复立项后备案（第二十一条）")
    t.rule(["-", '"operation"', "-"], ['"operation"'], annotation="市级运维：每年8月底前申请运维经费（第三十五条）")
    t.rule(["-", "-", "-"], ['"city"'])
    return t


def approval_table() -> DecisionTable:
    """The approval chain of 第二十五条 / 第二十六条."""
    t = DecisionTable("jiujiang_approval", "九江市项目审批路径", hit_policy="FIRST",
                      documentation="第二十五条：项目建议书→可行性研究报告→初步设计→项目预算；投资额小于5000万元的可合并"
                                    "编制建议书、可研，不再审批初步设计；投资额小于200万元的建设类项目技术评审后直接编制"
                                    "预算；服务类、设备采购类按政府采购规定执行。第二十六条：市属国资监管企业报市国资委审批。")
    t.input("project_type", "项目类型")
    t.input("owner_type", "业主类型")
    t.input("total_investment", "总投资（万元）", type_ref="number")
    t.output("approval_path", "审批路径")
    t.output("approver", "审批部门")
    t.output("needs_proposal", "编制项目建议书", type_ref="boolean")
    t.output("may_merge", "可合并编制建议书、可研", type_ref="boolean")
    t.rule(['? in ("service", "equipment")', "-", "-"],
           ['"procurement"', "None", "False", "False"], annotation="服务类、设备采购类：按照政府采购相关规定执行")
    t.rule(['"construction"', '"soe"', "< 200"], ['"tech_review"', '"sasac"', "False", "False"],
           annotation="国资企业建设类小于200万元：技术评审后直接编制预算报市国资委")
    t.rule(['"construction"', "-", "< 200"], ['"tech_review"', '"ndrc"', "False", "False"],
           annotation="建设类小于200万元：技术评审后直接编制预算")
    t.rule(["-", '"soe"', "< 5000"], ['"chain"', '"sasac"', "False", "True"],
           annotation="国资企业：可研、初设、预算报市国资委；小于5000万元可不再审批初步设计")
    t.rule(["-", '"soe"', "-"], ['"chain"', '"sasac"', "False", "False"],
           annotation="国资企业：可研、初设、预算报市国资委")
    t.rule(["-", "-", "< 5000"], ['"chain"', '"ndrc"', "True", "True"],
           annotation="小于5000万元：可合并编制建议书、可研")
    t.rule(["-", "-", "-"], ['"chain"', '"ndrc"', "True", "False"], annotation="建议书→可研→初设→预算")
    return t


def acceptance_table() -> DecisionTable:
    """Trial run and the time to apply for 竣工验收 (第三十一条)."""
    t = DecisionTable("jiujiang_acceptance", "九江市试运行与竣工验收申请期限", hit_policy="FIRST",
                      documentation="第三十一条：原则上，限额以下建设类项目试运行3个月，限额以上6个月；终验通过后，"
                                    "限额以下10个工作日内、限额以上30个工作日内申请竣工验收。")
    t.input("project_type", "项目类型")
    t.input("above_limit", "限额以上", type_ref="boolean")
    t.output("trial_months", "试运行（月）", type_ref="number")
    t.output("application_workdays", "申请竣工验收期限（工作日）", type_ref="number")
    t.rule(['"construction"', "True"], ["6", "30"], annotation="限额以上建设类")
    t.rule(['"construction"', "-"], ["3", "10"], annotation="限额以下建设类")
    t.rule(["-", "True"], ["0", "30"], annotation="限额以上其他类别（不试运行）")
    t.rule(["-", "-"], ["0", "10"], annotation="限额以下其他类别（不试运行）")
    return t


TABLES = {"jiujiang_limit": limit_table, "jiujiang_route": route_table, "jiujiang_approval": approval_table,
          "jiujiang_acceptance": acceptance_table}

if __name__ == "__main__":
    for name, build in TABLES.items():
        print(f"wrote {build().write(f'bpmn_diagrams/{name}.dmn')}")

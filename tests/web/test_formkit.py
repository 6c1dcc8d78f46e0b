"""Forms from JSON Schema: every widget the forms use, repeated rows (≥ 3 家报价) that work without
JavaScript, and typed data read back from what was submitted."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from engine.config import ROOT
from engine.forms import FormLibrary
from web.ui import formkit

SHIPPED = FormLibrary(ROOT / "forms")

QUOTES = {
    "type": "object",
    "required": ["quotes", "decided_on"],
    "properties": {
        "quotes": {"type": "array", "title": "供应商报价", "minItems": 3, "items": {
            "type": "object", "required": ["vendor", "price"],
            "properties": {"vendor": {"type": "string", "title": "供应商"},
                           "price": {"type": "number", "title": "报价", "minimum": 0, "x-unit": "万元"},
                           "quote_file": {"type": "string", "title": "报价单", "x-widget": "attachment"},
                           "local": {"type": "boolean", "title": "本地企业"}}}},
        "decided_on": {"type": "string", "format": "date", "title": "确定日期"},
        "method": {"type": "string", "title": "采购方式", "enum": ["a", "b", "c", "d", "e"],
                   "x-enumNames": ["公开招标", "邀请招标", "竞争性谈判", "单一来源", "询价"]},
        "notes": {"type": "array", "title": "备注", "items": {"type": "string"}},
    },
}


def widgets(fields):
    return {f.name: f.widget for f in fields}


def test_it_picks_a_widget_for_every_kind_of_field():
    schema, _ = SHIPPED.load("common/project_facts")
    found = widgets(formkit.build(schema))
    assert found["project_name"] == "text" and found["description"] == "textarea"
    assert found["project_type"] == "radio" and found["total_investment"] == "number"
    assert found["duration_months"] == "integer" and found["is_classified"] == "checkbox"
    assert widgets(formkit.build(QUOTES)) == {"quotes": "rows", "decided_on": "date", "method": "select",
                                              "notes": "lines"}
    declare, _ = SHIPPED.load("yeji/declare")
    assert widgets(formkit.build(declare))["construction_plan"] == "attachment"


def test_it_labels_fields_in_chinese_with_units_and_defaults():
    schema, _ = SHIPPED.load("common/project_facts")
    fields = {f.name: f for f in formkit.build(schema)}
    assert fields["total_investment"].label == "总投资" and fields["total_investment"].unit == "万元"
    assert fields["project_type"].options[0] == ("construction", "建设类")
    assert fields["level"].value == "city" and fields["duration_months"].value == "6"
    assert fields["project_name"].required and not fields["plan_year"].required


def test_it_offers_the_minimum_number_of_rows_and_reads_filled_ones_back():
    rows = formkit.build(QUOTES)[0]
    assert len(rows.rows) == 3 and [c.name for c in rows.rows[1]][:2] == ["quotes.1.vendor", "quotes.1.price"]
    form = MultiDict({"quotes.0.vendor": "甲公司", "quotes.0.price": "12,000.5", "quotes.0.local": "true",
                      "quotes.1.vendor": "乙公司", "quotes.1.price": "１１０００",
                      "quotes.2.vendor": "", "quotes.2.price": "",
                      "quotes.5.vendor": "丙公司", "quotes.5.price": "贵",
                      "decided_on": "2026-11-23", "notes": "一\n\n二"})
    data, values = formkit.parse(QUOTES, form)
    assert data["quotes"] == [{"vendor": "甲公司", "price": 12000.5, "local": True},
                              {"vendor": "乙公司", "price": 11000, "local": False},
                              {"vendor": "丙公司", "price": "贵", "local": False}]
    assert data["decided_on"] == "2026-11-23" and data["notes"] == ["一", "二"]
    assert "method" not in data
    shown = formkit.build(QUOTES, values, {"quotes.2.price": "“报价”应为数字"})[0]
    assert shown.rows[2][0].value == "丙公司" and shown.rows[2][1].error == "“报价”应为数字"


def test_it_adds_and_removes_rows_without_javascript():
    form = MultiDict({"quotes.0.vendor": "甲", "quotes.1.vendor": "乙", "_add_row": "quotes"})
    _data, values = formkit.parse(QUOTES, form)
    assert formkit.edit_rows(values, form)
    assert len(formkit.build(QUOTES, values)[0].rows) == 3
    values["quotes"] = [{"vendor": "甲"}, {"vendor": "乙"}, {"vendor": "丙"}, {"vendor": "丁"}]
    assert formkit.edit_rows(values, MultiDict({"_remove_row": "quotes.1"}))
    assert [r["vendor"] for r in values["quotes"]] == ["甲", "丙", "丁"]
    assert not formkit.edit_rows(values, MultiDict({"_submit": "1"}))


def test_it_knows_which_paths_are_attachments():
    assert formkit.attachment_paths(QUOTES, "quotes.0.quote_file")
    assert not formkit.attachment_paths(QUOTES, "quotes.0.vendor")
    assert not formkit.attachment_paths(QUOTES, "nothing.here")


def test_it_describes_saved_data_with_labels_units_and_choices():
    schema, _ = SHIPPED.load("common/project_facts")
    items = {i["label"]: i for i in formkit.describe(schema, {
        "project_name": "平台", "project_type": "service", "total_investment": 300.0, "urgent": True,
        "extra_key": "x"})}
    assert items["项目类型"]["text"] == "购买服务类" and items["总投资"]["text"] == "300 万元"
    assert items["国家/省/市明确要求且情况紧急（必须当年实施）"]["kind"] == "flag"
    assert items["extra_key"]["text"] == "x"
    table = formkit.describe(QUOTES, {"quotes": [{"vendor": "甲", "price": 1}], "decided_on": "2026-11-23"})
    assert table[0]["kind"] == "table" and table[0]["rows"][0][1]["text"] == "1 万元"
    assert table[1]["text"] == "2026年11月23日"


def test_it_draws_rows_with_a_template_row_and_no_javascript_buttons(app):
    from flask import render_template_string
    fields = formkit.build(QUOTES, {"quotes": [{"vendor": "甲", "price": "-1"}]},
                           {"quotes.0.price": "“报价”不得小于 0"})
    with app.test_request_context("/"):
        html = render_template_string('{% import "ui/_form.html" as forms %}'
                                      '{% for f in fields %}{{ forms.field(f) }}{% endfor %}', fields=fields)
    assert html.count("data-row>") == 3 + 1  # three rows (minItems) and the template row
    assert 'name="quotes.0.vendor" type="text" value="甲"' in html
    assert 'name="quotes.0.quote_file__file" type="file"' in html
    assert 'name="_add_row" value="quotes"' in html and 'name="_remove_row" value="quotes.2"' in html
    assert 'name="quotes.__INDEX__.price"' in html
    assert "“报价”不得小于 0" in html and 'aria-invalid="true"' in html
    assert "询价</option>" in html


def test_it_groups_runs_of_yes_no_boxes():
    schema, _ = SHIPPED.load("common/project_facts")
    fields = formkit.group_checkboxes(formkit.build(schema, errors={"urgent": "请勾选"}))
    group = next(f for f in fields if f.widget == "checkgroup")
    # 叶集 第二条's 已列入部门预算 joins the run of boxes that follows it
    assert [c.name for c in group.columns][:3] == ["in_department_budget", "is_classified", "is_software"]
    assert len(group.columns) == 8
    assert "new_mobile_app" in [f.name for f in fields]  # a lone box stays where it is
    assert formkit.unplaced_errors(fields, {"urgent": "请勾选", "_form": "整体有误"}) == ["整体有误"]

"""宿迁: the multiple choices the regulation lists are Chinese checkboxes, not free-text boxes for internal codes —
第十四条（四） what a declaration may not contain (`prohibited_content` of 接收、登记、初审) and 第三十六条 the
measures against a project not rectified in time (`measures` of 通报批评、暂缓拨付、暂停建设). The values stay the
enum codes the diagram reads; an error is shown beside the field it is about, in Chinese."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from engine.config import ROOT
from engine.errors import ValidationFailed
from engine.forms import FormLibrary
from engine.models import HumanTask
from tests.support import PASSWORD
from tests.test_suqian_support import declared, personas
from tests.web.helpers import form_token
from web.ui import formkit

SHIPPED = FormLibrary(ROOT / "forms")
PROHIBITED = [("no_government_cloud", "未按要求使用政务云平台"), ("machine_room", "新建或扩建机房"),
              ("video_conference", "采购视频会议系统"), ("mobile_app", "新建APP、小程序、快应用等移动互联网应用")]
MEASURES = [("criticism", "通报批评"), ("withhold_funds", "暂缓拨付建设资金及运维经费"), ("suspend", "暂停项目建设")]


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _field(form: str, name: str, values=None, errors=None) -> formkit.Field:
    schema, _ = SHIPPED.load(form)
    return {f.name: f for f in formkit.build(schema, values, errors)}[name]


def _signed_in(app, people, who):
    getattr(people, who)
    client = app.test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": token}).status_code == 303
    return client


def _task_id(ctx, iid, element):
    with ctx.db.transaction() as session:
        return session.query(HumanTask.id).filter(HumanTask.instance_id == iid,
                                                  HumanTask.element_id == element).scalar()


@pytest.mark.parametrize("form, name, options", [("suqian/register_review", "prohibited_content", PROHIBITED),
                                                 ("suqian/sanction", "measures", MEASURES)])
def test_the_choices_the_regulation_lists_are_chinese_checkboxes(form, name, options):
    field = _field(form, name)
    assert field.widget == "multichoice" and field.options == options
    assert field.value == []


def test_the_ticked_measures_are_read_back_as_their_codes_and_shown_in_chinese():
    schema, _ = SHIPPED.load("suqian/sanction")
    data, values = formkit.parse(schema, MultiDict([("measures", "criticism"), ("measures", "withhold_funds"),
                                                    ("terminate", "true"), ("comment", "通报批评")]))
    assert data["measures"] == ["criticism", "withhold_funds"]
    assert _field("suqian/sanction", "measures", values).value == ["criticism", "withhold_funds"]
    shown = {item["label"]: item["text"] for item in formkit.describe(schema, data)}
    assert shown["处理措施"] == "通报批评、暂缓拨付建设资金及运维经费"


def test_a_sanction_without_any_measure_ticked_is_refused_beside_the_measures():
    schema, _ = SHIPPED.load("suqian/sanction")
    data, _values = formkit.parse(schema, MultiDict([("terminate", "true"), ("comment", "拒不整改")]))
    with pytest.raises(ValidationFailed) as err:
        SHIPPED.validate("suqian/sanction", data)
    assert err.value.errors == {"measures": "请至少勾选一项处理措施"}
    assert _field("suqian/sanction", "measures", errors=err.value.errors).error == "请至少勾选一项处理措施"
    SHIPPED.validate("suqian/sanction", {**data, "measures": ["suspend"]})


def test_a_code_that_is_not_one_of_the_choices_is_refused_in_chinese_beside_the_field():
    with pytest.raises(ValidationFailed) as err:
        SHIPPED.validate("suqian/register_review", {"decision": "approve", "prohibited_content": ["机房"]})
    [(key, message)] = err.value.errors.items()
    assert message == "“申报内容涉及（第十四条（四）不得申报）”只能勾选列出的选项"
    fields = formkit.build(SHIPPED.load("suqian/register_review")[0], errors=err.value.errors)
    assert {f.name: f for f in fields}["prohibited_content"].error == message
    assert formkit.unplaced_errors(fields, err.value.errors) == [], key


def test_the_registration_page_offers_the_prohibited_contents_as_checkboxes_and_refuses_a_machine_room(
        app, ctx, people):
    iid = declared(people)
    task_id = _task_id(ctx, iid, "RegisterReview")
    dora = _signed_in(app, people, "dora")
    page = dora.get(f"/tasks/{task_id}").get_data(as_text=True)
    for code, label in PROHIBITED:
        assert f'type="checkbox" name="prohibited_content" value="{code}"' in page and label in page
    assert 'name="prohibited_content" rows=' not in page  # no free-text box
    done = dora.post(f"/tasks/{task_id}", data=MultiDict([
        ("csrf_token", form_token(page)), ("decision", "approve"), ("materials_complete", "true"),
        ("plan_requirements_met", "true"), ("access_ready", "true"), ("data_sharing_ready", "true"),
        ("prohibited_content", "machine_room"), ("finished", "true")]))
    assert done.status_code in (302, 303), done.get_data(as_text=True)[:2000]
    inst = people.instance(iid, who="dora")
    assert inst["status"] == "terminated" and "新建或扩建机房" in inst["outcome_reason"]


def test_a_registration_with_no_prohibited_content_ticked_goes_on(app, ctx, people):
    iid = declared(people)
    task_id = _task_id(ctx, iid, "RegisterReview")
    dora = _signed_in(app, people, "dora")
    page = dora.get(f"/tasks/{task_id}").get_data(as_text=True)
    done = dora.post(f"/tasks/{task_id}", data=MultiDict([
        ("csrf_token", form_token(page)), ("decision", "approve"), ("materials_complete", "true"),
        ("plan_requirements_met", "true"), ("access_ready", "true"), ("data_sharing_ready", "true"),
        ("registration_no", "SQ-2027-001"), ("finished", "true")]))
    assert done.status_code in (302, 303), done.get_data(as_text=True)[:2000]
    assert people.instance(iid, who="dora")["status"] == "running"
    assert "RegisterReview" not in people.ready(iid)

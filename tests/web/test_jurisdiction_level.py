"""A district's projects are district projects: 叶集区 and 瑶海区 declare `"level": "county"` in their
jurisdiction.json, so the start form's 申报层级 defaults to 县区级 there (and to 市级 in a city), in the
browser and when an API client leaves the fact out."""
from __future__ import annotations

import re

from engine.services import views
from tests.conftest import at
from tests.web.test_pages import FACTS, text


def _selected_level(page: str) -> str:
    """The 申报层级 choice the form opens with (radio buttons or a select)."""
    checked = re.findall(r'<input type="radio" name="level" value="(\w+)" checked', page)
    if checked:
        return checked[0]
    select = re.search(r'<select[^>]*name="level"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option value="(\w+)" selected', select).group(1)


def test_a_district_applicant_finds_the_district_level_chosen(sign_in, people):
    people.deploy("yeji")
    page = text(sign_in("alice").get("/projects/new?process=yeji"))
    assert _selected_level(page) == "county"


def test_a_district_project_started_without_a_level_is_a_district_project(ctx, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    assert views.instance_detail(ctx, people.alice, iid)["data"]["level"] == "county"
    iid = people.start("alice", "yeji", dict(FACTS, level="city"), now=at("2026-08-01 10:00"))
    assert views.instance_detail(ctx, people.alice, iid)["data"]["level"] == "city"   # what was declared stays


def test_each_jurisdiction_defaults_to_its_own_level(ctx):
    registry = ctx.registry
    schema = {"properties": {"level": {"type": "string", "enum": ["city", "county"], "default": "city"}}}
    levels = {key: registry.get(key).start_form_defaults(schema)["properties"]["level"]["default"]
              for key in ("yeji", "yaohai", "huaian", "suqian", "jiujiang")}
    assert levels == {"yeji": "county", "yaohai": "county", "huaian": "city", "suqian": "city", "jiujiang": "city"}
    assert schema["properties"]["level"]["default"] == "city"   # the form itself is left alone
    assert registry.get("yeji").fact_defaults({"properties": {}}) == {}

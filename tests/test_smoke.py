from tests.conftest import at


def test_it_starts_a_yeji_project(people):
    iid = people.start("alice", "yeji", {"project_name": "智慧教育平台", "project_type": "construction",
                                         "total_investment": 300}, now=at("2026-08-01 10:00"))
    assert people.ready(iid) == ["Declare"]

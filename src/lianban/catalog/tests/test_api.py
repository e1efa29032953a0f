"""``/api/v1/bundles``: the contract other systems build on."""

import pytest

from lianban.catalog import services
from lianban.catalog.tests.factories import restaurant_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurant():
    bundle = restaurant_bundle()
    version = services.bundle_submit_for_filing(bundle=bundle, actor=None)
    services.version_record(version=version, actor=None)
    services.version_publish(version=version, actor=None)
    return bundle


def test_list_bundles(client, restaurant):
    response = client.get("/api/v1/bundles")
    assert response.status_code == 200
    [row] = response.json()
    assert row["code"] == "restaurant"
    assert row["version"] == 1
    assert row["lead_department"] == {"code": "scjgj", "name": "区市场监管局"}
    assert row["item_count"] == 5
    assert row["category_label"] == "设立开办"


def test_list_bundles_searches_item_names_too(client, restaurant):
    assert len(client.get("/api/v1/bundles", {"q": "消防"}).json()) == 1
    assert client.get("/api/v1/bundles", {"q": "结婚"}).json() == []


def test_bundle_detail_has_situations_items_and_dependencies(client, restaurant):
    body = client.get("/api/v1/bundles/restaurant").json()
    assert [s["key"] for s in body["situations"]] == ["area", "sign"]
    assert body["situations"][0]["options"][0] == {"key": "lt50", "label": "50㎡以下"}
    assert [i["code"] for i in body["items"]] == [
        "SCJGJ-001",
        "SCJGJ-002",
        "SCJGJ-003",
        "XFZD-001",
        "CGJ-001",
    ]
    assert body["dependencies"] == [{"item": "SCJGJ-002", "after": "SCJGJ-001"}]
    assert body["exclusive"] == [["SCJGJ-002", "SCJGJ-003"]]


def test_unknown_bundle_is_a_structured_404(client, restaurant):
    response = client.get("/api/v1/bundles/nothing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "nothing" in response.json()["message"]


def test_plan(client, restaurant):
    response = client.post(
        "/api/v1/bundles/restaurant/plan",
        {"answers": {"area": "ge100", "sign": ["yes"]}},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert [i["code"] for i in body["items"]] == ["SCJGJ-001", "SCJGJ-002", "XFZD-001", "CGJ-001"]
    assert body["total_days"] == 13
    assert body["critical_path"] == ["SCJGJ-001", "SCJGJ-002"]
    assert body["complete"] is True
    assert body["materials"][0] == {
        "code": "id_card",
        "name": "申请人居民身份证",
        "description": "",
        "secondary": False,
        "items": ["SCJGJ-001", "SCJGJ-002", "XFZD-001", "CGJ-001"],
    }
    assert body["steps"][0]["title"] == "提交申请"


def test_plan_with_a_missing_answer_names_the_question(client, restaurant):
    response = client.post(
        "/api/v1/bundles/restaurant/plan",
        {"answers": {"area": "lt50"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "answers.sign", "message": "请回答问题“是否设置门头招牌？”。"}
    ]


def test_plan_with_malformed_json(client, restaurant):
    response = client.post(
        "/api/v1/bundles/restaurant/plan", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_plan_with_answers_of_the_wrong_type(client, restaurant):
    response = client.post(
        "/api/v1/bundles/restaurant/plan", {"answers": ["lt50"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "answers"

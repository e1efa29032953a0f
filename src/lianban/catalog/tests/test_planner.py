"""The planner on a small restaurant bundle: which items apply, merged materials and fields,
dependencies and the critical path, and clear errors for bad answers."""

import pytest

from lianban.catalog.planner import PlanError, answer_combinations, compile_snapshot, make_plan
from lianban.catalog.snapshot import bundle_snapshot
from lianban.catalog.tests.factories import add_situation, restaurant_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurant():
    return compile_snapshot(bundle_snapshot(restaurant_bundle()), 1)


def test_small_shop_gets_the_registration_not_the_licence(restaurant):
    plan = make_plan(restaurant, {"area": "lt50", "sign": "no"})
    assert plan.item_codes == ["SCJGJ-001", "SCJGJ-003"]


def test_large_restaurant_with_a_sign_gets_licence_fire_check_and_sign(restaurant):
    plan = make_plan(restaurant, {"area": "ge100", "sign": "yes"})
    assert plan.item_codes == ["SCJGJ-001", "SCJGJ-002", "XFZD-001", "CGJ-001"]


def test_materials_are_merged_once_with_the_items_that_use_them(restaurant):
    plan = make_plan(restaurant, {"area": "ge100", "sign": "yes"})
    by_code = {m["code"]: m for m in plan.materials}
    assert [m["code"] for m in plan.materials] == ["id_card", "lease", "floor_plan", "sign_design"]
    assert by_code["id_card"]["items"] == ["SCJGJ-001", "SCJGJ-002", "XFZD-001", "CGJ-001"]
    assert by_code["floor_plan"]["items"] == ["SCJGJ-002", "XFZD-001"]


def test_a_material_is_secondary_only_if_every_item_treats_it_so(restaurant):
    big = {m["code"]: m for m in make_plan(restaurant, {"area": "ge100", "sign": "no"}).materials}
    assert big["lease"]["secondary"] is False  # the business licence needs it up front
    assert big["floor_plan"]["secondary"] is False


def test_fields_are_merged_once_with_the_items_that_need_them(restaurant):
    plan = make_plan(restaurant, {"area": "50to100", "sign": "no"})
    assert [f["key"] for f in plan.fields] == ["applicant_name", "applicant_phone", "business_area"]
    assert {f["key"]: f["items"] for f in plan.fields}["business_area"] == ["SCJGJ-002"]


def test_critical_path_follows_the_dependency(restaurant):
    plan = make_plan(restaurant, {"area": "ge100", "sign": "yes"})
    # 营业执照 3 days, then 食品经营许可 10 days = 13; fire check 8 and sign 5 in parallel.
    assert plan.total_days == 13
    assert plan.critical_path == ["SCJGJ-001", "SCJGJ-002"]
    assert [[i["code"] for i in s] for s in plan.stages] == [
        ["SCJGJ-001", "XFZD-001", "CGJ-001"],
        ["SCJGJ-002"],
    ]


def test_a_prerequisite_outside_the_plan_is_ignored(restaurant):
    plan = make_plan(restaurant, {"area": "lt50", "sign": "yes"})
    assert plan.total_days == 5
    assert plan.as_dict()["items"][1]["after"] == []


def test_a_missing_answer_names_the_question(restaurant):
    with pytest.raises(PlanError) as exc:
        make_plan(restaurant, {"area": "lt50"})
    assert exc.value.errors == [
        {"path": "answers.sign", "message": "请回答问题“是否设置门头招牌？”。"}
    ]


def test_an_unknown_question_is_named(restaurant):
    with pytest.raises(PlanError) as exc:
        make_plan(restaurant, {"area": "lt50", "sign": "no", "floor": "2"})
    assert exc.value.errors[0]["path"] == "answers.floor"
    assert "floor" in exc.value.errors[0]["message"]


def test_an_unknown_option_lists_the_valid_ones(restaurant):
    with pytest.raises(PlanError) as exc:
        make_plan(restaurant, {"area": "huge", "sign": "no"})
    message = exc.value.errors[0]["message"]
    assert exc.value.errors[0]["path"] == "answers.area"
    assert "huge" in message and "lt50（50㎡以下）" in message


def test_a_single_choice_question_refuses_two_answers(restaurant):
    with pytest.raises(PlanError) as exc:
        make_plan(restaurant, {"area": ["lt50", "ge100"], "sign": "no"})
    assert "只能选择一项" in exc.value.errors[0]["message"]


def test_answers_must_be_an_object(restaurant):
    with pytest.raises(PlanError) as exc:
        make_plan(restaurant, ["lt50"])
    assert exc.value.errors[0]["path"] == "answers"


def test_partial_plan_lists_pending_questions_and_undetermined_items(restaurant):
    plan = make_plan(restaurant, {"sign": "yes"}, partial=True)
    assert [q.key for q in plan.pending] == ["area"]
    assert plan.item_codes == ["SCJGJ-001", "CGJ-001"]
    assert [i["code"] for i in plan.undetermined] == ["SCJGJ-002", "SCJGJ-003", "XFZD-001"]
    assert not plan.complete


def test_follow_up_questions_are_asked_only_when_they_apply():
    bundle = restaurant_bundle()
    add_situation(
        bundle,
        "sign_size",
        "招牌面积？",
        [("small", "10㎡以下"), ("big", "10㎡以上")],
        ask_when={"sign": ["yes"]},
    )
    d = compile_snapshot(bundle_snapshot(bundle), 1)
    make_plan(d, {"area": "lt50", "sign": "no"})  # not asked: not required
    with pytest.raises(PlanError):
        make_plan(d, {"area": "lt50", "sign": "yes"})
    # An answer to a question that is not asked is ignored, not held against the person.
    plan = make_plan(d, {"area": "lt50", "sign": "no", "sign_size": "big"})
    assert "sign_size" not in plan.answers


def test_multiple_choice_takes_a_list_of_at_least_one():
    bundle = restaurant_bundle()
    add_situation(bundle, "extras", "还需要办理？", [("a", "甲"), ("b", "乙")], multiple=True)
    d = compile_snapshot(bundle_snapshot(bundle), 1)
    with pytest.raises(PlanError) as exc:
        make_plan(d, {"area": "lt50", "sign": "no", "extras": []})
    assert "至少选择一项" in exc.value.errors[0]["message"]
    assert make_plan(d, {"area": "lt50", "sign": "no", "extras": "a"}).answers["extras"] == {"a"}
    plan = make_plan(d, {"area": "lt50", "sign": "no", "extras": ["a", "b"]})
    assert plan.answers["extras"] == {"a", "b"}


def test_answer_combinations_cover_every_complete_answer(restaurant):
    combos = list(answer_combinations(restaurant))
    assert len(combos) == 6
    assert {"area": ["lt50"], "sign": ["yes"]} in combos

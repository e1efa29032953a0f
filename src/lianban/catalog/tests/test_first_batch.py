"""The first batch (附件2) as loaded from the data file, checked against the seed's own table
text, and every bundle's situations checked for reachability and consistency."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from lianban.catalog import loader
from lianban.catalog.models import Bundle
from lianban.catalog.planner import answer_combinations, make_plan
from lianban.catalog.selectors import definition_of, published_definitions, published_version

SEED = (
    Path(__file__).resolve().parents[4] / "docs" / "policy" / "weibin-2021-yijianshi-yicibanli.txt"
)
DATA = loader.read()

# How the seed's PDF extraction printed things the data file states cleanly. Each entry is a
# page-break artifact read off the seed text, not a correction of its content.
HEADER_AS_PRINTED = {
    13: "13我要开游戏文广外旅局",  # name broken by a page break
    16: "16我要开农药农作物种子经营店、农业农村局",  # stray "、" before the lead department
    20: "20我要开宾馆酒店、区市场监管局",
    29: "29我要变更民民宗局",
    34: "34我要上幼儿教育局",
    38: "38我要上初中（进城务工人员随迁子教育局",
}
# Text printed before the item at this index of the bundle (first printed number → index).
PRINTED_BEFORE_ITEM = {
    13: {1: "娱乐厅"},
    29: {1: "族成分"},
    34: {1: "园（幼儿园儿童入学登记）"},
    38: {2: "女）"},
}
# Where a bundle split over two numbered rows starts its second row (index of its first item).
SECOND_ROW_AT = {6: 5, 13: 2, 29: 5}
ITEM_AS_PRINTED = {
    # The closing bracket of the name slipped behind the department column.
    (
        "动物和动物产品无害化处理场、动物隔离场所动物防疫条件合格证核发（设立）",
        "农业农村局",
    ): "动物和动物产品无害化处理场、动物隔离场所动物防疫条件合格证核发（设立农业农村局）",
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_table() -> str:
    """附件2's cells in reading order, with whitespace, repeated page headers and the
    completion-date column removed."""
    text = SEED.read_text(encoding="utf-8")
    table = _squash(text[text.rindex("卫滨区第一批“一件事一次办”事项目录") :])
    table = table.removeprefix("卫滨区第一批“一件事一次办”事项目录")
    table = table.replace("序号一件事名称牵头部门联办事项名称关联部门层级备注完成时限", "")
    table = re.sub(r"2021年12月(15|31)(日前)?", "", table)
    return table.replace("日前", "")


def expected_table() -> str:
    departments = {d["code"]: d["name"] for d in DATA["departments"]}
    items = {i["code"]: i for i in DATA["items"]}
    out = []
    for bundle in DATA["bundles"]:
        first, *rest = bundle["printed_numbers"]
        lead = departments[bundle["lead_department"]]
        out.append(HEADER_AS_PRINTED.get(first, f"{first}{bundle['name']}{lead}"))
        for index, entry in enumerate(bundle["items"]):
            if rest and SECOND_ROW_AT.get(first) == index:
                out.append(f"{rest[0]}{bundle['name']}{lead}")
            out.append(PRINTED_BEFORE_ITEM.get(first, {}).get(index, ""))
            item = items[entry["item"]]
            dept = departments[item["department"]]
            printed = ITEM_AS_PRINTED.get((item["name"], dept), item["name"] + dept)
            out.append(printed + (entry.get("levels") or "") + (entry.get("note") or ""))
    return _squash("".join(out))


def test_data_file_reproduces_the_seed_table_exactly():
    seed, ours = seed_table(), expected_table()
    if seed != ours:
        at = next(i for i, (a, b) in enumerate(zip(seed, ours, strict=False)) if a != b)
        pytest.fail(
            f"differs at {at}: seed …{seed[at - 40 : at + 40]}… / data …{ours[at - 40 : at + 40]}…"
        )


def test_first_batch_counts():
    assert len(DATA["bundles"]) == 41
    assert sum(len(b["items"]) for b in DATA["bundles"]) == 217
    numbers = [n for b in DATA["bundles"] for n in b["printed_numbers"]]
    assert numbers == list(range(1, 45))


def test_item_details_are_marked_as_examples_for_the_lead_department():
    assert all(i.get("example") is True for i in DATA["items"])
    for item in DATA["items"]:
        assert 0 <= item["promised_limit_days"] <= item["statutory_limit_days"], item["name"]
        assert item["materials"], item["name"]
        assert item["fields"], item["name"]
        assert item["legal_basis"], item["name"]


@pytest.mark.django_db
def test_loading_publishes_every_bundle(first_batch):
    assert len(first_batch.published) == 41
    assert len(published_definitions()) == 41
    assert Bundle.objects.count() == 41


@pytest.mark.django_db
def test_loading_twice_changes_nothing(first_batch):
    report = loader.load(loader.read())
    assert report.published == []
    assert len(report.skipped) == 41


@pytest.mark.django_db
@pytest.mark.parametrize("code", [b["code"] for b in DATA["bundles"]])
def test_every_item_reachable_no_exclusive_pair_no_duplicates(first_batch, code):
    definition = definition_of(published_version(code))
    reached: set[str] = set()
    for answers in answer_combinations(definition):
        plan = make_plan(definition, answers)
        codes = plan.item_codes
        assert codes, f"{answers} selects nothing"
        assert len(codes) == len(set(codes))
        for group in definition.exclusive:
            assert len(set(codes) & set(group)) <= 1, f"{answers} selects {group}"
        material_codes = [m["code"] for m in plan.materials]
        field_keys = [f["key"] for f in plan.fields]
        assert len(material_codes) == len(set(material_codes))
        assert len(field_keys) == len(set(field_keys))
        reached.update(codes)
    assert reached == {i["code"] for i in definition.items}


def _names(code: str, answers: dict) -> set[str]:
    definition = definition_of(published_version(code))
    return {i["name"] for i in make_plan(definition, answers).items}


def _code_named(bundle_name: str) -> str:
    return next(b["code"] for b in DATA["bundles"] if b["name"] == bundle_name)


# Alternatives that the law makes exclusive, by printed name; the data's exclusive groups and
# situations must keep them apart in every plan.
MUST_EXCLUDE = [
    ("我要开饭店（食品小经营店）", ["食品（含保健食品）经营许可核发", "食品小经营店登记"]),
    (
        "我要开酒吧",
        ["歌舞娱乐场所经营单位设立审批（自有场地）", "歌舞娱乐场所经营单位设立审批（租赁场地）"],
    ),
    (
        "结婚一件事",
        [
            "内地居民办理结婚登记",
            "内地居民同香港居民在中国内地办理结婚登记",
            "内地居民同澳门居民在中国内地办理结婚登记",
            "内地居民同台湾居民在中国内地办理结婚登记",
        ],
    ),
    (
        "退休养老一件事",
        [
            "企业人员退休申请（已有社会化发放信息-正常退休）",
            "企业人员退休申请（无社会化发放信息-正常退休）",
            "企业人员退休申请（已有社会化发放信息-提前退休）",
            "企业人员退休申请（无社会化发放信息-提前退休）",
        ],
    ),
    (
        "我要开书店",
        [
            "出版物零售单位和个体工商户设立、兼并、合并、分立审批（工作场所为单位自有产权）",
            "出版物零售单位和个体工商户设立、兼并、合并、分立审批（工作场所为租赁性质）",
        ],
    ),
    ("身后一件事", ["失业人员死亡（无供养亲属）", "失业人员死亡（有供养亲属）"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("bundle_name", "alternatives"), MUST_EXCLUDE)
def test_legal_alternatives_never_meet_in_one_plan(first_batch, bundle_name, alternatives):
    code = _code_named(bundle_name)
    definition = definition_of(published_version(code))
    for answers in answer_combinations(definition):
        assert len(_names(code, answers) & set(alternatives)) <= 1, answers


# Orders the law imposes, by printed name: (bundle, earlier, later).
MUST_PRECEDE = [
    ("企业注销一件事", "税务登记注销", "营业执照注销"),
    (
        "我要开农药农作物种子经营店",
        "农作物种子生产经营许可证初审",
        "农作物种子生产经营许可证核发（CD证设立）",
    ),
    (
        "我要变更民族成分",
        "公民民族成份变更（未满十八周岁）（根据父母的民族成份）县级初审",
        "公民民族成份变更（未满十八周岁）（根据父母的民族成份）区级复审",
    ),
    (
        "我要变更民族成分",
        "公民民族成份变更（年满十八周岁不满二十周岁）县级初审",
        "公民民族成份变更（年满十八周岁不满二十周岁）区级复审",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("bundle_name", "earlier", "later"), MUST_PRECEDE)
def test_legal_order_is_kept(first_batch, bundle_name, earlier, later):
    definition = definition_of(published_version(_code_named(bundle_name)))
    by_name = {i["name"]: i for i in definition.items}
    assert by_name[earlier]["code"] in by_name[later]["after"]


@pytest.mark.django_db
def test_restaurant_situations_follow_floor_area_and_shop_sign(first_batch):
    code = _code_named("我要开饭店（食品小经营店）")
    definition = definition_of(published_version(code))
    for answers in answer_combinations(definition):
        names = _names(code, answers)
        area = answers.get(next(q.key for q in definition.questions if "面积" in q.text))
        labels = dict(next(q for q in definition.questions if "面积" in q.text).options)
        label = labels[area[0]]
        assert ("食品小经营店登记" in names) == ("50㎡以下" in label), (answers, names)
        assert ("公众聚集场所投入使用、营业前消防安全检查" in names) == ("100㎡以上" in label)


@pytest.mark.django_db
def test_export_catalog_prints_the_published_catalog(first_batch, capsys):
    import json

    call_command("export_catalog")
    exported = json.loads(capsys.readouterr().out)
    assert [b["code"] for b in exported["bundles"]] == [b["code"] for b in DATA["bundles"]]
    first = exported["bundles"][0]
    assert set(first) == {"code", "name", "version", "lead_department", "items"}
    assert first["lead_department"] == "公安局"
    assert first["items"][0] == {
        "code": first["items"][0]["code"],
        "name": "对新出生婴儿办理出生登记（国内出生）",
        "department": "公安局",
        "levels": "C",
        "note": "",
    }
    assert sum(len(b["items"]) for b in exported["bundles"]) == 217

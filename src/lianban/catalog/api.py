"""``/api/v1/bundles``: the published catalog and the planner."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from lianban.api.errors import ErrorOut
from lianban.catalog.models import Bundle
from lianban.catalog.planner import PlanError, make_plan
from lianban.catalog.selectors import definition_of, published_definitions, published_version
from lianban.common.errors import DomainError

router = Router(tags=["一件事"])


class DepartmentOut(Schema):
    code: str
    name: str


class BundleSummaryOut(Schema):
    code: str
    name: str
    version: int
    lead_department: DepartmentOut
    subject: str
    category: str
    category_label: str
    summary: str
    item_count: int


class OptionOut(Schema):
    key: str
    label: str


class SituationOut(Schema):
    key: str
    text: str
    multiple: bool
    ask_when: dict[str, list[str]] = Field(description="仅当此前的回答满足时提问")
    options: list[OptionOut]


class ItemOut(Schema):
    code: str
    name: str
    department: DepartmentOut
    levels: str
    note: str
    when: dict[str, list[str]] = Field(description="适用情形；空表示总是适用")
    after: list[str] = Field(description="须待其作出决定后才能办理的事项编码")
    handling_form: str
    statutory_limit_days: int
    promised_limit_days: int
    fee: str
    legal_basis: str
    conditions: str
    review_points: list[str]
    example: bool = Field(description="详情为示例数据，待牵头部门确认")


class DependencyOut(Schema):
    item: str
    after: str


class BundleOut(Schema):
    code: str
    name: str
    version: int
    lead_department: DepartmentOut
    subject: str
    category: str
    summary: str
    printed_numbers: list[int]
    situations: list[SituationOut]
    items: list[ItemOut]
    dependencies: list[DependencyOut]
    exclusive: list[list[str]]


class PlanIn(Schema):
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="情形回答：{问题键: 选项键} 或 {问题键: [选项键, ...]}（可多选的问题）",
    )


class PlanItemOut(Schema):
    code: str
    name: str
    department: DepartmentOut
    levels: str
    note: str
    handling_form: str
    promised_limit_days: int
    after: list[str]
    finish_day: int = Field(description="按关键路径，自受理起第几个工作日内办结")


class PlanMaterialOut(Schema):
    code: str
    name: str
    description: str
    secondary: bool = Field(description="次要材料，可容缺受理")
    items: list[str]


class PlanFieldOut(Schema):
    key: str
    label: str
    type: str
    required: bool
    help: str
    unit: str
    choices: list[OptionOut]
    items: list[str]


class StepOut(Schema):
    title: str
    description: str
    items: list[str]
    days: int


class PlanOut(Schema):
    bundle: str
    version: int
    complete: bool
    answers: dict[str, list[str]]
    pending_questions: list[str]
    items: list[PlanItemOut]
    undetermined_items: list[str]
    materials: list[PlanMaterialOut]
    fields: list[PlanFieldOut]
    steps: list[StepOut]
    total_days: int = Field(description="各事项承诺时限沿前后置关系的关键路径之和（工作日）")
    critical_path: list[str]


class BundleFilter(Schema):
    q: str | None = Field(None, description="按一件事或事项名称搜索")
    category: str | None = None
    subject: str | None = None


def _version(code: str, number: int | None) -> Any:
    version = published_version(code, number)
    if version is None:
        raise Http404(f"未找到一件事“{code}”" + (f"的第{number}版" if number else "") + "。")
    return version


@router.get("", response=list[BundleSummaryOut], summary="现行发布的一件事")
def list_bundles(request: HttpRequest, filters: Query[BundleFilter]) -> list[dict[str, Any]]:
    labels = dict(Bundle.Category.choices)
    out = []
    for d in published_definitions():
        s = d.snapshot
        if filters.category and s["category"] != filters.category:
            continue
        if filters.subject and s["subject"] != filters.subject:
            continue
        if (
            filters.q
            and filters.q not in d.name
            and not any(filters.q in i["name"] for i in d.items)
        ):
            continue
        out.append(
            {
                "code": d.code,
                "name": d.name,
                "version": d.version,
                "lead_department": s["lead_department"],
                "subject": s["subject"],
                "category": s["category"],
                "category_label": labels.get(s["category"], ""),
                "summary": s["summary"],
                "item_count": len(d.items),
            }
        )
    return out


@router.get("/{code}", response={200: BundleOut, 404: ErrorOut}, summary="一件事详情")
def get_bundle(request: HttpRequest, code: str, version: int | None = None) -> dict[str, Any]:
    d = definition_of(_version(code, version))
    s = d.snapshot
    return {
        **{
            k: s[k]
            for k in (
                "code",
                "name",
                "lead_department",
                "subject",
                "category",
                "summary",
                "printed_numbers",
                "situations",
                "items",
            )
        },
        "version": d.version,
        "dependencies": [{"item": i["code"], "after": a} for i in d.items for a in i["after"]],
        "exclusive": [list(g) for g in d.exclusive],
    }


@router.post(
    "/{code}/plan",
    response={200: PlanOut, 400: ErrorOut, 404: ErrorOut},
    summary="按情形回答生成办理方案",
)
def plan(
    request: HttpRequest, code: str, payload: PlanIn, version: int | None = None
) -> dict[str, Any]:
    d = definition_of(_version(code, version))
    try:
        return make_plan(d, payload.answers).as_dict()
    except PlanError as exc:
        raise DomainError("情形回答有误，请按提示修改。", errors=exc.errors) from exc

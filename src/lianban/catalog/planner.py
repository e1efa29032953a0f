"""The planner: from a bundle version and the applicant's situation answers, what applies.

Pure functions over a version's snapshot (no queries), so a plan costs microseconds and is
always computed under the exact rules of the version an application was made under.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from lianban.catalog import rules


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    multiple: bool
    ask_when: dict[str, list[str]]
    options: tuple[tuple[str, str], ...]

    @property
    def option_keys(self) -> frozenset[str]:
        return frozenset(k for k, _ in self.options)

    def label(self, option_key: str) -> str:
        return dict(self.options).get(option_key, option_key)


@dataclass(frozen=True)
class Definition:
    """A snapshot, indexed once for planning."""

    code: str
    name: str
    version: int
    questions: tuple[Question, ...]
    items: tuple[dict[str, Any], ...]
    exclusive: tuple[tuple[str, ...], ...]
    snapshot: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def question_by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}


def compile_snapshot(snapshot: dict[str, Any], version: int = 0) -> Definition:
    questions = tuple(
        Question(
            key=s["key"],
            text=s["text"],
            multiple=bool(s["multiple"]),
            ask_when=dict(s.get("ask_when") or {}),
            options=tuple((o["key"], o["label"]) for o in s["options"]),
        )
        for s in snapshot["situations"]
    )
    return Definition(
        code=snapshot["code"],
        name=snapshot["name"],
        version=version,
        questions=questions,
        items=tuple(snapshot["items"]),
        exclusive=tuple(tuple(g) for g in snapshot.get("exclusive", [])),
        snapshot=snapshot,
    )


class PlanError(Exception):
    """Answers that cannot be planned. ``errors`` are ``{"path", "message"}`` dicts."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


@dataclass
class Plan:
    definition: Definition
    answers: dict[str, frozenset[str]]
    items: list[dict[str, Any]]
    undetermined: list[dict[str, Any]]
    pending: list[Question]
    materials: list[dict[str, Any]]
    fields: list[dict[str, Any]]
    stages: list[list[dict[str, Any]]]
    finish: dict[str, int]
    critical_path: list[str]

    @property
    def complete(self) -> bool:
        return not self.pending and not self.undetermined

    @property
    def total_days(self) -> int:
        return max(self.finish.values(), default=0)

    @property
    def item_codes(self) -> list[str]:
        return [i["code"] for i in self.items]

    def answer_labels(self) -> list[tuple[str, str]]:
        out = []
        for q in self.definition.questions:
            if q.key in self.answers:
                chosen = [label for key, label in q.options if key in self.answers[q.key]]
                out.append((q.text, "、".join(chosen) or "都不需要"))
        return out

    def steps(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = [
            {
                "title": "提交申请",
                "description": "在网上政务服务平台“一件事一次办”专栏或政务大厅“一件事一次办”综合窗口，"
                "填写一张申请表、提交一套材料。",
                "items": [],
                "days": 0,
            },
            {
                "title": "综合窗口收件",
                "description": "窗口当场（网上申请1个工作日内）审查材料，出具收件回执；"
                "材料需补正的，一次性告知全部补正内容。",
                "items": [],
                "days": 1,
            },
        ]
        for n, stage in enumerate(self.stages, start=1):
            parallel = "并联办理" if len(stage) > 1 else "办理"
            title = f"第{n}步：{parallel}" if len(self.stages) > 1 else f"各部门{parallel}"
            steps.append(
                {
                    "title": title,
                    "description": "各联办部门1个工作日内受理，在承诺时限内作出决定："
                    + "；".join(
                        f"{i['name']}（{i['department']['name']}，"
                        f"{i['promised_limit_days']}个工作日）"
                        for i in stage
                    ),
                    "items": [i["code"] for i in stage],
                    "days": max(i["promised_limit_days"] for i in stage),
                }
            )
        steps.append(
            {
                "title": "统一送达",
                "description": "办理结果1个工作日内返回综合窗口，按您选择的方式一次送达："
                "窗口领取、邮寄或网上自助打印。",
                "items": [],
                "days": 1,
            }
        )
        return steps

    def as_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.definition.code,
            "version": self.definition.version,
            "complete": self.complete,
            "answers": {k: sorted(v) for k, v in self.answers.items()},
            "pending_questions": [q.key for q in self.pending],
            "items": [
                {
                    "code": i["code"],
                    "name": i["name"],
                    "department": i["department"],
                    "levels": i["levels"],
                    "note": i["note"],
                    "handling_form": i["handling_form"],
                    "promised_limit_days": i["promised_limit_days"],
                    "after": [c for c in i["after"] if c in self.finish],
                    "finish_day": self.finish[i["code"]],
                }
                for i in self.items
            ],
            "undetermined_items": [i["code"] for i in self.undetermined],
            "materials": self.materials,
            "fields": self.fields,
            "steps": self.steps(),
            "total_days": self.total_days,
            "critical_path": self.critical_path,
        }


def _normalise(
    definition: Definition, raw: Any
) -> tuple[dict[str, frozenset[str]], list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return {}, [{"path": "answers", "message": "回答应为“问题键: 选项键”的对象。"}]
    by_key = definition.question_by_key
    answers: dict[str, frozenset[str]] = {}
    for key, value in raw.items():
        path = f"answers.{key}"
        question = by_key.get(key)
        if question is None:
            errors.append({"path": path, "message": f"“{definition.name}”没有问题“{key}”。"})
            continue
        if isinstance(value, str):
            chosen = [value]
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            chosen = list(value)
        else:
            errors.append(
                {"path": path, "message": f"问题“{question.text}”的回答应为选项键或选项键列表。"}
            )
            continue
        if question.multiple and not chosen:
            errors.append({"path": path, "message": f"问题“{question.text}”请至少选择一项。"})
            continue
        if not question.multiple and len(chosen) != 1:
            errors.append({"path": path, "message": f"问题“{question.text}”只能选择一项。"})
            continue
        unknown = [v for v in chosen if v not in question.option_keys]
        if unknown:
            known = "、".join(f"{k}（{label}）" for k, label in question.options)
            errors.append(
                {
                    "path": path,
                    "message": f"问题“{question.text}”没有选项"
                    f"“{'、'.join(unknown)}”，可选：{known}。",
                }
            )
            continue
        answers[key] = frozenset(chosen)
    return answers, errors


def make_plan(definition: Definition, raw_answers: Any, *, partial: bool = False) -> Plan:
    """Plan ``definition`` for ``raw_answers`` (``{question: option or [options]}``).

    Strict (the default, for applications and the API): every question that is asked must be
    answered, or :class:`PlanError` names it. Partial (for the guide page while a person is
    still answering): unanswered questions are returned as pending and the items that depend
    on them as undetermined. Answers to questions that are not asked are ignored.
    """
    answers, errors = _normalise(definition, raw_answers)
    asked: dict[str, bool | None] = {}
    effective: dict[str, frozenset[str]] = {}
    pending: list[Question] = []
    for q in definition.questions:
        state = rules.evaluate(q.ask_when, effective, asked)
        asked[q.key] = state
        if state is True:
            if q.key in answers:
                effective[q.key] = answers[q.key]
            else:
                pending.append(q)
    if not partial:
        # A question whose answer was refused above is not also reported as unanswered.
        refused = {e["path"] for e in errors}
        pending = [q for q in pending if f"answers.{q.key}" not in refused]
        errors.extend(
            {"path": f"answers.{q.key}", "message": f"请回答问题“{q.text}”。"} for q in pending
        )
    if errors:
        raise PlanError(errors)

    items: list[dict[str, Any]] = []
    undetermined: list[dict[str, Any]] = []
    for item in definition.items:
        state = rules.evaluate(item["when"], effective, asked)
        if state is True:
            items.append(item)
        elif state is None:
            undetermined.append(item)

    by_code = {i["code"]: i for i in items}
    finish: dict[str, int] = {}
    depth: dict[str, int] = {}
    via: dict[str, str | None] = {}

    def visit(code: str) -> None:
        if code in finish:
            return
        prereqs = [c for c in by_code[code]["after"] if c in by_code]
        for c in prereqs:
            visit(c)
        latest = max(prereqs, key=lambda c: finish[c], default=None)
        via[code] = latest
        finish[code] = (finish[latest] if latest else 0) + by_code[code]["promised_limit_days"]
        depth[code] = 1 + max((depth[c] for c in prereqs), default=0)

    for code in by_code:
        visit(code)
    path: list[str] = []
    cursor = max(finish, key=lambda c: finish[c], default=None)
    while cursor is not None:
        path.append(cursor)
        cursor = via[cursor]
    stages: list[list[dict[str, Any]]] = [
        [i for i in items if depth[i["code"]] == n]
        for n in range(1, max(depth.values(), default=0) + 1)
    ]

    materials: dict[str, dict[str, Any]] = {}
    fields: dict[str, dict[str, Any]] = {}
    for item in items:
        for m in item["materials"]:
            entry = materials.setdefault(
                m["code"],
                {
                    "code": m["code"],
                    "name": m["name"],
                    "description": m["description"],
                    "secondary": True,
                    "items": [],
                },
            )
            # Only a material every using item treats as secondary may be handed in later.
            entry["secondary"] = entry["secondary"] and m["secondary"]
            entry["items"].append(item["code"])
        for f in item["fields"]:
            fentry = fields.setdefault(
                f["key"],
                {
                    "key": f["key"],
                    "label": f["label"],
                    "type": f["type"],
                    "required": False,
                    "help": f["help"],
                    "unit": f["unit"],
                    "choices": f["choices"],
                    "items": [],
                },
            )
            fentry["required"] = fentry["required"] or f["required"]
            fentry["items"].append(item["code"])

    return Plan(
        definition=definition,
        answers=effective,
        items=items,
        undetermined=undetermined,
        pending=pending,
        materials=list(materials.values()),
        fields=list(fields.values()),
        stages=stages,
        finish=finish,
        critical_path=list(reversed(path)),
    )


MAX_COMBINATIONS = 20000


def answer_combinations(definition: Definition) -> Iterator[dict[str, list[str]]]:
    """Every complete set of answers a person could give, respecting ``ask_when``."""
    questions = definition.questions
    count = 0

    def walk(
        index: int, given: dict[str, list[str]], asked: dict[str, bool | None]
    ) -> Iterator[dict[str, list[str]]]:
        nonlocal count
        if index == len(questions):
            count += 1
            if count > MAX_COMBINATIONS:
                raise ValueError(f"“{definition.name}”的情形组合超过{MAX_COMBINATIONS}种")
            yield dict(given)
            return
        q = questions[index]
        effective = {k: frozenset(v) for k, v in given.items()}
        state = rules.evaluate(q.ask_when, effective, asked)
        if not state:
            yield from walk(index + 1, given, {**asked, q.key: False})
            return
        keys = [k for k, _ in q.options]
        choices: list[list[str]] = (
            [list(c) for n in range(1, len(keys) + 1) for c in combinations(keys, n)]
            if q.multiple
            else [[k] for k in keys]
        )
        for choice in choices:
            yield from walk(index + 1, {**given, q.key: choice}, {**asked, q.key: True})

    yield from walk(0, {}, {})

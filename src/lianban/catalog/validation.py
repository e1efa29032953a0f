"""Checks a bundle definition must pass before it can be submitted for 备案 or loaded."""

from __future__ import annotations

from typing import Any

from lianban.catalog.planner import PlanError, answer_combinations, compile_snapshot, make_plan


def definition_errors(snapshot: dict[str, Any]) -> list[str]:
    """Everything wrong with a bundle snapshot, in Chinese; empty when it is sound."""
    errors: list[str] = []
    name = snapshot["name"]
    codes = [i["code"] for i in snapshot["items"]]
    if not codes:
        errors.append(f"“{name}”没有联办事项。")
    if len(set(codes)) != len(codes):
        errors.append(f"“{name}”中有重复的联办事项。")
    questions: dict[str, set[str]] = {}
    for s in snapshot["situations"]:
        if s["key"] in questions:
            errors.append(f"“{name}”中情形“{s['key']}”重复。")
        option_keys = [o["key"] for o in s["options"]]
        if len(option_keys) < 2 or len(set(option_keys)) != len(option_keys):
            errors.append(f"情形“{s['text']}”至少要有两个不重复的选项。")
        errors.extend(_rule_errors(s["ask_when"], questions, f"情形“{s['text']}”的提问条件"))
        questions[s["key"]] = set(option_keys)
    for item in snapshot["items"]:
        errors.extend(_rule_errors(item["when"], questions, f"事项“{item['name']}”的适用情形"))
        for code in item["after"]:
            if code not in codes:
                errors.append(f"事项“{item['name']}”的前置事项“{code}”不在本一件事中。")
        if item["promised_limit_days"] > item["statutory_limit_days"]:
            errors.append(f"事项“{item['name']}”的承诺时限超过法定时限。")
    for group in snapshot["exclusive"]:
        for code in group:
            if code not in codes:
                errors.append(f"互斥事项组中的“{code}”不在本一件事中。")
    errors.extend(_cycle_errors(snapshot))
    if errors:
        return errors
    return _coverage_errors(snapshot)


def _rule_errors(rule: Any, questions: dict[str, set[str]], what: str) -> list[str]:
    if not isinstance(rule, dict):
        return [f"{what}格式不正确。"]
    errors = []
    for key, options in rule.items():
        if key not in questions:
            errors.append(f"{what}引用了未定义（或排在其后）的情形“{key}”。")
        elif not isinstance(options, list) or not options or not set(options) <= questions[key]:
            errors.append(f"{what}引用了情形“{key}”中不存在的选项。")
    return errors


def _cycle_errors(snapshot: dict[str, Any]) -> list[str]:
    after = {i["code"]: list(i["after"]) for i in snapshot["items"]}
    state: dict[str, int] = {}

    def cyclic(code: str) -> bool:
        if state.get(code) == 1:
            return True
        if state.get(code) == 2:
            return False
        state[code] = 1
        if any(cyclic(c) for c in after.get(code, []) if c in after):
            return True
        state[code] = 2
        return False

    if any(cyclic(code) for code in after):
        return [f"“{snapshot['name']}”的前置事项形成了循环。"]
    return []


def _coverage_errors(snapshot: dict[str, Any]) -> list[str]:
    definition = compile_snapshot(snapshot)
    reached: set[str] = set()
    errors: list[str] = []
    for answers in answer_combinations(definition):
        try:
            plan = make_plan(definition, answers)
        except PlanError as exc:  # pragma: no cover - combinations are complete by design
            return [f"情形组合 {answers} 无法生成办理方案：{exc}"]
        codes = set(plan.item_codes)
        if not codes:
            errors.append(f"“{snapshot['name']}”在情形 {answers} 下没有任何事项可办。")
        reached |= codes
        for group in definition.exclusive:
            if len(codes & set(group)) > 1:
                errors.append(
                    f"“{snapshot['name']}”在情形 {answers} 下同时包含互斥事项"
                    f"{sorted(codes & set(group))}。"
                )
        if len(errors) > 10:
            break
    names = {i["code"]: i["name"] for i in snapshot["items"]}
    errors.extend(f"事项“{names[c]}”在任何情形下都不会办理。" for c in names if c not in reached)
    return errors

"""Situation rules: ``{question_key: [option_key, ...]}``.

A rule holds when, for every question it names, the question is asked and its answer (or one
of the ticked answers) is among the listed options. Evaluation is three-valued so that a
partly answered guide can show what is already certain: ``None`` means "depends on a
question not yet answered".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Rule = Mapping[str, Sequence[str]]
Answers = Mapping[str, frozenset[str]]


def evaluate(rule: Rule, answers: Answers, asked: Mapping[str, bool | None]) -> bool | None:
    """``answers`` holds the answered, asked questions; ``asked[q]`` is whether q is asked
    (None while that is not yet known)."""
    unknown = False
    for key, allowed in rule.items():
        is_asked = asked.get(key)
        if is_asked is False:
            return False
        if key not in answers:
            unknown = True
            continue
        if not answers[key] & frozenset(allowed):
            return False
    return None if unknown else True

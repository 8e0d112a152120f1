"""Proposal questions speak to therapist and client together in one voice: "you" is the
client, "together" is the two of them. Never "you both" beside "your goals", and never a
clipped "Worth talking about...?" (issue 12)."""

import ast
import inspect

import pytest

from plusone.core import phase_rules


def _question_texts() -> list[str]:
    """Every text given to a RuleResult as its question, joined as Python joins it."""
    tree = ast.parse(inspect.getsource(phase_rules))
    texts = []
    for node in ast.walk(tree):
        is_result = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "RuleResult"
        if is_result and len(node.args) > 1:
            texts.append(ast.unparse(node.args[1]))
    return texts


def test_it_finds_the_questions() -> None:
    assert len(_question_texts()) >= 8


@pytest.mark.parametrize("text", _question_texts())
def test_it_asks_each_question_in_one_voice(text: str) -> None:
    assert "you both" not in text
    assert "Worth " not in text
    assert text.rstrip("'\"").endswith("?")

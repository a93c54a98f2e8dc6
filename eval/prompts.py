"""Prompts of the faithfulness judge, as named constants."""

from __future__ import annotations

JUDGE_VERSION = "judge-v1"

JUDGE_SYSTEM_PROMPT = "You are a careful fact checker. Reply yes or no."

JUDGE_USER_PROMPT = """Passages:
{passages}

Claim: {sentence}

Do the passages support the claim? Answer yes or no."""

JUDGE_PASSAGE_LINE = "[{number}] {text}"

JUDGE_GRAMMAR = 'root ::= "yes" | "no"'

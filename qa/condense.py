"""Follow-up questions made standalone for retrieval: the conversation as (role, text) turns, and the model's
rewrite of the last question, kept only when it stays on the conversation's subject."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from qa import prompts

History = Sequence[dict] | Sequence[tuple[str, str]] | None

CONDENSE_TEMPLATE = ChatPromptTemplate.from_messages(
    [("system", prompts.CONDENSE_SYSTEM_PROMPT), ("human", prompts.CONDENSE_USER_PROMPT)]
)
HISTORY_TURNS = 4  # the last two exchanges: the subject of "and who funds it?" is named there
TURN_CHARS = 300  # of each turn shown to the model: a question and the opening of its answer name the subject
REWRITE_TOKENS = 48  # one question, not an answer: also bounds the time the rewrite takes
MIN_REWRITE_WORDS = 3  # fewer: a fragment, not a question
MAX_REWRITE_WORDS = 60  # more: the model answered or explained instead of rewriting
_CONTENT_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{3,}")


def normalise_history(history: History) -> list[tuple[str, str]]:
    """(role, text) pairs from Gradio-style message dicts or (user, assistant) tuples."""
    turns: list[tuple[str, str]] = []
    for item in history or []:
        if isinstance(item, dict):
            content = item.get("content")
            if isinstance(content, list):  # Gradio 6 content blocks
                content = " ".join(str(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content)
            if content:
                turns.append((str(item.get("role", "user")), str(content)))
        elif isinstance(item, list | tuple) and len(item) == 2:
            user, bot = item
            if user:
                turns.append(("user", str(user)))
            if bot:
                turns.append(("assistant", str(bot)))
    return turns


def content_words(text: str) -> set[str]:
    """The words of four letters or more, lower-cased: what a rewrite must share with the conversation."""
    return {w.lower() for w in _CONTENT_WORD.findall(text)}


def condense(question: str, turns: list[tuple[str, str]], model: BaseChatModel | Runnable | None) -> str:
    """The question to retrieve for: ``question`` itself when no user turn came before; else the model's rewrite
    when it is a question of sensible length on the conversation's subject; else the previous question's subject
    carried along. ``model`` None skips the rewrite."""
    users = [text for role, text in turns if role == "user"]
    if not users:
        return question
    previous = users[-1]
    standalone = None
    if model is not None:
        history = "\n".join(f"{role}: {text[:TURN_CHARS]}" for role, text in turns[-HISTORY_TURNS:])
        chain = CONDENSE_TEMPLATE | model.bind(max_tokens=REWRITE_TOKENS) | StrOutputParser()
        rewritten = chain.invoke({"history": history, "question": question}).strip().split("\n")[0].strip()
        words = content_words(rewritten)
        sensible = MIN_REWRITE_WORDS <= len(rewritten.split()) <= MAX_REWRITE_WORDS
        if sensible and words & (content_words(previous) | content_words(question)):
            standalone = rewritten
    if standalone is None or not (content_words(standalone) & content_words(previous)):
        # A follow-up keeps the previous question's subject for retrieval.
        standalone = f"{previous} {question}" if standalone is None else f"{standalone} ({previous})"
    return standalone

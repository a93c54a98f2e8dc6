"""Prompt size and prompt-evaluation speed of the answer model for several (k, context characters) settings,
with the system prompt already cached as in the chat: what decides the time to the first token.

    .venv/bin/python bench/prompt_speed.py [--model base] [--questions 12] [--shapes 3x800,3x1200,3x3000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import eval_questions, record  # noqa: E402

from qa.assistant import ANSWER_TEMPLATE, Assistant  # noqa: E402


def main() -> None:
    import llama_cpp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="preset or GGUF path; the settings' default when unset")
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--shapes", default="3x600,3x800,3x1200,3x3000", help="k x context characters, comma-separated")
    parser.add_argument("--data-dir", type=Path, default=None, help="index to ask (default: the default corpus)")
    args = parser.parse_args()

    overrides = {k: v for k, v in {"model": args.model, "data_dir": args.data_dir}.items() if v}
    bot = Assistant(auto_index=True, **overrides)
    bot.warm_up()
    chat = bot.chat_model()
    questions = eval_questions("default")
    features = llama_cpp.llama_print_system_info().decode()
    cpu = [f.split("=")[0].strip() for f in features.split("|") if f.strip().endswith("= 1")]
    for shape in args.shapes.split(","):
        k, chars = (int(x) for x in shape.split("x"))
        bot.settings = bot.settings.with_overrides(context_chars=chars)
        prompt_tokens, evaluated, rates, first = [], [], [], []
        for question in questions[: args.questions]:
            state = {"question": question, "history": [], "model": None, "k": k, "filters": None, "mode": None}
            prepared = bot.prepare.invoke(state)
            if prepared.refusal_reason:
                continue
            messages = ANSWER_TEMPLATE.format_messages(sources=prepared.sources, question=question)
            started = time.perf_counter()
            reply = chat.invoke(messages, max_tokens=1)
            first.append(time.perf_counter() - started)
            timings = reply.response_metadata["timings"]
            prompt_tokens.append(reply.usage_metadata["input_tokens"])
            evaluated.append(timings["prompt_eval_tokens"])
            rates.append(timings["prompt_eval_tokens"] / max(timings["prompt_eval_ms"], 1e-6) * 1000)
        payload = {
            "model": bot.settings.model,
            "cpu_features": " ".join(cpu),
            "k": k,
            "context_chars": chars,
            "questions": len(first),
            "prompt_tokens_p50": statistics.median(prompt_tokens),
            "evaluated_tokens_p50": statistics.median(evaluated),
            "prompt_eval_tokens_per_s_p50": round(statistics.median(rates)),
            "model_first_token_p50_s": round(statistics.median(first), 2),
        }
        record("prompt_speed", payload)
        print(json.dumps(payload))


if __name__ == "__main__":
    main()

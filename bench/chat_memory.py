"""Peak memory of a real ``parlqa chat`` process over an existing index, after questions through its ``/ask`` API.

    .venv/bin/python bench/chat_memory.py --data-dir DIR [--model base] [--questions 6]

The chat runs as its own process (as users start it); its peak resident set (VmHWM) is read from /proc.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, eval_questions, process_memory_mb, record  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid: int) -> dict[str, float]:
    """Current and peak resident memory of a process, in MB."""
    return process_memory_mb(pid)


def wait_for(url: str, process: subprocess.Popen, timeout: float) -> float:
    import urllib.request

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"parlqa chat exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"parlqa chat did not serve {url} within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", default=None, help="preset or GGUF path; the settings' default when unset")
    parser.add_argument("--questions", type=int, default=6)
    args = parser.parse_args()

    from gradio_client import Client

    port = free_port()
    command = [sys.executable, "-m", "cli", "chat", "--port", str(port), "--data-dir", str(args.data_dir)]
    if args.model:
        command += ["--model", args.model]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ready_s = wait_for(f"http://127.0.0.1:{port}/", process, 300)
        at_start = memory_mb(process.pid)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        asked = eval_questions("commons")
        answered = refused = 0
        for question in asked[: args.questions]:
            reply = client.predict(question, api_name="/ask")
            refused += bool(reply.get("refused"))
            answered += not reply.get("refused")
        after = memory_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    payload = {
        "data_dir": str(args.data_dir),
        "model": args.model or "default",
        "serving_after_s": round(ready_s, 1),
        "rss_at_start_mb": round(at_start["VmRSS"]),
        "rss_after_mb": round(after["VmRSS"]),
        "peak_rss_mb": round(after["VmHWM"]),
        "questions": answered + refused,
        "answered": answered,
    }
    record("chat_memory", payload)
    for key, value in payload.items():
        print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()

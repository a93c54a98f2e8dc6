"""Bad input never breaks loading or indexing: each bad file is named once with a reason, good ones are indexed."""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, EIF_DOC
from fixtures.index_runs import read_index, run_parlqa
from fixtures.synthetic import records, write_jsonl, write_question_sheets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import Document
from corpus.loader import MAX_TEXT_BYTES, LoadReport, iter_documents, load_documents
from corpus.types import OPEN_PARLIAMENT_LICENCE
from index.chunking import Chunker

CHUNKER = Chunker()
DEFAULT_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(CORPUS_DIR.glob("*.txt"))]
SCHEMA_FIELDS = (
    "id", "question_id", "house", "uin", "title", "date_asked", "asker", "answering_body", "addressed_to",
    "question_text", "answerer", "date_answered", "answer_text", "url",
)  # fmt: skip
GOOD_RECORD = records(1, seed=7)[0]


def assert_valid(doc: Document, sources: set[str]) -> None:
    """A document the indexer can store: an id, an answer, UTF-8 text, its file, and chunks."""
    assert isinstance(doc, Document)
    assert doc.id.strip() and doc.answer.strip()
    assert doc.source_path in sources
    doc.model_dump_json().encode("utf-8")
    doc.content_hash()
    chunks = CHUNKER.chunk(doc)
    assert chunks and all(c.text.strip() and c.doc_id == doc.id for c in chunks)
    assert all(isinstance(v, str | int | float | bool) for c in chunks for v in c.metadata.values())


def assert_one_line(problems) -> None:
    for problem in problems:
        assert problem.reason.strip(), problem
        assert "\n" not in str(problem) and "\r" not in str(problem), repr(problem)


# property-based: arbitrary bytes, text and JSON ---------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
odd_text = st.text(st.characters(categories=["Cs"]) | st.characters(), min_size=1, max_size=12)  # lone surrogates too
schema_records = st.builds(
    lambda replaced, dropped: {**{k: v for k, v in GOOD_RECORD.items() if k not in dropped}, **replaced},
    st.dictionaries(st.sampled_from(SCHEMA_FIELDS), json_values | odd_text, max_size=3),
    st.sets(st.sampled_from(SCHEMA_FIELDS), max_size=3),
)
nasty_lines = st.sampled_from(
    [
        "[" * 50_000,
        '{"id": "deep", "answer_text": ' + "[" * 50_000,
        '{"id": ' + "7" * 5000 + ', "answer_text": "x"}',
        '{"id": "big", "answer_text": "x", "uin": ' + "9" * 5000 + "}",
        '{"id": "surrogate", "answer_text": "a \\udc80 b"}',
        '{"id": "nul", "answer_text": "a \\u0000 b"}',
        '{"id": NaN, "answer_text": "x"}',
        '"just a string"',
    ]
)
jsonl_lines = st.one_of(
    schema_records.map(json.dumps),
    json_values.map(json.dumps),
    st.tuples(schema_records.map(json.dumps), st.integers(0, 300)).map(lambda t: t[0][: t[1]]),  # truncated
    st.text(max_size=60),
    nasty_lines,
)
mutated_layouts = st.builds(
    lambda text, a, b, insert: text[: min(a, b)] + insert + text[max(a, b) :],
    st.sampled_from(DEFAULT_TEXTS),
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.text(max_size=40),
)
text_files = st.tuples(
    st.sampled_from(["txt", "md"]),
    st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode), mutated_layouts.map(str.encode)),
)
jsonl_files = st.tuples(
    st.sampled_from(["jsonl", "ndjson"]),
    st.one_of(st.lists(jsonl_lines, max_size=5).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
              st.binary(max_size=200)),
)  # fmt: skip
gz_files = st.tuples(
    st.just("jsonl.gz"),
    st.one_of(
        st.lists(jsonl_lines, max_size=4).map(lambda ls: gzip.compress("\n".join(ls).encode("utf-8", "surrogatepass"))),
        st.tuples(st.binary(min_size=1, max_size=100), st.integers(0, 60)).map(
            lambda t: (gzip.compress(t[0]) * 2)[: t[1]] + t[0]
        ),
        st.binary(max_size=100),
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(text_files, jsonl_files, gz_files), min_size=1, max_size=4))
def test_loaders_never_raise_and_name_every_bad_file(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for number, (suffix, content) in enumerate(files):
            path = root / f"f{number}.{suffix}"
            path.write_bytes(content)
            paths.append(str(path))
        docs, report = load_documents([root])
        streamed_report = LoadReport()
        streamed = list(iter_documents([root], streamed_report))

        assert report.files == streamed_report.files == len(files)
        assert_one_line(report.problems + report.warnings)
        assert_one_line(streamed_report.problems + streamed_report.warnings)
        assert {p.path for p in report.problems} <= set(paths)
        for doc in streamed:
            assert_valid(doc, set(paths))
        assert {d.id for d in docs} == {d.id for d in streamed}
        with_documents = {d.source_path for d in streamed}
        for path in paths:
            named = [p for p in streamed_report.problems if p.path == path]
            # a file gives documents or exactly one problem, never both
            assert len(named) == (0 if path in with_documents else 1), (path, named)


# a generated directory of 500+ bad files among good ones, through the real CLI --------------------------------------


@dataclass
class MessyCorpus:
    root: Path
    skipped: dict[str, str] = field(default_factory=dict)  # path → a pattern the reason printed matches
    warned: dict[str, str] = field(default_factory=dict)  # loaded, with one warning
    good_ids: set[str] = field(default_factory=set)
    facts: dict[str, str] = field(default_factory=dict)  # doc id → distinctive sentence

    def folder(self, number: int) -> Path:
        """Spread files over nested folders."""
        folder = self.root / ("", "a", "a/b", "a/b/c", "deep/er/still/deeper")[number % 5]
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def bad(self, name: str, content: bytes | str, reason: str, number: int) -> None:
        path = self.folder(number) / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        self.skipped[str(path)] = reason


WRONG_TYPES = {
    "answer_text": [7, ["a"], {"text": "x"}, True, "   "],
    "id": [1.5, ["x"], {"a": 1}, False, ""],
    "date_asked": ["yesterday", 20240101.5, "2024-02-30", ["2024-01-01"]],
    "date_answered": ["13/01/2024", {"d": 1}, "soon"],
    "house": ["Senate", 3, ["Commons"], "commons"],
    "asker": [7, ["Alex Morgan"], {"name": ["Alex"]}, {"name": "A", "party": 3}],
    "answerer": [3.2, True, {"name": {"first": "Hugh"}}],
    "title": [5, ["t"]],
    "question_text": [{"q": 1}, 9],
    "answering_body": [["Home Office"], 0.5],
    "uin": [["1"], {"u": 2}, 1.5],
    "url": [3, ["http://x"]],
}
WELSH = (
    "Cwestiwn ysgrifenedig am ysgolion yng Nghymru. Dywedodd y Gweinidog fod {n} o athrawon newydd wedi eu "
    "penodi yn {place} eleni, a bod y Llywodraeth yn parhau i gefnogi addysg cyfrwng Cymraeg."
)
CHINESE = "书面问题：关于{place}的学校经费。部长表示，今年在{place}新聘了{n}名教师，政府将继续支持地方教育。"
ARABIC = "سؤال مكتوب بشأن تمويل المدارس في {place}. قال الوزير إنه تم تعيين {n} معلما جديدا هذا العام."
HTML = (
    "<html><head><title>Answer {n}</title><style>p {{ color: red }}</style></head><body>"
    "<h1>Written answer</h1><p>The Minister said that <b>{place}</b> opened {n} new libraries.</p>"
    '<script>alert("x")</script><a href="https://example.org/{n}">link</a>&nbsp;&amp;&lt;br/&gt;</body></html>'
)


def build_messy_corpus(root: Path, seed: int = 20240601) -> MessyCorpus:
    """At least 500 files that must be skipped, some loaded with a warning, and good documents."""
    rng = random.Random(seed)
    corpus = MessyCorpus(root)
    n = 0

    def number() -> int:
        nonlocal n
        n += 1
        return n

    for i in range(45):
        suffix = ("txt", "md", "jsonl")[i % 3]
        corpus.bad(f"empty_{i}.{suffix}", ("", " \n\t\n", "\n\n\n")[i % 3], "empty", number())
    for i in range(55):
        blob = rng.randbytes(rng.randint(1, 200)) + b"\x00" + rng.randbytes(rng.randint(0, 200))
        corpus.bad(f"binary_{i}.{('txt', 'md')[i % 2]}", blob, "binary", number())
    for i in range(55):
        latin = f"Caf\xe9 {i}: the Minister\x92s answer \xab{rng.randint(1, 999)}\xbb about na\xefve r\xe9forms."
        blob = latin.encode("latin-1") if i % 2 else bytes(rng.randint(0x80, 0xFF) for _ in range(60))
        corpus.bad(f"latin1_{i}.{('txt', 'md')[i % 2]}", blob, "not valid UTF-8", number())
    for i in range(20):
        blob = json.dumps({**GOOD_RECORD, "id": f"latin-{i}", "answer_text": "r\xe9ponse"}).encode("utf-8")
        corpus.bad(f"latin1_records_{i}.jsonl", blob.replace(b"\\u00e9", b"\xe9"), "not valid UTF-8", number())
    huge_line = ("The Minister gave a long answer about everything at great length. " * 20 + "\n").encode()
    for i in range(2):
        corpus.bad(f"huge_{i}.txt", huge_line * (MAX_TEXT_BYTES // len(huge_line) + 2), "too large", number())
    for i in range(60):
        text = json.dumps({**GOOD_RECORD, "id": f"truncated-{i}"})
        lines = [text[: rng.randint(1, len(text) - 2)] for _ in range(rng.randint(1, 3))]
        corpus.bad(f"truncated_{i}.jsonl", "\n".join(lines) + "\n", "invalid JSON", number())
    fields = sorted(WRONG_TYPES)
    for i in range(110):
        name = fields[i % len(fields)]
        value = WRONG_TYPES[name][(i // len(fields)) % len(WRONG_TYPES[name])]
        item = {**GOOD_RECORD, "id": f"wrong-{i}", name: value}
        corpus.bad(f"wrong_type_{i}.jsonl", json.dumps(item) + "\n", f"field '{name}'", number())
    nasty = {
        "[" * 20_000: "nested too deeply",
        '{"id": ' + "7" * 5000 + ', "answer_text": "x"}': "number too long",
        '{"id": "s", "answer_text": "a \\udc80 b"}': "not valid Unicode",
        "[1, 2, 3]": "not an object",
        '"a string"': "not an object",
    }
    for i in range(25):
        line, reason = list(nasty.items())[i % len(nasty)]
        corpus.bad(f"nasty_{i}.ndjson", line + "\n", reason, number())
    for i in range(25):
        payload = gzip.compress((json.dumps({**GOOD_RECORD, "id": f"gz-{i}"}) * 50).encode())
        blob, reason = [
            (payload[: len(payload) // 2], "unreadable"),
            (payload[:20] + bytes(b ^ 0x5A for b in payload[20:60]) + payload[60:], "unreadable|UTF-8|invalid JSON"),
            (b"not gzip at all " * (i + 1), "unreadable"),
        ][i % 3]
        corpus.bad(f"broken_{i}.jsonl.gz", blob, reason, number())
    boilerplate = f"Reticulating Splines\n\n{OPEN_PARLIAMENT_LICENCE}\n"
    for i in range(25):
        corpus.bad(f"boilerplate_{i}.txt", boilerplate * (i % 3 + 1), "no text after removing boilerplate", number())
    unknown = ("pdf", "docx", "html", "json", "csv", "xml", "rtf", "txt.bak", "jsonl.zip", "odt", "gz", "")
    for i in range(120):
        suffix = unknown[i % len(unknown)]
        name = f"unknown_{i}.{suffix}" if suffix else f"README_{i}"
        corpus.bad(name, rng.choice([b"%PDF-1.4 binary\x00", b"plain words", b""]), "not a corpus file", number())
    for i in range(2):
        path = corpus.folder(number()) / os.fsdecode(f"caf\xe9_{i}".encode("latin-1") + b".txt")
        path.write_text("A perfectly good answer in a badly named file.", encoding="utf-8")
        corpus.skipped[str(path).encode("utf-8", "backslashreplace").decode()] = "file name is not valid UTF-8"

    # hidden files and folders are passed over in silence
    (root / ".hidden").mkdir()
    (root / ".hidden" / "secret.txt").write_text("Hidden text that must not be indexed.", encoding="utf-8")
    (root / ".notes.md").write_bytes(b"\x00\x01")

    # loaded, with a warning: HTML-laden text, non-English text (plain layouts), and JSONL with some bad lines
    for i in range(24):
        place = f"Lanthorn Cross {i}"
        stem = f"html_{i}"
        (corpus.folder(number()) / f"{stem}.{('txt', 'md')[i % 2]}").write_text(
            HTML.format(n=100 + i, place=place), encoding="utf-8"
        )
        corpus.warned[stem] = "layout not recognised"
        corpus.good_ids.add(stem)
    for i, (language, template) in enumerate([("cy", WELSH), ("zh", CHINESE), ("ar", ARABIC)] * 2):
        stem = f"{language}_{i}"
        (corpus.folder(number()) / f"{stem}.txt").write_text(
            template.format(n=300 + i, place=f"Aberdaron {i}"), encoding="utf-8"
        )
        corpus.warned[stem] = "layout not recognised"
        corpus.good_ids.add(stem)
    for i in range(10):
        good = records(2, seed=1000 + i, start=500 + 2 * i)
        lines = [json.dumps(good[0]), "{broken", json.dumps({**good[1], "house": "Senate"}), json.dumps(good[1])]
        path = corpus.folder(number()) / f"mixed_{i}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        corpus.warned[path.stem] = "2 bad record(s) skipped, 2 loaded"
        corpus.good_ids |= {good[0]["id"], good[1]["id"]}

    # good: the five default documents, 20 question sheets with distinctive facts, a JSONL of real-schema records
    for path in sorted(CORPUS_DIR.glob("*.txt")):
        (root / path.name).write_bytes(path.read_bytes())
        corpus.good_ids.add(path.stem)
    corpus.facts = write_question_sheets(root / "a" / "sheets", 20, seed=seed)
    corpus.good_ids |= set(corpus.facts)
    good_records = records(12, seed=seed, start=100)
    write_jsonl(root / "deep" / "records.jsonl", good_records)
    corpus.good_ids |= {r["id"] for r in good_records}
    return corpus


def _lines(stderr: str, kind: str) -> list[str]:
    return [line[len(kind) + 2 :] for line in stderr.splitlines() if line.startswith(f"{kind}: ")]


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy")
    corpus = build_messy_corpus(root / "corpus")
    data_dir = root / "data"
    first = run_parlqa("index", str(corpus.root), data_dir=data_dir)
    return corpus, data_dir, first


def test_messy_directory_reports_each_bad_file_once_and_indexes_every_good_one(messy):
    corpus, data_dir, result = messy
    assert len(corpus.skipped) >= 500
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "DEBUG" not in result.stderr and "DEBUG" not in result.stdout  # libraries' own logs stay quiet
    assert result.returncode == 2, result.stderr[-3000:]

    skipped = _lines(result.stderr, "skipped")
    assert len(skipped) == len(corpus.skipped)
    for path, reason in corpus.skipped.items():
        named = [line for line in skipped if line.startswith(f"{path}: ")]
        assert len(named) == 1, (path, named)
        assert re.search(reason, named[0]), named[0]
    warned = _lines(result.stderr, "warning")
    assert len(warned) == len(corpus.warned)
    for stem, reason in corpus.warned.items():
        named = [line for line in warned if re.search(rf"/{re.escape(stem)}\.\w+: ", line)]
        assert len(named) == 1 and reason in named[0], (stem, named)
    assert not any(".hidden" in line or ".notes" in line for line in skipped + warned)

    count = len(corpus.good_ids)
    assert f"{count} documents read" in result.stdout and f"{count} added" in result.stdout
    assert f"{len(corpus.skipped)} files skipped" in result.stdout
    state = read_index(data_dir, check_vectors=10)
    state.assert_consistent()
    assert set(state.documents) == corpus.good_ids

    stats = run_parlqa("stats", data_dir=data_dir)
    assert stats.returncode == 0 and f"{count} documents, {len(state.manifest_ids)} chunks" in stats.stdout


def test_good_documents_among_bad_ones_are_retrievable(messy):
    from qa.assistant import Assistant

    corpus, data_dir, _ = messy
    bot = Assistant(data_dir=data_dir, auto_index=False)
    stem, fact = sorted(corpus.facts.items())[7]
    assert bot.retrieve(fact.rstrip("."))[0].doc_id == stem
    assert bot.retrieve("When was the Early Intervention Foundation set up?")[0].doc_id == EIF_DOC
    assert bot.retrieve("303 o athrawon newydd wedi eu penodi", mode="bm25")[0].doc_id == "cy_3"


def test_running_again_indexes_nothing_new_and_loses_nothing(messy):
    corpus, data_dir, first = messy
    before = read_index(data_dir)
    again = run_parlqa("index", str(corpus.root), data_dir=data_dir)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    count = len(corpus.good_ids)
    assert f"0 added, 0 updated, 0 removed, {count} unchanged; 0 chunks embedded, 0 deleted" in again.stdout
    assert sorted(_lines(again.stderr, "skipped")) == sorted(_lines(first.stderr, "skipped"))
    after = read_index(data_dir)
    after.assert_consistent()
    assert after.documents == before.documents and sorted(after.chroma_ids) == sorted(before.chroma_ids)
    assert after.manifest_texts == before.manifest_texts and after.bm25_ids == before.bm25_ids


def test_markup_in_a_reported_value_is_printed_as_text(tmp_path):
    path = write_jsonl(tmp_path / "corpus" / "odd.jsonl", [{**GOOD_RECORD, "house": "[/b]"}])
    result = run_parlqa("index", str(path), data_dir=tmp_path / "data")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "got '[/b]'" in result.stderr

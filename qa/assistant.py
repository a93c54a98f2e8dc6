"""The Python API: ``Assistant().ask(...)``, ``.retrieve(...)`` and ``.stream(...)``.

The chain is built from LangChain runnables: condense (follow-ups) → retrieve → contextualise (question typing,
numbered passages, instant extract, refusal decision) → a metadata answer from the record's fields, or the prompt →
local model → verification of every sentence's facts → citations.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from filelock import FileLock, Timeout
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from index.embedding import embeddings_for
from index.store import ChunkStore, make_client
from parlqa.offline import configure_environment
from parlqa.settings import RetrievalMode, Settings
from qa import prompts
from qa.citations import compose, make_citation, parse_markers
from qa.condense import History, condense, normalise_history
from qa.context import Passage, SentenceVectors, build_passages, instant_extract, sources_text
from qa.errors import EmptyIndexError
from qa.facts import plain
from qa.markers import strip_markers
from qa.metadata import SEVERAL_RECORDS_SHOWN, MetadataAnswer, answer_metadata, closest_of_group
from qa.question import AnswerForm, FactKind, QuestionAnalysis, analyse
from qa.quotes import (
    QuotePolicy,
    answers_question,
    backing_quotes,
    evidence_sentence,
    missing_parts,
    missing_rows,
    reason_sentence,
    replacement,
    with_reason,
)
from qa.refusal import (
    RefusalDecision,
    RefusalThresholds,
    decide,
    kind_present,
    kinds_checked,
    name_from_text,
    signals,
    subject_beside_fact,
)
from qa.retriever import HybridRetriever, SearchReport
from qa.search import DocumentSearch, widen_hits
from qa.timeline import DEFAULT_LIMIT, build_timeline, entry_hit, summarise, summary_entries
from qa.types import (
    Answer,
    AnswerSentence,
    Citation,
    DocumentRecord,
    ExtractSentence,
    Filters,
    Hit,
    SearchPage,
    SearchSort,
    StreamEvent,
    Timeline,
    Understanding,
)
from qa.verify import DECLINED, Verification, verify

log = logging.getLogger(__name__)
ANSWER_TEMPLATE = ChatPromptTemplate.from_messages(
    [("system", prompts.ANSWER_SYSTEM_PROMPT), ("human", prompts.ANSWER_USER_PROMPT)]
)


@dataclass
class Prepared:
    """Everything known before the model is called."""

    question: str
    standalone: str
    hits: list[Hit] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    extract: list[ExtractSentence] = field(default_factory=list)
    refusal_reason: str | None = None
    k: int | None = None
    filters: Filters | None = None
    mode: RetrievalMode | None = None
    model: str | None = None
    query_vector: list[float] | None = None
    best_similarity: float | None = None
    analysis: QuestionAnalysis | None = None
    decision: RefusalDecision | None = None
    understood: Understanding | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def sources(self) -> str:
        """What the model is shown."""
        return sources_text(self.passages)

    def extract_citations(self) -> list[Citation]:
        """One citation per source the instant extract quotes."""
        by_marker = {p.marker: p for p in self.passages}
        return [make_citation(m, by_marker[m], None) for m in dict.fromkeys(e.marker for e in self.extract)]


SEVERAL_RECORDS_K = 4 * SEVERAL_RECORDS_SHOWN  # retrieved for a question about several records (chunks repeat)


class Assistant:
    """Cited answers over the parlqa index, from a local model.

    ``Assistant(model="tiny", k=5)`` or ``Assistant(Settings(...))``; unset values come from ``PARLQA_*``. It only
    reads the index: an empty one raises ``EmptyIndexError``, unless ``auto_index=True`` asks the indexer
    (``index.indexer.ensure_index``) to fill it with the default corpus first.
    """

    def __init__(self, settings: Settings | None = None, *, auto_index: bool = False, **overrides):
        configure_environment()
        self.settings = settings.with_overrides(**overrides) if settings else Settings(**overrides)
        s = self.settings
        self.embeddings = embeddings_for(s)
        self.client = make_client(s)
        self._ensure_index(auto_index)
        self.retriever = HybridRetriever(
            settings=s,
            store=ChunkStore(s, self.client),
            embeddings=self.embeddings,
            mode=s.retrieval,
            k=s.k,
        )
        self.sentence_vectors = SentenceVectors(self.embeddings)
        self.documents = DocumentSearch(self.retriever.lexical)
        self._models: dict[str, Runnable] = {}
        self._models_lock = threading.Lock()
        self.prepare: Runnable = (
            RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._contextualise, name="contextualise")
        )

    # index ------------------------------------------------------------------------------------------
    def _ensure_index(self, auto_index: bool) -> None:
        """An empty index is an error, or (``auto_index``) is filled with the default corpus by the indexer."""
        from index.indexer import ensure_index, index_counts

        if auto_index:
            ensure_index(self.settings)
        elif not index_counts(self.settings)["passages"]:
            raise EmptyIndexError(str(self.settings.data_dir))

    def index_busy(self) -> bool:
        """Whether ``parlqa index`` is writing the index right now."""
        lock = FileLock(str(self.settings.lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
        return False

    # models -----------------------------------------------------------------------------------------
    def chat_model(self, name: str | None = None):
        """The LangChain chat model for a preset or GGUF path (loaded once, shared)."""
        from qa.llm import load_chat_model

        name = name or self.settings.model
        with self._models_lock:
            if name not in self._models:
                self._models[name] = load_chat_model(self.settings.with_overrides(model=name))
            return self._models[name]

    def warm_up(self, model: str | None = None) -> None:
        """Load the model and evaluate the fixed system prompt, so the first question pays only for its own tokens."""
        self.chat_model(model).invoke(ANSWER_TEMPLATE.format_messages(sources="", question=""), max_tokens=1)

    # retrieval --------------------------------------------------------------------------------------
    def retrieve(
        self, query: str, k: int | None = None, filters: Filters | dict | None = None, mode: RetrievalMode | None = None
    ) -> list[Hit]:
        """Ranked passages for ``query`` (no model call)."""
        return self.retriever.search(query, k=k or self.settings.k, filters=_filters(filters), mode=mode)

    # research tools ---------------------------------------------------------------------------------
    def search(
        self,
        query: str = "",
        filters: Filters | dict | None = None,
        sort: SearchSort = "relevance",
        page: int = 1,
        page_size: int = 20,
    ) -> SearchPage:
        """Every document holding all the query's words and "quoted phrases" (or the question number it is),
        under ``filters``; one page of them, sorted, with the total and facet counts of all (no model call).
        An empty query lists everything the filters let through, newest first."""
        return self.documents.search(query, _filters(filters), sort, page, page_size)

    def timeline(
        self,
        query: str,
        filters: Filters | dict | None = None,
        limit: int = DEFAULT_LIMIT,
        summary: bool = False,
        model: str | None = None,
    ) -> Timeline:
        """The dated answers about ``query`` by month, oldest first, with a chart of answers per month (the July
        2024 change of government marked where the range spans it); with ``summary``, 2–4 checked sentences on
        how the position changed, each citing the dated answers it rests on."""
        if not (query or "").strip():
            raise ValueError("the subject is empty")
        table = self.documents.table()
        found = build_timeline(table, query.strip(), _filters(filters), limit)
        if summary and found.shown:
            started = time.perf_counter()
            entries = summary_entries(found)
            hits = [entry_hit(table, e) for e in entries]
            name = model or self.settings.model
            found.summary = summarise(query.strip(), entries, hits, self.sentence_vectors, self.chat_model(name), name)
            log.info("timeline summary in %.1f s", time.perf_counter() - started)
        return found

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The whole indexed document ``doc_id`` (question, answer and fields), or None when it is not indexed."""
        return self.documents.document(doc_id)

    # chain steps ------------------------------------------------------------------------------------
    def _condense(self, state: dict) -> Prepared:
        question, turns = state["question"].strip(), state["history"]
        prepared = Prepared(
            question=question,
            standalone=question,
            k=state.get("k"),
            filters=state.get("filters"),
            mode=state.get("mode"),
            model=state.get("model"),
        )
        if not any(role == "user" for role, _ in turns):
            return prepared
        started = time.perf_counter()
        model = self.chat_model(prepared.model) if state.get("condense_with_model", True) else None
        standalone = condense(question, turns, model)
        prepared.standalone = standalone
        prepared.timings["condense"] = time.perf_counter() - started
        return prepared

    def _retrieve(self, prepared: Prepared) -> Prepared:
        started = time.perf_counter()
        understood = self.retriever.understand(prepared.standalone)
        prepared.understood = understood
        vector = self.embeddings.embed_query(understood.dense_query if understood else prepared.standalone)
        prepared.query_vector = vector
        # constraints are read from the question as asked: a follow-up must not borrow the previous one's names
        # (with its misspellings corrected against the index's terms: "the Wood Reveiw" names the Wood Review)
        own = understood is not None and prepared.standalone == prepared.question
        prepared.analysis = analyse(understood.corrected_query if own else prepared.question)
        k = prepared.k or self.settings.k
        if prepared.analysis.several_records:  # "which ministers have answered …": list more records
            k = max(k, SEVERAL_RECORDS_K)
        report = SearchReport()
        prepared.hits = self.retriever.search(
            prepared.standalone,
            k=k,
            filters=prepared.filters,
            mode=prepared.mode,
            query_embedding=vector,
            understanding=understood,
            report=report,
        )
        dense = [h.dense_score for h in prepared.hits if h.dense_score is not None]
        if prepared.hits and len(dense) < len(prepared.hits):
            dense = self._similarities(vector, prepared.hits)
        # the corpus's passage nearest the question, whether or not the fused ranking kept it
        prepared.best_similarity = max(
            [*dense, *([report.best_dense] if report.best_dense is not None else [])], default=None
        )
        if self.settings.whole_answer_chars and prepared.hits:
            prepared.hits = widen_hits(self.documents.table(), prepared.hits, self.settings.whole_answer_chars)
        prepared.timings["retrieve"] = time.perf_counter() - started
        return prepared

    def _similarities(self, vector: list[float], hits: list[Hit]) -> list[float]:
        import numpy as np

        texts = np.asarray(self.embeddings.embed_documents([h.text for h in hits]), dtype=np.float32)
        return [float(x) for x in texts @ np.asarray(vector, dtype=np.float32)]

    def _contextualise(self, prepared: Prepared) -> Prepared:
        started = time.perf_counter()
        s = self.settings
        prepared.analysis = prepared.analysis or analyse(prepared.question)
        if not prepared.analysis.is_metadata and prepared.standalone != prepared.question:
            follow_up = analyse(prepared.standalone)
            if follow_up.is_metadata:  # "and who answered it?"
                prepared.analysis = follow_up
        thresholds = RefusalThresholds(s.refusal_threshold, s.refusal_name_coverage, s.refusal_colocation)
        found = signals(prepared.analysis, prepared.hits, prepared.best_similarity)
        prepared.decision = decide(found, thresholds, metadata=prepared.analysis.is_metadata)
        if prepared.decision.refuse:
            prepared.refusal_reason = prepared.decision.reason
        prepared.passages = build_passages(
            prepared.query_vector or [],
            prepared.hits,
            self.sentence_vectors,
            s.context_chars,
            prepared.analysis,
            s.context_neighbours,
        )
        prepared.extract = [] if prepared.refusal_reason else instant_extract(prepared.passages)
        prepared.timings["extract"] = time.perf_counter() - started
        return prepared

    # public answering -------------------------------------------------------------------------------
    def stream(
        self,
        question: str,
        history: History = None,
        filters: Filters | dict | None = None,
        k: int | None = None,
        model: str | None = None,
        mode: RetrievalMode | None = None,
    ) -> Iterator[StreamEvent]:
        """Yield the instant extract, then the model's tokens, then the final cited ``Answer``."""
        if not question or not question.strip():
            raise ValueError("the question is empty")
        started = time.perf_counter()
        state = {
            "question": question,
            "history": normalise_history(history),
            "model": model,
            "k": k,
            "filters": _filters(filters),
            "mode": mode,
        }
        prepared: Prepared = self.prepare.invoke(state)
        model_name = model or self.settings.model
        yield StreamEvent(type="extract", extract=prepared.extract, citations=prepared.extract_citations())
        timings = dict(prepared.timings)
        if prepared.refusal_reason:
            timings["total"] = time.perf_counter() - started
            yield StreamEvent(type="answer", answer=self._refusal(prepared, prepared.refusal_reason, timings, None))
            return
        analysis = prepared.analysis
        if analysis is not None and analysis.is_metadata and not analysis.content_question:
            answer = self._metadata_answer(prepared, timings)
            if not answer.refused:
                timings["first_token"] = time.perf_counter() - started
                yield StreamEvent(type="token", text=answer.text)
            answer.timings["total"] = time.perf_counter() - started
            yield StreamEvent(type="answer", answer=answer)
            return
        # "How much …, and who answered it?": the model answers the content, the record's fields the rest
        question = analysis.content_question if analysis is not None and analysis.content_question else None
        chain = ANSWER_TEMPLATE | self.chat_model(model_name) | StrOutputParser()
        raw = []
        generation_started = time.perf_counter()
        asked = _with_form_hint(question or prepared.question, analysis, self.settings.answer_form_hints)
        for token in chain.stream({"sources": prepared.sources, "question": asked}):
            if not raw:
                timings["first_token"] = time.perf_counter() - started
            raw.append(token)
            yield StreamEvent(type="token", text=token)
        timings["generate"] = time.perf_counter() - generation_started
        text = "".join(raw).strip()
        served = self.settings.llm_model if self.settings.llm_url else None  # the model the server was asked for
        answer = self._finish(prepared, text, timings, served or model_name, question)
        if question:
            answer = self._with_metadata(prepared, answer, timings)
        answer.timings["total"] = time.perf_counter() - started
        yield StreamEvent(type="answer", answer=answer)

    def ask(
        self,
        question: str,
        history: History = None,
        filters: Filters | dict | None = None,
        k: int | None = None,
        model: str | None = None,
        mode: RetrievalMode | None = None,
    ) -> Answer:
        """A cited answer to ``question`` (or a refusal), with per-stage timings."""
        for event in self.stream(question, history=history, filters=filters, k=k, model=model, mode=mode):
            if event.type == "answer" and event.answer is not None:
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")

    # answer assembly --------------------------------------------------------------------------------
    def _answer(self, prepared: Prepared, **fields) -> Answer:
        signals_ = prepared.decision.signals if prepared.decision else None
        return Answer(
            question=prepared.question,
            standalone_question=prepared.standalone,
            hits=prepared.hits,
            context=prepared.sources,
            question_type="metadata" if prepared.analysis and prepared.analysis.is_metadata else "content",
            understood=prepared.understood,
            refusal_signals=None if signals_ is None else signals_.__dict__,
            **fields,
        )

    def _refusal(self, prepared: Prepared, reason: str, timings: dict, model: str | None, **fields) -> Answer:
        """A refusal; it cites the closest passages (the instant extract's sources) where there are any."""
        fields.setdefault("text", prompts.REFUSAL_MESSAGE)
        fields.setdefault("citations", prepared.extract_citations())
        fields.setdefault("extract", prepared.extract)
        return self._answer(prepared, refused=True, refusal_reason=reason, model=model, timings=timings, **fields)

    def _metadata_answer(self, prepared: Prepared, timings: dict, found: MetadataAnswer | None = None) -> Answer:
        """Who asked, who answered, when, which department: from the matching record's fields."""
        started = time.perf_counter()
        if found is None and prepared.analysis:
            found = answer_metadata(prepared.analysis, self._closest_records(prepared.passages, prepared.analysis))
        timings["metadata"] = time.perf_counter() - started
        if found is None:
            reason = "no retrieved record matches the question and holds the asked fields"
            return self._refusal(prepared, reason, timings, None)
        citations = [
            make_citation(p.marker, p, None).model_copy(update={"quote": p.metadata_line(), "quotes": []})
            for p in found.passages
        ]
        sentences = [
            AnswerSentence(text=text, markers=[p.marker], supported=True, support=1.0)
            for text, p in zip(found.sentences, found.passages, strict=True)
        ]
        return self._answer(
            prepared,
            text=found.text,
            citations=citations,
            sentences=sentences,
            extract=prepared.extract,
            model=None,
            timings=timings,
        )

    def _with_metadata(self, prepared: Prepared, content: Answer, timings: dict) -> Answer:
        """A mixed question's content answer followed by the record's fields, taken from the record the content
        answer cites where it cites one; whichever part is found is shown."""
        cited = {c.marker for c in content.citations} if not content.refused else set()
        ordered = sorted(prepared.passages, key=lambda p: p.marker not in cited)
        if prepared.analysis is None:
            return content
        found = answer_metadata(prepared.analysis, self._closest_records(ordered, prepared.analysis))
        if found is None:
            return content
        fields = self._metadata_answer(prepared, timings, found)
        if content.refused:
            return fields
        shown = {_plain_sentence(s.text) for s in content.sentences}
        if all(_plain_sentence(text) in shown for text in found.sentences):
            return content  # the model already copied the record's fields, as checked
        return content.model_copy(
            update={
                "text": f"{content.text.rstrip()}{'' if content.text.rstrip()[-1:] in '.!?' else '.'} {fields.text}",
                "citations": sorted(
                    [*content.citations, *(c for c in fields.citations if c.marker not in cited)],
                    key=lambda c: c.marker,
                ),
                "sentences": [*content.sentences, *fields.sentences],
                "question_type": "mixed",
            }
        )

    def _closest_records(self, passages: list[Passage], analysis: QuestionAnalysis) -> list[Passage]:
        """Each passage of a grouped answer as the record, of those it is filed under, that the question is about."""
        if not any(p.hit.duplicates for p in passages):
            return passages
        table = self.documents.table()
        out = []
        for passage in passages:
            siblings = [h for h in map(table.first_hit, passage.hit.duplicates) if h is not None]
            out.append(closest_of_group(analysis, passage, siblings) if siblings else passage)
        return out

    def _finish(self, prepared: Prepared, text: str, timings: dict, model: str, question: str | None = None) -> Answer:
        """The verified answer to ``question`` (the one asked, or the content part of a mixed one)."""
        if not text or prompts.REFUSAL_SENTINEL in text.upper().replace(" ", "_"):
            return self._refusal(prepared, "the model found no answer in the passages", timings, model, draft=text)
        started = time.perf_counter()
        _, parsed = parse_markers(text, len(prepared.passages))
        # the question as understood: "£18 milion" is £18 million, not £18
        asked = question or (prepared.analysis.text if prepared.analysis else prepared.question)
        checked = verify(parsed, prepared.passages, asked)
        timings["verify"] = time.perf_counter() - started
        analysis = analyse(question) if question else prepared.analysis
        kind = analysis.fact_kind if analysis else FactKind.OTHER
        kinds = (analysis.part_kinds or (kind,)) if analysis else (kind,)
        given = analysis.given_names if analysis else frozenset()
        stated = checked.asked.given  # the values the question states are not its answer
        if (
            checked.kept
            and FactKind.OTHER not in kinds
            and not any(kind_present(k, v.sentence.text, given, stated) for k in kinds for v in checked.kept)
        ):
            # "Who chairs it?" answered with what it is funded by: no sentence states an asked kind of fact (a
            # question in two parts is answered in part by a sentence of either part's kind)
            checked.dropped += [
                v.sentence.model_copy(update={"note": f"it states no {kind.value}"}) for v in checked.kept
            ]
            checked.kept = []
        if checked.kept and kinds == (FactKind.NAME,) and not name_from_text(checked, analysis):
            # "What post did she hold?" answered with the record's own title
            checked.dropped += [
                v.sentence.model_copy(update={"note": "the name it gives is not in the source's text"})
                for v in checked.kept
            ]
            checked.kept = []
        if checked.kept and kinds_checked(kinds) and not subject_beside_fact(checked, analysis, kinds, stated):
            # the figure or date stated is of something else than the subject asked about
            checked.dropped += [
                v.sentence.model_copy(update={"note": "no source sentence states it of the question's subject"})
                for v in checked.kept
            ]
            checked.kept = []
        if not checked.kept and checked.dropped and all(d.note == DECLINED for d in checked.dropped):
            return self._refusal(prepared, "the model found no answer in the passages", timings, model, draft=text)
        self._quote_sources(checked, analysis, prepared.passages)
        if not checked.kept:
            # Nothing the sources state survives: refuse, and show the closest passages instead.
            reason = "no sentence of the model's answer is stated by the passages"
            return self._refusal(
                prepared,
                reason,
                timings,
                model,
                text=prompts.NO_SUPPORTED_ANSWER_MESSAGE,
                dropped=checked.dropped,
                draft=text,
            )
        answer_text, citations = compose(checked.kept, prepared.passages)
        return self._answer(
            prepared,
            text=answer_text,
            citations=citations,
            sentences=[v.sentence for v in checked.kept],
            dropped=checked.dropped,
            extract=prepared.extract,
            model=model,
            timings=timings,
            draft=text,
        )

    def _quote_sources(self, checked: Verification, analysis: QuestionAnalysis | None, passages: list[Passage]) -> None:
        """A dropped sentence whose figures a source states about the asked subject gives way to that source
        sentence, quoted; a kept sentence is followed by its source's sentence where that says more."""
        s = self.settings
        policy = QuotePolicy(s.quote_backing, s.quote_replacing, s.quote_replacement_share, s.quote_evidence_share)
        if analysis is not None:
            still: list[AnswerSentence] = []
            for dropped in checked.dropped:
                found = replacement(dropped, checked.evidence, analysis, policy, checked.asked)
                taken = {(m, q.quote.start) for v in checked.kept for m, qs in v.quotes.items() for q in qs}
                if found is None or all((m, q.quote.start) in taken for m, qs in found.quotes.items() for q in qs):
                    still.append(dropped)
                    continue
                checked.kept.append(found)
                note = f"{dropped.note}; the source's own sentence is quoted instead"
                still.append(dropped.model_copy(update={"note": note}))
            checked.dropped = still
        if analysis is not None and (not checked.kept or not answers_question(checked.kept, analysis)):
            found = evidence_sentence(checked.evidence, analysis, policy, checked.asked)
            if found is not None:  # the draft answers something else; the source sentence answers the question
                note = "it does not state the asked figure about the question's subject"
                checked.dropped += [v.sentence.model_copy(update={"note": note}) for v in checked.kept]
                checked.kept = [found]
        if policy.backing and checked.kept:
            reasons = analysis is not None and analysis.form is AnswerForm.REASONS
            subject = analysis.subject_terms if analysis is not None else ()
            checked.kept = backing_quotes(checked.kept, passages, reasons, subject)
            if analysis is not None and analysis.form is AnswerForm.LIST:
                checked.kept += missing_rows(checked.kept, passages)
            if analysis is not None:
                checked.kept += missing_parts(checked.kept, checked.evidence, analysis, checked.asked)
            if reasons:
                checked.kept = with_reason(checked.kept, reason_sentence(checked.evidence, analysis))


def _with_form_hint(question: str, analysis: QuestionAnalysis | None, enabled: bool) -> str:
    """The question as the model reads it: followed by "Name every one …" when it asks for a list or reasons."""
    hint = prompts.ANSWER_FORM_HINTS.get(analysis.form.value) if enabled and analysis is not None else None
    return f"{question} ({hint})" if hint else question


def _plain_sentence(text: str) -> str:
    """A sentence without its markers or closing stop, for telling repeated sentences apart."""
    return plain(strip_markers(text)).rstrip(" .")


def _filters(value: Filters | dict | None) -> Filters | None:
    if value is None or isinstance(value, Filters):
        return value
    return Filters(**value)

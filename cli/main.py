"""The ``parlqa`` command line: index, stats, ask, search, timeline, chat, eval and serve-model."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from corpus.dates import long_date
from parlqa.offline import configure_environment
from parlqa.settings import Settings
from qa.prompts import DRAFT_LABEL, DROPPED_NOTE

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Cited answers from UK parliamentary written questions."
)
console = Console()
err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Index directory (default: PARLQA_DATA_DIR or .parlqa).")
]


def _settings(data_dir: Path | None = None, **overrides) -> Settings:
    from pydantic import ValidationError

    from parlqa.settings import describe_error

    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise _fail(describe_error(exc)) from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(code)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False) -> None:
    configure_environment()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def index(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Folders, .txt/.md files, .jsonl/.jsonl.gz exports.")
    ] = None,
    data_dir: DataDir = None,
    chunk_tokens: Annotated[int | None, typer.Option(help="Chunk size in tokens.")] = None,
    chroma_host: Annotated[str | None, typer.Option(help="Use a Chroma server at this host.")] = None,
) -> None:
    """Index documents (the default corpus when no path is given). Only new or changed documents are embedded."""
    from index.indexer import Indexer
    from index.store import StoreUnavailableError
    from parlqa.errors import IndexBusyError

    settings = _settings(data_dir, chunk_tokens=chunk_tokens, chroma_host=chroma_host)
    try:
        indexer = Indexer(settings)
    except StoreUnavailableError as exc:
        raise _fail(str(exc)) from None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("embedding new or changed documents", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = indexer.index(paths or [], progress)
        except IndexBusyError as exc:
            raise _fail(str(exc), 3) from None
        finally:
            indexer.close()
        bar.update(task, total=max(result.added + result.updated, 1), completed=max(result.added + result.updated, 1))
    for warning in result.report.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(str(warning))}", highlight=False)
    for problem in result.report.problems:
        err.print(f"[red]skipped:[/red] {escape(str(problem))}", highlight=False)
    console.print(
        f"{result.documents_seen} documents read from {result.report.files} files: {result.added} added, "
        f"{result.updated} updated, {result.removed} removed, {result.unchanged} unchanged"
        + (f" ({result.moved} read from a new file)" if result.moved else "")
        + f"; {result.chunks_embedded} chunks embedded"
        + (f", {result.chunks_reused} reused" if result.chunks_reused else "")
        + f", {result.chunks_deleted} deleted"
        + (f"; {result.repaired} repaired after an interrupted run" if result.repaired else "")
        + f"; {result.report.skipped} files skipped"
        + (f"; {result.report.code_files} program files passed over" if result.report.code_files else "")
        + ".",
        highlight=False,
    )
    if result.report.skipped:
        raise typer.Exit(2)


@app.command()
def stats(data_dir: DataDir = None, top: Annotated[int, typer.Option(help="Rows per breakdown.")] = 12) -> None:
    """What the index holds: documents and chunks by kind, house, department and year."""
    from index.stats import collect_stats

    settings = _settings(data_dir)
    if not settings.manifest_path.exists():
        raise _fail(f"no index in {settings.data_dir}; run: parlqa index")
    s = collect_stats(settings, top=top)
    console.print(f"[bold]{s.documents}[/bold] documents, [bold]{s.chunks}[/bold] chunks", highlight=False)
    console.print(f"store: {s.store}", highlight=False)
    console.print(f"embedding model: {s.embedding_model}; chunk size {s.chunk_tokens} tokens", highlight=False)
    for name, rows in s.by.items():
        table = Table(title=f"by {name}", title_justify="left")
        table.add_column(name)
        table.add_column("documents", justify="right")
        table.add_column("chunks", justify="right")
        key = (lambda r: r[0]) if name == "year" else (lambda r: -r[1])
        for value, docs, chunks in sorted(rows, key=key):
            table.add_row(value, str(docs), str(chunks))
        console.print(table)


def _print_sources(citations) -> None:
    for c in citations:
        who = ", ".join(p for p in (c.answered_by, c.department) if p)
        when = c.date_answered or c.date_asked
        console.print(rf"[bold]\[{c.marker}][/bold] {escape(c.title)}", highlight=False, markup=True, end="")
        console.print(
            f" — {who}" if who else "", f", {long_date(when)}" if when else "", sep="", highlight=False, markup=False
        )
        console.print(
            f"    {c.kind or 'document'}, {c.house or 'house unknown'}; id {c.doc_id}", highlight=False, markup=False
        )
        if c.url:
            console.print(f"    {c.url}", highlight=False, markup=False)
        elif c.source:
            console.print(f"    file: {c.source}", highlight=False, markup=False)
        console.print(f"    “{c.quote}”", highlight=False, markup=False, style="italic")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question in plain English.")],
    model: Annotated[str | None, typer.Option(help="Model preset (tiny, small, base) or a GGUF path.")] = None,
    k: Annotated[int | None, typer.Option(help="Passages given to the model.")] = None,
    retrieval: Annotated[str | None, typer.Option(help="dense, bm25 or hybrid.")] = None,
    since: Annotated[str | None, typer.Option(help="Only answers given on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only answers given on or before this date (YYYY-MM-DD).")] = None,
    department: Annotated[str | None, typer.Option(help="Answering department contains this text.")] = None,
    answerer: Annotated[str | None, typer.Option(help="Answering member's name contains this text.")] = None,
    house: Annotated[str | None, typer.Option(help="Commons or Lords.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    data_dir: DataDir = None,
    chroma_host: Annotated[str | None, typer.Option(help="Use a Chroma server at this host.")] = None,
) -> None:
    """Answer a question from the index, citing the source answers."""
    from pydantic import ValidationError

    from index.store import StoreUnavailableError
    from qa.assistant import Assistant
    from qa.errors import ParlqaError
    from qa.models import ModelError
    from qa.types import Filters

    try:
        filters = Filters(
            since=since, until=until, department=department, answerer=answerer, house=house.title() if house else None
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(f"--{first['loc'][0]}: {first['msg']}") from None
    try:
        settings = _settings(data_dir, model=model, k=k, retrieval=retrieval, chroma_host=chroma_host)
        bot = Assistant(settings, auto_index=True)
        answer = None
        streamed = False
        for event in bot.stream(question, filters=filters):
            if as_json:
                answer = event.answer or answer
                continue
            if event.type == "extract" and event.extract:
                err.print(
                    "[dim]From the sources: " + " ".join(f"{e.text} [{e.marker}]" for e in event.extract) + "[/dim]\n"
                )
            elif event.type == "token":
                if not streamed:  # the draft goes to stderr: only the verified answer is the command's output
                    err.print(f"[dim]{DRAFT_LABEL}:[/dim] ", end="")
                streamed = True
                err.print(event.text, end="", style="dim", highlight=False, markup=False, soft_wrap=True)
            elif event.type == "answer":
                answer = event.answer
    except (ParlqaError, ModelError, StoreUnavailableError, ValidationError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if answer is None:
        raise _fail("no answer was produced")
    if as_json:
        console.print_json(answer.model_dump_json())
        return
    if streamed:
        err.print()
        err.rule(style="dim")
    understood = answer.understood.describe() if answer.understood else ""
    if understood:
        err.print(f"[dim]{escape(understood[:1].upper() + understood[1:])}[/dim]", highlight=False)
    console.print(answer.text, highlight=False, markup=False)
    if answer.refused:
        err.print(f"[dim]({escape(answer.refusal_reason or '')})[/dim]")
        if answer.citations:
            console.print("\n[bold]Closest passages[/bold]")
            _print_sources(answer.citations)
        return
    for sentence in answer.dropped:
        note = f" ({sentence.note})" if sentence.note else ""
        err.print(f"[yellow]{DROPPED_NOTE}:[/yellow] {escape(sentence.text)}{escape(note)}", highlight=False)
    console.print("\n[bold]Sources[/bold]")
    _print_sources(answer.citations)
    timings = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in answer.timings.items())
    source = answer.model or "answered from the record's fields"
    err.print(f"[dim]{escape(source)}: {timings}[/dim]")


@app.command("eval")
def evaluate(
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="default, commons or a .jsonl path; repeat or comma-separate.")
    ] = None,
    model: Annotated[list[str] | None, typer.Option(help="Model presets or GGUF paths to compare.")] = None,
    retrieval: Annotated[list[str] | None, typer.Option(help="dense, bm25 and/or hybrid.")] = None,
    k: Annotated[list[str] | None, typer.Option("--k", help="Passages given to the model.")] = None,
    chunk_tokens: Annotated[list[str] | None, typer.Option(help="Chunk sizes; one index each.")] = None,
    limit: Annotated[int | None, typer.Option(help="First N pairs per set (keeping some unanswerable).")] = None,
    judge: Annotated[str, typer.Option(help="Faithfulness judge model, or 'none'.")] = "small",
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("docs/eval"),
    retrieval_only: Annotated[bool, typer.Option(help="Retrieval and refusal gate only; no model.")] = False,
    refusal_threshold: Annotated[float | None, typer.Option(help="Override the refusal threshold.")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where evaluation indexes live.")] = None,
    name: Annotated[str | None, typer.Option(help="Run file name under OUT/runs.")] = None,
    system: Annotated[
        list[str] | None, typer.Option(help="parlqa and/or baseline (the plain LangChain RAG recipe).")
    ] = None,
    half: Annotated[str, typer.Option(help="fit, held-out or both halves of each set.")] = "both",
    commons_index: Annotated[
        str, typer.Option(help="full: the whole shared file; subset: the fixed 5,000-record subset.")
    ] = "full",
    fit_refusal: Annotated[
        bool, typer.Option("--fit-refusal", help="Fit the refusal thresholds on the fit half and print them.")
    ] = False,
) -> None:
    """Evaluate retrieval, answers, citations, refusals and faithfulness over every combination of the options."""
    import os
    import shlex
    import sys

    from eval.corpora import DEFAULT_EVAL_DIR
    from eval.dataset import DatasetError
    from eval.options import EvalOptions, split_values
    from eval.runner import evaluate as run_evaluation
    from qa.errors import ParlqaError
    from qa.models import ModelError

    environment = [f"{key}={value}" for key, value in sorted(os.environ.items()) if key.startswith("PARLQA_")]
    try:
        grid = {
            "sets": split_values(sets),
            "models": split_values(model),
            "retrievals": split_values(retrieval),
            "ks": [int(v) for v in split_values(k)],
            "chunk_tokens": [int(v) for v in split_values(chunk_tokens)],
        }
        options = EvalOptions(
            **{name: values for name, values in grid.items() if values},  # the rest: EvalOptions' defaults
            limit=limit,
            judge=None if judge.lower() == "none" else judge,
            out=out,
            retrieval_only=retrieval_only,
            refusal_threshold=refusal_threshold,
            eval_dir=data_dir or DEFAULT_EVAL_DIR,
            name=name,
            systems=split_values(system) or ["parlqa"],
            half=half,
            commons_index=commons_index,
            command=shlex.join([*environment, "parlqa", *sys.argv[1:]]),
        )
    except ValueError as exc:
        raise _fail(f"bad option: {exc}", 2) from None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err, transient=True) as bar:

            def echo(line: str) -> None:
                bar.console.print(line, highlight=False, soft_wrap=True)

            if fit_refusal:
                from eval.calibrate import fit_refusal as fit

                fit(options, bar, echo)
                return
            results = run_evaluation(options, bar, echo)
    except (DatasetError, ModelError, ParlqaError, ValueError) as exc:
        raise _fail(str(exc), 2) from None
    if not results:
        raise typer.Exit(0)


@app.command()
def chat(
    host: Annotated[str, typer.Option(help="Address to serve on (0.0.0.0: the whole network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 7860,
    share: Annotated[bool, typer.Option("--share", help="Also open a public gradio.live link (online).")] = False,
    model: Annotated[str | None, typer.Option(help="Default model preset (tiny, small, base) or a GGUF path.")] = None,
    k: Annotated[int | None, typer.Option(help="Default passages given to the model.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the chat web page (streamed, cited answers beside their sources) and the JSON API under /api
    (docs/http-api.md); login: PARLQA_UI_USER/_PASSWORD."""
    from qa.errors import ParlqaError
    from qa.models import ModelError

    try:
        from ui.app import launch

        launch(_settings(data_dir, model=model, k=k), host=host, port=port, share=share)
    except (ParlqaError, ModelError, ValueError, OSError) as exc:
        raise _fail(str(exc)) from None


@app.command("serve-model")
def serve_model(
    preset: Annotated[
        str | None, typer.Option(help="Model preset (tiny, small, base) or a GGUF path (default: PARLQA_MODEL).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8080,
    parallel: Annotated[
        int,
        typer.Option(
            help="Requests answered at once. llama-cpp-python's server answers one at a time, so only 1 is "
            "accepted; for more, run one server per port, or llama.cpp's own llama-server --parallel N."
        ),
    ] = 1,
) -> None:
    """Serve the packaged model (sha256 checked) over the OpenAI protocol on loopback, for PARLQA_LLM_URL."""
    import os
    import sys

    from qa.models import ModelError
    from qa.remote_llm import server_command

    if parallel != 1:
        raise _fail(
            f"--parallel {parallel}: llama-cpp-python's server answers one request at a time; start one "
            "serve-model per port (and spread the chat processes over them), or run llama.cpp's llama-server "
            "with --parallel N",
            2,
        )
    settings = _settings(model=preset)
    try:
        command = server_command(settings, settings.model, port=port)
    except ModelError as exc:
        raise _fail(str(exc)) from None
    err.print(f"serving {escape(command.path)} (sha256 checked) on {command.url}", highlight=False)
    err.print("chat processes use it with:", highlight=False)
    console.print(f"PARLQA_LLM_URL={command.url} PARLQA_LLM_MODEL={command.model}", highlight=False, markup=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command.argv)  # the server takes this process over: stop it by this pid


# research tools ---------------------------------------------------------------------------------------------
Since = Annotated[str | None, typer.Option(help="Only records dated on or after this day (YYYY-MM-DD).")]
Until = Annotated[str | None, typer.Option(help="Only records dated on or before this day (YYYY-MM-DD).")]
Department = Annotated[str | None, typer.Option(help="Answering department contains this text.")]
Answerer = Annotated[str | None, typer.Option(help="Answering member's name contains this text.")]
Asker = Annotated[str | None, typer.Option(help="Asking member's name contains this text.")]
HouseOption = Annotated[str | None, typer.Option(help="Commons or Lords.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of printing.")]


def _research_filters(since, until, department, answerer, asker, house):
    from pydantic import ValidationError

    from qa.types import Filters

    try:
        filters = Filters(
            since=since,
            until=until,
            department=department,
            answerer=answerer,
            asker=asker,
            house=house.title() if house else None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(f"--{first['loc'][0]}: {first['msg']}") from None
    if filters.since and filters.until and filters.since > filters.until:
        raise _fail(f"--since ({filters.since}) is after --until ({filters.until})")
    return None if filters.is_empty() else filters


def _open_assistant(data_dir: Path | None):
    from index.store import StoreUnavailableError
    from qa.assistant import Assistant
    from qa.errors import ParlqaError

    try:
        return Assistant(_settings(data_dir), auto_index=True)
    except (ParlqaError, StoreUnavailableError, ValueError) as exc:
        raise _fail(str(exc)) from None


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        console.file.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None
    err.print(f"[dim]written to {escape(str(output))}[/dim]")


def _check_format(output_format: str) -> None:
    from qa.export import FORMATS

    if output_format not in ("table", *FORMATS):
        raise _fail(f"--format must be table, {', '.join(FORMATS)}, not {output_format!r}")


def _marked(text: str, spans) -> str:
    """Rich markup of ``text`` with the spans in bold (the text itself escaped)."""
    out, last = [], 0
    for span in spans:
        out += [escape(text[last : span.start]), f"[bold yellow]{escape(text[span.start : span.end])}[/bold yellow]"]
        last = span.end
    return "".join([*out, escape(text[last:])])


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words every answer must hold; "quoted phrases"; or a UIN.')] = "",
    since: Since = None,
    until: Until = None,
    department: Department = None,
    answerer: Answerer = None,
    asker: Asker = None,
    house: HouseOption = None,
    sort: Annotated[str, typer.Option(help="relevance, newest or oldest.")] = "relevance",
    limit: Annotated[int, typer.Option(help="Results per page.")] = 20,
    page: Annotated[int, typer.Option(help="Page of results.")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="table, json, csv or md.")] = "table",
    output: Output = None,
    data_dir: DataDir = None,
) -> None:
    """List every answer that holds the query's words, with who asked and answered, dates and links."""
    from qa.export import export_search

    _check_format(output_format)
    filters = _research_filters(since, until, department, answerer, asker, house)
    bot = _open_assistant(data_dir)
    try:
        found = bot.search(query, filters, sort=sort, page=page, page_size=limit)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if output_format != "table":
        _emit(export_search(found, output_format), output)
        return
    shown = f"{(found.page - 1) * found.page_size + 1}–{(found.page - 1) * found.page_size + len(found.results)}"
    err.print(
        f"[bold]{found.total}[/bold] answer{'' if found.total == 1 else 's'}"
        + (f"; {shown} shown, {found.sort} first" if found.results else ""),
        highlight=False,
    )
    table = Table(show_lines=True)
    for column in ("date", "record", "snippet"):
        table.add_column(column, overflow="fold")
    for r in found.results:
        who = " · ".join(p for p in (r.answered_by, r.department) if p)
        head = f"[bold]{escape(r.title)}[/bold]\n{escape(who)}" + (
            f"\nasked by {escape(r.asked_by)}" if r.asked_by else ""
        )
        link = f"\n[dim]{escape(r.url or r.doc_id)}[/dim]"
        table.add_row(r.date_label(), head + link, _marked(r.snippet, r.highlights))
    if output is not None:
        _emit(export_search(found, "md"), output)
        return
    console.print(table)
    for name in ("department", "answerer", "year"):
        counts = getattr(found.facets, name)[:6]
        if counts:
            err.print(f"[dim]{name}: " + escape(", ".join(f"{c.value} ({c.count})" for c in counts)) + "[/dim]")


@app.command()
def timeline(
    subject: Annotated[str, typer.Argument(help='What was said about: words, or a "quoted phrase".')],
    since: Since = None,
    until: Until = None,
    department: Department = None,
    answerer: Answerer = None,
    asker: Asker = None,
    house: HouseOption = None,
    limit: Annotated[int, typer.Option(help="Most relevant answers placed on the timeline.")] = 200,
    summary: Annotated[
        bool, typer.Option("--summary", help="Add a checked summary of how the position changed.")
    ] = False,
    model: Annotated[str | None, typer.Option(help="Model for the summary (preset or GGUF path).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, json, csv or md.")] = "table",
    output: Output = None,
    data_dir: DataDir = None,
) -> None:
    """What has been said about a subject, month by month, each answer's best sentence quoted and linked."""
    from qa.export import export_timeline
    from qa.models import ModelError

    _check_format(output_format)
    filters = _research_filters(since, until, department, answerer, asker, house)
    bot = _open_assistant(data_dir)
    try:
        found = bot.timeline(subject, filters, limit=limit, summary=summary, model=model)
    except (ModelError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if output_format != "table" or output is not None:
        _emit(export_timeline(found, "md" if output_format == "table" else output_format), output)
        return
    err.print(
        f"[bold]{found.total}[/bold] dated answers, {found.shown} shown"
        + (f"; {found.undated} undated left out" if found.undated else ""),
        highlight=False,
    )
    peak = max((c.count for c in found.chart), default=0)
    marks = {m.month: m.label for m in found.marks}
    for bar in found.chart:
        width = round(30 * bar.count / peak) if peak else 0
        note = f"  ← {marks[bar.month]}" if bar.month in marks else ""
        console.print(
            f"{bar.month} {'█' * width}{' ' if width else ''}{bar.count}{note}", highlight=False, markup=False
        )
    if found.summary is not None:
        console.print("\n[bold]How the position changed[/bold]")
        console.print(found.summary.text or "No summary the answers support.", highlight=False, markup=False)
        _print_sources(found.summary.citations)
    for month in found.months:
        console.print(f"\n[bold]{escape(month.label)}[/bold]")
        for e in month.entries:
            who = ", ".join(p for p in (e.answered_by, e.department) if p) or "answer"
            console.print(f"  {e.date_label()} — {who}", highlight=False, markup=False)
            console.print(f"    “{e.quote}”", highlight=False, markup=False, style="italic")
            console.print(f"    {e.url or e.doc_id}", highlight=False, markup=False, style="dim")


if __name__ == "__main__":
    app()

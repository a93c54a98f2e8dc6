"""Check that near-miss questions really are unanswerable: search every document of their corpus for a sentence
holding one term of each of the pair's ``absent`` groups, and record what was found (nothing, for a good pair).

    python -m eval.absence --set default --set commons      # writes eval/sets/<set>.absence.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.loader import LoadReport, iter_documents
from eval.corpora import SHARED_FILE, CorpusUnavailableError
from eval.dataset import SETS_DIR, EvalPair, Kind, load_pairs, set_name
from qa.facts import plain
from qa.sentences import sentences

MAX_EXAMPLES = 5


@dataclass
class AbsenceCheck:
    """One near-miss pair: how many documents were searched and the sentences that held every group."""

    id: str
    question: str
    groups: list[list[str]]
    documents_searched: int = 0
    matches: list[dict] = field(default_factory=list)

    @property
    def absent(self) -> bool:
        return not self.matches


def _pattern(term: str) -> re.Pattern:
    text = plain(term)
    left = r"(?<![a-z0-9])" if text[:1].isalnum() else ""
    return re.compile(left + re.escape(text))


def sentence_matches(sentence: str, groups: list[list[re.Pattern]]) -> bool:
    text = plain(sentence)
    return all(any(p.search(text) for p in group) for group in groups)


def corpus_documents(corpus: str) -> Iterator:
    """Every document of an eval corpus: the default files, or the whole shared Commons file."""
    if corpus == "default":
        from corpus.loader import default_corpus_files

        yield from iter_documents(default_corpus_files(), LoadReport())
    elif corpus == "commons":
        if not SHARED_FILE.is_file():
            raise CorpusUnavailableError(f"the commons set needs {SHARED_FILE}, which is not on this machine")
        yield from iter_documents([SHARED_FILE], LoadReport())
    else:
        raise CorpusUnavailableError(f"no corpus named {corpus!r}")


def check_pairs(pairs: Iterable[EvalPair], documents: Iterable) -> list[AbsenceCheck]:
    """Search ``documents`` once for every near-miss pair's groups."""
    near = [p for p in pairs if p.kind is Kind.NEAR_MISS and p.absent]
    checks = [AbsenceCheck(p.id, p.question, p.absent) for p in near]
    compiled = [[[_pattern(t) for t in group] for group in p.absent] for p in near]
    firsts = [[g[0] for g in groups] for groups in compiled]
    for doc in documents:
        text = "\n".join(x for x in (doc.display_title, doc.question, doc.answer) if x)
        lowered = plain(text)
        for check, groups, _ in zip(checks, compiled, firsts, strict=True):
            check.documents_searched += 1
            if not all(any(p.search(lowered) for p in group) for group in groups):
                continue  # no sentence can hold every group when the document does not
            for sentence in sentences(text):
                if sentence_matches(sentence, groups) and len(check.matches) < MAX_EXAMPLES:
                    check.matches.append({"doc_id": doc.id, "sentence": sentence})
    return checks


def run(set_names: list[str]) -> dict[str, list[AbsenceCheck]]:
    out: dict[str, list[AbsenceCheck]] = {}
    for name in set_names:
        pairs = load_pairs(name)
        checks = check_pairs(pairs, corpus_documents(pairs[0].corpus))
        target = SETS_DIR / f"{set_name(name)}.absence.json"
        payload = {
            "set": set_name(name),
            "near_miss": len(checks),
            "with_matches": sum(not c.absent for c in checks),
            "checks": [asdict(c) for c in checks],
        }
        Path(target).write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        out[name] = checks
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", dest="sets", default=None)
    args = parser.parse_args()
    for name, checks in run(args.sets or ["default"]).items():
        bad = [c for c in checks if not c.absent]
        searched = checks[0].documents_searched if checks else 0
        print(f"{name}: {len(checks)} near-miss questions, {searched} documents searched, {len(bad)} with a match")
        for c in bad:
            print(f"  {c.id}: {c.matches[0]['doc_id']}: {c.matches[0]['sentence'][:160]}")


if __name__ == "__main__":
    main()

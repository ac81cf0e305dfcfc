"""The evaluation question files (eval/questions/**/*.jsonl): schema, verbatim gold spans, and coverage of the seed set.

Every question file is checked for the format `qa eval` reads; the seed set (seed.jsonl, about the five seed
articles) must also cover every question type, both splits and every seed article; the trust set (trust.jsonl:
unanswerable questions of both kinds, figures the sources agree on, disagreements) must be large enough in
every kind and type, in both splits.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
QUESTIONS = ROOT / "eval" / "questions"
SEED_FILE = QUESTIONS / "seed.jsonl"
TRUST_FILE = QUESTIONS / "trust.jsonl"

SEED_TYPES = ("factoid", "paraphrase", "name_variant", "multi_source", "conflict", "unanswerable")
TYPES = SEED_TYPES + ("figure",)
KINDS = ("off_topic", "near_miss")  # the `kind` of an unanswerable question
FIGURE_TYPES = ("conflict", "figure")  # the types with a `figures` field
SPLITS = ("tune", "test")
REQUIRED = {"id", "question", "type", "split", "answerable", "gold"}
OPTIONAL = {"note", "kind", "figures", "language"}
# A normalised figure (eval/questions/README.md): a number, a date, a date without its year, an ISO 8601 duration,
# or a range of two of these.
_VALUE = (r"(?:\d+(?:\.\d+)*|\d{4}-\d{2}(?:-\d{2})?|--\d{2}-\d{2}"
          r"|P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)")
FIGURE = re.compile(rf"{_VALUE}(?:/{_VALUE})?")
SEED_ARTICLES = (
    "000_219d92d582d0d3aa",
    "001_471d33dee7243037",
    "002_e8a6ebfdac5c0c25",
    "003_b5aa193811d8dc64",
    "004_4535bae51ce033c4",
)


def question_files() -> list[Path]:
    return sorted(p for p in QUESTIONS.rglob("*.jsonl") if p.is_file())


def load(path: Path) -> list[tuple[str, dict]]:
    """(file:line, row) for every non-blank line of a question file."""
    rows = []
    text = path.read_bytes().decode("utf-8-sig")  # the same decoding `qa eval` uses
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            origin = f"{path.relative_to(ROOT)}:{number}"
            try:
                rows.append((origin, json.loads(line)))
            except ValueError as exc:
                pytest.fail(f"{origin}: not valid JSON ({exc})")
    return rows


def all_rows() -> list[tuple[str, dict]]:
    return [row for path in question_files() for row in load(path)]


_BODIES: dict[str, str | None] = {}


def source_body(source_id: str) -> str | None:
    """The source text exactly as stored: bytes decoded as UTF-8, no newline translation."""
    if source_id not in _BODIES:
        path = SOURCES / f"{source_id}.txt"
        ok = "/" not in source_id and "\\" not in source_id and path.is_file()
        _BODIES[source_id] = path.read_bytes().decode("utf-8") if ok else None
    return _BODIES[source_id]


def test_question_files_exist():
    assert SEED_FILE.is_file()
    assert (QUESTIONS / "README.md").is_file()


def test_every_row_has_the_schema():
    problems = []
    for origin, row in all_rows():
        if not isinstance(row, dict):
            problems.append(f"{origin}: not a JSON object")
            continue
        keys = set(row)
        if REQUIRED - keys:
            problems.append(f"{origin}: missing {sorted(REQUIRED - keys)}")
            continue
        if keys - REQUIRED - OPTIONAL:
            problems.append(f"{origin}: unknown fields {sorted(keys - REQUIRED - OPTIONAL)}")
        for name in ("id", "question"):
            if not isinstance(row[name], str) or not row[name].strip():
                problems.append(f"{origin}: {name!r} must be a non-empty string")
        if "note" in row and not isinstance(row["note"], str):
            problems.append(f"{origin}: 'note' must be a string")
        if row["type"] not in TYPES:
            problems.append(f"{origin}: type {row['type']!r} not in {TYPES}")
        if row["split"] not in SPLITS:
            problems.append(f"{origin}: split {row['split']!r} not in {SPLITS}")
        if not isinstance(row["answerable"], bool):
            problems.append(f"{origin}: 'answerable' must be true or false")
        if not isinstance(row["gold"], list):
            problems.append(f"{origin}: 'gold' must be a list")
            continue
        for gold in row["gold"]:
            if not (isinstance(gold, dict) and set(gold) <= {"source_id", "span", "start"}
                    and isinstance(gold.get("source_id"), str) and isinstance(gold.get("span"), str)
                    and gold["span"].strip()):
                problems.append(f"{origin}: gold entry {gold!r} needs a 'source_id' and a non-empty 'span'")
    assert not problems, "\n".join(problems)


def test_ids_are_unique_across_files():
    seen: dict[str, list[str]] = defaultdict(list)
    for origin, row in all_rows():
        seen[row["id"]].append(origin)
    duplicates = {qid: where for qid, where in seen.items() if len(where) > 1}
    assert not duplicates, duplicates


def test_answerable_questions_have_gold_and_unanswerable_have_none():
    problems = []
    for origin, row in all_rows():
        if row["answerable"] != (row["type"] != "unanswerable"):
            problems.append(f"{origin}: type {row['type']!r} with answerable={row['answerable']}")
        if row["answerable"] and not row["gold"]:
            problems.append(f"{origin}: answerable but no gold span")
        if not row["answerable"] and row["gold"]:
            problems.append(f"{origin}: unanswerable but has gold spans")
    assert not problems, "\n".join(problems)


def test_every_gold_span_occurs_verbatim_in_its_source():
    problems = []
    for origin, row in all_rows():
        for gold in row["gold"]:
            body = source_body(gold["source_id"])
            span = gold["span"]
            if body is None:
                problems.append(f"{origin}: no source file sources/{gold['source_id']}.txt")
            elif span not in body:
                problems.append(f"{origin}: span not in {gold['source_id']}: {span!r}")
            elif "start" in gold and not (isinstance(gold["start"], int) and body[gold["start"]:].startswith(span)):
                problems.append(f"{origin}: span does not start at offset {gold['start']!r}")
            if span != span.strip():
                problems.append(f"{origin}: span has leading or trailing whitespace: {span!r}")
    assert not problems, "\n".join(problems)


def test_the_evaluation_loader_reads_every_file():
    from qa.evaluation.dataset import load_questions

    questions = load_questions(QUESTIONS, language="all")
    assert len(questions) == len(all_rows())
    by_id = {q.id: q for q in questions}
    for _, row in all_rows():
        q = by_id[row["id"]]
        assert q.kind == row.get("kind", "")
        assert q.figures_by_source() == {k: tuple(v) for k, v in row.get("figures", {}).items()}


def test_unanswerable_questions_have_a_kind_and_only_they_do():
    problems = []
    for origin, row in all_rows():
        if row["type"] == "unanswerable" and row.get("kind") not in KINDS:
            problems.append(f"{origin}: unanswerable question needs 'kind' in {KINDS}, has {row.get('kind')!r}")
        if row["type"] != "unanswerable" and "kind" in row:
            problems.append(f"{origin}: 'kind' on a {row['type']!r} question")
    assert not problems, "\n".join(problems)


def test_figures_name_every_gold_source_with_normalised_figures():
    """`figures` only on conflict/figure questions, and on every one of them: {each gold source: [figure, ...]}."""
    problems = []
    for origin, row in all_rows():
        if row["type"] not in FIGURE_TYPES:
            if "figures" in row:
                problems.append(f"{origin}: 'figures' on a {row['type']!r} question")
            continue
        figures = row.get("figures")
        if not isinstance(figures, dict):
            problems.append(f"{origin}: {row['type']} question without a 'figures' object")
            continue
        gold_sources = {g["source_id"] for g in row["gold"]}
        if set(figures) != gold_sources:
            problems.append(f"{origin}: 'figures' names {sorted(figures)}, the gold sources are {sorted(gold_sources)}")
        for source_id, values in figures.items():
            if not isinstance(values, list) or not all(isinstance(v, str) and FIGURE.fullmatch(v) for v in values):
                problems.append(f"{origin}: 'figures' of {source_id}: {values!r} is not a list of normalised figures")
        if not any(figures.values()):
            problems.append(f"{origin}: no source states a figure")
    assert not problems, "\n".join(problems)


def compatible(a: str, b: str) -> bool:
    """The same figure, or a date and a more precise one ('2017' and '2017-05')."""
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


def test_figure_questions_agree_and_conflict_questions_disagree():
    """A `figure` question's sources state compatible figures; a `conflict` question has two sources that do not."""
    problems = []
    for origin, row in all_rows():
        figures = row.get("figures")
        if row["type"] not in FIGURE_TYPES or not isinstance(figures, dict):
            continue
        per_source = [(s, v) for s, values in figures.items() for v in values if isinstance(v, str)]
        clashes = [(a, b) for a, b in combinations(per_source, 2) if not compatible(a[1], b[1])]
        if row["type"] == "figure" and clashes:
            problems.append(f"{origin}: figure question whose figures differ: {clashes}")
        if row["type"] == "conflict" and not any(a[0] != b[0] for a, b in clashes):
            problems.append(f"{origin}: conflict question whose sources state no differing figures: {figures}")
    assert not problems, "\n".join(problems)


def test_each_kind_of_unanswerable_question_is_in_both_splits():
    per = Counter((row.get("kind"), row["split"]) for _, row in all_rows() if row["type"] == "unanswerable")
    assert all(per[(kind, "tune")] >= 1 and per[(kind, "test")] >= 4 for kind in KINDS), per


def test_multi_source_and_conflict_questions_cite_two_sources_or_more():
    problems = [f"{origin}: {row['type']} question with gold from {len({g['source_id'] for g in row['gold']})} source(s)"
                for origin, row in all_rows()
                if row["type"] in ("multi_source", "conflict") and len({g["source_id"] for g in row["gold"]}) < 2]
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the seed set


@pytest.fixture(scope="module")
def seed() -> list[dict]:
    return [row for _, row in load(SEED_FILE)]


def test_seed_set_is_large_enough(seed):
    assert len(seed) >= 80
    assert all(row["id"].startswith("seed-") for row in seed)


def test_seed_set_covers_every_type(seed):
    per_type = Counter(row["type"] for row in seed)
    assert {t: per_type[t] for t in SEED_TYPES if per_type[t] < 8} == {}, per_type


def test_seed_set_has_both_splits_in_every_type(seed):
    per = Counter((row["type"], row["split"]) for row in seed)
    missing = [(t, s) for t in SEED_TYPES for s in SPLITS if per[(t, s)] == 0]
    assert not missing, missing
    assert all(per[(t, "test")] >= 4 for t in SEED_TYPES), per


def test_seed_set_uses_every_seed_article_as_gold(seed):
    for source_id in SEED_ARTICLES:
        assert (SOURCES / f"{source_id}.txt").is_file(), source_id
    cited = Counter(g["source_id"] for row in seed for g in row["gold"])
    assert [s for s in SEED_ARTICLES if cited[s] == 0] == [], cited


# ------------------------------------------------------------------ the trust set


@pytest.fixture(scope="module")
def trust() -> list[dict]:
    return [row for _, row in load(TRUST_FILE)]


def test_trust_set_is_large_enough_in_every_kind_and_type(trust):
    assert all(row["id"].startswith("trust-") for row in trust)
    per = Counter(row.get("kind") or row["type"] for row in trust)
    assert per["off_topic"] >= 22 and per["near_miss"] >= 18 and per["figure"] >= 24 and per["conflict"] >= 4, per


def test_trust_set_has_both_splits_in_every_kind_and_type(trust):
    per = Counter((row.get("kind") or row["type"], row["split"]) for row in trust)
    groups = {group for group, _ in per}
    assert groups == {"off_topic", "near_miss", "figure", "conflict"}, groups
    assert all(per[(g, "tune")] >= 2 and per[(g, "test")] >= 3 for g in groups), per
    assert all(per[(g, "test")] >= 4 for g in groups - {"conflict"}), per
    tune = sum(row["split"] == "tune" for row in trust) / len(trust)
    assert 0.3 <= tune <= 0.5, tune


def test_trust_set_figures_come_from_every_seed_article(trust):
    cited = Counter(g["source_id"] for row in trust if row["type"] == "figure" for g in row["gold"])
    assert [s for s in SEED_ARTICLES if cited[s] == 0] == [], cited

"""Question sets: JSONL files of questions with gold spans, and the SQuAD 2.0 benchmark file."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

QUESTIONS_DIR = Path("eval") / "questions"  # the project's question sets, under its root
QUESTION_TYPES = ("factoid", "paraphrase", "name_variant", "multi_source", "conflict", "figure", "unanswerable")
SPLITS = ("tune", "test")
UNANSWERABLE_KINDS = ("off_topic", "near_miss")  # `kind` of an unanswerable question
FIGURE_TYPES = ("conflict", "figure")  # the types that may say, per source, which figures it states
# One figure as written in `figures`: a number ("13", "1551", "341.2.2"), a date ("2017", "2021-12",
# "2021-06-25", "--06-28" when no year is given), an ISO 8601 duration ("P5Y6M", "PT2M"), or a range of
# two of these joined by "/" ("P12Y/P20Y").
_FIGURE_VALUE = (r"(?:\d+(?:\.\d+)*|\d{4}-\d{2}(?:-\d{2})?|--\d{2}-\d{2}"
                 r"|P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)")
FIGURE_PATTERN = re.compile(rf"{_FIGURE_VALUE}(?:/{_FIGURE_VALUE})?")


class DatasetError(ValueError):
    """A question file that cannot be used; the message names the file, line and field."""


@dataclass(frozen=True)
class Gold:
    """A gold answer span: verbatim text of one source (`start` when the file gives the offset)."""

    source_id: str
    span: str
    start: int | None = None


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    type: str
    split: str
    answerable: bool
    gold: tuple[Gold, ...] = ()
    note: str = ""
    origin: str = ""  # file:line it was read from
    kind: str = ""  # unanswerable questions: one of UNANSWERABLE_KINDS
    figures: tuple[tuple[str, tuple[str, ...]], ...] = ()  # conflict/figure: (source_id, figures it states)
    language: str = "en"  # the question's language (ISO 639-1); the gold spans stay in their source's

    def figures_by_source(self) -> dict[str, tuple[str, ...]]:
        """{source_id: the figures that source states for what is asked} ({} when the file gives none)."""
        return dict(self.figures)


@dataclass(frozen=True)
class Paragraph:
    """One SQuAD paragraph, to become one source."""

    source_id: str
    title: str
    body: str


@dataclass(frozen=True)
class Benchmark:
    """A public benchmark as sources plus questions (gold offsets included)."""

    name: str
    paragraphs: list[Paragraph]
    questions: list[Question]
    warnings: list[str] = field(default_factory=list)


def question_files(path: Path) -> list[Path]:
    """The .jsonl files of a folder (recursively, sorted), or the one file given."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DatasetError(f"no question file or folder at {path}")
    files = sorted(p for p in path.rglob("*.jsonl") if p.is_file())
    if not files:
        raise DatasetError(f"no .jsonl question files in {path}")
    return files


def load_questions(path: Path, language: str = "en") -> list[Question]:
    """Every question in `language` ("all": every language) of every file under `path`; ids must be unique
    across files. English is the default: the Russian and Azerbaijani versions of the seed questions are run
    on purpose (`qa eval --language ru`, `--languages`)."""
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for file in question_files(path):
        for number, line in enumerate(file.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            origin = f"{file}:{number}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise DatasetError(f"{origin}: not a JSON object ({exc})") from None
            question = parse_question(row, origin)
            if question.id in seen:
                raise DatasetError(f"{origin}: id {question.id!r} already used at {seen[question.id]}")
            seen[question.id] = origin
            questions.append(question)
    return [q for q in questions if language == "all" or q.language == language]


def parse_question(row: object, origin: str) -> Question:
    if not isinstance(row, dict):
        raise DatasetError(f"{origin}: expected a JSON object")

    def text(name: str, required: bool = True) -> str:
        value = row.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise DatasetError(f"{origin}: field {name!r} must be a non-empty string")
        return value

    kind, split = text("type"), text("split")
    if kind not in QUESTION_TYPES:
        raise DatasetError(f"{origin}: type {kind!r} is not one of {', '.join(QUESTION_TYPES)}")
    if split not in SPLITS:
        raise DatasetError(f"{origin}: split {split!r} is not one of {', '.join(SPLITS)}")
    answerable = row.get("answerable", kind != "unanswerable")
    if not isinstance(answerable, bool):
        raise DatasetError(f"{origin}: field 'answerable' must be true or false")
    raw_gold = row.get("gold", [])
    if not isinstance(raw_gold, list):
        raise DatasetError(f"{origin}: field 'gold' must be a list")
    gold = []
    for item in raw_gold:
        if not (isinstance(item, dict) and isinstance(item.get("source_id"), str)
                and isinstance(item.get("span"), str) and item["span"].strip()):
            raise DatasetError(f"{origin}: each gold entry needs 'source_id' and a non-empty 'span'")
        gold.append(Gold(item["source_id"], item["span"], item.get("start")))
    if answerable and not gold:
        raise DatasetError(f"{origin}: an answerable question needs at least one gold span")
    if not answerable and gold:
        raise DatasetError(f"{origin}: an unanswerable question has no gold spans")
    if (kind == "unanswerable") == answerable:
        raise DatasetError(f"{origin}: type 'unanswerable' and answerable={answerable} contradict")
    language = row.get("language", "en")
    if not (isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language)):
        raise DatasetError(f"{origin}: field 'language' must be an ISO 639-1 code such as 'ru', not {language!r}")
    return Question(id=text("id"), question=text("question"), type=kind, split=split,
                    answerable=answerable, gold=tuple(gold), note=text("note", required=False), origin=origin,
                    kind=_unanswerable_kind(row, kind, origin), figures=_figures(row, kind, gold, origin),
                    language=language)


def _unanswerable_kind(row: dict, kind: str, origin: str) -> str:
    """Field 'kind': required on unanswerable questions (off_topic / near_miss), refused on the others."""
    if kind != "unanswerable":
        if "kind" in row:
            raise DatasetError(f"{origin}: field 'kind' is only for unanswerable questions, not type {kind!r}")
        return ""
    value = row.get("kind")
    if value is None:
        raise DatasetError(f"{origin}: an unanswerable question needs field 'kind' ({', '.join(UNANSWERABLE_KINDS)})")
    if value not in UNANSWERABLE_KINDS:
        raise DatasetError(f"{origin}: field 'kind' of an unanswerable question must be one of "
                           f"{', '.join(UNANSWERABLE_KINDS)}, not {value!r}")
    return value


def _figures(row: dict, kind: str, gold: list[Gold], origin: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Optional field 'figures' of conflict/figure questions: {gold source_id: [normalised figure, ...]}."""
    if "figures" not in row:
        return ()
    if kind not in FIGURE_TYPES:
        raise DatasetError(f"{origin}: field 'figures' is only for types {', '.join(FIGURE_TYPES)}, not {kind!r}")
    value = row["figures"]
    if not isinstance(value, dict) or not value:
        raise DatasetError(f"{origin}: field 'figures' must be a non-empty object {{source_id: [figure, ...]}}")
    gold_sources = {g.source_id for g in gold}
    figures = []
    for source_id, values in value.items():
        if source_id not in gold_sources:
            raise DatasetError(f"{origin}: field 'figures' names {source_id!r}, which has no gold span")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DatasetError(f"{origin}: field 'figures' of {source_id!r} must be a list of strings")
        for figure in values:
            if not FIGURE_PATTERN.fullmatch(figure):
                raise DatasetError(f"{origin}: field 'figures' of {source_id!r}: {figure!r} is not a normalised "
                                   "figure (digits, YYYY[-MM[-DD]], --MM-DD, an ISO 8601 duration, or A/B)")
        figures.append((source_id, tuple(values)))
    return tuple(figures)


def select_split(questions: list[Question], split: str) -> list[Question]:
    """'tune', 'test', or 'all'."""
    if split == "all":
        return list(questions)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}")
    return [q for q in questions if q.split == split]


def load_squad(path: Path) -> Benchmark:
    """A SQuAD 2.0 file: each paragraph becomes a source; every question is kept ('test' split).

    Answerable questions are 'factoid' with their gold answer spans at the file's offsets;
    `is_impossible` ones are 'unanswerable'.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"cannot read the SQuAD file {path}: {exc}") from None
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    warnings: list[str] = []
    for a, article in enumerate(data):
        slug = _slug(article.get("title", f"article{a}"))
        for p, paragraph in enumerate(article["paragraphs"]):
            source_id = f"{a:02d}_{slug}_{p:03d}"
            body = paragraph["context"]
            paragraphs.append(Paragraph(source_id, article.get("title", ""), body))
            for qa in paragraph["qas"]:
                impossible = bool(qa.get("is_impossible", False))
                gold = []
                for answer in ([] if impossible else qa["answers"]):
                    start, span = int(answer["answer_start"]), answer["text"]
                    if body[start:start + len(span)] != span:
                        warnings.append(f"{qa['id']}: answer {span!r} is not at offset {start}; skipped")
                        continue
                    if all((g.start, g.span) != (start, span) for g in gold):
                        gold.append(Gold(source_id, span, start))
                if not impossible and not gold:
                    warnings.append(f"{qa['id']}: no usable answer span; question skipped")
                    continue
                questions.append(Question(
                    id=qa["id"], question=qa["question"], type="unanswerable" if impossible else "factoid",
                    split="test", answerable=not impossible, gold=tuple(gold), origin=f"{path.name}:{source_id}",
                ))
    return Benchmark("squad", paragraphs, questions, warnings)


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:30] or "article"

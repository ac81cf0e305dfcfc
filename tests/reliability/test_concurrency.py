"""Questions asked while a source is being added get the old or the new answer: never a mix, never an error."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from qa.types import SourceMeta

ASKERS = 3
WAIT_AFTER = 120  # seconds the askers get, after an index is written, to ask every question whose answer changes


def signatures(faults, engine) -> dict[str, tuple]:
    return {q: faults.answer_signature(engine.ask(q)) for q in faults.PROBE_QUESTIONS}


def assert_verbatim(engine, answer) -> None:
    for quote in answer.answer:
        assert engine.source(quote.source_id).body[quote.start:quote.end] == quote.quote


class Askers:
    """Threads asking the probe questions in a loop, recording (start, end, question, signature) or the error."""

    def __init__(self, faults, engine, verify, pause: float = 0.0) -> None:
        self.faults, self.engine, self.verify, self.pause = faults, engine, verify, pause
        self.stop = threading.Event()
        self.records: list[tuple[float, float, str, tuple]] = []
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._loop, args=(n,)) for n in range(ASKERS)]

    def _loop(self, n: int) -> None:
        questions = self.faults.PROBE_QUESTIONS
        i = n
        while not self.stop.is_set():
            question = questions[i % len(questions)]
            i += 1
            started = time.monotonic()
            try:
                answer = self.engine.ask(question)
                self.verify(self.engine, answer)
            except BaseException as exc:  # noqa: BLE001 - any error is a failure, recorded for the assert
                self.errors.append(exc)
                return
            self.records.append((started, time.monotonic(), question, self.faults.answer_signature(answer)))
            time.sleep(self.pause)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


@pytest.fixture()
def expected(lab, faults) -> tuple[dict, dict]:
    """Probe answers of the seed index (old) and of the seed index plus the extra article (new)."""
    old, new = lab.expected(faults.SCENARIOS["add-file"])
    assert old.answers != new.answers, "the extra article should change at least one answer"
    return dict(zip(faults.PROBE_QUESTIONS, old.answers)), dict(zip(faults.PROBE_QUESTIONS, new.answers))


@pytest.fixture()
def indexed(lab, tmp_path) -> Path:
    """A project with the seed sources and their index already built (a copy of the lab's)."""
    shutil.copytree(lab.base, tmp_path / "project")
    return tmp_path / "project"


def test_questions_during_an_add_in_another_thread_get_the_old_or_the_new_answer(
        faults, make_engine, indexed, expected):
    old, new = expected
    engine = make_engine(indexed)
    with Askers(faults, engine, assert_verbatim) as askers:
        while len(askers.records) < 2 * ASKERS and not askers.errors:
            time.sleep(0.01)
        add_started = time.monotonic()
        result, report = engine.add(faults.EXTRA_ARTICLE.encode("utf-8"), "extra-article.txt",
                                    SourceMeta(**faults.EXTRA_META))
        add_ended = time.monotonic()
        count = len(askers.records)
        while len(askers.records) < count + 2 * ASKERS and not askers.errors:
            time.sleep(0.01)
    assert askers.errors == []
    assert result.added and report.added == [faults.EXTRA_ID]
    during = [r for r in askers.records if r[1] > add_started and r[0] < add_ended]
    assert during, "no question overlapped the add"
    for started, _, question, signature in askers.records:
        assert signature in (old[question], new[question]), f"a mixed answer to {question!r}"
        if started > add_ended:
            assert signature == new[question], "a question asked after the add got the old answer"


def test_questions_while_another_process_indexes_get_the_old_or_the_new_answer(
        faults, make_engine, indexed, expected):
    """`qa serve` keeps answering while `qa index` runs in a terminal: the engine picks the new
    manifest up between two questions."""
    old, new = expected
    project = indexed
    engine = make_engine(project)
    (project / "sources" / f"{faults.EXTRA_ID}.txt").write_text(faults.EXTRA_ARTICLE, encoding="utf-8")
    (project / "sources" / f"{faults.EXTRA_ID}.meta.json").write_text(json.dumps(faults.EXTRA_META), encoding="utf-8")
    changing = {question for question in old if old[question] != new[question]}
    with Askers(faults, engine, assert_verbatim, pause=0.05) as askers:
        done = faults.run_qa(project, ["index"])
        ended = time.monotonic()
        # until every question whose answer changes has been asked after the index was written
        while not askers.errors and time.monotonic() < ended + WAIT_AFTER and not changing <= {
                question for started, _, question, _ in list(askers.records) if started > ended}:
            time.sleep(0.01)
    assert done.returncode == 0, done.stderr[-500:]
    assert askers.errors == []
    kinds = set()
    for started, _, question, signature in askers.records:
        assert signature in (old[question], new[question]), f"a mixed answer to {question!r}"
        kinds.add("old" if signature == old[question] else "new")
        if started > ended:
            assert signature == new[question], "a question asked after `qa index` got the old answer"
    assert kinds == {"old", "new"}

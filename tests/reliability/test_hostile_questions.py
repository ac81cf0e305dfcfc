"""Any question (Unicode, empty, huge, control characters, RTL, emoji): an answer or a clear refusal."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.engine import QuestionError

# Every code point, lone surrogates included (a JSON client can send "\ud800").
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
QUESTIONS = st.one_of(
    st.text(ANY_CHARACTER, max_size=300),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=50),  # invisible
    st.text(st.sampled_from("Tartar servicemen died torture how many who when ? ! \u200f\u202e 💥 ع ש"), max_size=80),
)
HOSTILE = [
    "", " ", "\t\n\r", "\x00", "\x00" * 10 + "how many died?", "\x1b[31mred\x1b[0m who was dismissed?",
    "a" * 1_000_000, "How many died? " * 200, "x" * 2_000, "x" * 2_001,
    "كم عدد الجنود الذين ماتوا تحت التعذيب؟", "מי פוטר מתפקיד המפקד?", "\u202eHow many servicemen died?\u202c",
    "💥🪖 how many servicemen died? 👍🏽🏳️‍🌈", "\ud800\udfff lone surrogates", "e\u0301\u0301\u0301 combining",
    "<script>alert(1)</script>", "[link](javascript:alert(1))", "' OR 1=1 --", "%s%n{0}{__class__}",
]
BUDGET = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_answer_or_refusal(engine, question: str, previous: str | None = None) -> None:
    try:
        answer = engine.ask(question, previous=previous)
    except QuestionError as exc:
        assert str(exc).strip() and "\n" not in str(exc)  # one clear line for the user
        return
    assert answer.abstained == (not answer.answer)
    cited = {c.n: c.source_id for c in answer.citations}
    for quote in answer.answer:
        assert engine.source(quote.source_id).body[quote.start:quote.end] == quote.quote
        assert cited[quote.citation] == quote.source_id
    for passage in answer.passages:
        assert engine.source(passage.source_id).body[passage.start:passage.end] == passage.text
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # the CLI and the UI can print it


def test_listed_hostile_questions_get_an_answer_or_a_clear_refusal(seed_engine):
    for question in HOSTILE:
        assert_answer_or_refusal(seed_engine, question)


def test_empty_whitespace_and_oversized_questions_are_refused_with_a_message(seed_engine):
    for question in ["", "   ", "\t\n", "\x00\x01", "a" * 1_000_000]:
        try:
            seed_engine.ask(question)
        except QuestionError as exc:
            assert "question" in str(exc).lower()
        else:
            raise AssertionError(f"{question[:20]!r} was not refused")


@BUDGET
@given(question=QUESTIONS)
@example(question="\u0000")
@example(question="\u2028\u2029")
def test_any_question_gets_an_answer_or_a_clear_refusal(seed_engine, question):
    assert_answer_or_refusal(seed_engine, question)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=st.text(ANY_CHARACTER, max_size=20), previous=st.text(ANY_CHARACTER, max_size=300))
@example(question="and who ordered it?", previous="\ud800" * 3 + "How many died?")
@example(question="when?", previous="a" * 1_000_000)
def test_any_follow_up_after_any_previous_question_is_safe(seed_engine, question, previous):
    assert_answer_or_refusal(seed_engine, question, previous)

"""Abstention: whether the sources answer at all, decided on what they contain, and why not when they do not."""

from __future__ import annotations

from dataclasses import dataclass

from .grounding import Grounding
from .question import Question
from .scoring import ScoredSentence

ABSTAIN_MESSAGE = "The sources do not say."
# Abstentions on what the sources contain (not on a score): a name, a word, a figure or a name asked for is absent
GROUNDED_REASONS = ("never_mentioned", "never_together", "never_said", "no_figure", "no_name", "no_mention")


@dataclass(frozen=True)
class Verdict:
    """Whether the sources answer, and if not, why (for the message and the JSON)."""

    abstain: bool
    reason: str = ""  # never_mentioned, never_together, never_said, no_figure, no_name, no_mention, weak_evidence,
    # no_sentences, reranker, language
    missing: tuple[str, ...] = ()  # what the sources never mention, as typed
    in_furniture: tuple[str, ...] = ()  # … of which page furniture does mention these (another story's teaser)


def decide(question: Question, grounding: Grounding, ranked: list[ScoredSentence], evidence_threshold: float,
           reranker_threshold: float, abstain_on_missing_focus: bool = True) -> Verdict:
    """Abstain when a name, year or large number the question is about appears in no source; when the word
    the question asks about (its focus: "population", "mayor") appears in no source, or never in a passage
    that names the question's names (never_together), as when the verb it asks about a named subject ("born"
    in "When was Leyla Yunus born?") is never said in a passage naming them; when no passage reports words of
    whom "What did X say?" asks about (never_said); or when no sentence's
    own evidence (dense similarity + lexical coverage, both absolute) reaches the threshold. The ranking's
    relative terms (passage rank, answer type) never decide it."""
    if not ranked:
        return Verdict(True, "no_sentences")
    if grounding.never_mentioned:
        return Verdict(True, "never_mentioned", grounding.never_mentioned, grounding.only_in_furniture)
    if abstain_on_missing_focus and grounding.missing_focus:
        return Verdict(True, "never_mentioned", (grounding.missing_focus,), grounding.only_in_furniture)
    if abstain_on_missing_focus and grounding.focus_apart:
        together = (question.focus.split()[-1],) + tuple(" ".join(phrase) for phrase in question.names)
        return Verdict(True, "never_together", together)
    if abstain_on_missing_focus and grounding.event_apart and question.event:
        event = question.event
        return Verdict(True, "never_together", (event.verb,) + tuple(" ".join(phrase) for phrase in event.names))
    if abstain_on_missing_focus and grounding.speaker_silent:
        return Verdict(True, "never_said", tuple(" ".join(phrase) for phrase in question.speaker))
    if ranked[0].rerank is not None:
        return Verdict(True, "reranker") if ranked[0].score < reranker_threshold else Verdict(False)
    if max(s.evidence for s in ranked) < evidence_threshold:
        return Verdict(True, "weak_evidence")
    return Verdict(False)


def abstain_message(verdict: Verdict, limited: bool = False) -> str:
    """The abstention for the user; `limited`: the question was asked of chosen sources only, and the
    message must not claim that no source at all mentions what was asked."""
    if verdict.reason == "never_mentioned" and verdict.missing:
        unsaid = [m for m in verdict.missing if m not in verdict.in_furniture]
        aside = [m for m in verdict.missing if m in verdict.in_furniture]
        who = "None of the chosen sources mentions" if limited else "No source mentions"
        message = f"{ABSTAIN_MESSAGE} {who}: {', '.join(unsaid)}." if unsaid else ABSTAIN_MESSAGE
        if aside:  # a reader who searches the page finds the word: say where it is, and why it does not count
            message += (f" {', '.join(aside)}: only in page furniture (a teaser of another story, a caption),"
                        " not in an article's text.")
        return message
    if verdict.reason == "never_together" and verdict.missing:
        focus, *names = verdict.missing
        where = "No passage of the chosen sources mentions" if limited else "No passage mentions"
        return f"{ABSTAIN_MESSAGE} {where} “{focus}” together with {', '.join(names)}."
    if verdict.reason == "never_said" and verdict.missing:
        where = "No passage of the chosen sources reports" if limited else "No passage reports"
        return f"{ABSTAIN_MESSAGE} {where} anything said by {', '.join(verdict.missing)}."
    if verdict.reason == "no_name" and verdict.missing:
        named, *names = verdict.missing
        where = "No passage of the chosen sources names" if limited else "No passage names"
        near = f" for {', '.join(names)}" if names else ""
        return f"{ABSTAIN_MESSAGE} {where} the {named}{near}."
    if verdict.reason == "no_mention" and verdict.missing:
        where = "No sentence of the chosen sources that could be quoted mentions" if limited else \
            "No sentence that could be quoted mentions"
        return f"{ABSTAIN_MESSAGE} {where} {', '.join(verdict.missing)}."
    if verdict.reason == "no_figure" and verdict.missing:
        kind, *names = verdict.missing
        article = "an" if kind[0] in "aeiou" else "a"
        where = "No passage of the chosen sources gives" if limited else "No passage gives"
        near = f" near {', '.join(names)}" if names else ("" if " for " in kind else " for what was asked")
        return f"{ABSTAIN_MESSAGE} {where} {article} {kind}{near}."
    return ABSTAIN_MESSAGE

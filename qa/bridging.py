"""Questions across languages: grounding and abstention when a question is in another language than the
passages it found, and the language note or the English-only hint on the answer."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .abstention import Verdict, decide
from .config import Config
from .furniture import Furniture, split_prose
from .grounding import Grounding, ground
from .language import cross_language_note, english_only_hint, unbridged_hint
from .lexical import tokenize
from .question import Question
from .scoring import ScoredSentence
from .types import Answer, Passage, Source

LANGUAGE_REASON = "language"  # Answer.reason: the model cannot bridge the question's language to the sources'
SENTENCES_READ = 5  # the best sentences looked at for the question's own words


@dataclass(frozen=True)
class Judgement:
    """The grounding and verdict an answer is composed with, and whether the question crossed languages."""

    grounding: Grounding
    verdict: Verdict
    cross: bool
    unbridged: tuple[str, ...] = ()  # languages of passages found that the model cannot match to the question


def judge(question: Question, language: str, ranked: list[ScoredSentence], found: list[Passage],
          sources: dict[str, Source], term_freqs: tuple[int, dict[str, int]], cfg: Config,
          multilingual: bool, furniture: dict[str, list[Furniture]] | None = None,
          outlets: list[str] = ()) -> Judgement:
    """Ground and decide as for any question, except across languages.

    A question in another language than every passage it found (`found`: the best passages) cannot have its
    words looked up in them: it is not grounded on them, and abstention rests on the dense evidence (with the
    threshold's dense share, `threshold`). An English-only model cannot bridge at all: it says so instead of
    answering from a ranking that means nothing. A multilingual model whose best sentence is in another
    language than the question is not abstained on for words the question lacks: they may be there, translated.
    `furniture` (by source id): the page furniture of the passages, whose words alone ground nothing.
    `outlets`: the collection's outlets, which a question may name though no article text does.
    """
    languages = {sources[p.source_id].meta.language for p in found} - {""}
    cross = (bool(language and languages and language not in languages)
             and not written_alike(question, ranked[:SENTENCES_READ], cfg.same_language_coverage))
    unbridged = () if multilingual or not language else tuple(sorted(languages - {language}))
    furniture = furniture or {}
    split = [split_prose(sources[p.source_id].body, p.start, p.end, furniture.get(p.source_id, [])) for p in found]
    # a passage in another language may say what is asked about, translated
    mixed = bool(language) and any(sources[p.source_id].meta.language not in ("", language) for p in found)
    grounding = ground(question, term_freqs, [prose for prose, _ in split], enabled=cfg.use_grounding and not cross,
                       furniture=[" ".join(pieces) for _, pieces in split if pieces], outlets=list(outlets),
                       one_language=not mixed, articles=[sources[p.source_id].body for p in found])
    verdict = decide(question, grounding, ranked, threshold(cfg, cross), cfg.reranker_threshold,
                     cfg.use_grounding and cfg.abstain_on_missing_focus)
    if cross and not multilingual:
        return Judgement(grounding, Verdict(True, LANGUAGE_REASON), cross, unbridged)
    if (multilingual and verdict.reason in ("never_mentioned", "never_together")
            and sources[ranked[0].source_id].meta.language not in ("", language)):
        grounding = ground(question, term_freqs, [], enabled=False)
        return Judgement(grounding, decide(question, grounding, ranked, threshold(cfg, True), cfg.reranker_threshold,
                                           False), True)
    return Judgement(grounding, verdict, cross, unbridged)


def written_alike(question: Question, sentences: list[ScoredSentence], share: float) -> bool:
    """Does a sentence hold at least `share` of the question's own words, names aside? Then it is written in the
    question's language, whatever its source's detected language (an English article quoting a Russian
    sentence). Names do not count: their spelling keys match across scripts."""
    names = set(tokenize(" ".join(word for phrase in question.names for word in phrase), phonetic=False))
    words = set(tokenize(question.text, phonetic=False)) - names
    return bool(words) and any(len(words & set(tokenize(s.text, phonetic=False))) >= share * len(words)
                               for s in sentences)


def threshold(cfg: Config, cross: bool) -> float:
    """The evidence an answer needs. Across languages the lexical term is (all but) zero, so the dense share of
    the threshold is what a sentence can reach: abstain_threshold · w_dense / (w_dense + w_lexical)."""
    if not cross:
        return cfg.abstain_threshold
    return cfg.abstain_threshold * cfg.w_dense / (cfg.w_dense + cfg.w_lexical)


def with_language(answer: Answer, language: str, judged: Judgement) -> Answer:
    """The question's language on the answer, with the note when its quotes are in another one (their words
    are then no measure of what the quotes lack), or the hint when the model cannot bridge the two (also on
    an abstention when some of the passages found are in a language it cannot match)."""
    cross = judged.cross
    if answer.reason == LANGUAGE_REASON:
        hint = english_only_hint(language)
        return replace(answer, language=language, message=hint, language_note=hint, uncovered_terms=[])
    if answer.abstained and judged.unbridged:
        return replace(answer, language=language, language_note=unbridged_hint(language, judged.unbridged))
    note = cross_language_note(language, [c.language for c in answer.citations])
    return replace(answer, language=language, language_note=note,
                   uncovered_terms=[] if (cross or note) else answer.uncovered_terms)

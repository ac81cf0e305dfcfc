"""The engine: one object that loads sources, keeps the index current and answers questions."""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TypeVar

from .abstention import GROUNDED_REASONS, abstain_message
from .answer import compose, prose_only, without_figure, without_name, without_namesakes, without_subject, without_year
from .bridging import judge, with_language
from .config import Config
from .embedding import Embedder
from .figures import states_figure_kind
from .files import atomic_write_bytes, writer_lock
from .furniture import Furniture, FurnitureCache
from .grounding import grounding_keys
from .index import open_backend
from .index.base import Backend, IndexedSource, IndexError_, IndexInfo
from .index.ray_embedder import RayEmbedder
from .index.sync import IndexReport, commit_sync, embed_sources, plan_sync
from .language import detect_question
from .lexical import tokenize
from .question import Question, analyze, without_outlets
from .quotes import select_quotes
from .rerank import Reranker, rerank_sentences
from .scoring import ScoredSentence, Weights, score_sentences
from .retrieval import Retriever, retrieve
from .selection import SelectionError, choose_sources, outlet_asked
from .spelling import NameSpellings, current_spellings, load_spellings, save_spellings
from .ingest.web import fetch
from .sources import (AddResult, PreparedSource, SourceScan, edit_source_meta, prepare_fetched, prepare_source,
                      remove_source, scan_sources, sources_signature, store_source)
from .ingest.errors import SourceError
from .types import Answer, Passage, Source, SourceMeta

log = logging.getLogger(__name__)
T = TypeVar("T")

SPELLINGS_FILE = "name_spellings.json"  # in the index folder: how the sources spell names, and on which texts
METADATA_STAMP = ".metadata-edited"  # in the index folder: rewritten by every metadata edit
SYNC_ROUNDS = 3  # reads of the sources folder per indexing, while files keep changing during the embedding
FOLLOW_UP_MAX_TOKENS = 1  # a question with this few content words cannot stand on its own
_NO_QUESTION_WORD = r"(?![^?]*\b(?:who|whom|whose|what|which|when|where|why|how)\b)"
FOLLOW_UP = re.compile(
    r"^\s*(and|but|also|so|what about|how about)\b|\b(it|its|he|him|his|she|her|they|them|their|this|that|"
    r"these|those|there|then)\b"
    # nothing but whose version or a short phrase of time or place: "According to PACE?", "In September 2024?"
    r"|^\s*(according to|in the view of|as reported by)\b" + _NO_QUESTION_WORD + r"[^?]*\?*\s*$"
    r"|^\s*(in|on|at|during|after|before|since|by)\s+" + _NO_QUESTION_WORD + r"[^?]{1,40}\?\s*$",
    re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    """A question that leans on the one before: it starts with 'and …'/'what about …', refers back
    with a pronoun ('who ordered it?'), is only whose version or a phrase of time or place ('According to
    PACE?', 'In September 2024?'), or is too short to stand alone ('when?')."""
    return bool(FOLLOW_UP.search(question)) or len(tokenize(question, phonetic=False)) <= FOLLOW_UP_MAX_TOKENS


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long); the message is for the user."""


@dataclass(frozen=True)
class Trace:
    """One `ask` with what it ranked on the way (for evaluation): fused passages and scored sentences."""

    answer: Answer
    ranking: list[Passage]  # fused passages, best first, max(passages_k, depth) of them
    sentences: list[ScoredSentence]  # every quotable sentence scored for the answer, best first
    question: Question | None = None  # the question as analysed once (kind, names, focus, figures)
    grounded_abstention: bool = False  # abstained on grounding (a name or focus no source mentions, no figure)
    deeper: list[ScoredSentence] = field(default_factory=list)  # below the pool, read for other sources' figures
    # (only when the pool showed a disagreement)


class Engine:
    """Answers questions from the sources with verbatim, cited quotes.

    Thread-safe: questions take the engine's lock only for the index look-ups; `add`/`index` embed without
    it and take it only to swap the new state in, so answering never waits for an embedding. Writers, in
    this process or another, go one at a time through `writing`.
    """

    def __init__(self, config: Config, embedder: Embedder, backend: Backend, sources: list[Source],
                 reranker: Reranker | None = None, retriever: Retriever = retrieve):
        self.config = config
        self.embedder = embedder
        self.reranker = reranker
        self.backend = backend
        self.retriever = retriever  # the fusion of dense and lexical search (a benchmark swaps in another)
        self._sources: dict[str, Source] = {}
        self._furniture = FurnitureCache()
        self._spellings: tuple[dict[str, Source], NameSpellings] | None = None  # counted for these sources
        self._spellings_lock = threading.Lock()  # one count at a time: a second caller waits for it
        self._set_sources(sources)
        self._lock = threading.RLock()
        self.warnings: list[str] = []  # sources skipped when the engine was opened
        self.last_report: IndexReport | None = None  # what indexing did when `load` built the index
        # Set by `qa serve`: indexing then embeds on fewer threads at a lower priority, so questions keep a core.
        self.background_indexing = False
        self._meta_stamp = self._metadata_stamp()  # when another process last edited metadata (see `edit`)

    # ---- building --------------------------------------------------------------------------------

    @classmethod
    def open(cls, config: Config | None = None, embedder: Embedder | None = None,
             reranker: Reranker | None = None, for_indexing: bool = False) -> "Engine":
        """Sources, model(s) and backend, the index left as it is.

        Pass an `embedder` (or `reranker`) already loaded for the same model to share it between engines.
        `for_indexing` (`qa index`): no cross-encoder is loaded, and with `config.ray_address` the sources
        are embedded on that Ray cluster.
        """
        config = config or Config.from_env()
        embedder = embedder or Embedder.from_config(config)
        if for_indexing and config.ray_address:
            embedder = RayEmbedder(config, embedder)
        if config.reranker and reranker is None and not for_indexing:
            reranker = Reranker(config.reranker, device=config.device)
        backend = open_backend(config)
        scan = scan_sources(config.sources_dir, config.max_source_bytes, kept_notice=config.html_kept_notice)
        engine = cls(config, embedder, backend, scan.sources, reranker if config.reranker else None)
        engine.warnings.extend(scan.warnings)
        return engine

    @classmethod
    def load(cls, config: Config | None = None, build: bool = True, progress: bool = False,
             embedder: Embedder | None = None, reranker: Reranker | None = None) -> "Engine":
        """`open`, then with `build` bring the index up to date (the report is `last_report`); without,
        an index must exist."""
        engine = cls.open(config, embedder, reranker)
        if build:
            engine.last_report = engine.index(progress=progress)
        elif engine.backend.info() is None:
            raise IndexError_(f"no index in {engine.config.index_dir}: run `qa index`")
        return engine

    def index(self, rebuild: bool = False, progress: bool = False, wait_s: float | None = None) -> IndexReport:
        """Re-read the sources folder and update the index incrementally (`wait_s`: see `writing`)."""
        with self.writing(wait_s):
            return self._sync(rebuild, progress)

    def _set_sources(self, sources: Iterable[Source]) -> None:
        """Keep the sources; their furniture and name spellings follow on first use."""
        self._sources = {s.source_id: s for s in sources}
        self._outlets = sorted({s.meta.outlet for s in self._sources.values() if s.meta.outlet})
        self._furniture.keep_only(set(self._sources))  # name spellings: updated on the next question

    def add(self, data: bytes, filename: str, meta: SourceMeta | None = None,
            progress: bool = False) -> tuple[AddResult, IndexReport | None]:
        """Store a new source and index it right away; a duplicate text changes nothing.

        The file is decoded before the writer lock is taken; the duplicate check and the choice of its id
        happen under it, so two adds racing (the same name, the same text) land once each."""
        prepared = prepare_source(data, filename, meta, self.config.max_source_bytes, self.config.html_kept_notice,
                                  self.config.max_pdf_bytes)
        return self._store(prepared, progress)

    def add_url(self, url: str, meta: SourceMeta | None = None,
                progress: bool = False) -> tuple[AddResult, IndexReport | None]:
        """Fetch a web address (a page or a PDF) and add it like a file; fetched before the writer lock."""
        cfg = self.config
        fetched = fetch(url, cfg.fetch_timeout_s, cfg.max_source_bytes, cfg.fetch_private_addresses,
                        max_pdf_bytes=cfg.max_pdf_bytes)
        return self._store(prepare_fetched(fetched, meta, cfg.html_kept_notice, cfg.max_source_bytes), progress)

    def _store(self, prepared: PreparedSource, progress: bool) -> tuple[AddResult, IndexReport | None]:
        with self.writing():
            result = store_source(self.config.sources_dir, prepared, self.config.max_source_bytes)
            report = self._sync(progress=progress) if result.added else None
        return result, report

    def remove(self, source_id: str) -> IndexReport:
        """Delete a source (its file, metadata and page map) and take it out of the index at once."""
        with self.writing():
            remove_source(self.config.sources_dir, source_id)
            return self._sync()

    def edit(self, source_id: str, meta: SourceMeta) -> Source:
        """Store new metadata for a source; answers cite it at once (the text, and so the index, is unchanged)."""
        with self.writing():
            edit_source_meta(self.config.sources_dir, source_id, meta)
            self._sync()
            # the index does not change, so other processes would not look again: this stamp tells them
            atomic_write_bytes(self.config.index_dir / METADATA_STAMP, f"{source_id}\n".encode(), mode=0o644)
            self._meta_stamp = self._metadata_stamp()
            source = self._sources.get(source_id)
        if source is None:
            raise SourceError(f"source {source_id!r} cannot be read after the edit")
        return source

    @contextmanager
    def writing(self, wait_s: float | None = None) -> Iterator[None]:
        """The one way in for whatever changes sources/ or index/ (index, add, remove, edit).

        One writer at a time across threads and processes (`files.writer_lock`, waiting up to `wait_s`,
        default `writer_wait_s`, then WriterBusy), and the engine first takes in what another process
        committed, so that what it writes builds on the index on disk, not on the one it loaded. Inside,
        change the sources folder, then `_sync`."""
        with writer_lock(self.config.index_dir, self.config.writer_wait_s if wait_s is None else wait_s):
            with self._lock:
                self._refresh_if_changed()
            yield

    def _sync(self, rebuild: bool = False, progress: bool = False) -> IndexReport:
        """Bring the index in line with the sources folder; the caller is inside `writing`.

        The embedding runs without the engine's lock (questions keep their answers from the last committed
        index) and the lock is taken only to commit and swap. The folder is read again after the embedding:
        a file dropped in meanwhile is part of the commit, not lost under a manifest that does not know it."""
        embedded: dict[tuple[str, str], IndexedSource] = {}
        for _ in range(SYNC_ROUNDS):
            scan = self._scan(normalize=True)
            state = sources_signature(self.config.sources_dir)
            with self._lock:
                info, problems = self.backend.info(), list(self.backend.problems)
            plan = plan_sync(scan.sources, info, problems, self.embedder, rebuild, scan.unreadable)
            missing = [s for s in plan.to_embed if (s.source_id, s.content_hash) not in embedded]
            for item in self._embed(missing, progress):
                embedded[(item.source_id, item.content_hash)] = item
            if sources_signature(self.config.sources_dir) == state:
                break
        with self._lock:
            if plan.needed:
                new = [embedded[(s.source_id, s.content_hash)] for s in plan.to_embed]
                commit_sync(plan, new, self.backend, self.embedder)
            self._set_sources(self._with_kept(scan, self.backend.info()).values())
        plan.report.warnings = scan.warnings + plan.report.warnings
        return plan.report

    def _embed(self, sources: list[Source], progress: bool) -> list[IndexedSource]:
        if not sources:
            return []
        work = lambda: embed_sources(sources, self.embedder, self.config, progress)  # noqa: E731
        if not self.background_indexing:
            return work()
        return in_background(work, self.config.serve_index_threads, self.config.serve_index_nice)

    def _scan(self, normalize: bool) -> SourceScan:
        return scan_sources(self.config.sources_dir, self.config.max_source_bytes, normalize,
                            self.config.html_kept_notice)

    def _refresh_if_changed(self) -> None:
        """Take in what another process committed, or its edit of metadata; the engine's lock is held."""
        stamp = self._metadata_stamp()
        if self.backend.refresh_if_changed() or stamp != self._meta_stamp:
            self._meta_stamp = stamp
            self._set_sources(self._with_kept(self._scan(normalize=False), self.backend.info()).values())

    def _metadata_stamp(self) -> int:
        try:
            return (self.config.index_dir / METADATA_STAMP).stat().st_mtime_ns
        except OSError:
            return 0

    def _with_kept(self, scan: SourceScan, info: IndexInfo | None) -> dict[str, Source]:
        """The sources read, plus the text held in memory of each indexed source that cannot be read now:
        a running server keeps answering from it."""
        sources = {s.source_id: s for s in scan.sources}
        for source_id in scan.unreadable:
            held = self._sources.get(source_id)
            if held is not None and info is not None and info.sources.get(source_id) == held.content_hash:
                sources[source_id] = held
        return sources

    def spellings(self) -> NameSpellings:
        """How the sources spell each name: on first use read from beside the index (the texts added since
        counted), then updated with the sources that changed, and saved again. The counts are kept with the
        sources they were counted on, so a swap while counting never leaves stale counts. Counting every
        text takes a while on a large archive (`qa serve` starts it at once; the saved counts spare it)."""
        with self._spellings_lock:
            sources, cached = self._sources, self._spellings
            if cached is not None and cached[0] is sources:
                return cached[1]
            bodies = {sid: s.body for sid, s in sources.items()}
            hashes = {sid: s.content_hash for sid, s in sources.items()}
            path = self.config.index_dir / SPELLINGS_FILE
            if cached is None:
                saved = load_spellings(path)
                spellings = current_spellings(saved, bodies, hashes)
                changed = saved is None or saved.counted != hashes
            else:
                spellings = cached[1].updated({sid: s.body for sid, s in cached[0].items()}, bodies)
                changed = {sid: s.content_hash for sid, s in cached[0].items()} != hashes
            if changed:
                try:
                    save_spellings(path, spellings, hashes)
                except OSError as exc:  # a read-only index still answers: the counts are made again next time
                    log.warning("name spellings not saved: %s", exc)
            self._spellings = (sources, spellings)
            return spellings

    def sources(self) -> list[Source]:
        return sorted(self._sources.values(), key=lambda s: s.source_id)

    def source(self, source_id: str) -> Source | None:
        return self._sources.get(source_id)

    # ---- answering -------------------------------------------------------------------------------

    def validate(self, question: object) -> str:
        if not isinstance(question, str):
            raise QuestionError("The question must be text.")
        question = "".join(ch if ch.isprintable() or ch in "\t\n" else " " for ch in question)
        if not question.strip():
            raise QuestionError("Please type a question.")
        if len(question) > self.config.max_question_chars:
            raise QuestionError(
                f"The question is {len(question):,} characters long; the limit is {self.config.max_question_chars:,}."
            )
        return question.strip()

    def ask(self, question: str, previous: str | None = None, options: Config | None = None,
            sources: Iterable[str] | None = None, outlets: Iterable[str] = ()) -> Answer:
        """Answer with one to three verbatim quotes (more when sources disagree), or abstain.

        `previous` is the last question of the conversation: a short follow-up ("and who ordered it?")
        is searched together with it. `options` overrides settings for this question (ablations).
        `sources` (ids) and `outlets` limit the question to those sources: the search, the grounding and
        the answer see no other (`Answer.limited_to` names them); an unknown one is a QuestionError.
        """
        return self.trace(question, previous, options, sources=sources, outlets=outlets).answer

    def choose(self, sources: Iterable[str] | None = None, outlets: Iterable[str] = ()) -> frozenset[str] | None:
        """The source ids a question is limited to (None: every source); QuestionError for an unknown one
        or an empty choice."""
        ids = list(sources or [])
        outlets = list(outlets or [])
        if sources is not None and not ids and not outlets:
            raise QuestionError("Choose at least one source.")
        try:
            return choose_sources(self._sources, ids, outlets)
        except SelectionError as exc:
            raise QuestionError(str(exc)) from None

    def trace(self, question: str, previous: str | None = None, options: Config | None = None,
              depth: int = 0, sources: Iterable[str] | None = None, outlets: Iterable[str] = ()) -> Trace:
        """`ask`, also returning the fused passage ranking (at least `depth` deep) and the scored sentences."""
        cfg = options or self.config
        question = self.validate(question)
        if sources is None and not outlets:  # "… according to Geghard?": that outlet's version
            asked_outlet = outlet_asked(question, self._outlets)
            outlets = [asked_outlet] if asked_outlet else []
        chosen = self.choose(sources, outlets)
        only = {} if chosen is None else {"sources": chosen}  # a swapped-in retriever need not know the keyword
        query = self._with_context(question, previous)
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = round((now - clock) * 1000, 3)
            clock = now

        if cfg.use_source_spelling:  # names as the sources spell them: every spelling gets the same search
            query = self.spellings().in_source_spelling(query)
        analysed = without_outlets(analyze(question, query), self._outlets)
        needs_vector = cfg.use_dense or cfg.w_dense > 0
        vector = self.embedder.encode_one(query) if needs_vector else None
        lap("embed")
        language = detect_question(question)
        tokens = tokenize(query, cfg.use_phonetic)
        # figures and dates are where sources disagree: look at more passages to find every version
        figured = (analysed.checked_count or analysed).asks_figure  # "Were 9 people …?" checks a figure too
        pool = max(cfg.passages_k, cfg.conflict_passages_k) if figured else cfg.passages_k
        sweep = cfg.conflict_sweep_k if figured else 0
        with self._lock:
            self._refresh_if_changed()
            sources = self._sources
            found = self.retriever(self.backend, vector if cfg.use_dense else None,
                                   tokens if cfg.use_lexical else [], cfg.dense_k, cfg.lexical_k, cfg.rrf_k,
                                   max(pool, depth, cfg.grounding_passages_k, sweep), cfg.rrf_lexical_weight, **only)
            lap("search")
            ranked_hits = [h for h in found.hits if h.source_id in sources]
            hits = [h for h in found.hits[:pool] if h.source_id in sources]
            deeper_hits = [h for h in found.hits[pool:sweep] if h.source_id in sources]
            records = self.backend.sentences([h.key for h in hits])
            # read now, under the lock, so they match `sources` even if a writer swaps the index meanwhile
            deeper_records = self.backend.sentences([h.key for h in deeper_hits]) if deeper_hits else []
            doc_freqs = self.backend.doc_freqs(tokens)
            term_freqs = self.backend.doc_freqs(grounding_keys(analysed), **only) if cfg.use_grounding else (0, {})
        ranking = [
            Passage(h.source_id, h.start, h.end, sources[h.source_id].body[h.start:h.end], h.score, rank,
                    sources[h.source_id].page_of(h.start))
            for rank, h in enumerate(ranked_hits, start=1)
        ]
        passages = ranking[:cfg.passages_k]
        weights = Weights(cfg.w_dense if vector is not None else 0.0, cfg.w_lexical, cfg.w_passage,
                          cfg.w_answer_type, cfg.w_context, self.embedder.similarity_floor)
        bodies = {sid: s.body for sid, s in sources.items()}
        ranked = score_sentences(analysed, vector, tokens, [r for r in records if r.source_id in bodies], bodies,
                                 {h.key: h.score for h in hits}, doc_freqs, weights, cfg.use_answer_type)
        furniture: dict[str, list[Furniture]] = {}

        def furniture_of(source_ids: Iterable[str]) -> dict[str, list[Furniture]]:
            """The furniture of these sources, added to `furniture` (found once per source and question)."""
            furniture.update({sid: self._furniture.of(sources[sid]) for sid in set(source_ids)
                              if sid in sources and sid not in furniture})
            return furniture

        ranked = without_namesakes(analysed, prose_only(ranked, bodies, furniture_of(r.source_id for r in records)),
                                   bodies)
        reranking = self.reranker is not None and bool(cfg.reranker)
        deeper: list[ScoredSentence] = []

        def read_deeper() -> list[ScoredSentence]:
            """The sentences below the pool, scored only when a disagreement asks for them; scored against the
            pool's best passage, so their scores read like the pool's."""
            below = [r for r in deeper_records if r.source_id in bodies
                     and states_figure_kind(analysed, bodies[r.source_id][r.start:r.end])]
            scored = score_sentences(analysed, vector, tokens, below, bodies, {h.key: h.score for h in hits + deeper_hits},
                                     doc_freqs, weights, cfg.use_answer_type)
            scored = without_namesakes(analysed, prose_only(scored, bodies, furniture_of(r.source_id for r in below)),
                                       bodies)
            deeper[:] = rerank_sentences(query, scored, self.reranker, cfg.reranker_k) if reranking and scored else scored
            return deeper

        lap("sentences")
        if reranking:
            ranked = rerank_sentences(query, ranked, self.reranker, cfg.reranker_k)
            lap("rerank")
        grounding_passages = ranking[:cfg.grounding_passages_k]
        judged = judge(analysed, language, ranked, grounding_passages, sources, term_freqs, cfg,
                       self.embedder.multilingual, furniture_of(p.source_id for p in grounding_passages), self._outlets)
        grounding, verdict = judged.grounding, judged.verdict
        # a sentence in another language than the question's says its words translated, if at all
        foreign = bool(language) and any(sources[r.source_id].meta.language not in ("", language) for r in ranked)
        if not verdict.abstain and cfg.use_grounding and cfg.abstain_without_figure:
            quoted = select_quotes(ranked, cfg.quote_margin, cfg.max_quotes) if analysed.asks_name else []
            # figures are read in English words ("48 years old"): a sentence in another language may give one
            verdict = ((None if foreign else without_figure(analysed, ranked, bodies) or without_year(analysed, ranked))
                       or without_name(analysed, quoted, ranked, bodies)
                       or (None if judged.cross else without_subject(analysed, ranked, bodies)) or verdict)
        answer = compose(analysed, ranked, passages, sources, furniture, grounding, verdict, cfg.quote_margin,
                         cfg.max_quotes, cfg.max_conflict_quotes, read_deeper if deeper_records else None,
                         same_language=not (foreign or judged.cross))
        answer = with_language(answer, language, judged)
        lap("compose")
        timings["total"] = round(sum(timings.values()), 3)
        timings.update(found.timings_ms)  # the parts of "search"
        if chosen is not None:
            message = abstain_message(verdict, limited=True) if answer.abstained else answer.message
            answer = replace(answer, limited_to=sorted(chosen), message=message)
        return Trace(_with_timings(answer, timings), ranking, ranked, analysed,
                     grounded_abstention=verdict.reason in GROUNDED_REASONS,
                     deeper=deeper)

    def _with_context(self, question: str, previous: str | None) -> str:
        try:  # the previous question gets the same cleaning (a lone surrogate breaks the tokenizer)
            previous = self.validate(previous) if previous else None
        except QuestionError:  # empty or too long: no context
            previous = None
        if previous and is_follow_up(question):
            return f"{previous} {question}"
        return question


def in_background(work: Callable[[], T], threads: int, nice: int) -> T:
    """Run `work` on a thread of its own, with `threads` CPU threads for torch and `nice` lower priority,
    and wait for it.

    Torch's thread count and Linux's nice value belong to the thread that sets them: set on a thread that
    ends with the job, they slow only the job (a server's worker thread would keep the lower priority: an
    unprivileged process cannot raise it back). The context is carried over: the page's progress bar
    follows tqdm through it."""
    outcome: dict[str, object] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            if nice:
                try:
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
                except (AttributeError, OSError):
                    pass  # not Linux: the same work at the same priority
            if threads and "torch" in sys.modules:
                sys.modules["torch"].set_num_threads(threads)
            outcome["value"] = context.run(work)
        except BaseException as exc:  # noqa: BLE001 - raised again in the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="qa-indexing", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def _with_timings(answer: Answer, timings: dict[str, float]) -> Answer:
    answer.timings_ms.update(timings)
    return answer

"""The Milvus backend: chunks, sentences and sources in Milvus collections behind one alias (Lite or a server)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..lexical import PHONETIC_PREFIX
from ..types import ChunkHit, SentenceRecord
from .base import IndexedSource, IndexError_, IndexInfo, chunk_key

log = logging.getLogger(__name__)

FORMAT = "1"
PROPERTY = "qa."  # prefix of this app's collection properties
KINDS = ("chunks", "sentences", "sources", "terms")
PHONETIC_TERM = "soundex"  # '~T636' is stored as 'soundext636': one word for any analyzer, never an English one
MAX_TEXT_BYTES = 65_535  # Milvus' VARCHAR limit
MAX_ID_BYTES = 1_024
MAX_TERM_BYTES = 256  # longer terms get no document frequency (they count as unseen, the highest idf)
IDS_PER_REQUEST = 1_000
MARKER = [0.0, 0.0]  # the sources collection's placeholder vector: Milvus wants a vector field in every collection
PENDING = "p:"  # id prefix of a sources-collection row announcing a change that has not finished yet
RECENT_CHUNKS = 4_096  # chunk rows kept from recent searches, so `sentences` needs one request, not two
EXPRESSION_BATCH = 200  # sources per delete expression
# pymilvus pings every 10 s even when idle; Milvus Lite's gRPC server answers that with GOAWAY "too_many_pings"
# after about 30 s idle, and the next request fails (an idle `qa serve` would break). Idle pings off for Lite.
LITE_CLIENT_OPTIONS = {"grpc_options": {"grpc.keepalive_permit_without_calls": 0}}
PROGRESS_MIN_ROWS = 20_000  # writes this large show a progress bar (on a terminal)
DEFAULT_BUILD_PARAMS = {"HNSW": lambda c: {"M": c.hnsw_m, "efConstruction": 200},
                        "IVF_FLAT": lambda c: {"nlist": c.ivf_nlist or 1024},
                        "IVF_SQ8": lambda c: {"nlist": c.ivf_nlist or 1024},
                        "IVF_PQ": lambda c: {"nlist": c.ivf_nlist or 1024, "m": 48, "nbits": 8}}
DEFAULT_SEARCH_PARAMS = {"HNSW": lambda c, k: {"ef": max(c.hnsw_ef_search, k)},
                         "IVF_FLAT": lambda c, k: {"nprobe": c.ivf_nprobe},
                         "IVF_SQ8": lambda c, k: {"nprobe": c.ivf_nprobe},
                         "IVF_PQ": lambda c, k: {"nprobe": c.ivf_nprobe}}


def milvus_terms(tokens: Iterable[str]) -> list[str]:
    """qa.lexical tokens as words Milvus' standard analyzer keeps whole ('~T636' -> 'soundext636')."""
    return [PHONETIC_TERM + t[len(PHONETIC_PREFIX):].lower() if t.startswith(PHONETIC_PREFIX) else t
            for t in tokens if t]


def source_key(source_id: str) -> str:
    """A fixed-length hex key per source: filter expressions never have to quote a file name."""
    return hashlib.sha256(source_id.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _store_id(source_id: str) -> str:
    """A source id as Milvus can store it (a lone surrogate from an undecodable file name cannot be sent)."""
    try:
        source_id.encode("utf-8")
        return source_id
    except UnicodeEncodeError:
        return "\0hex:" + source_id.encode("utf-8", "surrogateescape").hex()


def _load_id(stored: str) -> str:
    if stored.startswith("\0hex:"):
        return bytes.fromhex(stored[5:]).decode("utf-8", "surrogateescape")
    return stored


def is_server_uri(uri: str) -> bool:
    return "://" in uri


def resolve_uri(config: Config) -> str:
    """The configured URI; a local path (Milvus Lite, a folder named *.db) is made absolute."""
    uri = config.milvus_uri.strip()
    if is_server_uri(uri):
        return uri
    path = Path(uri).expanduser() if uri else config.index_dir / "milvus.db"
    path = path if path.is_absolute() else config.root / path
    if path.suffix != ".db":
        raise IndexError_(f"a Milvus Lite location must end in .db (got {str(path)!r}), "
                          "or give a server as http://host:19530")
    return str(path)


@dataclass(frozen=True)
class Generation:
    """One complete build: three collections that the alias reaches through the chunks collection."""

    base: str
    tag: str

    def name(self, kind: str) -> str:
        return f"{self.base}__g{self.tag}__{kind}"

    @classmethod
    def new(cls, base: str) -> "Generation":
        return cls(base, f"{int(time.time()):x}{uuid.uuid4().hex[:6]}")

    @classmethod
    def parse(cls, base: str, collection: str) -> "Generation | None":
        match = re.fullmatch(re.escape(base) + r"__g([0-9a-f]+)__(" + "|".join(KINDS) + ")", collection)
        return cls(base, match.group(1)) if match else None


@dataclass(frozen=True)
class _Committed:
    """A source as the sources collection records it: only rows with this hash are part of the index."""

    key: str
    content_hash: str
    n_chunks: int
    n_sentences: int


class MilvusBackend:
    """Four collections per build, `<alias>__g<tag>__{chunks,sentences,sources,terms}`, and an alias on the first.

    - chunks: per chunk its text, source, offsets, content hash, sentence range, lexical terms (BM25 by a
      Milvus function on that field) and dense vector. Model id, dimension and the generation are
      collection properties.
    - sentences: per sentence its offsets and stored vector (fetched by id, never searched).
    - sources: per source its content hash and counts. Writing a source's row is the commit: rows of
      other versions are left out of every answer. A change first writes a pending row for each source it
      touches and deletes it when done, so what an ingest killed half-way wrote is found and deleted by
      the next change.
    - terms: per lexical term the number of chunks holding it (the idf of sentence scoring), kept up to
      date by every change and counted again from the chunks after a change was interrupted.

    A full build (first index, `--rebuild`, another model, `--from-faiss`) fills a new generation and
    then moves the alias, so a crash leaves the previous one answering. Incremental changes upsert the
    new version's rows (ids carry the content hash, so re-adding a text makes no duplicate), commit,
    then delete the old version's rows.
    """

    name = "milvus"

    def __init__(self, config: Config, client=None) -> None:
        self.config = config
        self.alias = config.milvus_collection
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,180}", self.alias):
            raise IndexError_(f"milvus_collection {self.alias!r}: letters, digits and '_' only, not a digit first")
        self.uri = resolve_uri(config)
        self.lite = not is_server_uri(self.uri)
        self.problems: list[str] = []
        self._client = client or self._connect()
        self._reset()
        self.reload()

    def _connect(self):
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:
            raise IndexError_("the milvus backend needs `pip install -e .[milvus]` (pymilvus, milvus-lite)") from exc
        if self.lite:
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
            token = ""
        else:
            token = os.environ.get(self.config.milvus_token_env, "")  # never from the command line
        # Milvus Lite logs a traceback when its folder is locked; the message below says it in one line
        lite_log = logging.getLogger("milvus_lite.server_manager")
        level = lite_log.level
        lite_log.setLevel(logging.CRITICAL)
        try:
            return MilvusClient(uri=self.uri, token=token, **(LITE_CLIENT_OPTIONS if self.lite else {}))
        except Exception as exc:  # pymilvus raises several kinds; the user needs where and why
            hint = (" (Milvus Lite allows one process per file: stop the other one, or use a Milvus server)"
                    if self.lite else "")
            raise IndexError_(f"cannot open Milvus at {self.uri}{hint}: {exc}") from None
        finally:
            lite_log.setLevel(level)

    # ---- state -----------------------------------------------------------------------------------

    def _reset(self) -> None:
        self._generation: Generation | None = None
        self._model_id: str | None = None
        self._dim = 0
        self._version = ""
        self._committed: dict[str, _Committed] = {}
        self._pending: dict[str, str] = {}  # source key -> source id, of changes a killed process left
        self._doc_freqs: dict[str, int] = {}
        self._recent: dict[str, tuple[str, int, int]] = {}  # chunk key -> (row id, first, end sentence)

    def _describe(self) -> dict | None:
        """The aliased chunks collection's description, or None when there is no index yet."""
        if not self._client.has_collection(self.alias):
            return None
        return self._client.describe_collection(self.alias)

    def reload(self) -> None:
        """Read which generation the alias names, its model, and every committed source."""
        self.problems = []
        self._reset()
        description = self._describe()
        if description is None:
            return
        properties = description.get("properties") or {}
        generation = Generation.parse(self.alias, description.get("collection_name", ""))
        if properties.get(PROPERTY + "format") != FORMAT or generation is None:
            raise IndexError_(f"Milvus collection {self.alias!r} at {self.uri} was not made by qa "
                              f"(format {properties.get(PROPERTY + 'format')!r}); choose another "
                              "--milvus-collection (QA_MILVUS_COLLECTION)")
        self._generation = generation
        self._model_id = properties.get(PROPERTY + "model_id")
        self._dim = int(properties.get(PROPERTY + "dim", 0))
        self._version = properties.get(PROPERTY + "version", "")
        for kind in KINDS:
            self._ensure_loaded(generation.name(kind))
        for row in self._all_rows(generation.name("sources"),
                                  ["id", "source_id", "content_hash", "n_chunks", "n_sentences"]):
            source_id = _load_id(row["source_id"])
            if row["id"].startswith(PENDING):
                self._pending[row["id"][len(PENDING):]] = source_id
                continue
            self._committed[source_id] = _Committed(row["id"], row["content_hash"], int(row["n_chunks"]),
                                                    int(row["n_sentences"]))

    def _ensure_loaded(self, collection: str) -> None:
        state = str(self._client.get_load_state(collection).get("state", ""))
        if not state.endswith("Loaded"):
            self._client.load_collection(collection)

    def _all_rows(self, collection: str, fields: list[str]) -> Iterator[dict]:
        if self.lite:  # Milvus Lite answers a query without a limit; a server caps it, so iterate
            yield from self._client.query(collection, filter='id != ""', output_fields=fields)
            return
        iterator = self._client.query_iterator(collection, batch_size=4_096, filter='id != ""', output_fields=fields)
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()

    def refresh_if_changed(self) -> bool:
        """Reload when another process committed a change (a server shared by several replicas); True if so.
        Milvus Lite locks its file to one process, so nothing else can change it."""
        if self.lite:
            return False
        description = self._describe()
        if description is None:
            changed = self._generation is not None
        else:
            properties = description.get("properties") or {}
            changed = (description.get("collection_name") != (self._generation and self._generation.name("chunks"))
                       or properties.get(PROPERTY + "version", "") != self._version)
        if changed:
            self.reload()
        return changed

    # ---- the Backend interface -----------------------------------------------------------------

    def info(self) -> IndexInfo | None:
        if self._generation is None:
            return None
        return IndexInfo(model_id=self._model_id or "", dim=self._dim,
                         sources={sid: c.content_hash for sid, c in self._committed.items()},
                         n_chunks=sum(c.n_chunks for c in self._committed.values()),
                         n_sentences=sum(c.n_sentences for c in self._committed.values()))

    def apply(self, model_id: str, dim: int, add: list[IndexedSource], remove: list[str],
              rebuild: bool = False) -> None:
        if rebuild or self._generation is None or (model_id, dim) != (self._model_id, self._dim):
            self.build(model_id, dim, [add])
            return
        generation = self._generation
        sources = generation.name("sources")
        added = {s.source_id for s in add}
        gone = [sid for sid in dict.fromkeys(remove) if sid in self._committed and sid not in added]
        bar = _progress(sum(_rows(s) for s in add))
        try:
            self._finish_pending(generation)
            if gone:
                keys = [self._committed[sid].key for sid in gone]
                self._client.upsert(sources, [self._pending_row(key, sid) for key, sid in zip(keys, gone)])
                removed_terms = self._stored_terms(generation, {c.key: c.content_hash for c in
                                                                (self._committed[sid] for sid in gone)})
                self._client.delete(sources, ids=keys)  # the commit of the removal
                for sid in gone:
                    del self._committed[sid]
                self._bump_version()
                self._add_doc_freqs(generation, removed_terms, sign=-1)
                self._delete_rows(generation, {key: None for key in keys})
                self._client.delete(sources, ids=[PENDING + key for key in keys])
            for batch in self._batches(add):
                keys = [source_key(s.source_id) for s in batch]
                self._client.upsert(sources, [self._pending_row(key, s.source_id) for key, s in zip(keys, batch)])
                terms = self._write(generation, batch, upsert=True)
                old = {s.source_id: self._committed[s.source_id] for s in batch if s.source_id in self._committed}
                changed = [s for s in batch if s.source_id not in old or old[s.source_id].content_hash != s.content_hash]
                replaced = self._stored_terms(generation, {old[s.source_id].key: old[s.source_id].content_hash
                                                           for s in changed if s.source_id in old})
                self._client.upsert(sources, self._source_rows(batch))  # the commit
                for source in batch:
                    self._remember(source)
                self._bump_version()
                delta = sum((terms[s.source_id] for s in changed), Counter())
                delta.subtract(replaced)
                self._add_doc_freqs(generation, delta)
                # other versions of these sources: the one replaced, or what a killed ingest left
                self._delete_rows(generation, {key: s.content_hash for key, s in zip(keys, batch)})
                self._client.delete(sources, ids=[PENDING + key for key in keys])
                bar.update(sum(_rows(s) for s in batch))
        finally:
            bar.close()
            self._doc_freqs.clear()
            self._recent.clear()

    def build(self, model_id: str, dim: int, batches: Iterable[list[IndexedSource]]) -> None:
        """Fill a new generation from batches of sources, then point the alias at it and drop the old one."""
        generation = Generation.new(self.alias)
        self._drop_unused(keep=self._generation)
        self._create(generation, model_id, dim)
        doc_freqs: Counter[str] = Counter()
        bar = _progress(None)
        for batch in batches:
            for part in self._batches(batch):
                terms = self._write(generation, part, upsert=False)
                self._client.insert(generation.name("sources"), self._source_rows(part))
                for counted in terms.values():
                    doc_freqs.update(counted)
                bar.update(sum(_rows(s) for s in part))
        bar.close()
        self._add_doc_freqs(generation, doc_freqs, fresh=True)
        for kind in KINDS:
            self._client.flush(generation.name(kind))
        if self._generation is not None:
            self._client.alter_alias(generation.name("chunks"), self.alias)  # the commit
        else:
            self._client.create_alias(generation.name("chunks"), self.alias)
        self.reload()
        self._drop_unused(keep=self._generation)

    # ---- searching -----------------------------------------------------------------------------

    def search_dense(self, vector: np.ndarray, k: int, sources: Collection[str] | None = None) -> list[ChunkHit]:
        if self._generation is None or not self._committed:
            return []
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self._dim:
            raise IndexError_(f"the Milvus index holds {self._dim}-d vectors of model {self._model_id!r}; "
                              f"this query vector is {vector.shape[0]}-d: run `qa index` for the configured model")
        results = self._client.search(self._generation.name("chunks"), data=[vector.tolist()], anns_field="dense",
                                      limit=k, output_fields=self._hit_fields(), filter=self._only(sources),
                                      search_params={"metric_type": "IP", "params": self._search_params(k)})
        return self._hits(results[0], lambda distance: float(distance))

    def search_lexical(self, tokens: list[str], k: int, sources: Collection[str] | None = None) -> list[ChunkHit]:
        terms = milvus_terms(tokens)
        if self._generation is None or not self._committed or not terms:
            return []
        results = self._client.search(self._generation.name("chunks"), data=[" ".join(terms)], anns_field="sparse",
                                      limit=k, output_fields=self._hit_fields(), filter=self._only(sources),
                                      search_params={"metric_type": "BM25"})
        # Milvus Lite reports BM25 as a negative distance, a server as a positive score
        return self._hits(results[0], lambda distance: abs(float(distance)))

    def sentences(self, chunk_keys: list[str]) -> list[SentenceRecord]:
        if self._generation is None:
            return []
        missing = [key for key in chunk_keys if key not in self._recent]
        if missing:
            self._fetch_chunk_rows(missing)
        wanted: list[tuple[str, str, str]] = []  # chunk key, source id, sentence row id
        for key in chunk_keys:
            row = self._recent.get(key)
            if row is None:
                continue
            source_id = key.rpartition("#")[0]
            prefix = row[0].rpartition(":")[0]
            wanted += [(key, source_id, f"{prefix}:{i}") for i in range(row[1], row[2])]
        if not wanted:
            return []
        rows = self._client.get(self._generation.name("sentences"), ids=list(dict.fromkeys(w[2] for w in wanted)),
                                output_fields=["start", "end", "vector"])
        by_id = {row["id"]: row for row in rows}
        records = []
        for key, source_id, row_id in wanted:
            row = by_id.get(row_id)
            if row is not None:
                records.append(SentenceRecord(key, source_id, int(row["start"]), int(row["end"]),
                                              np.asarray(row["vector"], dtype=np.float32)))
        return records

    def doc_freqs(self, tokens: list[str], sources: Collection[str] | None = None) -> tuple[int, dict[str, int]]:
        if sources is not None:
            return self._doc_freqs_among(tokens, sources)
        n_chunks = sum(c.n_chunks for c in self._committed.values())
        terms = {token: (milvus_terms([token]) or [""])[0] for token in dict.fromkeys(tokens)}
        wanted = [t for t in dict.fromkeys(terms.values()) if t and t not in self._doc_freqs
                  and len(t.encode()) <= MAX_TERM_BYTES]
        if wanted and self._generation is not None:
            found = {row["id"]: int(row["df"]) for row in
                     self._client.get(self._generation.name("terms"), ids=wanted, output_fields=["df"])}
            self._doc_freqs.update({t: found.get(t, 0) for t in wanted})
        return n_chunks, {token: self._doc_freqs.get(term, 0) for token, term in terms.items()}

    def describe(self) -> dict[str, object]:
        """What the index is made of (benchmarks, diagnostics)."""
        info = self.info()
        return {"uri": self.uri if self.lite else self.uri.split("@")[-1], "alias": self.alias,
                "collection": self._generation.name("chunks") if self._generation else None,
                "chunks": info.n_chunks if info else 0, "sentences": info.n_sentences if info else 0,
                "sources": len(self._committed), "dense_index": self.config.milvus_index}

    def close(self) -> None:
        """Give the connection back (a Milvus Lite file stays open, and locked, until the process ends)."""
        self._client.close()

    # ---- internals -----------------------------------------------------------------------------

    def _only(self, sources: Collection[str] | None) -> str:
        """A filter expression on the indexed `source_key` (applied inside the search, before the top k);
        '' for every source."""
        if sources is None:
            return ""
        return f"source_key in {json.dumps(sorted(source_key(s) for s in sources))}"

    def _doc_freqs_among(self, tokens: list[str], sources: Collection[str]) -> tuple[int, dict[str, int]]:
        """Chunks of these sources, and those of them holding each token (a count per token: the stored
        frequencies are for the whole collection)."""
        n_chunks = sum(c.n_chunks for sid, c in self._committed.items() if sid in sources)
        freqs = dict.fromkeys(tokens, 0)
        if self._generation is None or not n_chunks:
            return n_chunks, freqs
        for token in freqs:
            term = (milvus_terms([token]) or [""])[0]
            if term and len(term.encode()) <= MAX_TERM_BYTES and re.fullmatch(r"\w+", term):
                rows = self._client.query(self._generation.name("chunks"), output_fields=["count(*)"],
                                          filter=f"{self._only(sources)} and TEXT_MATCH(terms, '{term}')")
                freqs[token] = int(rows[0]["count(*)"]) if rows else 0
        return n_chunks, freqs

    @staticmethod
    def _hit_fields() -> list[str]:
        return ["source_id", "content_hash", "n", "start", "end", "first_sentence", "end_sentence"]

    def _hits(self, rows: list[dict], score) -> list[ChunkHit]:
        hits = []
        for row in rows:
            entity = row.get("entity", row)
            source_id = _load_id(entity["source_id"])
            committed = self._committed.get(source_id)
            if committed is None or committed.content_hash != entity["content_hash"]:
                continue  # a version not (or no longer) committed
            key = chunk_key(source_id, int(entity["n"]))
            self._recent[key] = (row["id"], int(entity["first_sentence"]), int(entity["end_sentence"]))
            hits.append(ChunkHit(key, source_id, int(entity["start"]), int(entity["end"]), score(row["distance"])))
        if len(self._recent) > RECENT_CHUNKS:
            for key in list(self._recent)[: len(self._recent) - RECENT_CHUNKS]:
                del self._recent[key]
        return hits

    def _fetch_chunk_rows(self, keys: list[str]) -> None:
        ids = {}
        for key in keys:
            source_id, _, n = key.rpartition("#")
            committed = self._committed.get(source_id)
            if committed is not None and n.isdigit():
                ids[self._row_id(committed.key, committed.content_hash, int(n))] = key
        if not ids:
            return
        for row in self._client.get(self._generation.name("chunks"), ids=list(ids),
                                    output_fields=["first_sentence", "end_sentence"]):
            self._recent[ids[row["id"]]] = (row["id"], int(row["first_sentence"]), int(row["end_sentence"]))

    @staticmethod
    def _row_id(key: str, content_hash: str, n: int) -> str:
        return f"{key}:{content_hash[:16]}:{n}"

    def _search_params(self, k: int) -> dict:
        if self.config.milvus_search_params:
            return json.loads(self.config.milvus_search_params)
        make = DEFAULT_SEARCH_PARAMS.get(self.config.milvus_index.upper())
        return make(self.config, k) if make else {}

    def _entry(self, source: IndexedSource) -> _Committed:
        return _Committed(source_key(source.source_id), source.content_hash, len(source.segments.chunks),
                          len(source.segments.sentences))

    def _remember(self, source: IndexedSource) -> None:
        self._committed[source.source_id] = self._entry(source)

    def _pending_row(self, key: str, source_id: str) -> dict:
        return {"id": PENDING + key, "source_id": _store_id(source_id), "content_hash": "", "n_chunks": 0,
                "n_sentences": 0, "marker": MARKER}

    def _finish_pending(self, generation: Generation) -> None:
        """Delete what changes killed half-way wrote (every row of their sources but the committed version),
        then count the document frequencies again from the chunks (the change may have updated some)."""
        if not self._pending:
            return
        keep = {}
        for key, source_id in self._pending.items():
            committed = self._committed.get(source_id)
            keep[key] = committed.content_hash if committed is not None and committed.key == key else None
        self._delete_rows(generation, keep)
        counted: Counter[str] = Counter()
        for row in self._all_rows(generation.name("chunks"), ["id", "terms"]):
            counted.update(set(row["terms"].split()))
        self._add_doc_freqs(generation, counted, fresh=True)
        self._client.delete(generation.name("sources"), ids=[PENDING + key for key in keep])
        log.info("cleaned up after %d interrupted source changes", len(keep))
        self._pending.clear()

    def _stored_terms(self, generation: Generation, versions: dict[str, str]) -> Counter[str]:
        """Chunks per term of these stored source versions (source key -> content hash)."""
        counted: Counter[str] = Counter()
        items = list(versions.items())
        for lo in range(0, len(items), EXPRESSION_BATCH):
            clauses = [f'(source_key == "{key}" and content_hash == "{h}")' for key, h in items[lo:lo + EXPRESSION_BATCH]]
            for row in self._client.query(generation.name("chunks"), filter=" or ".join(clauses),
                                          output_fields=["terms"]):
                counted.update(set(row["terms"].split()))
        return counted

    def _add_doc_freqs(self, generation: Generation, delta: Counter[str], sign: int = 1, fresh: bool = False) -> None:
        """Add (sign -1: subtract) chunk counts to the terms collection; `fresh`: replace it with them."""
        collection = generation.name("terms")
        if fresh:
            self._client.delete(collection, filter='id != ""')
        terms = [t for t, n in delta.items() if n and len(t.encode()) <= MAX_TERM_BYTES]
        for lo in range(0, len(terms), IDS_PER_REQUEST):
            part = terms[lo:lo + IDS_PER_REQUEST]
            current = {} if fresh else {row["id"]: int(row["df"]) for row in
                                        self._client.get(collection, ids=part, output_fields=["df"])}
            counts = {t: current.get(t, 0) + sign * delta[t] for t in part}
            kept = [{"id": t, "df": n, "marker": MARKER} for t, n in counts.items() if n > 0]
            dropped = [t for t, n in counts.items() if n <= 0 and t in current]
            if kept:
                (self._client.insert if fresh else self._client.upsert)(collection, kept)
            if dropped:
                self._client.delete(collection, ids=dropped)

    def _bump_version(self) -> None:
        self._version = uuid.uuid4().hex[:16]
        self._client.alter_collection_properties(self._generation.name("chunks"), {PROPERTY + "version": self._version})

    def _batches(self, sources: list[IndexedSource]) -> Iterator[list[IndexedSource]]:
        """Consecutive groups of whole sources of about `milvus_batch_rows` chunk and sentence rows."""
        batch, rows = [], 0
        for source in sources:
            batch.append(source)
            rows += _rows(source)
            if rows >= self.config.milvus_batch_rows:
                yield batch
                batch, rows = [], 0
        if batch:
            yield batch

    def _write(self, generation: Generation, batch: list[IndexedSource], upsert: bool) -> dict[str, Counter[str]]:
        """A batch's sentence rows, then its chunk rows (the sources row, written after, commits them).

        Returns each source's chunks per stored term: what the document frequencies count.
        """
        write = self._client.upsert if upsert else self._client.insert
        sentences, chunks = [], []
        terms: dict[str, Counter[str]] = {}
        for source in batch:
            counted = terms.setdefault(source.source_id, Counter())
            key, seg = source_key(source.source_id), source.segments
            stored_id = _store_id(source.source_id)
            for i, (start, end) in enumerate(seg.sentences):
                sentences.append({"id": self._row_id(key, source.content_hash, i), "source_key": key,
                                  "content_hash": source.content_hash, "start": int(start), "end": int(end),
                                  "vector": source.sentence_vectors[i]})
            for n, ((start, end), (first, last)) in enumerate(zip(seg.chunks, seg.chunk_sentences)):
                stored_terms = terms_text(source.chunk_tokens[n])
                counted.update(set(stored_terms.split()))
                chunks.append({"id": self._row_id(key, source.content_hash, n), "source_key": key,
                               "source_id": stored_id, "content_hash": source.content_hash, "n": n,
                               "start": int(start), "end": int(end), "first_sentence": int(first),
                               "end_sentence": int(last), "text": _fit(source.body[start:end]),
                               "terms": stored_terms,
                               "dense": source.chunk_vectors[n]})
        if sentences:
            write(generation.name("sentences"), sentences)
        if chunks:
            write(generation.name("chunks"), chunks)
        return terms

    def _source_rows(self, batch: list[IndexedSource]) -> list[dict]:
        return [{"id": source_key(s.source_id), "source_id": _store_id(s.source_id), "content_hash": s.content_hash,
                 "n_chunks": len(s.segments.chunks), "n_sentences": len(s.segments.sentences), "marker": MARKER}
                for s in batch]

    def _delete_rows(self, generation: Generation, keep: dict[str, str | None]) -> None:
        """Delete the rows of these sources except those of the hash given (None: all of them)."""
        items = list(keep.items())
        for lo in range(0, len(items), EXPRESSION_BATCH):
            clauses = [f'(source_key == "{key}"' + (f' and content_hash != "{h}")' if h else ")")
                       for key, h in items[lo:lo + EXPRESSION_BATCH]]
            for kind in ("chunks", "sentences"):
                self._client.delete(generation.name(kind), filter=" or ".join(clauses))

    def _create(self, generation: Generation, model_id: str, dim: int) -> None:
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        client = self._client
        index_type = self.config.milvus_index.upper()

        def schema():
            made = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            made.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_ID_BYTES)
            return made

        chunks = schema()
        chunks.add_field("source_key", DataType.VARCHAR, max_length=64)
        chunks.add_field("source_id", DataType.VARCHAR, max_length=MAX_ID_BYTES)
        chunks.add_field("content_hash", DataType.VARCHAR, max_length=64)
        for name in ("n", "start", "end", "first_sentence", "end_sentence"):
            chunks.add_field(name, DataType.INT64)
        chunks.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
        chunks.add_field("terms", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                         enable_match=True, analyzer_params={"tokenizer": "standard"})
        chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        chunks.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        chunks.add_function(Function(name="terms_bm25", function_type=FunctionType.BM25,
                                     input_field_names=["terms"], output_field_names=["sparse"]))
        chunk_index = client.prepare_index_params()
        build = (json.loads(self.config.milvus_index_params) if self.config.milvus_index_params
                 else DEFAULT_BUILD_PARAMS.get(index_type, lambda c: {})(self.config))
        chunk_index.add_index(field_name="dense", index_type=index_type, metric_type="IP", params=build)
        # k1 and b as qa's own BM25 (bm25s' Lucene defaults), so both backends rank alike
        chunk_index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                              params={"bm25_k1": 1.5, "bm25_b": 0.75})
        chunk_index.add_index(field_name="source_key", index_type="INVERTED")

        sentences = schema()
        sentences.add_field("source_key", DataType.VARCHAR, max_length=64)
        sentences.add_field("content_hash", DataType.VARCHAR, max_length=64)
        sentences.add_field("start", DataType.INT64)
        sentences.add_field("end", DataType.INT64)
        sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        sentence_index = client.prepare_index_params()
        sentence_index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        sentence_index.add_index(field_name="source_key", index_type="INVERTED")

        sources = schema()
        sources.add_field("source_id", DataType.VARCHAR, max_length=MAX_ID_BYTES)
        sources.add_field("content_hash", DataType.VARCHAR, max_length=64)
        sources.add_field("n_chunks", DataType.INT64)
        sources.add_field("n_sentences", DataType.INT64)
        sources.add_field("marker", DataType.FLOAT_VECTOR, dim=len(MARKER))
        source_index = client.prepare_index_params()
        source_index.add_index(field_name="marker", index_type="FLAT", metric_type="L2")

        terms = schema()
        terms.add_field("df", DataType.INT64)
        terms.add_field("marker", DataType.FLOAT_VECTOR, dim=len(MARKER))

        properties = {PROPERTY + "format": FORMAT, PROPERTY + "model_id": model_id, PROPERTY + "dim": str(dim),
                      PROPERTY + "version": uuid.uuid4().hex[:16]}
        for kind, made, index in (("sentences", sentences, sentence_index), ("sources", sources, source_index),
                                  ("terms", terms, source_index), ("chunks", chunks, chunk_index)):
            client.create_collection(generation.name(kind), schema=made, consistency_level="Session",
                                     properties=properties)
            # not waiting for the (empty) indexes: Milvus Lite cannot answer the wait's timestamp request
            client.create_index(generation.name(kind), index, sync=False)
            client.load_collection(generation.name(kind))

    def _drop_unused(self, keep: Generation | None) -> None:
        """Drop this alias's collections of other generations (a build that died, the one replaced)."""
        for name in self._client.list_collections():
            generation = Generation.parse(self.alias, name)
            if generation is not None and generation != keep:
                self._client.drop_collection(name)
                log.info("dropped Milvus collection %s", name)


def _rows(source: IndexedSource) -> int:
    return len(source.segments.chunks) + len(source.segments.sentences)


def _progress(total: int | None):
    """A bar counting rows written, for large writes on a terminal (a build's total is not known ahead)."""
    from tqdm import tqdm

    small = total is not None and total < PROGRESS_MIN_ROWS
    return tqdm(total=total, desc="writing to Milvus", unit=" rows", dynamic_ncols=True,
                disable=True if small else None)


def terms_text(tokens: list[str]) -> str:
    """A chunk's lexical tokens as the text Milvus stores (and analyses for BM25)."""
    return _fit(" ".join(milvus_terms(tokens)))


def _fit(text: str) -> str:
    """Text cut (at a space where possible) to Milvus' VARCHAR limit in UTF-8 bytes."""
    data = text.encode("utf-8", "replace")  # a lone surrogate cannot be sent: it becomes '?'
    if len(data) <= MAX_TEXT_BYTES:
        return data.decode("utf-8")
    cut = data[:MAX_TEXT_BYTES].decode("utf-8", "ignore")
    return cut.rsplit(" ", 1)[0] if " " in cut else cut

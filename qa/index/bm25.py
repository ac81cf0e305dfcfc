"""An incremental BM25 index: documents are added and removed in segments, scores use global statistics."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class _Segment:
    """Term frequencies of one batch of documents; rows are documents, columns global term ids."""

    ids: np.ndarray  # (n,) int64, ascending
    lengths: np.ndarray  # (n,) float32: tokens per document
    tf: sparse.csc_matrix  # (n, terms known when it was built) float32
    alive: np.ndarray  # (n,) bool: False once removed

    @property
    def n_alive(self) -> int:
        return int(self.alive.sum())


class SegmentedBM25:
    """BM25 (the Lucene variant, as bm25s computes it) over documents that come and go.

    bm25s bakes the collection statistics (N, idf, average length) into its stored scores, so one new
    document means re-indexing everything. Here each `add` becomes a small segment of raw term
    frequencies and scores are computed at query time from the current statistics; segments merge like
    a binary counter (two of equal size become one), so adding n documents costs O(n log N) overall and
    a search visits O(log N) segments. Removing marks rows dead; merges drop them.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self._df = np.zeros(1024, dtype=np.int64)
        self._segments: list[_Segment] = []
        self.n_docs = 0
        self._total_length = 0.0

    # ---- changes ---------------------------------------------------------------------------------

    def add(self, ids: np.ndarray, token_lists: list[list[str]]) -> None:
        """Index documents under new ids, all larger than any id added before."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        if self._segments and ids[0] <= self._segments[-1].ids[-1]:
            raise ValueError("ids must grow: add documents under ids larger than any indexed")
        segment = self._build(ids, token_lists)
        self._df[: segment.tf.shape[1]] += np.diff(segment.tf.indptr)
        self.n_docs += len(ids)
        self._total_length += float(segment.lengths.sum())
        self._segments.append(segment)
        while len(self._segments) >= 2 and self._segments[-2].n_alive <= self._segments[-1].n_alive:
            last = self._segments.pop()
            self._segments[-1] = self._merge(self._segments[-1], last)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        kept = []
        for segment in self._segments:
            inside = ids[(ids >= segment.ids[0]) & (ids <= segment.ids[-1])]
            if len(inside):
                rows = np.searchsorted(segment.ids, inside)
                rows = rows[(segment.ids[rows] == inside) & segment.alive[rows]]
                if len(rows):
                    dead = segment.tf[rows, :]
                    self._df[: dead.shape[1]] -= dead.getnnz(axis=0)
                    self.n_docs -= len(rows)
                    self._total_length -= float(segment.lengths[rows].sum())
                    segment.alive[rows] = False
            if segment.alive.any():
                kept.append(segment)
        self._segments = kept

    # ---- queries ---------------------------------------------------------------------------------

    def search(self, tokens: list[str], k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k best documents with a positive score, best first; with `allowed` (ids),
        only among those: the mask is applied before the top k, so a restricted search still finds k."""
        counts = Counter(self.vocab[t] for t in tokens if t in self.vocab)
        if not counts or self.n_docs == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        n, average = self.n_docs, self._total_length / self.n_docs or 1.0
        df = self._df[list(counts)].astype(np.float64)
        idf = dict(zip(counts, np.log(1.0 + (n - df + 0.5) / (df + 0.5))))
        found_ids, found_scores = [], []
        for segment in self._segments:
            scores = np.zeros(len(segment.ids), dtype=np.float32)
            indptr, indices, data = segment.tf.indptr, segment.tf.indices, segment.tf.data
            for term, repeat in counts.items():
                if term >= segment.tf.shape[1] or indptr[term] == indptr[term + 1]:
                    continue
                rows = indices[indptr[term]:indptr[term + 1]]
                tf = data[indptr[term]:indptr[term + 1]]
                norm = self.k1 * ((1 - self.b) + self.b * segment.lengths[rows] / average)
                scores[rows] += np.float32(repeat * idf[term]) * (tf / (norm + tf))
            scores[~segment.alive] = 0
            if allowed is not None:
                scores[~np.isin(segment.ids, allowed)] = 0
            hit = np.flatnonzero(scores > 0)
            if len(hit) > k:
                hit = hit[np.argpartition(-scores[hit], k - 1)[:k]]
            found_ids.append(segment.ids[hit])
            found_scores.append(scores[hit])
        ids, scores = np.concatenate(found_ids), np.concatenate(found_scores)
        order = np.lexsort((ids, -scores))[:k]  # best first; ties by id, i.e. indexing order
        return ids[order], scores[order]

    def doc_freqs(self, tokens: list[str], allowed: np.ndarray | None = None) -> dict[str, int]:
        """Documents containing each token (with `allowed`: only those among these ids)."""
        if allowed is None:
            return {t: int(self._df[self.vocab[t]]) if t in self.vocab else 0 for t in tokens}
        counts = dict.fromkeys(tokens, 0)
        for segment in self._segments:
            rows = segment.alive & np.isin(segment.ids, allowed)
            if not rows.any():
                continue
            for t in counts:
                term = self.vocab.get(t)
                if term is not None and term < segment.tf.shape[1]:
                    column = segment.tf.indices[segment.tf.indptr[term]:segment.tf.indptr[term + 1]]
                    counts[t] += int(rows[column].sum())
        return counts

    @property
    def n_segments(self) -> int:
        return len(self._segments)

    # ---- persistence ------------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything as named arrays (for np.savez); `from_arrays` restores it."""
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        arrays = {"vocab": np.frombuffer(json.dumps(terms).encode("utf-8"), dtype=np.uint8),
                  "df": self._df[: len(terms)], "stats": np.array([self.n_docs, self._total_length], np.float64),
                  "k1_b": np.array([self.k1, self.b], np.float64)}
        for n, segment in enumerate(self._segments):
            arrays.update({f"{n}_ids": segment.ids, f"{n}_lengths": segment.lengths, f"{n}_alive": segment.alive,
                           f"{n}_data": segment.tf.data, f"{n}_indices": segment.tf.indices,
                           f"{n}_indptr": segment.tf.indptr, f"{n}_shape": np.array(segment.tf.shape, np.int64)})
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "SegmentedBM25":
        k1, b = (float(v) for v in arrays["k1_b"])
        index = cls(k1, b)
        terms = json.loads(bytes(arrays["vocab"]).decode("utf-8"))
        index.vocab = dict(zip(terms, range(len(terms))))
        index._df = np.concatenate([np.asarray(arrays["df"], np.int64), np.zeros(1024, np.int64)])
        n_docs, total = arrays["stats"]
        index.n_docs, index._total_length = int(n_docs), float(total)
        n = 0
        while f"{n}_ids" in arrays:
            tf = sparse.csc_matrix((arrays[f"{n}_data"], arrays[f"{n}_indices"], arrays[f"{n}_indptr"]),
                                   shape=tuple(int(v) for v in arrays[f"{n}_shape"]))
            index._segments.append(_Segment(np.asarray(arrays[f"{n}_ids"], np.int64), arrays[f"{n}_lengths"], tf,
                                            np.array(arrays[f"{n}_alive"], dtype=bool)))
            n += 1
        return index

    # ---- segments --------------------------------------------------------------------------------

    def _build(self, ids: np.ndarray, token_lists: list[list[str]]) -> _Segment:
        vocab = self.vocab
        term_ids = [vocab.setdefault(t, len(vocab)) for tokens in token_lists for t in tokens]
        if len(vocab) > len(self._df):
            self._df = np.concatenate([self._df, np.zeros(max(len(vocab), 2 * len(self._df)) - len(self._df),
                                                          np.int64)])
        lengths = np.fromiter((len(tokens) for tokens in token_lists), dtype=np.int64, count=len(token_lists))
        rows = np.repeat(np.arange(len(token_lists)), lengths)
        tf = sparse.csc_matrix((np.ones(len(term_ids), np.float32), (rows, np.asarray(term_ids, np.int64))),
                               shape=(len(token_lists), len(vocab)), dtype=np.float32)
        tf.sum_duplicates()
        return _Segment(ids, lengths.astype(np.float32), tf, np.ones(len(ids), dtype=bool))

    def _merge(self, first: _Segment, second: _Segment) -> _Segment:
        width = len(self.vocab)
        parts = []
        for segment in (first, second):
            tf = segment.tf if segment.alive.all() else segment.tf[np.flatnonzero(segment.alive), :]
            parts.append(sparse.csc_matrix((tf.data, tf.indices, np.concatenate(
                [tf.indptr, np.full(width - tf.shape[1], tf.indptr[-1], tf.indptr.dtype)])),
                shape=(tf.shape[0], width)))
        return _Segment(
            ids=np.concatenate([first.ids[first.alive], second.ids[second.alive]]),
            lengths=np.concatenate([first.lengths[first.alive], second.lengths[second.alive]]),
            tf=sparse.vstack(parts, format="csc", dtype=np.float32),
            alive=np.ones(first.n_alive + second.n_alive, dtype=bool),
        )

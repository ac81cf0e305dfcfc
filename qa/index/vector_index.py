"""Chunk vectors by id in FAISS: exact search while small, approximate (IVF or HNSW) past a threshold."""

from __future__ import annotations

import math
import os
from contextlib import contextmanager

import numpy as np

ANN_KINDS = ("ivf", "hnsw")
IVF_TRAIN_POINTS_PER_LIST = 40  # FAISS warns under 39 training points per list
IVF_MAX_LISTS = 4096
IVF_TRAIN_ITERATIONS = 10


@contextmanager
def faiss_threads(n: int):
    """FAISS's OpenMP threads for a block: one for a single query (two threads on a busy 2-core
    machine make a 0.3 ms search take 20 ms), every core for bulk adds and training."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(max(1, n))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def k_floor(allowed: np.ndarray) -> int:
    """A search breadth for a filtered HNSW walk: twice the allowed ids, at most 4096."""
    return min(2 * len(allowed), 4096)


def ivf_lists(n: int) -> int:
    """IVF lists for n vectors: 4·√n (the FAISS guidelines' lower end), capped by the training data."""
    return max(1, min(int(4 * math.sqrt(n)), IVF_MAX_LISTS, n // IVF_TRAIN_POINTS_PER_LIST))


class VectorIndex:
    """Inner-product search over unit vectors keyed by int64 ids; add and remove cost what changes.

    Exact (`IndexFlatIP`) below `ann_threshold` vectors. When an add reaches it, the vectors are moved
    once into the approximate index, which then takes adds and removals in place:
    - "ivf" (default): `IndexIVFFlat`, trained on a sample; `nprobe` of its lists are searched.
    - "hnsw": `IndexHNSWFlat`; HNSW cannot delete, so a removal rebuilds the graph (O(N)).
    """

    def __init__(self, dim: int, ann_threshold: int = 100_000, kind: str = "ivf", nlist: int = 0,
                 nprobe: int = 32, hnsw_m: int = 32, ef_search: int = 128) -> None:
        if kind not in ANN_KINDS:
            raise ValueError(f"unknown approximate index {kind!r}; choose one of {', '.join(ANN_KINDS)}")
        self.dim, self.ann_threshold, self.kind = dim, ann_threshold, kind
        self.nlist, self.nprobe, self.hnsw_m, self.ef_search = nlist, nprobe, hnsw_m, ef_search
        self.approximate = False
        self.index = self._exact()

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def description(self) -> str:
        if not self.approximate:
            return "exact (IndexFlatIP)"
        if self.kind == "hnsw":
            return f"HNSW (M={self.hnsw_m}, efSearch={self.ef_search})"
        return f"IVF-Flat ({self.index.nlist} lists, nprobe={self.index.nprobe})"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not len(ids):
            return
        if not self.approximate and len(self) + len(ids) >= self.ann_threshold:
            old_ids, old_vectors = self._all()
            self._build_approximate(np.concatenate([old_ids, ids]), np.concatenate([old_vectors, vectors]))
            return
        with faiss_threads(os.cpu_count() or 1):
            self.index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids) or not len(self):
            return
        if self.approximate and self.kind == "hnsw":
            old_ids, old_vectors = self._all()
            keep = ~np.isin(old_ids, ids)
            self._build_approximate(old_ids[keep], old_vectors[keep])
            return
        import faiss

        self.index.remove_ids(faiss.IDSelectorBatch(ids))

    def search(self, vectors: np.ndarray, k: int, threads: int = 1,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); missing results have id -1. With `allowed` (ids), only those
        are searched (a FAISS IDSelector inside the search, so k of them come back, not k filtered)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        k = min(k, len(self) if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros((len(vectors), 0), np.float32), np.zeros((len(vectors), 0), np.int64)
        with faiss_threads(threads):
            if allowed is None:
                return self.index.search(vectors, k)
            allowed = np.asarray(allowed, np.int64)
            scores, ids = self.index.search(vectors, k, params=self._selecting(allowed))
            if self.approximate and self.kind == "hnsw" and (ids < 0).any():
                return self._exact_among(vectors, k, allowed)  # a filtered graph walk can strand
            return scores, ids

    def _selecting(self, allowed: np.ndarray):
        """Search parameters that keep only `allowed` ids. IVF probes every list: the selector skips the
        others before any distance, so the search is exact among the allowed ones at the cost of a scan."""
        import faiss

        selector = faiss.IDSelectorBatch(allowed)
        if self.approximate and self.kind == "ivf":
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nlist)
        if self.approximate:
            return faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, k_floor(allowed)))
        return faiss.SearchParameters(sel=selector)

    def _exact_among(self, vectors: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Brute force over the allowed vectors (HNSW keeps them as they are)."""
        import faiss

        stored = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        positions = np.flatnonzero(np.isin(stored, allowed))
        if not len(positions):
            return np.zeros((len(vectors), 0), np.float32), np.zeros((len(vectors), 0), np.int64)
        among = np.vstack([self.index.index.reconstruct(int(p)) for p in positions])
        scores = vectors @ among.T
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, order, axis=1).astype(np.float32), stored[positions][order]

    def adopt(self, index) -> None:
        """Use an index read back with `faiss.read_index` (written from one of these). It comes back as
        its own class already: a downcast copy would not own it, and it would be freed under us."""
        import faiss

        if isinstance(index, faiss.IndexIVF):
            index.nprobe = min(self.nprobe, index.nlist)
            self.kind, self.approximate = "ivf", True
        else:
            inner = faiss.downcast_index(index.index)
            self.approximate = isinstance(inner, faiss.IndexHNSW)
            if self.approximate:
                inner.hnsw.efSearch = self.ef_search
                self.kind = "hnsw"
        self.index = index
        if not self.approximate and len(self) >= self.ann_threshold:  # saved while smaller, or a lower threshold
            self._build_approximate(*self._all())

    # ---- building --------------------------------------------------------------------------------

    def _exact(self):
        import faiss

        return faiss.IndexIDMap(faiss.IndexFlatIP(self.dim))

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every id and vector of the index (exact or HNSW: both keep the vectors as they are)."""
        import faiss

        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        return ids, self.index.index.reconstruct_n(0, len(ids)).reshape(-1, self.dim)

    def _build_approximate(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        import faiss

        with faiss_threads(os.cpu_count() or 1):
            if self.kind == "hnsw":
                hnsw = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
                hnsw.hnsw.efConstruction = max(40, 2 * self.hnsw_m)
                hnsw.hnsw.efSearch = self.ef_search
                index = faiss.IndexIDMap(hnsw)
            else:
                nlist = self.nlist or ivf_lists(len(ids))
                index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
                index.cp.niter = IVF_TRAIN_ITERATIONS
                sample = np.random.default_rng(0).choice(
                    len(vectors), min(len(vectors), nlist * IVF_TRAIN_POINTS_PER_LIST), replace=False)
                index.train(vectors[np.sort(sample)])
                index.nprobe = min(self.nprobe, nlist)
            index.add_with_ids(vectors, ids)
        self.index, self.approximate = index, True

    def build(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the contents with these vectors in one go (the index type follows their number)."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(ids) >= self.ann_threshold:
            self._build_approximate(ids, vectors)
        else:
            self.index, self.approximate = self._exact(), False
            if len(ids):
                with faiss_threads(os.cpu_count() or 1):
                    self.index.add_with_ids(vectors, ids)

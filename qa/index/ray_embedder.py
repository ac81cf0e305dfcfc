"""Embedding on a Ray cluster: the texts of an ingest run through a Ray Data pipeline of model actors."""

from __future__ import annotations

import logging
import os

import numpy as np

from ..config import Config
from ..embedding import Embedder

log = logging.getLogger(__name__)

TEXTS_PER_TASK = 32  # batches of `batch_size` texts handed to an actor at a time (256 texts by default)


class _EmbedBatch:
    """A Ray Data actor: loads the model once, then embeds batch after batch of texts."""

    def __init__(self, config: Config) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.embedder = Embedder.from_config(config)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"row": batch["row"], "vector": self.embedder.encode_passages([str(t) for t in batch["text"]])}


class RayEmbedder(Embedder):
    """Stands in for an `Embedder` during indexing: `encode_passages` runs on the Ray cluster at `address`.

    `address` is what `ray.init` takes ("auto": the cluster this machine belongs to, "ray://host:10001":
    a remote one through Ray Client), or "local" to start a Ray instance here. A Ray instance already
    started in this process is used as it is. Every node needs this package and the model installed (with
    the ONNX embedder, each node exports the model once into `onnx_dir` unless that folder is shared).
    Every actor loads the embedder the configuration names, as the local one was loaded (same index id).
    The question-time `encode_queries` stays local: one short text gains nothing from a cluster.
    """

    def __init__(self, config: Config, local: Embedder, workers: int = 0) -> None:
        self.config = config
        self.local = local
        self.model_name, self.model_id, self.dimension = local.model_name, local.model_id, local.dimension
        self.variant, self.batch_size = local.variant, local.batch_size
        self.workers = workers

    @property
    def index_id(self) -> str:
        return self.local.index_id

    def _connect(self):
        import ray

        if not ray.is_initialized():
            address = self.config.ray_address
            ray.init(address=None if address in ("", "local") else address, log_to_driver=False,
                     include_dashboard=False, configure_logging=False)
        return ray

    def encode_passages(self, texts: list[str], progress: bool = False, desc: str = "embedding") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import pyarrow as pa

        ray = self._connect()
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        gpu = self.config.device.startswith("cuda")
        resources = ray.cluster_resources()
        slots = int(resources.get("GPU" if gpu else "CPU", 1)) or 1
        workers = self.workers or slots
        log.info("%s: %d texts on Ray (%d actors, %s)", desc, len(texts), workers, "GPU" if gpu else "CPU")
        table = pa.table({"row": np.arange(len(texts), dtype=np.int64), "text": texts})
        dataset = ray.data.from_arrow(table).map_batches(
            _EmbedBatch,
            fn_constructor_kwargs={"config": self.config.replace(auth="")},  # no login secret to the cluster
            batch_size=self.config.batch_size * TEXTS_PER_TASK,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=workers),
            num_gpus=1 if gpu else 0,
        )
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for batch in dataset.iter_batches(batch_format="numpy", batch_size=None):
            vectors[batch["row"]] = np.asarray(batch["vector"], dtype=np.float32)
        return vectors

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.local.encode_queries(texts)

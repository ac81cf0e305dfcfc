"""Other embedders beside the configured one (`qa eval --embedders onnx-int8,torch`): each builds its own
index, and the full system answers the same questions on it, reported as extra rows (`full@onnx-int8`)."""

from __future__ import annotations

from ..embedding import variant_config
from ..engine import Engine
from .configurations import MAIN, SETUPS
from .runner import Peer, observe


def parse_variants(names: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in (names or "").split(",") if n.strip()))


def embedder_peers(engine: Engine, variants: tuple[str, ...], progress: bool = True) -> list[Peer]:
    """(name, label, ask) for each variant other than the engine's own, its index built or brought up to
    date in `<data_dir>/index-<variant>` (Milvus: collection `<name>_<variant>`)."""
    peers: list[Peer] = []
    for variant in variants:
        if variant == engine.embedder.variant:
            continue
        base = engine.config
        config = variant_config(base, variant).replace(
            index_dir=base.data_dir / f"index-{variant}",
            milvus_collection=f"{base.milvus_collection}_{variant.replace('-', '_')}")
        other = Engine.load(config, progress=progress)
        options = SETUPS[MAIN].options(other.config)
        peers.append((f"{MAIN}@{variant}", f"full system, {variant} embedder",
                      lambda question, engine=other, options=options: observe(engine, question, options)))
    return peers

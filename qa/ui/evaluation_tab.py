"""The Evaluation tab: a progress bar while the question set runs, then the headline table and chart, the
full tables folded away, and the report as a download."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ..engine import Engine
from .render import FAILED

log = logging.getLogger(__name__)

EVALUATION_MISSING = ("The evaluation module (`qa.evaluation`) is not part of this installation, so there is "
                      "nothing to run here. `qa eval` on the command line says the same.")
INTRO = ("Runs the question set against the current index under every configuration (the full system and its "
         "ablations) and writes a report like `qa eval`. The headline numbers come first; every table is "
         "under “All tables”.")


def available() -> bool:
    try:
        return importlib.util.find_spec("qa.evaluation") is not None
    except (ImportError, ValueError):
        return False


@dataclass
class EvaluationTab:
    """What the tab's button does, around the shared engine; `downloads` is a folder the page may serve."""

    engine: Engine
    downloads: Path

    def run(self, progress=gr.Progress()):
        """(headline Markdown, chart, download button, all tables); one short message instead on failure."""
        nothing = gr.update(value=None, visible=False)
        try:
            module = importlib.import_module("qa.evaluation")
            evaluate = getattr(module, "evaluate_for_ui")
        except ImportError:
            return EVALUATION_MISSING, None, nothing, ""
        except AttributeError:
            return "This build's `qa.evaluation` cannot run from the page; use `qa eval`.", None, nothing, ""

        def on_answer(done: int, total: int) -> None:
            progress((done, total), desc=f"Answered {done}/{total} (each question under every configuration)",
                     unit="answers")

        try:
            progress(0.0, desc="Loading the question set")
            result = evaluate(self.engine, limit=self.engine.config.ui_eval_questions, on_answer=on_answer)
            progress(1.0, desc="Writing the report")
            archive = self._archive(result.folder) if result.folder is not None else None
        except Exception:
            log.exception("evaluation failed")
            return FAILED, None, nothing, ""
        image = None
        if result.plot and Path(result.plot).is_file():
            from PIL import Image

            with Image.open(result.plot) as picture:  # handed over as pixels: no file path is exposed
                image = picture.convert("RGB")
        download = gr.update(value=str(archive), visible=True) if archive else nothing
        return result.headline, image, download, result.details

    def _archive(self, folder: Path) -> Path:
        """The report folder as one zip in a folder of its own (the download keeps the report's name)."""
        target = Path(tempfile.mkdtemp(prefix="eval-", dir=self.downloads))
        return Path(shutil.make_archive(str(target / f"evaluation-{folder.name}"), "zip", folder))


def build(engine: Engine, downloads: Path) -> None:
    """The tab's contents, inside the caller's `gr.Tab`."""
    if not available():
        gr.Markdown(EVALUATION_MISSING, elem_id="qa-eval-missing")
        return
    tab = EvaluationTab(engine, downloads)
    gr.Markdown(INTRO)
    button = gr.Button("Run evaluation", elem_id="qa-eval-run", variant="primary")
    headline = gr.Markdown(elem_id="qa-eval-table", elem_classes="qa-scroll-x")
    chart = gr.Image(label="Recall@k and answer hit per question type", type="pil", interactive=False,
                     elem_id="qa-eval-chart", buttons=[])
    download = gr.DownloadButton("Download the report (.zip)", visible=False, elem_id="qa-eval-download")
    with gr.Accordion("All tables (retrieval, answers, trust, per type, worst questions)", open=False,
                      elem_id="qa-eval-details-box"):
        details = gr.Markdown(elem_id="qa-eval-details", elem_classes="qa-scroll-x")
    button.click(tab.run, None, [headline, chart, download, details], concurrency_limit=1,
                 concurrency_id="heavy", api_visibility="private")

"""The chat page: a Gradio app over one shared Engine, and the `qa serve` command that starts it."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Read by gradio when it is imported: no usage statistics leave the machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from starlette.middleware import Middleware  # noqa: E402

from ..config import Config  # noqa: E402
from ..engine import Engine, QuestionError  # noqa: E402
from ..files import RefusedFile, WriterBusy, read_checked  # noqa: E402
from ..options import add_common_arguments, config_from_args, error_object, load_engine  # noqa: E402
from ..sources import SourceError  # noqa: E402
from ..types import Answer, SourceMeta  # noqa: E402
from . import render  # noqa: E402
from .notebook import Notebook  # noqa: E402
from .source_filter import SourceFilter, limit  # noqa: E402
from .assets import CLICK_SCRIPT, CSS, SCROLL_SCRIPT  # noqa: E402
from .guard import RequestGuard  # noqa: E402

log = logging.getLogger(__name__)

# System fonts only: nothing is fetched from Google Fonts (gradio's bundled web fonts rendered with mixed glyphs).
THEME = gr.themes.Default(
    font=["Segoe UI", "Roboto", "Helvetica Neue", "Arial", "Liberation Sans", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "Menlo", "Consolas", "Liberation Mono", "monospace"],
)

EXAMPLE_QUESTIONS = [
    "Who was dismissed as commander of the Second Army Corps?",
    "How many servicemen died as a result of torture?",
    "What did military prosecutor Khanlar Veliyev acknowledge in 2021?",
    "Why did the victims of the Tartar case protest in Baku?",
]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm"]
FAILED = "Something went wrong; the details are in the server log."
EVALUATION_MISSING = ("The evaluation module (`qa.evaluation`) is not part of this installation, so there is "
                      "nothing to run here. `qa eval` on the command line says the same.")


@dataclass
class ChatActions:
    """What the page's events do, around one shared engine. Every method returns, never raises."""

    engine: Engine

    def metas(self) -> dict[str, SourceMeta]:
        return {s.source_id: s.meta for s in self.engine.sources()}

    def respond(self, question: str, history: list, asked: list[str], chosen: list[str] | None = None):
        """Answer a question from the chat box, from the `chosen` sources: (textbox, chat, questions asked,
        passages panel, the answer's JSON or None)."""
        history = list(history or [])
        asked = list(asked or [])
        question = question or ""
        if not question.strip():
            gr.Warning("Please type a question.")
            return question, history, asked, gr.skip(), None
        answer: Answer | None = None
        try:
            answer = self.engine.ask(question, previous=asked[-1] if asked else None,
                                     sources=limit(chosen, [s.source_id for s in self.engine.sources()]))
            bubble = render.answer_html(answer, self.metas())
        except QuestionError as exc:
            bubble = render.notice_html(str(exc))
        except Exception:
            log.exception("answering %r failed", question[:200])
            bubble = render.notice_html(FAILED)
        history += [{"role": "user", "content": render.user_html(question)},
                    {"role": "assistant", "content": bubble}]
        if answer is None:
            return "", history, asked, gr.skip(), None
        return "", history, asked + [answer.question], render.passages_html(answer, self.metas()), answer.to_dict()

    def open_source(self, ref: str) -> str:
        """The source view for a citation or passage link (`#qa-open/<id>/<start>/<end>`)."""
        try:
            source_id, start, end = render.parse_open_link(ref)
        except ValueError:
            return render.source_placeholder_html("That link does not name a source.")
        try:
            source = self.engine.source(source_id)
            if source is None:
                return render.source_placeholder_html("That source is no longer available.")
            if not 0 <= start <= end <= len(source.body):
                return render.source_placeholder_html("That span is not in the source (was it edited?).")
            # a changing attribute makes the view re-render (and scroll) when the same link is clicked twice
            return f'<div data-shown="{time.monotonic_ns()}">{render.source_html(source, start, end)}</div>'
        except Exception:
            log.exception("showing %r failed", ref[:200])
            return render.source_placeholder_html(FAILED)

    def add_source(self, path: str | None, title: str, outlet: str, date: str, url: str,
                   progress=gr.Progress(track_tqdm=True)):
        """Store and index an uploaded file: (status, sources table, file box)."""
        if not path:
            return render.notice_html("Choose a .txt, .md or .html file first."), gr.skip(), gr.skip()
        name = Path(path).name  # Gradio keeps the uploaded name; it only proposes an id
        try:
            if url.strip() and not render.safe_url(url):
                raise SourceError("the URL must start with http:// or https://")
            progress(0.1, desc="Reading the file")
            data = read_checked(Path(path), self.engine.config.max_source_bytes)  # the size before the bytes
            meta = SourceMeta(title=title.strip(), outlet=outlet.strip(), date=date.strip(), url=url.strip())
            progress(0.3, desc="Indexing")
            result, report = self.engine.add(data, name, meta, progress=True)
        except (SourceError, RefusedFile, WriterBusy) as exc:
            return render.notice_html(f"Not added: {exc}"), gr.skip(), None
        except Exception:
            log.exception("adding %r failed", name)
            return render.notice_html(FAILED), gr.skip(), None
        finally:
            self._discard_upload(path)
        table = render.sources_table_html(self.engine.sources())
        notes = "".join(f" {notice}." for notice in result.notices)
        if not result.added:
            return (render.notice_html(f"Not added: the same text is already source {result.duplicate_of}."),
                    table, None)
        indexed = f" ({report.embedded_chunks} passages indexed)" if report is not None else ""
        label = result.source.meta.title or result.source.source_id
        message = f"Added “{label}” as {result.source.source_id}{indexed}. You can ask about it now.{notes}"
        return render.notice_html(message, kind="ok"), table, None

    def _discard_upload(self, path: str) -> None:
        """Delete the uploaded copy once it is stored (or refused): the upload folder is not an archive."""
        uploads = upload_folder(self.engine.config)
        try:
            if Path(path).resolve().is_relative_to(uploads.resolve()):
                Path(path).unlink(missing_ok=True)
        except OSError:
            log.warning("could not delete the upload %s", path)

    def sources_table(self) -> str:
        try:
            return render.sources_table_html(self.engine.sources())
        except Exception:
            log.exception("listing sources failed")
            return render.notice_html(FAILED)

    def ask_api(self, question: str, previous: str = "", sources: list[str] | None = None,
                outlets: list[str] | None = None) -> dict:
        """Answer one question (limited to `sources`/`outlets` when given); the JSON of `qa ask --json`
        (`Answer.to_dict()`), or {"question", "error"}."""
        try:
            return self.engine.ask(question, previous=previous or None, sources=sources or None,
                                   outlets=outlets or ()).to_dict()
        except QuestionError as exc:
            return error_object(question, str(exc), self.engine.config)
        except Exception:
            log.exception("API question %r failed", str(question)[:200])
            return error_object(question, FAILED, self.engine.config)

    def run_evaluation(self):
        """The Evaluation tab: (markdown table, chart) from qa.evaluation.run_for_ui, or a message."""
        try:
            module = importlib.import_module("qa.evaluation")
            run_for_ui = getattr(module, "run_for_ui")
        except ImportError:
            return EVALUATION_MISSING, None
        except AttributeError:
            return "This build's `qa.evaluation` has no `run_for_ui()` yet; use `qa eval` on the command line.", None
        try:
            table, png_path = run_for_ui(self.engine)
        except Exception:
            log.exception("evaluation failed")
            return FAILED, None
        image = None
        if png_path and Path(png_path).is_file():
            from PIL import Image

            with Image.open(png_path) as picture:  # handed over as pixels: no file path is exposed
                image = picture.convert("RGB")
        return table, image


def evaluation_available() -> bool:
    try:
        return importlib.util.find_spec("qa.evaluation") is not None
    except (ImportError, ValueError):
        return False


def build_app(engine: Engine) -> gr.Blocks:
    """The page: chat, passages and source view; the sources list and upload; evaluation."""
    config = engine.config
    temp_dir = upload_folder(config)
    clean_upload_folder(temp_dir)
    os.environ["GRADIO_TEMP_DIR"] = str(temp_dir)  # uploads and cached files stay in the project's data folder
    engine.background_indexing = True  # an upload is embedded while questions keep being answered
    actions = ChatActions(engine)
    ask_limit = max(1, config.ui_concurrency)

    with gr.Blocks(title="qa — cited answers from news sources", analytics_enabled=False, fill_width=True,
                   delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Ask the sources\nEvery answer is made of word-for-word quotes from the articles, each "
                    "with its citation. Click a citation number or a passage to read it in its source.",
                    elem_id="qa-header")
        asked, answered = gr.State([]), gr.State(None)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="qa-chat", show_label=False, height=600,
                            render_markdown=False, latex_delimiters=[], sanitize_html=True, allow_tags=False,
                            buttons=[], feedback_options=None, layout="bubble",
                            placeholder="**Ask a question about the articles.** Answers are verbatim quotes.",
                            examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                        )
                        question = gr.Textbox(elem_id="qa-question", show_label=False, lines=1, max_lines=4,
                                              placeholder="Ask about the articles… (a short follow-up "
                                                          "like “and who ordered it?” works too)",
                                              submit_btn="Ask", autofocus=True)
                        source_filter = SourceFilter.panel(engine)
                    with gr.Column(scale=2, min_width=340):
                        gr.Markdown("### Passages for the last question", elem_classes="qa-panel-title")
                        passages = gr.HTML(render.passages_html(None, {}), elem_id="qa-passages",
                                           js_on_load=CLICK_SCRIPT, max_height=330, padding=False)
                        gr.Markdown("### Source", elem_classes="qa-panel-title")
                        source_view = gr.HTML(render.source_placeholder_html(), elem_id="qa-source",
                                              js_on_load=SCROLL_SCRIPT, max_height=330)
                        notebook = Notebook.panel(engine, temp_dir)
            with gr.Tab("Sources", id="sources") as sources_tab:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        sources_table = gr.HTML(actions.sources_table(), elem_id="qa-sources-table",
                                                apply_default_css=False)
                    with gr.Column(scale=2, min_width=320):
                        gr.Markdown("### Add a source\nA `.txt`, `.md` or `.html` article, up to "
                                    f"{config.max_source_bytes / 1e6:g} MB. It is indexed at once.")
                        upload = gr.File(label="Article file", file_types=UPLOAD_TYPES, type="filepath",
                                         elem_id="qa-upload")
                        title = gr.Textbox(label="Title (optional)", elem_id="qa-add-title")
                        with gr.Row():
                            outlet = gr.Textbox(label="Outlet", elem_id="qa-add-outlet")
                            date = gr.Textbox(label="Date", placeholder="YYYY-MM-DD", elem_id="qa-add-date")
                        url = gr.Textbox(label="URL", placeholder="https://…", elem_id="qa-add-url")
                        add_button = gr.Button("Add source", variant="primary", elem_id="qa-add")
                        add_status = gr.HTML("", elem_id="qa-add-status")
            with gr.Tab("Evaluation", id="evaluation"):
                if evaluation_available():
                    gr.Markdown("Runs the question sets against the current index (this can take a while).")
                    eval_button = gr.Button("Run evaluation", elem_id="qa-eval-run")
                    eval_table = gr.Markdown(elem_id="qa-eval-table")
                    eval_chart = gr.Image(label="Evaluation chart", type="pil", interactive=False,
                                          elem_id="qa-eval-chart")
                    eval_button.click(actions.run_evaluation, None, [eval_table, eval_chart],
                                      concurrency_limit=1, concurrency_id="heavy", api_visibility="private")
                else:
                    gr.Markdown(EVALUATION_MISSING, elem_id="qa-eval-missing")

        chat_io = dict(inputs=[question, chatbot, asked, source_filter.limited],
                       outputs=[question, chatbot, asked, passages, answered],
                       concurrency_limit=ask_limit, concurrency_id="ask", api_visibility="private")
        asking = [question.submit(actions.respond, **chat_io), chatbot.example_select(
            _example_text, None, question, queue=False, api_visibility="private").then(actions.respond, **chat_io)]
        notebook.wire(demo, chatbot, asked, answered, asking)
        source_filter.wire(demo)
        chatbot.clear(lambda: ([], render.passages_html(None, {}), render.source_placeholder_html()), None,
                      [asked, passages, source_view], queue=False, api_visibility="private")
        passages.click(_open_event(actions), None, source_view, concurrency_limit=None,
                       api_visibility="private")
        add_button.click(actions.add_source, [upload, title, outlet, date, url],
                         [add_status, sources_table, upload], concurrency_limit=1, concurrency_id="heavy",
                         api_visibility="private")
        # the list changes when anyone adds a source: refresh it whenever it is shown
        refresh = dict(fn=actions.sources_table, inputs=None, outputs=sources_table, queue=False,
                       show_progress="hidden", api_visibility="private")
        demo.load(**refresh)
        sources_tab.select(**refresh)
        gr.api(actions.ask_api, api_name="ask", concurrency_limit=ask_limit, concurrency_id="ask")
    # Answering is a few milliseconds of CPU (one forward pass, index look-ups under a short lock):
    # one question per core at a time; the rest wait in the queue rather than slow each other down.
    demo.queue(default_concurrency_limit=ask_limit)
    return demo


def _example_text(event: gr.SelectData) -> str:
    value = event.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


def _open_event(actions: ChatActions):
    def open_source(event: gr.EventData) -> str:
        return actions.open_source(str((getattr(event, "_data", None) or {}).get("ref", "")))

    return open_source


def upload_folder(config: Config) -> Path:
    return config.data_dir / "gradio"


def clean_upload_folder(folder: Path) -> None:
    """Empty the upload folder at start-up: what a stopped server left there would otherwise be served by
    the next one (Gradio's own clean-up only runs hourly while a server runs). One server per data folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError as exc:
            log.warning("could not remove %s from the upload folder: %s", entry, exc)


def read_auth(config: Config, auth_file: Path | None) -> list[tuple[str, str]] | None:
    """Login accounts from QA_AUTH ("user:password") and/or a file of such lines; None: no login."""
    lines = [config.auth] if config.auth else []
    if auth_file is not None:
        lines += auth_file.read_text(encoding="utf-8").splitlines()
    accounts = []
    for line in (line.strip() for line in lines):
        if not line or line.startswith("#"):
            continue
        user, _, password = line.partition(":")
        if not user or not password:
            raise ValueError("an auth entry must be user:password")
        accounts.append((user, password))
    return accounts or None


def launch(demo: gr.Blocks, config: Config, auth: list[tuple[str, str]] | None = None) -> str:
    """Start serving in background threads; returns the local URL."""
    _, url, _ = demo.launch(
        server_name=config.host, server_port=config.port, auth=auth, prevent_thread_lock=True, quiet=True,
        show_error=False, share=False, ssr_mode=False, max_file_size=config.max_source_bytes,
        footer_links=["api"], theme=THEME, css=CSS, pwa=False, mcp_server=False,
        app_kwargs={"middleware": [Middleware(RequestGuard, **RequestGuard.settings(config))]},
    )
    return url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Config.from_env()
    parser.add_argument("--host", help=f"address to listen on (QA_HOST, default {defaults.host}); "
                                       "anything but 127.0.0.1 exposes the page to the network")
    parser.add_argument("--port", type=int, help=f"port (QA_PORT, default {defaults.port})")
    parser.add_argument("--auth-file", type=Path, help="file of user:password lines for a login page "
                                                       "(or QA_AUTH=user:password)")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    config = config.replace(host=args.host or config.host, port=args.port or config.port)
    try:
        auth = read_auth(config, args.auth_file)
    except (OSError, ValueError) as exc:
        print(f"error: --auth-file/QA_AUTH: {exc}", file=sys.stderr)
        return 2
    print("loading the model and the index…", file=sys.stderr, flush=True)
    try:
        engine = load_engine(config)
    except Exception as exc:
        if getattr(args, "verbose", False):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not engine.sources():
        print(f"warning: no sources in {config.sources_dir}; add some on the Sources tab", file=sys.stderr)
    if config.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        print("warning: serving beyond this machine without a login; set QA_AUTH or --auth-file",
              file=sys.stderr)
    demo = build_app(engine)
    try:
        url = launch(demo, config, auth)
    except OSError as exc:
        print(f"error: cannot listen on {config.host}:{config.port} ({exc}); try --port", file=sys.stderr)
        return 1
    print(f"qa chat UI: {url}", flush=True)
    demo.block_thread()  # until Ctrl-C
    return 0

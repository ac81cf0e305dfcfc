"""The chat page: a Gradio app over one shared Engine, and the `qa serve` command that starts it."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Read by gradio when it is imported: no usage statistics leave the machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from starlette.middleware import Middleware  # noqa: E402

from ..config import Config  # noqa: E402
from ..engine import Engine, QuestionError  # noqa: E402
from .. import language  # noqa: E402
from ..options import add_common_arguments, config_from_args, error_object, load_engine  # noqa: E402
from ..types import Answer, SourceMeta  # noqa: E402
from . import evaluation_tab, reading, render  # noqa: E402
from .assets import CLICK_SCRIPT, CSS, READING_SCRIPT  # noqa: E402
from .notebook import Notebook  # noqa: E402
from .source_filter import SourceFilter, limit  # noqa: E402
from .guard import RequestGuard  # noqa: E402
from .sources_tab import FAILED, SourceActions, build_sources_tab, upload_folder  # noqa: E402

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


@dataclass
class ChatActions(SourceActions):
    """What the page's events do, around one shared engine. Every method returns, never raises."""

    engine: Engine

    def metas(self) -> dict[str, SourceMeta]:
        return {s.source_id: s.meta for s in self.engine.sources()}

    def respond(self, question: str, history: list, asked: list[str], chosen: list[str] | None = None,
                offered: list[str] | None = None, limited: bool = True):
        """Answer a question from the chat box, from the `chosen` sources of those `offered` (the page's
        ticks and list as they are when the question is sent; every source when none were offered yet, or
        while the user has not `limited` the choice): (textbox, chat, questions asked, passages panel, the
        answer's JSON or None)."""
        history = list(history or [])
        asked = list(asked or [])
        question = question or ""
        if not question.strip():
            gr.Warning("Please type a question.")
            return question, history, asked, gr.skip(), None
        answer: Answer | None = None
        try:
            answer = self.engine.ask(question, previous=asked[-1] if asked else None,
                                     sources=limit(chosen, offered if offered is not None
                                                   else [s.source_id for s in self.engine.sources()], limited))
            bubble = render.answer_html(answer, reading.preview_markup(answer, self.engine.source), self.metas())
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

    def open_source(self, ref: str, label: str = "") -> str:
        """The source view for a citation or passage link (`#qa-open/<id>/<start>/<end>`); `label`: "[n]"."""
        try:
            source_id, start, end = render.parse_open_link(ref)
        except ValueError:
            return reading.source_message_html("That link does not name a source.")
        try:
            source = self.engine.source(source_id)
            if source is None:
                return reading.source_message_html("That source is no longer available.")
            if not 0 <= start <= end <= len(source.body):
                return reading.source_message_html("That span is not in the source (was it edited?).")
            # a changing attribute makes the view re-render (and scroll) when the same link is clicked twice
            view = reading.source_html(source, start, end, reading.open_label(label))
            return f'<div data-shown="{time.monotonic_ns()}">{view}</div>'
        except Exception:
            log.exception("showing %r failed", ref[:200])
            return reading.source_message_html(FAILED)

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


def build_app(engine: Engine) -> gr.Blocks:
    """The page: chat, passages and source view; the sources list and upload; evaluation."""
    config = engine.config
    temp_dir = upload_folder(config)
    clean_upload_folder(temp_dir)
    os.environ["GRADIO_TEMP_DIR"] = str(temp_dir)  # uploads and cached files stay in the project's data folder
    engine.background_indexing = True  # an upload is embedded while questions keep being answered
    language.warm()  # every question's language is detected: the first one should not wait for the models
    # the sources' name spellings are counted before the first question can need them (83 s at 1M chunks)
    threading.Thread(target=engine.spellings, name="qa-spellings", daemon=True).start()
    actions = ChatActions(engine)
    ask_limit = max(1, config.ui_concurrency)

    with gr.Blocks(title="qa — cited answers from news sources", analytics_enabled=False, fill_width=True,
                   delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Ask the sources\nEvery answer is made of word-for-word quotes from the articles, each "
                    "with its citation. Click a citation number or a passage to read it in its source.",
                    elem_id="qa-header")
        asked, answered = gr.State([]), gr.State(None)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask") as ask_tab:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="qa-chat", show_label=False, height=600,
                            render_markdown=False, latex_delimiters=[], sanitize_html=True, allow_tags=False,
                            buttons=[], feedback_options=None, layout="bubble", autoscroll=False,
                            placeholder="**Ask a question about the articles.** Answers are verbatim quotes.",
                            examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                        )
                        question = gr.Textbox(elem_id="qa-question", show_label=False, lines=1, max_lines=4,
                                              placeholder="Ask about the articles… (a short follow-up "
                                                          "like “and who ordered it?” works too)",
                                              submit_btn="Ask", autofocus=True)
                        source_filter = SourceFilter.panel(engine)
                    with gr.Column(scale=2, min_width=340, elem_id="qa-side"):
                        gr.Markdown("### Passages for the last question", elem_classes="qa-panel-title")
                        passages = gr.HTML(render.passages_html(None, {}), elem_id="qa-passages",
                                           js_on_load=CLICK_SCRIPT, max_height=330, padding=False)
                        gr.Markdown("### Source", elem_classes="qa-panel-title", elem_id="qa-source-title")
                        source_view = gr.HTML(render.source_placeholder_html(), elem_id="qa-source",
                                              js_on_load=READING_SCRIPT, padding=False)
                        notebook = Notebook.panel(engine, temp_dir)
            with gr.Tab("Sources", id="sources") as sources_tab:
                source_changes = build_sources_tab(actions, config, demo, sources_tab)
            with gr.Tab("Evaluation", id="evaluation"):
                evaluation_tab.build(engine, temp_dir)

        chat_io = dict(inputs=[question, chatbot, asked, source_filter.picked, source_filter.offered,
                               source_filter.limited],
                       outputs=[question, chatbot, asked, passages, answered],
                       concurrency_limit=ask_limit, concurrency_id="ask", api_visibility="private")
        asking = [question.submit(actions.respond, **chat_io), chatbot.example_select(
            _example_text, None, question, queue=False, api_visibility="private").then(actions.respond, **chat_io)]
        notebook.wire(demo, chatbot, asked, answered, asking)
        source_filter.wire(demo)
        source_filter.follow(source_changes, ask_tab)
        chatbot.clear(lambda: ([], render.passages_html(None, {}), render.source_placeholder_html()), None,
                      [asked, passages, source_view], queue=False, api_visibility="private")
        passages.click(_open_event(actions), None, source_view, concurrency_limit=None,
                       api_visibility="private")
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
        data = getattr(event, "_data", None) or {}
        return actions.open_source(str(data.get("ref", "")), str(data.get("n", "")))

    return open_source


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
        show_error=False, share=False, ssr_mode=False,
        max_file_size=max(config.max_source_bytes, config.max_pdf_bytes),
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

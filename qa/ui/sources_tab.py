"""The Sources tab: the list, adding a file, a PDF or a web address, editing and deleting a source."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

# Read by gradio when it is imported (as in app.py): no usage statistics leave the machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from ..config import Config  # noqa: E402
from ..engine import Engine  # noqa: E402
from ..files import RefusedFile, WriterBusy, read_checked  # noqa: E402
from ..ingest.fields import check_date  # noqa: E402
from ..ingest.web import check_address  # noqa: E402
from ..sources import SourceError, file_limit  # noqa: E402
from ..types import Source, SourceMeta  # noqa: E402
from . import render  # noqa: E402

log = logging.getLogger(__name__)

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf"]
FAILED = "Something went wrong; the details are in the server log."
META_FIELDS = ("title", "outlet", "date", "author", "url")  # the order of the form's fields
DELETE_CONFIRM = "(id, ok) => [id, window.confirm('Delete this source? Its file and its index entries go.')]"


def size_label(max_bytes: int) -> str:
    """The upload limit as the upload box words it (MB of 2^20 bytes, as Gradio counts), and in bytes."""
    return f"{max_bytes / 2**20:.1f} MB ({max_bytes:,} bytes)"


def limits_label(config: Config) -> str:
    """What the page says of the size limits: a PDF has its own."""
    return (f"a text or HTML file may be up to {size_label(config.max_source_bytes)}, a PDF up to "
            f"{size_label(config.max_pdf_bytes)}")


def counted(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def choices(sources: list[Source]) -> list[tuple[str, str]]:
    """The edit list: (what the user reads, the source id), by title."""
    named = [(f"{render.source_name(s.meta, s.source_id)} [{s.source_id}]", s.source_id) for s in sources]
    return sorted(named, key=lambda c: c[0].lower())


@dataclass
class SourceActions:
    """What the Sources tab's events do, around one shared engine. Every method returns, never raises."""

    engine: Engine

    def sources_table(self) -> str:
        try:
            return render.sources_table_html(self.engine.sources())
        except Exception:
            log.exception("listing sources failed")
            return render.notice_html(FAILED)

    def add_source(self, path: str | None, title: str, outlet: str, date: str, url: str, author: str = "",
                   address: str = "", progress=gr.Progress()):
        """Store and index an uploaded file or a web address: (status, sources table, file box)."""
        return self.add(path, title, outlet, date, url, author, address, progress)[:3]

    def add(self, path: str | None, title: str, outlet: str, date: str, url: str, author: str = "",
            address: str = "", progress=gr.Progress()):
        """`add_source`, and a fourth item: whether the article is in the collection now (added or there)."""
        address = (address or "").strip()
        if not path and not address:
            return render.notice_html(
                "Nothing to add yet: choose a file (.txt, .md, .html or .pdf) or type a web address; "
                f"{limits_label(self.engine.config)}."), gr.skip(), gr.skip(), False
        name = address or Path(path).name  # Gradio keeps the uploaded name; it only proposes an id
        try:
            if url.strip() and not render.safe_url(url):
                raise SourceError("the URL must start with http:// or https://")
            meta = SourceMeta(title=title.strip(), outlet=outlet.strip(), date=check_date(date), url=url.strip(),
                              author=(author or "").strip())
            if address:
                check_address(address)
                progress(0.1, desc="Fetching the page")
                result, report = self.engine.add_url(address, meta)
            else:
                progress(0.1, desc="Reading the file")
                config = self.engine.config
                limit, setting = file_limit(name, config.max_source_bytes, config.max_pdf_bytes)
                data = read_checked(Path(path), limit, setting=setting)  # the size before the bytes
                progress(0.3, desc="Indexing")
                result, report = self.engine.add(data, name, meta)
        except (SourceError, RefusedFile, WriterBusy) as exc:
            return render.notice_html(f"Not added: {exc}"), gr.skip(), None, False
        except Exception:
            log.exception("adding %r failed", name)
            return render.notice_html(FAILED), gr.skip(), None, False
        finally:
            if path:
                self._discard_upload(path)
        table = render.sources_table_html(self.engine.sources())
        notes = "".join(f" {notice}." for notice in result.notices)
        if not result.added:
            return (render.notice_html(f"Not added: the same text is already source {result.duplicate_of}."),
                    table, None, True)
        indexed = f" ({counted(report.embedded_chunks, 'passage')} indexed)" if report is not None else ""
        label = result.source.meta.title or result.source.source_id
        pages = f", {counted(len(result.source.pages), 'page')}" if result.source.pages else ""
        message = f"Added “{label}” as {result.source.source_id}{pages}{indexed}. You can ask about it now.{notes}"
        return render.notice_html(message, kind="ok"), table, None, True

    def _discard_upload(self, path: str) -> None:
        """Delete the uploaded copy once it is stored (or refused): the upload folder is not an archive."""
        uploads = upload_folder(self.engine.config)
        try:
            if Path(path).resolve().is_relative_to(uploads.resolve()):
                Path(path).unlink(missing_ok=True)
        except OSError:
            log.warning("could not delete the upload %s", path)

    def edit_form(self, source_id: str | None) -> tuple[str, ...]:
        """The chosen source's metadata for the edit form, in META_FIELDS order."""
        source = self.engine.source(source_id or "")
        meta = source.meta if source is not None else SourceMeta()
        return tuple(getattr(meta, name) for name in META_FIELDS)

    def edit_source(self, source_id: str | None, title: str, outlet: str, date: str, author: str, url: str):
        """Store the form's metadata: (status, sources table)."""
        source = self.engine.source(source_id or "")
        if source is None:
            return render.notice_html("Choose a source to edit first."), gr.skip()
        try:
            if url.strip() and not render.safe_url(url):
                raise SourceError("the URL must start with http:// or https://")
            given = dict(title=title, outlet=outlet, date=date, author=author, url=url)
            meta = SourceMeta(**{**source.meta.__dict__, **{k: (v or "").strip() for k, v in given.items()}})
            self.engine.edit(source.source_id, meta)
        except (SourceError, WriterBusy) as exc:
            return render.notice_html(f"Not saved: {exc}"), gr.skip()
        except Exception:
            log.exception("editing %r failed", source_id)
            return render.notice_html(FAILED), gr.skip()
        return render.notice_html(f"Saved the metadata of {source.source_id}.", kind="ok"), self.sources_table()

    def delete_source(self, source_id: str | None, confirmed: bool = True):
        """Delete a source and take it out of the index: (status, sources table)."""
        source = self.engine.source(source_id or "")
        if source is None:
            return render.notice_html("Choose a source to delete first."), gr.skip()
        if not confirmed:
            return render.notice_html("Not deleted.", kind="ok"), gr.skip()
        try:
            self.engine.remove(source.source_id)
        except (SourceError, WriterBusy) as exc:
            return render.notice_html(f"Not deleted: {exc}"), gr.skip()
        except Exception:
            log.exception("deleting %r failed", source_id)
            return render.notice_html(FAILED), gr.skip()
        label = source.meta.title or source.source_id
        return render.notice_html(f"Deleted “{label}” ({source.source_id}).", kind="ok"), self.sources_table()

    def choice_update(self, keep: str | None = None):
        """The edit list as it is now, keeping the chosen source while it exists."""
        ids = {s.source_id for s in self.engine.sources()}
        return gr.update(choices=choices(self.engine.sources()), value=keep if keep in ids else None)


def upload_folder(config: Config) -> Path:
    return config.data_dir / "gradio"


def build_sources_tab(actions: SourceActions, config: Config, demo: gr.Blocks, tab: gr.Tab) -> list:
    """The tab's components and events; call it inside `with gr.Tab("Sources")`. Returns the events that
    change the sources (add, save, delete), for what must follow them elsewhere on the page."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            table = gr.HTML(actions.sources_table(), elem_id="qa-sources-table", apply_default_css=False)
        with gr.Column(scale=2, min_width=320):
            gr.Markdown("### Add a source\nAn article as a `.txt`, `.md`, `.html` or `.pdf` file, or the address "
                        f"of a web page; {limits_label(config)}. It is indexed at once. Leave a field empty to "
                        "use what the file or page states about itself.")
            upload = gr.File(label="Article file", file_types=UPLOAD_TYPES, type="filepath", elem_id="qa-upload")
            address = gr.Textbox(label="…or a web address", placeholder="https://…", elem_id="qa-add-address")
            title = gr.Textbox(label="Title (optional)", elem_id="qa-add-title")
            with gr.Row():
                outlet = gr.Textbox(label="Outlet", elem_id="qa-add-outlet")
                date = gr.Textbox(label="Date", placeholder="YYYY-MM-DD, YYYY-MM or YYYY", elem_id="qa-add-date")
            author = gr.Textbox(label="Author", elem_id="qa-add-author")
            url = gr.Textbox(label="URL of the article", placeholder="https://…", elem_id="qa-add-url")
            add_button = gr.Button("Add source", variant="primary", elem_id="qa-add")
            add_status = gr.HTML("", elem_id="qa-add-status")

            gr.Markdown("### Edit or delete a source")
            chosen = gr.Dropdown(label="Source", choices=choices(actions.engine.sources()), value=None,
                                 elem_id="qa-edit-source", filterable=True)
            edit_title = gr.Textbox(label="Title", elem_id="qa-edit-title")
            with gr.Row():
                edit_outlet = gr.Textbox(label="Outlet", elem_id="qa-edit-outlet")
                edit_date = gr.Textbox(label="Date", placeholder="YYYY-MM-DD, YYYY-MM or YYYY",
                                       elem_id="qa-edit-date")
            edit_author = gr.Textbox(label="Author", elem_id="qa-edit-author")
            edit_url = gr.Textbox(label="URL", placeholder="https://…", elem_id="qa-edit-url")
            with gr.Row():
                save = gr.Button("Save changes", elem_id="qa-edit-save")
                delete = gr.Button("Delete source", variant="stop", elem_id="qa-edit-delete")
            confirmed = gr.Checkbox(value=False, visible=False)
            edit_status = gr.HTML("", elem_id="qa-edit-status")

    added_fields = [title, outlet, date, url, author, address]
    edit_fields = [edit_title, edit_outlet, edit_date, edit_author, edit_url]
    private = dict(api_visibility="private")
    heavy = dict(concurrency_limit=1, concurrency_id="heavy", **private)

    def add(path, title_, outlet_, date_, url_, author_, address_, progress=gr.Progress()):
        status, listing, file_box, done = actions.add(path, title_, outlet_, date_, url_, author_, address_,
                                                      progress=progress)
        # metadata is per article: cleared once it is stored (or found there), kept to correct when refused
        cleared = [""] * len(added_fields) if done else [gr.skip()] * len(added_fields)
        return (status, listing, file_box, *cleared, actions.choice_update())

    adding = add_button.click(add, [upload, *added_fields], [add_status, table, upload, *added_fields, chosen],
                              show_progress_on=[add_status], **heavy)
    chosen.change(actions.edit_form, chosen, edit_fields, queue=False, **private)

    def edit(source_id, *values):
        status, listing = actions.edit_source(source_id, *values)
        return status, listing, actions.choice_update(source_id)

    saving = save.click(edit, [chosen, *edit_fields], [edit_status, table, chosen], show_progress_on=[edit_status],
                        **heavy)

    def remove(source_id, ok):
        status, listing = actions.delete_source(source_id, bool(ok))
        return status, listing, actions.choice_update(source_id)

    deleting = delete.click(remove, [chosen, confirmed], [edit_status, table, chosen], js=DELETE_CONFIRM,
                            show_progress_on=[edit_status], **heavy)

    # the list changes when anyone adds a source: refresh it whenever it is shown
    def refresh(source_id=None):
        return actions.sources_table(), actions.choice_update(source_id)

    demo.load(refresh, None, [table, chosen], queue=False, show_progress="hidden", **private)
    tab.select(refresh, chosen, [table, chosen], queue=False, show_progress="hidden", **private)
    return [adding, saving, deleting]

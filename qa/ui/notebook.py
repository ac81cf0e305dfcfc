"""The notebook: saved quotes and the conversation kept in this browser across reloads, and the evidence pack."""

from __future__ import annotations

import logging
import secrets
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr

from .. import export
from ..engine import Engine
from ..files import atomic_write_bytes
from ..types import SourceMeta
from .render import OPEN_PREFIX, SAVE_PREFIX, esc, open_link, parse_open_link

log = logging.getLogger(__name__)

NOTE_PREFIX = "#qa-note/"  # #qa-note/<up|down|remove>/<index>
SECRET_FILE = "browser-state.key"
EMPTY_CONVERSATION = {"history": [], "asked": [], "turns": []}
SCOPES = {"Saved notes": "notes", "Whole conversation": "conversation"}
FORMATS = {"Markdown": "md", "CSV": "csv", "JSON": "json"}
CLEAR_QUESTION = "Clear the whole conversation? Saved notes are kept."

# Installed by the notes panel. Capture phase, before Gradio's own handlers: "Save quote" and the notes'
# controls go to Python through the panel's `trigger`; the chat's bin asks before it clears.
NOTES_SCRIPT = r"""
window.__qaNotesTrigger = trigger;
if (!window.__qaNotes) {
  window.__qaNotes = true;
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const bin = target.closest('#qa-chat button[aria-label="Clear"], #qa-chat button[title="Clear"]');
    if (bin) {
      if (!window.confirm('""" + CLEAR_QUESTION + r"""')) {
        event.preventDefault(); event.stopPropagation(); event.stopImmediatePropagation();
      }
      return;
    }
    const link = target.closest('a[href^="#qa-save/"], a[href^="#qa-note/"]');
    if (!link) return;
    event.preventDefault(); event.stopPropagation();
    if (link.classList.contains('qa-save')) { link.textContent = 'Saved'; link.classList.add('qa-saved'); }
    window.__qaNotesTrigger('click', {ref: link.getAttribute('href')});
  }, true);
}
"""
HEAD = """<style>
#qa-chat a.qa-save { font-size: 0.78em; margin-left: 0.6em; color: var(--body-text-color-subdued);
  white-space: nowrap; }
#qa-chat a.qa-save.qa-saved { color: #15803d; }
.qa-limited { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 0.4em; }
ol.qa-notes { padding-left: 1.4em; margin: 0; }
ol.qa-notes li { margin-bottom: 0.7em; }
.qa-note-quote { font-style: italic; }
.qa-note-meta { font-size: 0.82em; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
.qa-note-tools a { font-size: 0.8em; margin-right: 0.8em; }
</style>"""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def browser_secret(data_dir: Path) -> str:
    """The key the browser's stored notebook is encrypted with, kept in the data folder so a restarted server
    still reads what browsers saved (Gradio's default is a new key per start: every notebook lost)."""
    path = data_dir / SECRET_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(24)
        data_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, key.encode("utf-8"))
        return key


def notes_html(notes: list[dict]) -> str:
    """The saved quotes, in order, each with its question, reference and controls; all text escaped."""
    if not notes:
        return '<p class="qa-empty">No saved quotes yet: “Save quote” under an answer keeps it here.</p>'
    items = []
    for n, note in enumerate(notes):
        tools = [f'<a href="{NOTE_PREFIX}up/{n}" title="Move up">↑ Up</a>' if n else "",
                 f'<a href="{NOTE_PREFIX}down/{n}" title="Move down">↓ Down</a>' if n < len(notes) - 1 else "",
                 f'<a href="{NOTE_PREFIX}remove/{n}" title="Remove from the notebook">Remove</a>']
        open_ref = open_link(note["source_id"], note["start"], note["end"])
        items.append(
            f'<li class="qa-note"><div class="qa-note-quote">“{esc(note["quote"])}”</div>'
            f'<div class="qa-note-meta">{esc(note["citation"])} · <a href="{esc(open_ref)}">show in source</a></div>'
            f'<div class="qa-note-meta">Q: {esc(note["question"])}</div>'
            f'<div class="qa-note-tools">{"".join(tools)}</div></li>')
    return f'<ol class="qa-notes">{"".join(items)}</ol>'


def moved(notes: list[dict], op: str, n: int) -> list[dict]:
    """The notes after one control: up, down or remove the note at index n (out of range: unchanged)."""
    notes = list(notes)
    if not 0 <= n < len(notes):
        return notes
    if op == "remove":
        del notes[n]
    elif op == "up" and n > 0:
        notes[n - 1], notes[n] = notes[n], notes[n - 1]
    elif op == "down" and n < len(notes) - 1:
        notes[n], notes[n + 1] = notes[n + 1], notes[n]
    return notes


def find_quote(turns: list[dict], source_id: str, start: int, end: int) -> dict | None:
    """The latest turn whose answer quotes this span (in its quotes or its disagreement rows)."""
    for turn in reversed(turns):
        answer = turn.get("answer") or {}
        rows = list(answer.get("answer") or []) + list((answer.get("conflict") or {}).get("rows") or [])
        for row in rows:
            if (row.get("source_id"), row.get("start"), row.get("end")) == (source_id, start, end):
                return {"turn": turn, "quote": row}
    return None


@dataclass
class Notebook:
    """The notes panel and the two values kept in the browser (conversation, notes); methods never raise."""

    engine: Engine
    export_dir: Path
    conversation: gr.BrowserState
    notes: gr.BrowserState
    panel_html: gr.HTML
    scope: gr.Radio
    fmt: gr.Radio
    style: gr.Dropdown
    download: gr.File

    @classmethod
    def panel(cls, engine: Engine, export_dir: Path) -> "Notebook":
        """Build the notes panel where the page is being laid out."""
        secret = browser_secret(engine.config.data_dir)
        conversation = gr.BrowserState(EMPTY_CONVERSATION, storage_key="qa-conversation", secret=secret)
        notes = gr.BrowserState([], storage_key="qa-notes", secret=secret)
        gr.Markdown("### Notebook", elem_classes="qa-panel-title")
        panel_html = gr.HTML(notes_html([]), elem_id="qa-notes", js_on_load=NOTES_SCRIPT, head=HEAD, max_height=330)
        with gr.Accordion("Export the evidence", open=False, elem_id="qa-export"):
            scope = gr.Radio(list(SCOPES), value="Saved notes", label="What", elem_id="qa-export-scope")
            fmt = gr.Radio(list(FORMATS), value="Markdown", label="Format", elem_id="qa-export-format")
            style = gr.Dropdown(list(export.STYLES), value="plain", label="Reference style", elem_id="qa-export-style")
            button = gr.Button("Export", elem_id="qa-export-run")
            download = gr.File(label="Download", interactive=False, elem_id="qa-export-file")
        made = cls(engine, export_dir, conversation, notes, panel_html, scope, fmt, style, download)
        button.click(made.export, [scope, fmt, style, conversation, notes], download, api_visibility="private")
        panel_html.click(made._event, [conversation, notes], [notes, panel_html], api_visibility="private")
        return made

    def wire(self, demo: gr.Blocks, chatbot: gr.Chatbot, asked: gr.State, answered: gr.State,
             questions: list) -> None:
        """Keep each answered question (after every event of `questions`), restore on load, forget on clear."""
        for event in questions:
            event.then(self.remember, [chatbot, asked, answered, self.conversation], self.conversation,
                       queue=False, api_visibility="private")
        demo.load(self.restore, [self.conversation, self.notes], [chatbot, asked, self.panel_html], queue=False,
                  api_visibility="private")
        chatbot.clear(lambda: EMPTY_CONVERSATION, None, self.conversation, queue=False, api_visibility="private")

    # ---- events ----------------------------------------------------------------------------------

    @staticmethod
    def remember(history: list, asked: list, answered: dict | None, conversation: dict | None) -> dict:
        """The conversation with the latest exchange (the answer's data kept for saving and export)."""
        conversation = dict(conversation or EMPTY_CONVERSATION)
        turns = list(conversation.get("turns") or [])
        if answered:  # the passages' texts stay out: the browser's storage is small and the export needs none
            kept = {k: v for k, v in answered.items() if k != "passages"}
            turns.append({"question": answered.get("question", ""), "asked_at": now_iso(), "answer": kept})
        return {"history": list(history or []), "asked": list(asked or []), "turns": turns}

    @staticmethod
    def restore(conversation: dict | None, notes: list | None):
        conversation = conversation or EMPTY_CONVERSATION
        return (list(conversation.get("history") or []), list(conversation.get("asked") or []),
                notes_html(list(notes or [])))

    def _event(self, conversation: dict | None, notes: list | None, event: gr.EventData):
        ref = str((getattr(event, "_data", None) or {}).get("ref", ""))
        return self.act(ref, conversation, notes)

    def act(self, ref: str, conversation: dict | None, notes: list | None):
        """Save a quote (`#qa-save/<source>/<start>/<end>`) or move/remove a note (`#qa-note/<op>/<n>`):
        (notes, panel)."""
        notes = list(notes or [])
        try:
            if ref.startswith(NOTE_PREFIX):
                op, _, n = ref[len(NOTE_PREFIX):].partition("/")
                notes = moved(notes, op, int(n))
            elif ref.startswith(SAVE_PREFIX):
                notes = self.save(notes, (conversation or {}).get("turns") or [], *parse_open_link(
                    OPEN_PREFIX + ref[len(SAVE_PREFIX):]))
        except ValueError:
            gr.Warning("That control does not name a quote or a note.")
        except Exception:
            log.exception("notebook action %r failed", ref[:200])
            gr.Warning("The notebook could not be changed; the details are in the server log.")
        return notes, notes_html(notes)

    def save(self, notes: list[dict], turns: list[dict], source_id: str, start: int, end: int) -> list[dict]:
        if any((n["source_id"], n["start"], n["end"]) == (source_id, start, end) for n in notes):
            gr.Info("That quote is already in the notebook.")
            return notes
        found = find_quote(turns, source_id, start, end)
        if found is None:
            gr.Warning("That quote is not in this conversation any more.")
            return notes
        turn, quote = found["turn"], found["quote"]
        record = export.quote_record(turn["question"], turn.get("asked_at", ""), quote["quote"], source_id, start,
                                     end, quote.get("page"), self.engine.source(source_id))
        return notes + [asdict(record)]

    def export(self, scope: str, fmt: str, style: str, conversation: dict | None, notes: list | None):
        """The evidence pack as a file to download (None, with a message, when there is nothing to export)."""
        try:
            if SCOPES.get(scope) == "conversation":
                sources = {s.source_id: s for s in self.engine.sources()}
                records = [r for turn in (conversation or {}).get("turns") or [] for r in
                           export.records_of_answer(turn.get("answer") or {}, sources, turn.get("asked_at", ""),
                                                    style)]
            else:
                records = [restyled(r, style) for r in export.records_from_dicts(notes or [])]
            if not records:
                gr.Warning("There is nothing to export yet: save a quote, or ask a question.")
                return None
            suffix = FORMATS.get(fmt, "md")
            folder = Path(tempfile.mkdtemp(prefix="export-", dir=self.export_dir))
            path = folder / f"evidence-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{suffix}"
            path.write_text(export.render(records, suffix, now_iso()), encoding="utf-8")
            return str(path)
        except Exception:
            log.exception("export failed")
            gr.Warning("The export failed; the details are in the server log.")
            return None


def restyled(record: export.QuoteRecord, style: str) -> export.QuoteRecord:
    """A saved record with its reference in another style (the rest stays as saved)."""
    meta = SourceMeta(title=record.title, outlet=record.outlet, date=record.date, url=record.url,
                      author=record.author, collected=record.collected)
    accessed = (record.collected or record.asked_at)[:10]
    return replace(record, citation=export.reference(meta, record.source_id, accessed, style))


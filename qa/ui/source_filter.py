"""The page's source choice: a checkbox per source (all on by default) and "only this outlet"."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..engine import Engine
from ..selection import outlets_of
from .render import source_name

ALL = "All sources"


def limit(chosen: list[str] | None, all_ids: list[str]) -> list[str] | None:
    """What a question is limited to: None when every source is ticked (or the page sent no choice), else
    the ticked ids (an empty list: the engine asks for at least one)."""
    if chosen is None or set(chosen) >= set(all_ids):
        return None
    return list(chosen)


def labels_of(sources) -> list[tuple[str, str]]:
    """(what the box reads, source id) per source."""
    return [(source_name(s.meta, s.source_id), s.source_id) for s in sources]


@dataclass
class SourceFilter:
    """The components. A question is limited by `chosen` of `offered` as they are when it is sent (`limit`):
    while every source offered is ticked it asks every source (also one added since the page loaded)."""

    engine: Engine
    outlet: gr.Dropdown
    chosen: gr.CheckboxGroup
    offered: gr.State

    @classmethod
    def panel(cls, engine: Engine) -> "SourceFilter":
        """Build the components where the page is being laid out (collapsed: most questions ask every source)."""
        sources = engine.sources()
        ids = [s.source_id for s in sources]
        with gr.Accordion("Sources to ask", open=False, elem_id="qa-filter"):
            outlet = gr.Dropdown(label="Only this outlet", choices=[ALL, *outlets_of(sources)], value=ALL,
                                 elem_id="qa-filter-outlet", interactive=True)
            # laid out already ticked (the page-load refresh then changes nothing unless the sources did):
            # a list built empty and filled on load could show its boxes before their ticks
            chosen = gr.CheckboxGroup(label="Ask only the ticked sources", elem_id="qa-filter-sources",
                                      choices=labels_of(sources), value=ids, interactive=True)
        made = cls(engine, outlet, chosen, gr.State(ids))
        outlet.input(made.only_outlet, outlet, chosen, queue=False, api_visibility="private")
        return made

    def refresh(self):
        """Every current source ticked, and the outlets to choose from (on page load)."""
        sources = self.engine.sources()
        ids = [s.source_id for s in sources]
        return (gr.update(choices=[ALL, *outlets_of(sources)], value=ALL),
                gr.update(choices=labels_of(sources), value=ids), ids)

    def refreshed(self, chosen: list[str] | None, offered: list[str] | None, outlet: str | None):
        """The choice after the sources changed (added, edited, deleted): the user's ticks kept for the
        sources still there, a new source ticked when every source was (or when it is of the outlet
        chosen), labels and outlets as they are now."""
        sources = self.engine.sources()
        offered = list(offered or [])
        kept = set(chosen if chosen is not None else offered)
        every = kept >= set(offered)
        outlets = outlets_of(sources)
        outlet = outlet if outlet in outlets else ALL
        of_outlet = set(outlets.get(outlet, []))
        ids = [s.source_id for s in sources]
        ticked = [sid for sid in ids if sid in kept or sid not in offered and (every or sid in of_outlet)]
        return (gr.update(choices=[ALL, *outlets], value=outlet), gr.update(choices=labels_of(sources), value=ticked),
                ids)

    def only_outlet(self, outlet: str):
        sources = self.engine.sources()
        if outlet == ALL or not outlet:
            return [s.source_id for s in sources]
        return outlets_of(sources).get(outlet, [])

    def wire(self, demo: gr.Blocks) -> None:
        demo.load(self.refresh, None, [self.outlet, self.chosen, self.offered], queue=False, api_visibility="private")

    def follow(self, changes: list, tab: gr.Tab) -> None:
        """Refresh the choice after each of these events (the Sources tab's add, edit and delete), and when
        its tab is shown again (for a source another user or `qa add` brought)."""
        io = dict(inputs=[self.chosen, self.offered, self.outlet], outputs=[self.outlet, self.chosen, self.offered],
                  queue=False, show_progress="hidden", api_visibility="private")
        for event in changes:
            event.then(self.refreshed, **io)
        tab.select(self.refreshed, **io)

"""The page's source choice: a checkbox per source (all on by default) and "only this outlet"."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..engine import Engine
from ..selection import outlets_of
from .render import source_name

ALL = "All sources"
# events of the list itself: no queue, no spinner, not part of the app's API
PRIVATE = dict(queue=False, show_progress="hidden", api_visibility="private")


def limit(chosen: list[str] | None, all_ids: list[str], limited: bool = True) -> list[str] | None:
    """What a question is limited to: None (every source) unless the user `limited` the choice and ticked
    some but not every source, else the ticked ids."""
    if not limited or not chosen or set(chosen) >= set(all_ids):
        return None
    return list(chosen)


def labels_of(sources) -> list[tuple[str, str]]:
    """(what the box reads, source id) per source."""
    return [(source_name(s.meta, s.source_id), s.source_id) for s in sources]


@dataclass
class SourceFilter:
    """The components. A question is limited by the ticks (`picked`) of the sources `offered` as they are
    when it is sent, and only once the user has `limited` the choice (unticked a box, chose an outlet): the
    ticks the page itself sets (on load, after a source is added) never limit a question, so a refresh that
    lands late or drops a tick cannot silently narrow it.

    Every refresh sends the boxes' choices first and their ticks in a second step: sent together, the page
    may apply the ticks before the new choices and drop those of the new sources. Questions and refreshes
    read the ticks from `picked`, a state kept with the boxes, never from the boxes themselves: Gradio
    refuses a box's value that its choices no longer hold (a source deleted while the page still showed it),
    which would fail the question."""

    engine: Engine
    outlet: gr.Dropdown
    chosen: gr.CheckboxGroup
    picked: gr.State
    offered: gr.State
    limited: gr.State

    @classmethod
    def panel(cls, engine: Engine) -> "SourceFilter":
        """Build the components where the page is being laid out (collapsed: most questions ask every source)."""
        sources = engine.sources()
        ids = [s.source_id for s in sources]
        with gr.Accordion("Sources to ask", open=False, elem_id="qa-filter"):
            outlet = gr.Dropdown(label="Only this outlet", choices=[ALL, *outlets_of(sources)], value=ALL,
                                 elem_id="qa-filter-outlet", interactive=True)
            chosen = gr.CheckboxGroup(label="Ask only the ticked sources", elem_id="qa-filter-sources",
                                      choices=labels_of(sources), value=ids, interactive=True)
        made = cls(engine, outlet, chosen, gr.State(ids), gr.State(ids), gr.State(False))
        outlet.input(made.only_outlet, outlet, [chosen, made.picked, made.limited], **PRIVATE)
        chosen.input(made.ticked_by_user, [chosen, made.offered], [made.picked, made.limited], **PRIVATE)
        return made

    def choices(self, outlet: str | None = None):
        """Step one of a refresh: the sources and outlets to choose from as they are now (the outlet kept
        while it still has sources)."""
        sources = self.engine.sources()
        outlets = outlets_of(sources)
        return (gr.update(choices=[ALL, *outlets], value=outlet if outlet in outlets else ALL),
                gr.update(choices=labels_of(sources)))

    def ticks(self, chosen: list[str] | None, offered: list[str] | None, outlet: str | None, limited: bool):
        """Step two: the ticks after the sources changed (added, edited, deleted): the ticks as they are for the
        sources still there (never re-ticked: the user may have just unticked one); a new source ticked unless
        the user limited the choice (then only when it is of the outlet chosen)."""
        sources = self.engine.sources()
        ids, offered, kept = [s.source_id for s in sources], set(offered or []), set(chosen or [])
        of_outlet = set(outlets_of(sources).get(outlet or ALL, []))
        ticked = [sid for sid in ids if sid in kept or sid not in offered and (not limited or sid in of_outlet)]
        return gr.update(value=ticked), ticked, ids

    def only_outlet(self, outlet: str):
        sources = self.engine.sources()
        if outlet == ALL or not outlet:
            ids = [s.source_id for s in sources]
            return ids, ids, False
        ids = outlets_of(sources).get(outlet, [])
        return ids, ids, True

    @staticmethod
    def ticked_by_user(chosen: list[str] | None, offered: list[str] | None) -> tuple[list[str], bool]:
        """The user's ticks, and whether they leave some source out."""
        chosen = list(chosen or [])
        return chosen, not set(chosen) >= set(offered or [])

    def wire(self, demo: gr.Blocks) -> None:
        """On page load: the sources as they are now (the page may have been laid out before some were added)."""
        self._refresh_after(demo.load)

    def follow(self, changes: list, tab: gr.Tab) -> None:
        """Refresh the choice after each of these events (the Sources tab's add, edit and delete), and when
        its tab is shown again (for a source another user or `qa add` brought)."""
        for event in changes:
            self._refresh_after(event.then)
        self._refresh_after(tab.select)

    def _refresh_after(self, trigger) -> None:
        trigger(self.choices, self.outlet, [self.outlet, self.chosen], **PRIVATE).then(
            self.ticks, [self.picked, self.offered, self.outlet, self.limited],
            [self.chosen, self.picked, self.offered], **PRIVATE)

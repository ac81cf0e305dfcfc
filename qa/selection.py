"""Choosing the sources a question is asked of: source ids and outlets resolved to a set of source ids."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .types import Source


# "How many died according to Geghard?": whose version is asked for (an outlet here; anyone in question.py)
ACCORDING_TO = re.compile(r"\baccording\s+to\s+(?:the\s+)?(?P<who>[^,?;!]+?)\s*(?=[,?;!]|\.?$)", re.I)


class SelectionError(ValueError):
    """A source id or outlet that names nothing in the collection; the message is one line for the user."""


def choose_sources(sources: Mapping[str, Source], ids: Iterable[str] = (),
                   outlets: Iterable[str] = ()) -> frozenset[str] | None:
    """The ids of the sources named (by id) plus every source of the outlets named (case and spacing
    ignored); None when nothing is named: every source. An unknown id or outlet raises SelectionError."""
    ids, outlets = [i.strip() for i in ids], [o.strip() for o in outlets]
    if not ids and not outlets:
        return None
    unknown = [i for i in ids if i not in sources]
    if unknown:
        raise SelectionError(f"unknown source id{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
                             "(`qa sources` lists them)")
    chosen = set(ids)
    by_outlet: dict[str, set[str]] = {}
    for source in sources.values():
        by_outlet.setdefault(outlet_key(source.meta.outlet), set()).add(source.source_id)
    missing = [o for o in outlets if not o or outlet_key(o) not in by_outlet]
    if missing:
        raise SelectionError(f"unknown outlet{'s' if len(missing) > 1 else ''}: {', '.join(missing) or '(empty)'}"
                             " (`qa sources` lists the outlets)")
    for outlet in outlets:
        chosen |= by_outlet[outlet_key(outlet)]
    return frozenset(chosen)


def outlet_key(outlet: str) -> str:
    return " ".join(outlet.split()).casefold()


def outlets_of(sources: Iterable[Source]) -> dict[str, list[str]]:
    """Each outlet as first written, with its source ids (sources without an outlet left out)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for source in sorted(sources, key=lambda s: s.source_id):
        if source.meta.outlet.strip():
            found.setdefault(outlet_key(source.meta.outlet), (source.meta.outlet.strip(), []))[1].append(
                source.source_id)
    return dict(sorted(found.values(), key=lambda item: item[0].casefold()))


def outlet_asked(question: str, outlets: Iterable[str]) -> str:
    """The outlet a question asks the version of ("How many died according to Geghard?"), as `outlets` (the
    collection's) spell it; "" when it names none of them."""
    by_key = {outlet_key(outlet): outlet for outlet in outlets}
    for match in ACCORDING_TO.finditer(question):
        outlet = by_key.get(outlet_key(match.group("who")))
        if outlet:
            return outlet
    return ""

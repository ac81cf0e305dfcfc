"""Text formatting shared by the reports and their diffs: metric values and Markdown tables."""

from __future__ import annotations


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def table(rows: list[list[str]], headers: list[str]) -> str:
    from tabulate import tabulate  # the [eval] extra

    escape = lambda cell: str(cell).replace("|", "\\|")  # noqa: E731  a '|' in a quote would split the cell
    return tabulate([[escape(c) for c in row] for row in rows], headers=headers, tablefmt="github",
                    disable_numparse=True)
